package io.swarmlet.dispatcher.internal;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.MeshBackend;
import io.swarmlet.api.types.MeshRoute;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The routing mesh's table (design/mesh.md): for every ingress-published port
 * of a service, the RUNNING tasks that serve it and where each node publishes
 * them. Fed by the dispatcher's one watch loop with what matters of services,
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

    /** What the table uses of a service: its name, allocated ingress ports, its own strategy. */
    private record Svc(String name, List<PortConfig> ports, String lbStrategy) {
        static Svc of(Service s) {
            List<PortConfig> ports = s.getEndpoint().getPortsList().stream()
                    .filter(p -> p.getPublishMode() == PortConfig.PublishMode.INGRESS && p.getPublishedPort() > 0)
                    .toList();
            String lb = s.getSpec().getEndpoint().getLbStrategy();
            if (lb.isEmpty()) {
                lb = s.getEndpoint().getSpec().getLbStrategy(); // the allocator's copy of the spec
            }
            if (lb.isEmpty()) {
                lb = s.getSpec().getAnnotations().getLabelsOrDefault(STRATEGY_LABEL, "").trim();
            }
            return new Svc(s.getSpec().getAnnotations().getName(), ports, lb);
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
            Collection<Node> allNodes, Cluster cluster) {
        services.clear();
        nodes.clear();
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
        if (dirty.isEmpty() && !allDirty) {
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

    /** Rebuilds the table from {@link #routes}; a new version unless it is the same and {@code force} is false. */
    private void publish(long index, boolean force) {
        List<MeshRoute> all = new ArrayList<>();
        routes.values().forEach(all::addAll);
        all.sort(Comparator.comparingInt((MeshRoute r) -> r.getPort().getProtocolValue())
                .thenComparingInt(r -> r.getPort().getPublishedPort())
                .thenComparing(MeshRoute::getServiceId)
                .thenComparingInt(r -> r.getPort().getTargetPort()));
        if (!force && all.equals(table.current().getRoutesList())) {
            return;
        }
        table.publish(MeshRoutes.newBuilder().setVersion(table.nextVersion(index)).addAllRoutes(all).build());
    }

    /** The routes of one service as the kept state says. */
    private List<MeshRoute> compute(String serviceId) {
        Svc svc = services.get(serviceId);
        if (svc == null || svc.ports().isEmpty()) {
            return List.of();
        }
        String lb = !svc.lbStrategy().isEmpty() ? svc.lbStrategy()
                : !clusterDefault.isEmpty() ? clusterDefault : DEFAULT_STRATEGY;
        Collection<Candidate> tasks = byService.getOrDefault(serviceId, new TreeMap<>()).values();
        List<MeshRoute> out = new ArrayList<>(svc.ports().size());
        for (PortConfig port : svc.ports()) {
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
            out.add(r.build());
        }
        return out;
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
