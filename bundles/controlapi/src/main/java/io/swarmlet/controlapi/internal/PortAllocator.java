package io.swarmlet.controlapi.internal;

import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.Service;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Gives a service's ingress ports their cluster-wide published ports
 * (SwarmKit's port allocator): a port the spec names is checked against every
 * other service's, a port without one gets the lowest free one of
 * {@value #DYNAMIC_FIRST}–{@value #DYNAMIC_LAST}, and keeps it across updates.
 * The result is the service's {@code endpoint.ports}, which tasks copy and the
 * routing mesh listens on. Host-mode ports are per node (the scheduler keeps
 * two apart) and pass through unchanged. Internal ports (compose {@code expose})
 * are reachable only at the service's virtual IPs, on their target port: they
 * get {@code published_port = target_port} (once per target and protocol) and
 * take part in no conflict check.
 *
 * <p>Pure; called by the control API inside the write transaction that
 * creates or updates the service, so two services can never be given the
 * same port.
 */
final class PortAllocator {

    static final int DYNAMIC_FIRST = 30000;
    static final int DYNAMIC_LAST = 32767;

    private PortAllocator() {}

    /**
     * The endpoint a service with {@code spec} gets.
     *
     * @param spec the service's (new) endpoint spec
     * @param current the service's endpoint so far (a default instance for a new service)
     * @param others every other service
     * @throws ControlException (INVALID_ARGUMENT) naming the service that owns a requested port,
     *         or saying the dynamic range is exhausted
     */
    static Endpoint allocate(EndpointSpec spec, Endpoint current, List<Service> others) {
        Map<String, Service> owners = new HashMap<>();
        for (Service o : others) {
            for (PortConfig p : allocated(o)) {
                if (p.getPublishMode() == PortConfig.PublishMode.INGRESS && p.getPublishedPort() != 0) {
                    owners.putIfAbsent(key(p.getProtocol(), p.getPublishedPort()), o);
                }
            }
        }
        List<PortConfig> out = new ArrayList<>();
        // the ports this spec names come first, so a dynamic one never takes them
        Map<String, Boolean> mine = new HashMap<>();
        for (PortConfig p : spec.getPortsList()) {
            if (p.getPublishMode() != PortConfig.PublishMode.INGRESS || p.getPublishedPort() == 0) {
                continue;
            }
            Service owner = owners.get(key(p.getProtocol(), p.getPublishedPort()));
            if (owner != null) {
                throw ControlException.invalid("port '" + p.getPublishedPort() + "' is already in use by service '"
                        + owner.getSpec().getAnnotations().getName() + "' (" + owner.getId() + ") as an ingress port"
                        + " (choose another published port, or remove it from that service with --publish-rm)");
            }
            mine.put(key(p.getProtocol(), p.getPublishedPort()), true);
        }
        List<PortConfig> previous = new ArrayList<>(current.getPortsList());
        java.util.Set<String> internal = new java.util.HashSet<>();
        for (PortConfig p : spec.getPortsList()) {
            if (p.getPublishMode() == PortConfig.PublishMode.INTERNAL) {
                // reachable at the service's VIPs on its target port: never allocated, never in conflict
                if (internal.add(key(p.getProtocol(), p.getTargetPort()))) {
                    out.add(p.toBuilder().setPublishedPort(p.getTargetPort()).build());
                }
                continue;
            }
            if (p.getPublishMode() != PortConfig.PublishMode.INGRESS || p.getPublishedPort() != 0) {
                out.add(p);
                continue;
            }
            int port = reuse(p, previous, current.getSpec(), owners, mine);
            if (port == 0) {
                port = lowestFree(p.getProtocol(), owners, mine);
            }
            mine.put(key(p.getProtocol(), port), true);
            out.add(p.toBuilder().setPublishedPort(port).build());
        }
        return Endpoint.newBuilder().setSpec(spec).addAllPorts(out).addAllVirtualIps(current.getVirtualIpsList()).build();
    }

    /** The ports {@code s} holds: allocated ones, or (for a service stored before allocation) its spec's. */
    static List<PortConfig> allocated(Service s) {
        return s.getEndpoint().getPortsCount() > 0 ? s.getEndpoint().getPortsList() : s.getSpec().getEndpoint().getPortsList();
    }

    /**
     * The dynamic port an earlier version of the service had for the same
     * target and protocol (also asked for dynamically then), if still free; else 0.
     */
    private static int reuse(PortConfig p, List<PortConfig> previous, EndpointSpec previousSpec,
            Map<String, Service> owners, Map<String, Boolean> mine) {
        for (int i = 0; i < previous.size(); i++) {
            PortConfig q = previous.get(i);
            if (q.getPublishMode() == PortConfig.PublishMode.INGRESS && q.getTargetPort() == p.getTargetPort()
                    && q.getProtocol() == p.getProtocol() && q.getPublishedPort() != 0
                    && wasDynamic(q, previousSpec)
                    && !owners.containsKey(key(q.getProtocol(), q.getPublishedPort()))
                    && !mine.containsKey(key(q.getProtocol(), q.getPublishedPort()))) {
                previous.remove(i);
                return q.getPublishedPort();
            }
        }
        return 0;
    }

    private static boolean wasDynamic(PortConfig allocated, EndpointSpec spec) {
        return spec.getPortsList().stream().anyMatch(s -> s.getPublishMode() == PortConfig.PublishMode.INGRESS
                && s.getPublishedPort() == 0 && s.getTargetPort() == allocated.getTargetPort()
                && s.getProtocol() == allocated.getProtocol());
    }

    private static int lowestFree(PortConfig.Protocol protocol, Map<String, Service> owners, Map<String, Boolean> mine) {
        for (int port = DYNAMIC_FIRST; port <= DYNAMIC_LAST; port++) {
            String k = key(protocol, port);
            if (!owners.containsKey(k) && !mine.containsKey(k)) {
                return port;
            }
        }
        throw ControlException.invalid("no published port left in " + DYNAMIC_FIRST + "-" + DYNAMIC_LAST + " for "
                + protocol.name().toLowerCase(Locale.ROOT) + ": give one with --publish published=PORT,target=...");
    }

    private static String key(PortConfig.Protocol protocol, int port) {
        return protocol + "/" + port;
    }
}
