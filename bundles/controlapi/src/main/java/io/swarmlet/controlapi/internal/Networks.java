package io.swarmlet.controlapi.internal;

import io.swarmlet.api.types.Cidr;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.*;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Cluster networks through the control API: create (with the manager's IPAM),
 * inspect, list, remove (design/networking.md). A network never changes once
 * created. Its subnet is the spec's, or the first /24 of {@value #POOL} from
 * {@code 10.0.1.0/24} on that overlaps no other network; the allocation runs
 * inside the write transaction, so two networks never get the same one.
 */
final class Networks {

    private static final Logger LOG = LogManager.getLogger(Networks.class);

    /** Docker swarm's default address pool. */
    static final String POOL = "10.0.0.0/8";
    /** The first subnet handed out (Docker leaves 10.0.0.0/24 to its ingress network). */
    static final String FIRST = "10.0.1.0/24";
    static final String DEFAULT_DRIVER = "overlay";
    static final Set<String> DRIVERS = Set.of("overlay", "bridge");
    /** The smallest subnet: its upper half must hold some VIPs and the DNS address. */
    static final int SMALLEST_PREFIX = 28;
    static final int LARGEST_PREFIX = 16;
    /** Docker's: {@code [a-zA-Z0-9][a-zA-Z0-9_.-]*}. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
    /** Docker's pre-defined networks, which cannot be created. */
    private static final Set<String> PREDEFINED = Set.of("bridge", "host", "none", "default", "ingress");

    private final StoreCalls calls;

    Networks(Supplier<Store> store) {
        this.calls = new StoreCalls(store);
    }

    // ------------------------------------------------------------ create

    CreateNetworkResponse create(CreateNetworkRequest request) {
        NetworkSpec spec = checked(request.getSpec());
        String name = spec.getAnnotations().getName();
        Optional<Cidr> asked = askedSubnet(spec);
        String id = Ids.newId();
        calls.write(tx -> {
            if (tx.byName(Kind.NETWORK, name).isPresent()) {
                throw new ControlException(ControlException.Code.ALREADY_EXISTS, "network with name " + name + " already exists");
            }
            List<Network> others = tx.all(Kind.NETWORK);
            Cidr subnet = asked.isPresent() ? free(asked.get(), others) : allocate(others, name);
            tx.create(Kind.NETWORK, network(id, spec, subnet));
        });
        Network created = calls.read(tx -> tx.get(Kind.NETWORK, id).orElseThrow());
        LOG.info("network {} created ({}, subnet {})", name, id, created.getIpam().getConfigs(0).getSubnet());
        return CreateNetworkResponse.newBuilder().setNetwork(created).build();
    }

    /** The spec as stored (driver defaulted), or a refusal that says what to change. */
    static NetworkSpec checked(NetworkSpec spec) {
        String name = spec.getAnnotations().getName();
        if (name.isEmpty()) {
            throw ControlException.invalid("a network needs a name: swarmlet network create NAME");
        }
        if (!NAME.matcher(name).matches()) {
            throw ControlException.invalid("invalid network name \"" + name + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        }
        if (PREDEFINED.contains(name)) {
            throw ControlException.invalid(name + " is a pre-defined network and cannot be created");
        }
        if (spec.getIngress()) {
            throw ControlException.invalid("ingress networks are not supported: Swarmlet's routing mesh publishes"
                    + " ingress ports without one; create the network without --ingress");
        }
        String driver = spec.getDriverConfig().getName();
        if (!driver.isEmpty() && !DRIVERS.contains(driver)) {
            throw ControlException.invalid("network driver \"" + driver + "\" is not supported: a cluster network is"
                    + " a bridge network on each node, joined by the routing mesh; use --driver overlay (the default)");
        }
        String ipamDriver = spec.getIpam().getDriver().getName();
        if (!ipamDriver.isEmpty() && !ipamDriver.equals("default")) {
            throw ControlException.invalid("IPAM driver \"" + ipamDriver + "\" is not supported: leave --ipam-driver"
                    + " out (the managers allocate the addresses)");
        }
        if (spec.getIpam().getConfigsCount() > 1) {
            throw ControlException.invalid("network " + name + " has " + spec.getIpam().getConfigsCount()
                    + " subnets: a cluster network has one; give a single --subnet");
        }
        NetworkSpec.Builder b = spec.toBuilder();
        if (driver.isEmpty()) {
            b.getDriverConfigBuilder().setName(DEFAULT_DRIVER);
        }
        return b.build();
    }

    /** The spec's subnet, checked (with its gateway and range, if given); empty to allocate one. */
    static Optional<Cidr> askedSubnet(NetworkSpec spec) {
        if (spec.getIpam().getConfigsCount() == 0) {
            return Optional.empty();
        }
        IPAMConfig c = spec.getIpam().getConfigs(0);
        if (c.getSubnet().isEmpty()) {
            if (!c.getGateway().isEmpty() || !c.getRange().isEmpty()) {
                throw ControlException.invalid("--gateway and --ip-range need a --subnet");
            }
            return Optional.empty();
        }
        Cidr subnet;
        try {
            subnet = Cidr.parse(c.getSubnet());
        } catch (Cidr.HostBitsSet e) {
            throw ControlException.invalid("invalid subnet " + c.getSubnet() + ": it has host bits set; did you mean "
                    + e.network + "?");
        } catch (IllegalArgumentException e) {
            throw ControlException.invalid("invalid subnet \"" + c.getSubnet()
                    + "\": give an IPv4 CIDR such as 10.0.9.0/24 (IPv6 is not supported)");
        }
        if (subnet.prefix() > SMALLEST_PREFIX) {
            throw ControlException.invalid("subnet " + subnet + " is too small: use a /" + SMALLEST_PREFIX
                    + " or larger (its upper half holds the services' virtual IPs and the network's DNS address)");
        }
        if (subnet.prefix() < LARGEST_PREFIX) {
            throw ControlException.invalid("subnet " + subnet + " is too large: use a /" + LARGEST_PREFIX + " or smaller");
        }
        Cidr range = subnet.range();
        if (!c.getRange().isEmpty() && !c.getRange().equals(range.toString())) {
            throw ControlException.invalid("--ip-range " + c.getRange() + " is not supported: tasks get the lower half"
                    + " of the subnet (" + range + "), virtual IPs and DNS the upper half; leave --ip-range out");
        }
        if (!c.getGateway().isEmpty()) {
            long gw;
            try {
                gw = Cidr.address(c.getGateway());
            } catch (IllegalArgumentException e) {
                throw ControlException.invalid("invalid gateway \"" + c.getGateway() + "\": give an IPv4 address");
            }
            if (gw <= range.base() || gw >= range.last()) {
                throw ControlException.invalid("gateway " + c.getGateway() + " is not a host address of the task range "
                        + range + " of subnet " + subnet + ": give one of the lower half, or leave --gateway out");
            }
        }
        return Optional.of(subnet);
    }

    /** The subnet asked for, if no other network's overlaps it (Docker's words). */
    private static Cidr free(Cidr asked, List<Network> others) {
        for (Network n : others) {
            Cidr s = subnet(n);
            if (s != null && s.overlaps(asked)) {
                throw new ControlException(ControlException.Code.FAILED_PRECONDITION,
                        "invalid pool request: Pool overlaps with other one on this address space (" + asked
                                + " overlaps " + s + " of network " + n.getSpec().getAnnotations().getName()
                                + "); choose another --subnet");
            }
        }
        return asked;
    }

    /** The first /24 of the pool from {@value #FIRST} on that overlaps no other network. */
    private static Cidr allocate(List<Network> others, String name) {
        List<Cidr> taken = new ArrayList<>();
        for (Network n : others) {
            Cidr s = subnet(n);
            if (s != null) {
                taken.add(s);
            }
        }
        Cidr pool = Cidr.parse(POOL);
        for (long base = Cidr.parse(FIRST).base(); base + 255 <= pool.last(); base += 256) {
            Cidr candidate = new Cidr(base, 24);
            if (taken.stream().noneMatch(candidate::overlaps)) {
                return candidate;
            }
        }
        throw new ControlException(ControlException.Code.FAILED_PRECONDITION, "no free /24 subnet left in " + POOL
                + " for network " + name + ": remove networks that are not used, or give one with --subnet");
    }

    /** A stored network's subnet, or null if it has none (or one this manager cannot read). */
    static Cidr subnet(Network n) {
        if (n.getIpam().getConfigsCount() == 0) {
            return null;
        }
        try {
            return Cidr.parse(n.getIpam().getConfigs(0).getSubnet());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Network network(String id, NetworkSpec spec, Cidr subnet) {
        String gateway = spec.getIpam().getConfigsCount() > 0 && !spec.getIpam().getConfigs(0).getGateway().isEmpty()
                ? spec.getIpam().getConfigs(0).getGateway() : Cidr.format(subnet.gateway());
        return Network.newBuilder()
                .setId(id)
                .setSpec(spec)
                .setDriverState(Driver.newBuilder().setName(spec.getDriverConfig().getName())
                        .putAllOptions(spec.getDriverConfig().getOptionsMap()))
                .setIpam(IPAMOptions.newBuilder().setDriver(Driver.newBuilder().setName("default"))
                        .addConfigs(IPAMConfig.newBuilder().setSubnet(subnet.toString())
                                .setGateway(gateway).setRange(subnet.range().toString())))
                .setDnsAddr(Cidr.format(subnet.dnsAddr()))
                .build();
    }

    // ------------------------------------------------------------ inspect, list, remove

    GetNetworkResponse get(GetNetworkRequest request) {
        return GetNetworkResponse.newBuilder()
                .setNetwork(calls.<Network>read(tx -> Resolver.resolve(tx, Kind.NETWORK, request.getId(), null))).build();
    }

    ListNetworksResponse list(ListNetworksRequest request) {
        return ListNetworksResponse.newBuilder()
                .addAllNetworks(calls.read(tx -> tx.find(Kind.NETWORK, ControlApiImpl.matches(Kind.NETWORK, request.getFilters(),
                        null, n -> n.getSpec().getAnnotations().getLabelsMap()))))
                .build();
    }

    RemoveNetworkResponse remove(RemoveNetworkRequest request) {
        String[] removed = new String[2];
        calls.write(tx -> {
            Network n = Resolver.resolve(tx, Kind.NETWORK, request.getId(), null);
            String name = n.getSpec().getAnnotations().getName();
            List<String> users = users(tx, n.getId());
            if (!users.isEmpty()) {
                throw new ControlException(ControlException.Code.FAILED_PRECONDITION, "network " + name
                        + " is in use by service" + (users.size() > 1 ? "s " : " ") + String.join(", ", users));
            }
            tx.delete(Kind.NETWORK, n.getId());
            removed[0] = name;
            removed[1] = n.getId();
        });
        LOG.info("network {} removed ({})", removed[0], removed[1]);
        return RemoveNetworkResponse.getDefaultInstance();
    }

    /** The names of the services attached to the network, sorted. */
    static List<String> users(ReadTx tx, String networkId) {
        List<String> names = new ArrayList<>();
        for (Service s : tx.all(Kind.SERVICE)) {
            if (NetworkRefs.attached(s.getSpec(), networkId)) {
                names.add(s.getSpec().getAnnotations().getName());
            }
        }
        names.sort(null);
        return names;
    }
}
