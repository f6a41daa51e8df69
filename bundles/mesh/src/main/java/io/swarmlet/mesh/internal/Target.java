package io.swarmlet.mesh.internal;

import io.swarmlet.api.types.MeshBackend;
import io.swarmlet.api.types.MeshRoute;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Where one published port leads right now: the service, its balancing
 * strategy and its backends (resolved, in the table's order). Immutable: a new
 * table swaps a listener's whole target at once, so a connection being set up
 * sees either the old backends or the new ones, never a mix.
 */
record Target(String serviceId, String serviceName, String strategy, List<InetSocketAddress> backends,
        Map<InetSocketAddress, InetSocketAddress> fallbacks) {

    private static final Logger LOG = LogManager.getLogger(Target.class);

    /**
     * Backends with an IP literal are converted without any lookup (the
     * dispatcher sends node IP addresses); anything else is resolved here, on
     * the control thread, never on an event loop. Unusable ones are left out.
     */
    static Target of(MeshRoute route) {
        return of(route, "");
    }

    /**
     * As {@link #of(MeshRoute)}; the backends that run on {@code localNodeId}
     * and have a container address are dialled there, at the target port (no
     * docker-proxy in between), with their node port as the fallback.
     */
    static Target of(MeshRoute route, String localNodeId) {
        List<InetSocketAddress> list = new ArrayList<>(route.getBackendsCount());
        Map<InetSocketAddress, InetSocketAddress> fallbacks = new HashMap<>();
        int target = route.getPort().getTargetPort();
        for (MeshBackend b : route.getBackendsList()) {
            if (!localNodeId.isEmpty() && b.getNodeId().equals(localNodeId) && !b.getContainerAddr().isEmpty()
                    && target > 0 && target <= 65535) {
                try {
                    InetSocketAddress direct = new InetSocketAddress(InetAddress.getByName(b.getContainerAddr()), target);
                    if (b.getPort() > 0 && b.getPort() <= 65535 && !b.getAddr().isEmpty()) {
                        fallbacks.put(direct, new InetSocketAddress(InetAddress.getByName(b.getAddr()), b.getPort()));
                    }
                    list.add(direct);
                    continue;
                } catch (UnknownHostException e) {
                    LOG.debug("backend {}: container address {} unusable", b.getTaskId(), b.getContainerAddr());
                }
            }
            if (b.getAddr().isEmpty() || b.getPort() == 0 || b.getPort() > 65535) {
                LOG.debug("backend {} of service {} has no usable address ({}:{})", b.getTaskId(),
                        route.getServiceName(), b.getAddr(), b.getPort());
                continue;
            }
            try {
                list.add(new InetSocketAddress(InetAddress.getByName(b.getAddr()), b.getPort()));
            } catch (UnknownHostException e) {
                LOG.warn("backend {} of service {}: cannot resolve {}", b.getTaskId(), route.getServiceName(),
                        b.getAddr());
            }
        }
        return new Target(route.getServiceId(), route.getServiceName(), route.getLbStrategy(), List.copyOf(list),
                Map.copyOf(fallbacks));
    }

    /** The node-port address to try when {@code backend} (a container address) cannot be reached, or null. */
    InetSocketAddress fallback(InetSocketAddress backend) {
        return fallbacks.get(backend);
    }

    /** The backends minus those that already refused this connection. */
    List<InetSocketAddress> without(java.util.Set<InetSocketAddress> failed) {
        if (failed.isEmpty()) {
            return backends;
        }
        List<InetSocketAddress> rest = new ArrayList<>(backends.size());
        for (InetSocketAddress b : backends) {
            if (!failed.contains(b)) {
                rest.add(b);
            }
        }
        return rest;
    }
}
