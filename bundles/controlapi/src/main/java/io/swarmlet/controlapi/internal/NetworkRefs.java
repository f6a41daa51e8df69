package io.swarmlet.controlapi.internal;

import io.swarmlet.api.types.Cidr;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.NetworkAttachmentConfig;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.VirtualIP;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The networks of a service spec ({@code --network}), resolved inside the write
 * transaction that stores the spec, and the service's virtual IPs on them
 * (design/networking.md):
 * <ul>
 * <li>each {@code task.networks[].target} (name, ID or unambiguous ID prefix)
 *     becomes the network's ID; the deprecated {@code ServiceSpec.networks} are
 *     moved there; a network given twice is refused;</li>
 * <li>a {@code vip} service gets one {@link VirtualIP} per network, from the upper
 *     half of its subnet ({@code .128} up to the address before {@code dns_addr}),
 *     keeping the one it had on a network it stays on; a {@code dnsrr} service has none.</li>
 * </ul>
 */
final class NetworkRefs {

    private static final Pattern ALIAS = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");

    private NetworkRefs() {}

    /** The spec with its networks resolved to IDs; refuses unknown networks and duplicates. */
    static ServiceSpec resolve(ReadTx tx, ServiceSpec spec) {
        if (spec.getNetworksCount() == 0 && spec.getTask().getNetworksCount() == 0) {
            return spec;
        }
        String service = spec.getAnnotations().getName();
        List<NetworkAttachmentConfig> all = new ArrayList<>(spec.getTask().getNetworksList());
        all.addAll(spec.getNetworksList()); // deprecated place: moved into the task spec
        ServiceSpec.Builder b = spec.toBuilder().clearNetworks();
        TaskSpec.Builder t = b.getTaskBuilder().clearNetworks();
        Set<String> seen = new HashSet<>();
        for (NetworkAttachmentConfig c : all) {
            Network n = find(tx, c.getTarget());
            String name = n.getSpec().getAnnotations().getName();
            if (!seen.add(n.getId())) {
                throw ControlException.invalid("service " + service + " is attached to network " + name
                        + " more than once: give each network once");
            }
            for (String alias : c.getAliasesList()) {
                if (!ALIAS.matcher(alias).matches()) {
                    throw ControlException.invalid("invalid alias \"" + alias + "\" of service " + service + " on network "
                            + name + ": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
                }
            }
            t.addNetworks(c.toBuilder().setTarget(n.getId()));
        }
        return b.build();
    }

    private static Network find(ReadTx tx, String ref) {
        if (ref.isBlank()) {
            throw ControlException.invalid("a network attachment needs the network's name or ID (--network NAME)");
        }
        try {
            return Resolver.resolve(tx, Kind.NETWORK, ref, null);
        } catch (ControlException e) {
            if (e.code() == ControlException.Code.NOT_FOUND) {
                throw ControlException.notFound("network " + ref + " not found");
            }
            throw e;
        }
    }

    /** Whether the (resolved) spec attaches the network. */
    static boolean attached(ServiceSpec spec, String networkId) {
        return spec.getTask().getNetworksList().stream().anyMatch(c -> c.getTarget().equals(networkId))
                || spec.getNetworksList().stream().anyMatch(c -> c.getTarget().equals(networkId));
    }

    /**
     * The endpoint with the virtual IPs a service with {@code spec} (resolved) has:
     * none for {@code dnsrr} or without networks; else one per network, the one
     * {@code endpoint} already holds there if it is still the service's to keep,
     * otherwise the lowest one no other service holds.
     *
     * @param others every other service
     * @throws ControlException (FAILED_PRECONDITION) when a network has no virtual IP left
     */
    static Endpoint withVirtualIps(ReadTx tx, ServiceSpec spec, Endpoint endpoint, List<Service> others) {
        Endpoint.Builder b = endpoint.toBuilder().clearVirtualIps();
        if (spec.getEndpoint().getMode() == EndpointSpec.ResolutionMode.DNSRR || spec.getTask().getNetworksCount() == 0) {
            return b.build();
        }
        Map<String, String> held = new HashMap<>();
        for (VirtualIP v : endpoint.getVirtualIpsList()) {
            held.putIfAbsent(v.getNetworkId(), v.getAddr());
        }
        for (NetworkAttachmentConfig c : spec.getTask().getNetworksList()) {
            Network n = tx.get(Kind.NETWORK, c.getTarget())
                    .orElseThrow(() -> ControlException.notFound("network " + c.getTarget() + " not found"));
            Cidr subnet = Networks.subnet(n);
            if (subnet == null) {
                continue; // no IPAM (not made by this control API): no VIP to give
            }
            Set<Long> taken = taken(others, n.getId());
            Long addr = null;
            String mine = held.get(n.getId());
            if (mine != null) {
                try {
                    long a = Cidr.address(mine);
                    if (a >= subnet.firstVip() && a <= subnet.lastVip() && !taken.contains(a)) {
                        addr = a;
                    }
                } catch (IllegalArgumentException e) {
                    // not an address: allocate a new one
                }
            }
            if (addr == null) {
                addr = lowestFree(subnet, taken, n, spec.getAnnotations().getName());
            }
            b.addVirtualIps(VirtualIP.newBuilder().setNetworkId(n.getId()).setAddr(Cidr.format(addr)));
        }
        return b.build();
    }

    private static Set<Long> taken(List<Service> others, String networkId) {
        Set<Long> out = new HashSet<>();
        for (Service o : others) {
            for (VirtualIP v : o.getEndpoint().getVirtualIpsList()) {
                if (v.getNetworkId().equals(networkId)) {
                    try {
                        out.add(Cidr.address(v.getAddr()));
                    } catch (IllegalArgumentException e) {
                        // ignore what is not an address
                    }
                }
            }
        }
        return out;
    }

    private static long lowestFree(Cidr subnet, Set<Long> taken, Network n, String service) {
        for (long a = subnet.firstVip(); a <= subnet.lastVip(); a++) {
            if (!taken.contains(a)) {
                return a;
            }
        }
        throw new ControlException(ControlException.Code.FAILED_PRECONDITION, "no virtual IP left on network "
                + n.getSpec().getAnnotations().getName() + " for service " + service + " (its "
                + (subnet.lastVip() - subnet.firstVip() + 1) + " addresses " + Cidr.format(subnet.firstVip()) + "-"
                + Cidr.format(subnet.lastVip()) + " are taken): attach the service to another network,"
                + " or use --endpoint-mode dnsrr");
    }
}
