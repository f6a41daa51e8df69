package io.swarmlet.dispatcher.internal;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.MeshBackend;
import io.swarmlet.api.types.MeshDnsRecord;
import io.swarmlet.api.types.MeshDnsZone;
import io.swarmlet.api.types.MeshRoute;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.NetworkAttachmentConfig;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.VirtualIP;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The routing mesh's table (design/mesh.md, design/networking.md): for every
 * ingress-published port of a service, and for every port of each of its
 * virtual IPs, the RUNNING tasks that serve it and where each node publishes
 * them; and for every network with VIP services, the names its DNS server answers. Fed by the dispatcher's one watch loop with what matters of services,
 * nodes, tasks and the cluster; read by every node's mesh through the blocking
 * {@link #await}, which it wakes at the commit that changed the table.
 *
 * <p>Each event is reduced to the few fields the table depends on and compared
 * with what was kept; only a real difference marks services dirty, and only
 * dirty services have their routes computed again at the commit. Task status
 * churn, heartbeats and {@code node.mesh} writes thus cost a map lookup each.
 *
 * <p>Versions are store indexes (the commit at which the table last changed),
 * so they only grow and two dispatchers (a new leader) give the same version to
 * the same table.
 */
final class MeshTable {

    /** The strategy of services that name none when the cluster names none either. */
    static final String DEFAULT_STRATEGY = "round-robin";

    /**
     * A service label that names its strategy when its endpoint spec does not
     * (for specs written by tools that only know labels, such as compose files'
     * {@code deploy.labels}).
     */
    static final String STRATEGY_LABEL = "io.swarmlet.lb-strategy";

    /**
     * What the table uses of a service: its name, allocated ingress ports, its own strategy; its virtual
     * IPs (addresses without a prefix length), the target ports of its endpoint (any mode, as
     * protocol and target only) and its aliases on each network (by network ID).
     */
    private record Svc(String name, List<PortConfig> ports, String lbStrategy, List<VirtualIP> vips,
            List<PortConfig> targets, Map<String, List<String>> aliases) {
        static Svc of(Service s) {
            List<PortConfig> ports = s.getEndpoint().getPortsList().stream()
                    .filter(p -> p.getPublishMode() == PortConfig.PublishMode.INGRESS && p.getPublishedPort() > 0)
                    .toList();
            List<VirtualIP> vips = new ArrayList<>();
            for (VirtualIP v : s.getEndpoint().getVirtualIpsList()) {
                String addr = address(v.getAddr());
                if (!addr.isEmpty() && !v.getNetworkId().isEmpty()) {
                    vips.add(VirtualIP.newBuilder().setNetworkId(v.getNetworkId()).setAddr(addr).build());
                }
            }
            List<PortConfig> targets = List.of();
            Map<String, List<String>> aliases = Map.of();
            if (!vips.isEmpty()) {
                targets = s.getEndpoint().getPortsList().stream()
                        .filter(p -> p.getTargetPort() > 0)
                        .map(p -> vipPort(p.getProtocol(), p.getTargetPort()))
                        .distinct().toList();
                Map<String, List<String>> a = new LinkedHashMap<>();
                List<NetworkAttachmentConfig> attached = new ArrayList<>(s.getSpec().getTask().getNetworksList());
                attached.addAll(s.getSpec().getNetworksList()); // the older place docker still reads
                for (NetworkAttachmentConfig n : attached) {
                    if (!n.getAliasesList().isEmpty()) {
                        a.computeIfAbsent(n.getTarget(), k -> new ArrayList<>()).addAll(n.getAliasesList());
                    }
                }
                aliases = Map.copyOf(a);
            }
            String lb = s.getSpec().getEndpoint().getLbStrategy();
            if (lb.isEmpty()) {
                lb = s.getEndpoint().getSpec().getLbStrategy(); // the allocator's copy of the spec
            }
            if (lb.isEmpty()) {
                lb = s.getSpec().getAnnotations().getLabelsOrDefault(STRATEGY_LABEL, "").trim();
            }
            return new Svc(s.getSpec().getAnnotations().getName(), ports, lb, List.copyOf(vips), targets, aliases);
        }

        /** Whether the DNS zones may differ between the two. */
        static boolean sameNames(Svc a, Svc b) {
            return a == null ? b == null
                    : b != null && a.name.equals(b.name) && a.vips.equals(b.vips) && a.aliases.equals(b.aliases);
        }
    }

    /** What the table uses of a node: whether it is READY, and its IP address. */
    private record Host(boolean ready, String addr) {
        static Host of(Node n) {
            return new Host(n.getStatus().getState() == NodeStatus.State.READY, host(n.getStatus().getAddr()));
        }
    }

    /** A task that may serve: RUNNING, meant to stay RUNNING, on a node; with the ports its node published. */
    private record Candidate(String taskId, String serviceId, String nodeId, List<PortConfig> published, String address) {
        static Candidate of(Task t) {
            if (t.getStatus().getState() != TaskState.RUNNING || t.getDesiredState() != TaskState.RUNNING
                    || t.getNodeId().isEmpty() || t.getServiceId().isEmpty()) {
                return null;
            }
            return new Candidate(t.getId(), t.getServiceId(), t.getNodeId(), t.getStatus().getPortStatus().getPortsList(),
                    t.getStatus().getContainerStatus().getAddress());
        }
    }

    private final Map<String, Svc> services = new HashMap<>();
    private final Map<String, Host> nodes = new HashMap<>();
    private final Map<String, Candidate> candidates = new HashMap<>();
    /** Each network's DNS address, by network ID. */
    private final Map<String, String> dnsAddrs = new HashMap<>();
    /** The DNS zones as last computed, by network ID. */
    private List<MeshDnsZone> zones = List.of();
    /** The zones may have changed in the transaction being read. */
    private boolean zonesDirty;
    /** Candidates by service, in task ID order (the backends' order). */
    private final Map<String, TreeMap<String, Candidate>> byService = new HashMap<>();
    private String clusterDefault = "";
    /** The routes of every service that has some. */
    private final Map<String, List<MeshRoute>> routes = new HashMap<>();
    /** Services whose routes may have changed in the transaction being read. */
    private final Set<String> dirty = new HashSet<>();
    private boolean allDirty;

    private final Published<MeshRoutes> table = new Published<>(MeshRoutes.getDefaultInstance(), MeshRoutes::getVersion);

    /** Replaces everything with a snapshot read at {@code index}; the version changes only if the table did. */
    synchronized void reset(long index, Collection<Service> allServices, Collection<Task> tasks,
            Collection<Node> allNodes, Cluster cluster, Collection<Network> networks) {
        services.clear();
        nodes.clear();
        dnsAddrs.clear();
        for (Network n : networks) {
            if (!n.getDnsAddr().isEmpty()) {
                dnsAddrs.put(n.getId(), n.getDnsAddr());
            }
        }
        candidates.clear();
        byService.clear();
        routes.clear();
        dirty.clear();
        for (Service s : allServices) {
            services.put(s.getId(), Svc.of(s));
        }
        for (Node n : allNodes) {
            nodes.put(n.getId(), Host.of(n));
        }
        for (Task t : tasks) {
            Candidate c = Candidate.of(t);
            if (c != null) {
                putCandidate(c);
            }
        }
        clusterDefault = cluster == null ? "" : defaultStrategy(cluster);
        for (String id : services.keySet()) {
            List<MeshRoute> r = compute(id);
            if (!r.isEmpty()) {
                routes.put(id, r);
            }
        }
        allDirty = false;
        zones = computeZones();
        zonesDirty = false;
        publish(index, !table.loaded());
    }

    /** One object created, updated or removed (not visible before its {@link #commit}). */
    synchronized void apply(StoreEvent e) {
        if (e.action() == StoreEvent.Action.COMMIT || e.kind() == null) {
            return;
        }
        boolean removed = e.action() == StoreEvent.Action.REMOVE;
        if (e.kind() == Kind.TASK) {
            Task t = e.objectAs(Kind.TASK);
            Candidate now = removed ? null : Candidate.of(t);
            Candidate old = candidates.get(t.getId());
            if (Objects.equals(old, now)) {
                return;
            }
            if (old != null) {
                removeCandidate(old);
                dirty.add(old.serviceId());
            }
            if (now != null) {
                putCandidate(now);
                dirty.add(now.serviceId());
            }
        } else if (e.kind() == Kind.SERVICE) {
            Service s = e.objectAs(Kind.SERVICE);
            Svc now = removed ? null : Svc.of(s);
            Svc old = now == null ? services.remove(s.getId()) : services.put(s.getId(), now);
            if (!Objects.equals(old, now)) {
                dirty.add(s.getId());
                zonesDirty |= !Svc.sameNames(old, now);
            }
        } else if (e.kind() == Kind.NETWORK) {
            Network n = e.objectAs(Kind.NETWORK);
            String now = removed ? "" : n.getDnsAddr();
            String old = now.isEmpty() ? dnsAddrs.remove(n.getId()) : dnsAddrs.put(n.getId(), now);
            if (!now.equals(old == null ? "" : old)) {
                zonesDirty = true;
            }
        } else if (e.kind() == Kind.NODE) {
            Node n = e.objectAs(Kind.NODE);
            Host now = removed ? null : Host.of(n);
            Host old = now == null ? nodes.remove(n.getId()) : nodes.put(n.getId(), now);
            if (!Objects.equals(old, now)) {
                for (Candidate c : candidates.values()) {
                    if (c.nodeId().equals(n.getId())) {
                        dirty.add(c.serviceId());
                    }
                }
            }
        } else if (e.kind() == Kind.CLUSTER) {
            String now = removed ? "" : defaultStrategy(e.objectAs(Kind.CLUSTER));
            if (!now.equals(clusterDefault)) {
                clusterDefault = now;
                allDirty = true;
            }
        }
    }

    /** The end of a transaction: the routes of the services it touched are computed again. */
    synchronized void commit(long index) {
        if (dirty.isEmpty() && !allDirty && !zonesDirty) {
            return;
        }
        Set<String> todo = new HashSet<>(dirty);
        if (allDirty) {
            todo.addAll(services.keySet());
            todo.addAll(routes.keySet());
        }
        dirty.clear();
        allDirty = false;
        boolean changed = false;
        for (String id : todo) {
            List<MeshRoute> now = compute(id);
            List<MeshRoute> old = now.isEmpty() ? routes.remove(id) : routes.put(id, now);
            changed |= !now.equals(old == null ? List.of() : old);
        }
        if (zonesDirty) {
            zonesDirty = false;
            List<MeshDnsZone> now = computeZones();
            changed |= !now.equals(zones);
            zones = now;
        }
        if (changed) {
            publish(index, false);
        }
    }

    /**
     * The table as soon as its version differs from {@code after}, or null
     * after {@code timeout}.
     *
     * @throws IllegalStateException once the table is closed (the dispatcher stopped)
     */
    MeshRoutes await(long after, Duration timeout) throws InterruptedException {
        return table.await(after, timeout);
    }

    /** Ends every wait (the dispatcher stopped). */
    void close() {
        table.close();
    }

    /** The current table (tests). */
    MeshRoutes current() {
        return table.current();
    }

    // ------------------------------------------------------------ computing

    /** Ingress routes by protocol then published port; then VIP routes by VIP, protocol, port. */
    private static final Comparator<MeshRoute> ORDER = Comparator
            .comparing((MeshRoute r) -> !r.getVip().isEmpty())
            .thenComparing(MeshRoute::getVip, MeshTable::compareAddresses)
            .thenComparingInt(r -> r.getPort().getProtocolValue())
            .thenComparingInt(r -> r.getPort().getPublishedPort())
            .thenComparing(MeshRoute::getServiceId)
            .thenComparingInt(r -> r.getPort().getTargetPort());

    /**
     * Rebuilds the table from {@link #routes} and {@link #zones}; a new version unless it is the same and
     * {@code force} is false.
     */
    private void publish(long index, boolean force) {
        List<MeshRoute> all = new ArrayList<>();
        routes.values().forEach(all::addAll);
        all.sort(ORDER);
        MeshRoutes current = table.current();
        if (!force && all.equals(current.getRoutesList()) && zones.equals(current.getDnsList())) {
            return;
        }
        table.publish(MeshRoutes.newBuilder().setVersion(table.nextVersion(index)).addAllRoutes(all)
                .addAllDns(zones).build());
    }

    /**
     * The routes of one service as the kept state says: its ingress ports; then, for each of its virtual
     * IPs, each target port of its endpoint and each INTERNAL port its running tasks report (an image's
     * EXPOSE ports), published at the VIP on the target port itself.
     */
    private List<MeshRoute> compute(String serviceId) {
        Svc svc = services.get(serviceId);
        if (svc == null || (svc.ports().isEmpty() && svc.vips().isEmpty())) {
            return List.of();
        }
        String lb = !svc.lbStrategy().isEmpty() ? svc.lbStrategy()
                : !clusterDefault.isEmpty() ? clusterDefault : DEFAULT_STRATEGY;
        Collection<Candidate> tasks = byService.getOrDefault(serviceId, new TreeMap<>()).values();
        List<MeshRoute> out = new ArrayList<>(svc.ports().size());
        for (PortConfig port : svc.ports()) {
            out.add(route(serviceId, svc, lb, port, tasks).build());
        }
        if (svc.vips().isEmpty()) {
            return out;
        }
        TreeSet<PortConfig> vipPorts = new TreeSet<>(Comparator.comparingInt(PortConfig::getProtocolValue)
                .thenComparingInt(PortConfig::getTargetPort));
        vipPorts.addAll(svc.targets());
        for (Candidate c : tasks) {
            for (PortConfig p : c.published()) {
                if (p.getPublishMode() == PortConfig.PublishMode.INTERNAL && p.getTargetPort() > 0) {
                    vipPorts.add(vipPort(p.getProtocol(), p.getTargetPort()));
                }
            }
        }
        for (VirtualIP vip : svc.vips()) {
            for (PortConfig port : vipPorts) {
                out.add(route(serviceId, svc, lb, port, tasks).setVip(vip.getAddr()).setNetworkId(vip.getNetworkId())
                        .build());
            }
        }
        return out;
    }

    /** A route of {@code port}: every task whose node published its target (protocol and target port). */
    private MeshRoute.Builder route(String serviceId, Svc svc, String lb, PortConfig port, Collection<Candidate> tasks) {
        MeshRoute.Builder r = MeshRoute.newBuilder().setServiceId(serviceId).setServiceName(svc.name())
                .setPort(port).setLbStrategy(lb);
        for (Candidate c : tasks) {
            Host h = nodes.get(c.nodeId());
            if (h == null || !h.ready() || h.addr().isEmpty()) {
                continue;
            }
            for (PortConfig p : c.published()) {
                if (p.getTargetPort() == port.getTargetPort() && p.getProtocol() == port.getProtocol()
                        && p.getPublishedPort() > 0) {
                    r.addBackends(MeshBackend.newBuilder().setTaskId(c.taskId()).setNodeId(c.nodeId())
                            .setAddr(h.addr()).setPort(p.getPublishedPort()).setContainerAddr(c.address()));
                    break;
                }
            }
        }
        return r;
    }

    /** A VIP route's port: the target, published at the VIP on the same number. */
    private static PortConfig vipPort(PortConfig.Protocol protocol, int target) {
        return PortConfig.newBuilder().setProtocol(protocol).setTargetPort(target).setPublishedPort(target)
                .setPublishMode(PortConfig.PublishMode.INTERNAL).build();
    }

    /**
     * One zone per network that has a DNS address and VIP services: each service's name and its aliases on
     * that network, lower case, to its VIP there (several services may share an alias: all their VIPs).
     */
    private List<MeshDnsZone> computeZones() {
        Map<String, TreeMap<String, TreeSet<String>>> byNetwork = new TreeMap<>();
        for (Svc svc : services.values()) {
            for (VirtualIP vip : svc.vips()) {
                if (!dnsAddrs.containsKey(vip.getNetworkId())) {
                    continue;
                }
                TreeMap<String, TreeSet<String>> records = byNetwork.computeIfAbsent(vip.getNetworkId(),
                        k -> new TreeMap<>());
                List<String> names = new ArrayList<>();
                names.add(svc.name());
                names.addAll(svc.aliases().getOrDefault(vip.getNetworkId(), List.of()));
                for (String name : names) {
                    String n = dnsName(name);
                    if (!n.isEmpty()) {
                        records.computeIfAbsent(n, k -> new TreeSet<>(MeshTable::compareAddresses)).add(vip.getAddr());
                    }
                }
            }
        }
        List<MeshDnsZone> out = new ArrayList<>(byNetwork.size());
        byNetwork.forEach((networkId, records) -> {
            MeshDnsZone.Builder z = MeshDnsZone.newBuilder().setNetworkId(networkId).setDnsAddr(dnsAddrs.get(networkId));
            records.forEach((name, addrs) -> z.addRecords(MeshDnsRecord.newBuilder().setName(name).addAllAddrs(addrs)));
            out.add(z.build());
        });
        return List.copyOf(out);
    }

    /** A name as the DNS zone keeps it: trimmed, lower case, no trailing dot. */
    static String dnsName(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        while (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        return n;
    }

    /** An address without its prefix length ("10.0.1.130/24" -> "10.0.1.130"). */
    static String address(String addr) {
        String a = addr.trim();
        int slash = a.indexOf('/');
        return slash >= 0 ? a.substring(0, slash) : a;
    }

    /** IP literals in numeric order (IPv4 before IPv6); anything else after them, as text. */
    static int compareAddresses(String a, String b) {
        byte[] x = literal(a);
        byte[] y = literal(b);
        if (x == null || y == null) {
            return x != null ? -1 : y != null ? 1 : a.compareTo(b);
        }
        if (x.length != y.length) {
            return Integer.compare(x.length, y.length);
        }
        int c = Arrays.compareUnsigned(x, y);
        return c != 0 ? c : a.compareTo(b);
    }

    /** The bytes of an IPv4 (digits and dots) or IPv6 (has a colon) literal; null for anything else, never looked up. */
    private static byte[] literal(String s) {
        boolean v6 = s.indexOf(':') >= 0;
        if (s.isEmpty() || !v6 && !s.chars().allMatch(ch -> ch == '.' || ch >= '0' && ch <= '9')) {
            return null;
        }
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException | SecurityException e) {
            return null;
        }
    }

    private void putCandidate(Candidate c) {
        candidates.put(c.taskId(), c);
        byService.computeIfAbsent(c.serviceId(), s -> new TreeMap<>()).put(c.taskId(), c);
    }

    private void removeCandidate(Candidate c) {
        candidates.remove(c.taskId());
        TreeMap<String, Candidate> set = byService.get(c.serviceId());
        if (set != null) {
            set.remove(c.taskId());
            if (set.isEmpty()) {
                byService.remove(c.serviceId());
            }
        }
    }

    private static String defaultStrategy(Cluster c) {
        return c.getSpec().getMesh().getDefaultLbStrategy();
    }

    /** The host part of {@code host:port}, {@code [v6]:port} or a bare address. */
    static String host(String addr) {
        if (addr == null || addr.isEmpty()) {
            return "";
        }
        if (addr.startsWith("[")) {
            int end = addr.indexOf(']');
            return end > 0 ? addr.substring(1, end) : addr.substring(1);
        }
        int colon = addr.indexOf(':');
        if (colon >= 0 && colon == addr.lastIndexOf(':')) {
            return addr.substring(0, colon);
        }
        return addr; // no port, or a bare IPv6 address
    }
}
