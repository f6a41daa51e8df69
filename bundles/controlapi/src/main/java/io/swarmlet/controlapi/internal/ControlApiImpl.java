package io.swarmlet.controlapi.internal;

import io.swarmlet.api.control.PluginJars;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.control.Stacks;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.security.DataKey;
import io.swarmlet.api.security.SecretVault;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.WriteTx;
import io.swarmlet.api.types.*;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.node.Plugins;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The control API of a manager: validates requests, reads the local store
 * copy and writes through the replicated store. It never talks to other
 * components; what it writes, they see in the store.
 */
@Component(service = ControlApi.class)
public class ControlApiImpl implements ControlApi {

    private static final org.apache.logging.log4j.Logger LOG = org.apache.logging.log4j.LogManager.getLogger(ControlApiImpl.class);

    @Reference
    private Store store;

    @Reference
    private LocalNode local;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Dispatcher dispatcher;

    /** This node's own plugins (local ones, and its live view of the cluster's). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Plugins plugins;

    /** Seals secret values (the secrets bundle's, present while this manager holds the data key). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile SecretVault vault;

    /** The cluster's data key, which seals the autolock unlock key in the cluster object. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile DataKey dataKey;

    /**
     * The stack bundle's stacks, which {@code stack deploy/ls/rm} are delegated to.
     * Optional and dynamic: that component needs this one (it works through the
     * control API), so this side of the pair must not wait for it, and must not get
     * the service while it activates either (that would activate the stack component,
     * which needs this one: a cycle SCR breaks by leaving the reference unbound): the
     * service objects are bound, and the service is got per call.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile org.osgi.service.component.ComponentServiceObjects<Stacks> stacksService;

    /** The stacks of a test outside OSGi. */
    private Stacks stacks;

    private final Payloads payloads = new Payloads(() -> store, () -> vault);
    private final Networks networks = new Networks(() -> store);
    private final AutoLock autoLock = new AutoLock(() -> dataKey);

    private String version = "dev";

    private EventHub events;

    public ControlApiImpl() {}

    /** For tests outside OSGi, with secrets and autolock. */
    ControlApiImpl(Store store, LocalNode local, SecretVault vault, DataKey dataKey) {
        this(store, local, (Plugins) null);
        this.vault = vault;
        this.dataKey = dataKey;
    }

    /** For tests outside OSGi. */
    ControlApiImpl(Store store, LocalNode local) {
        this(store, local, (Plugins) null);
    }

    /** For tests outside OSGi, with the stack bundle's stacks (null: none). */
    ControlApiImpl(Store store, LocalNode local, Stacks stacks) {
        this(store, local, (Plugins) null);
        this.stacks = stacks;
    }

    /** For tests outside OSGi, with this node's plugins. */
    ControlApiImpl(Store store, LocalNode local, Plugins plugins) {
        this.store = store;
        this.local = local;
        this.plugins = plugins;
    }

    @Activate
    void activate(BundleContext context) {
        version = context.getBundle().getVersion().toString();
        try {
            events().start(); // the kept events (docker events --since) begin with the manager
        } catch (RuntimeException e) {
            LOG.debug("the events' watch starts with the first watch call instead: {}", e.getMessage());
        }
    }

    @Deactivate
    void deactivate() {
        events().close(); // a call that still comes is refused by the closed hub
    }

    // ------------------------------------------------------------ helpers

    private <R> R read(Function<ReadTx, R> reader) {
        return store.view(reader);
    }

    /** Runs a write, turning store refusals into control API errors. */
    private void write(Consumer<WriteTx> writer) {
        try {
            store.update(writer);
        } catch (StoreException e) {
            throw translate(e);
        }
    }

    static ControlException translate(StoreException e) {
        switch (e.reason()) {
            case SEQUENCE_CONFLICT:
                return new ControlException(ControlException.Code.ABORTED,
                        "update out of sequence: the object was changed by someone else; inspect it again and retry");
            case EXISTS:
                return new ControlException(ControlException.Code.ALREADY_EXISTS, e.getMessage());
            case NOT_FOUND:
                return ControlException.notFound(e.getMessage());
            case INVALID:
                return ControlException.invalid(e.getMessage());
            case NO_QUORUM:
                return new ControlException(ControlException.Code.UNAVAILABLE, e.getMessage());
            default:
                return new ControlException(ControlException.Code.INTERNAL, e.getMessage(), e);
        }
    }

    static <T extends com.google.protobuf.Message> Predicate<T> matches(Kind<T> kind, ListFilters f,
                                                                              Function<T, String> alias,
                                                                              Function<T, Map<String, String>> labels) {
        return o -> {
            if (!f.getNamesList().isEmpty() && !f.getNamesList().contains(kind.objectName(o))
                    && (alias == null || !f.getNamesList().contains(alias.apply(o)))) {
                return false;
            }
            if (!f.getIdPrefixesList().isEmpty() && f.getIdPrefixesList().stream().noneMatch(p -> kind.id(o).startsWith(p))) {
                return false;
            }
            if (labels != null) {
                Map<String, String> have = labels.apply(o);
                for (Map.Entry<String, String> want : f.getLabelsMap().entrySet()) {
                    if (!have.containsKey(want.getKey())
                            || (!want.getValue().isEmpty() && !want.getValue().equals(have.get(want.getKey())))) {
                        return false;
                    }
                }
            }
            return true;
        };
    }

    private static void checkVersion(long requested, Meta meta) {
        if (requested != 0 && requested != meta.getVersion()) {
            throw new ControlException(ControlException.Code.ABORTED,
                    "update out of sequence: version " + requested + " is not the current version " + meta.getVersion()
                            + "; inspect the object again and retry");
        }
    }

    /**
     * A node's version guards its spec. The managers write a node often on their own
     * (its state, manager status, mesh counters, plugin list), and an inspect-then-update
     * such as {@code docker node demote} would be refused for writes that cannot be lost:
     * an update read at any version after the spec last changed saw the current spec.
     * A version from before that change, or one the node never had, is out of sequence.
     */
    static void checkNodeVersion(long requested, Node current) {
        long now = current.getMeta().getVersion();
        if (requested != 0 && requested != now && (requested > now || requested <= current.getSpecChangedAfter())) {
            throw new ControlException(ControlException.Code.ABORTED,
                    "update out of sequence: the spec of node " + current.getId() + " changed after version " + requested
                            + " (it is at version " + now + "); inspect the node again and retry");
        }
    }

    private static String hostname(Node n) {
        return n.getDescription().getHostname();
    }

    private Node node(ReadTx tx, String ref) {
        if ("self".equals(ref)) {
            return tx.get(Kind.NODE, local.nodeId()).orElseThrow(() -> ControlException.notFound("No such node: self"));
        }
        return Resolver.resolve(tx, Kind.NODE, ref, ControlApiImpl::hostname);
    }

    // ------------------------------------------------------------ version

    @Override
    public VersionResponse version(VersionRequest request) {
        return version(version, local).setLeader(store.isLeader()).build();
    }

    /** What Version says of this daemon, manager or worker (the leader flag left to the caller). */
    static VersionResponse.Builder version(String version, LocalNode local) {
        return VersionResponse.newBuilder()
                .setVersion(version)
                .setJavaVersion(System.getProperty("java.version", ""))
                .setOsArch(System.getProperty("os.name", "") + "/" + System.getProperty("os.arch", ""))
                .setNodeId(local.nodeId())
                .setClusterId(local.clusterId());
    }

    // ------------------------------------------------------------ nodes

    @Override
    public GetNodeResponse getNode(GetNodeRequest request) {
        return GetNodeResponse.newBuilder().setNode(this.<Node>read(tx -> node(tx, request.getId()))).build();
    }

    @Override
    public ListNodesResponse listNodes(ListNodesRequest request) {
        List<Node> nodes = read(tx -> tx.find(Kind.NODE,
                matches(Kind.NODE, request.getFilters(), ControlApiImpl::hostname, n -> n.getSpec().getAnnotations().getLabelsMap())));
        return ListNodesResponse.newBuilder().addAllNodes(nodes).build();
    }

    @Override
    public UpdateNodeResponse updateNode(UpdateNodeRequest request) {
        if (!request.hasSpec()) {
            throw ControlException.invalid("node update needs a spec");
        }
        NodeSpec spec = request.getSpec();
        if (spec.getAvailabilityValue() < 0 || spec.getAvailability() == NodeSpec.Availability.UNRECOGNIZED) {
            throw ControlException.invalid("invalid availability: use active, pause or drain");
        }
        if (spec.getDesiredRole() == NodeRole.UNRECOGNIZED) {
            throw ControlException.invalid("invalid role: use worker or manager");
        }
        if (spec.getMembership() == NodeSpec.Membership.UNRECOGNIZED) {
            throw ControlException.invalid("invalid membership: use accepted or pending");
        }
        AtomicReference<String> id = new AtomicReference<>();
        write(tx -> {
            Node current = node(tx, request.getId());
            checkNodeVersion(request.getVersion(), current);
            if (current.getSpec().getDesiredRole() == NodeRole.MANAGER && spec.getDesiredRole() == NodeRole.WORKER) {
                checkDemotion(tx, current);
            }
            if (current.getSpec().getDesiredRole() != NodeRole.MANAGER && spec.getDesiredRole() == NodeRole.MANAGER) {
                checkPromotion(current);
            }
            id.set(current.getId());
            Node.Builder updated = current.toBuilder().setSpec(spec);
            if (!spec.equals(current.getSpec())) {
                updated.setSpecChangedAfter(current.getMeta().getVersion());
            }
            tx.update(Kind.NODE, updated.build());
        });
        return UpdateNodeResponse.newBuilder().setNode(this.<Node>read(tx -> tx.get(Kind.NODE, id.get()).orElseThrow())).build();
    }

    /**
     * A node whose distribution has no manager bundles (it advertises its boot
     * features, and "manager" is not among them: swarmlet-worker) cannot become
     * a manager. Nodes that advertise no features (unknown) are not refused.
     */
    static void checkPromotion(Node node) {
        java.util.List<String> features = node.getDescription().getFeaturesList();
        if (!features.isEmpty() && !features.contains("manager")) {
            String name = node.getDescription().getHostname().isEmpty() ? node.getId() : node.getDescription().getHostname();
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION, "node " + name
                    + " runs a worker-only distribution (features: " + String.join(", ", features)
                    + "): it cannot be promoted to manager; run the full swarmlet distribution on it first");
        }
    }

    /**
     * SwarmKit's demotion sanity checks: never the last manager, and never a
     * demotion after which the managers that stay could not form a quorum.
     * The managers that stay are those that are managers now and are meant to
     * stay so (a demotion already asked for counts as done); a node being
     * promoted (desired manager, not yet one) is not counted, and cancelling
     * its promotion needs no check, since it is not a Raft member yet.
     */
    private void checkDemotion(ReadTx tx, Node demoted) {
        if (demoted.getRole() != NodeRole.MANAGER) {
            return;
        }
        List<Node> staying = tx.find(Kind.NODE, n -> !n.getId().equals(demoted.getId())
                && n.getRole() == NodeRole.MANAGER && n.getSpec().getDesiredRole() == NodeRole.MANAGER);
        if (staying.isEmpty()) {
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION,
                    "attempting to demote the last manager of the swarm: promote another node first");
        }
        long reachable = staying.stream().filter(this::reachable).count();
        int quorum = staying.size() / 2 + 1;
        if (reachable < quorum) {
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION,
                    "can't remove member from the raft: this would result in a loss of quorum ("
                            + reachable + " of the " + staying.size() + " managers that would remain are reachable, "
                            + quorum + " needed); bring the unreachable managers back, or demote them first");
        }
    }

    /**
     * Whether a manager counts towards quorum: this node always (it serves this
     * call); others unless Raft reports them unreachable or their node is down;
     * the leader and managers Raft reports reachable do; with no Raft report
     * yet, those whose node is ready.
     */
    private boolean reachable(Node n) {
        if (n.getId().equals(local.nodeId())) {
            return true;
        }
        ManagerStatus ms = n.getManagerStatus();
        if (ms.getReachability() == ManagerStatus.Reachability.UNREACHABLE || n.getStatus().getState() == NodeStatus.State.DOWN) {
            return false;
        }
        if (ms.getLeader() || ms.getReachability() == ManagerStatus.Reachability.REACHABLE) {
            return true;
        }
        return n.getStatus().getState() == NodeStatus.State.READY;
    }

    @Override
    public RemoveNodeResponse removeNode(RemoveNodeRequest request) {
        write(tx -> {
            Node n = node(tx, request.getId());
            if (n.getRole() == NodeRole.MANAGER || n.getSpec().getDesiredRole() == NodeRole.MANAGER) {
                throw new ControlException(ControlException.Code.FAILED_PRECONDITION,
                        "node " + request.getId() + " is a cluster manager and is a member of the raft cluster."
                                + " It must be demoted to worker before removal");
            }
            if (n.getStatus().getState() != NodeStatus.State.DOWN && !request.getForce()) {
                throw new ControlException(ControlException.Code.FAILED_PRECONDITION,
                        "node " + request.getId() + " is not down and can't be removed"
                                + " (stop its swarmletd first, or use --force)");
            }
            tx.delete(Kind.NODE, n.getId());
        });
        return RemoveNodeResponse.getDefaultInstance();
    }

    // ------------------------------------------------------------ cluster

    @Override
    public GetClusterResponse getCluster(GetClusterRequest request) {
        return GetClusterResponse.newBuilder()
                .setCluster(withoutKeys(this.<Cluster>read(tx -> Resolver.resolve(tx, Kind.CLUSTER, request.getId(), null)))).build();
    }

    @Override
    public ListClustersResponse listClusters(ListClustersRequest request) {
        List<Cluster> clusters = read(tx -> tx.find(Kind.CLUSTER,
                matches(Kind.CLUSTER, request.getFilters(), null, c -> c.getSpec().getAnnotations().getLabelsMap())));
        ListClustersResponse.Builder b = ListClustersResponse.newBuilder();
        clusters.forEach(c -> b.addClusters(withoutKeys(c)));
        return b.build();
    }

    /**
     * The cluster as clients may see it: its root CA reduced to the certificate
     * and its digest. The store holds no CA key by design; this makes sure none
     * could ever leave through the control API (unknown fields included).
     */
    static Cluster withoutKeys(Cluster c) {
        RootCA ca = RootCA.newBuilder()
                .setCaCert(c.getRootCa().getCaCert())
                .setCaCertHash(c.getRootCa().getCaCertHash())
                .build();
        Cluster.Builder b = c.toBuilder().setRootCa(ca).clearUnlockKeySealed();
        if (!c.hasRootCa()) {
            b.clearRootCa();
        }
        return b.build();
    }

    @Override
    public UpdateClusterResponse updateCluster(UpdateClusterRequest request) {
        if (!request.hasSpec()) {
            throw ControlException.invalid("cluster update needs a spec");
        }
        ClusterSpec spec = request.getSpec();
        if (spec.getOrchestration().getTaskHistoryRetentionLimit() < 0) {
            throw ControlException.invalid("task history retention limit must be 0 or more");
        }
        if (spec.getDispatcher().getHeartbeatPeriodMs() < 0) {
            throw ControlException.invalid("dispatcher heartbeat period must not be negative");
        }
        ServiceSpecs.checkStrategyName(spec.getMesh().getDefaultLbStrategy(), "--default-lb-strategy");
        ServiceSpecs.checkPlacementStrategy(spec.getOrchestration().getDefaultPlacementStrategy());
        AutoLock.check(request);
        byte[] unlockKey = autoLock.prepare(read(tx -> Resolver.resolve(tx, Kind.CLUSTER, request.getId(), null)), request);
        AtomicReference<String> id = new AtomicReference<>();
        write(tx -> {
            Cluster current = Resolver.resolve(tx, Kind.CLUSTER, request.getId(), null);
            checkVersion(request.getVersion(), current.getMeta());
            if (!spec.getAnnotations().getName().equals(current.getSpec().getAnnotations().getName())) {
                throw ControlException.invalid("a cluster cannot be renamed");
            }
            Cluster.Builder b = current.toBuilder().setSpec(spec);
            String digest = current.getRootCa().getCaCertHash();
            if (request.getRotateWorkerToken()) {
                b.getJoinTokensBuilder().setWorker(TokenFormat.newToken(digest));
            }
            if (request.getRotateManagerToken()) {
                b.getJoinTokensBuilder().setManager(TokenFormat.newToken(digest));
            }
            AutoLock.apply(current, b, request, unlockKey);
            id.set(current.getId());
            tx.update(Kind.CLUSTER, b.build());
        });
        return UpdateClusterResponse.newBuilder()
                .setCluster(withoutKeys(this.<Cluster>read(tx -> tx.get(Kind.CLUSTER, id.get()).orElseThrow()))).build();
    }

    // ------------------------------------------------------------ services and tasks (run by the orchestrator issue)

    @Override
    public GetServiceResponse getService(GetServiceRequest request) {
        return GetServiceResponse.newBuilder().setService(this.<Service>read(tx -> MeshStats.withStats(
                Resolver.resolve(tx, Kind.SERVICE, request.getId(), null), tx.find(Kind.NODE, n -> true)))).build();
    }

    @Override
    public ListServicesResponse listServices(ListServicesRequest request) {
        return ListServicesResponse.newBuilder()
                .addAllServices(read(tx -> tx.find(Kind.SERVICE,
                        matches(Kind.SERVICE, request.getFilters(), null, s -> s.getSpec().getAnnotations().getLabelsMap()))))
                .build();
    }

    @Override
    public CreateServiceResponse createService(CreateServiceRequest request) {
        if (!request.hasSpec()) {
            throw ControlException.invalid("service create needs a spec");
        }
        ServiceSpec spec = ServiceSpecs.withDefaults(request.getSpec());
        ServiceSpecs.validate(spec);
        String id = Ids.newId();
        write(tx -> {
            String name = spec.getAnnotations().getName();
            if (tx.byName(Kind.SERVICE, name).isPresent()) {
                throw new ControlException(ControlException.Code.ALREADY_EXISTS,
                        "service " + name + " already exists: choose another --name, or change it with swarmlet service update " + name);
            }
            ServiceSpec resolved = NetworkRefs.resolve(tx, PayloadRefs.resolve(tx, spec));
            List<Service> others = others(tx, null);
            Endpoint endpoint = PortAllocator.allocate(resolved.getEndpoint(), Endpoint.getDefaultInstance(), others);
            tx.create(Kind.SERVICE, Service.newBuilder()
                    .setId(id)
                    .setSpec(resolved)
                    .setSpecVersion(1)
                    .setEndpoint(NetworkRefs.withVirtualIps(tx, resolved, endpoint, others))
                    .build());
        });
        return CreateServiceResponse.newBuilder().setService(this.<Service>read(tx -> tx.get(Kind.SERVICE, id).orElseThrow())).build();
    }

    private static List<Service> others(ReadTx tx, String selfId) {
        return tx.find(Kind.SERVICE, o -> !o.getId().equals(selfId));
    }

    @Override
    public UpdateServiceResponse updateService(UpdateServiceRequest request) {
        if (!request.getRollback() && !request.hasSpec()) {
            throw ControlException.invalid("service update needs a spec");
        }
        ServiceSpec requested = request.getRollback() ? null : ServiceSpecs.withDefaults(request.getSpec());
        if (requested != null) {
            ServiceSpecs.validate(requested);
        }
        AtomicReference<String> id = new AtomicReference<>();
        write(tx -> {
            Service cur = Resolver.resolve(tx, Kind.SERVICE, request.getId(), null);
            checkVersion(request.getVersion(), cur.getMeta());
            String name = cur.getSpec().getAnnotations().getName();
            ServiceSpec next;
            if (request.getRollback()) {
                if (!cur.hasPreviousSpec()) {
                    throw new ControlException(ControlException.Code.FAILED_PRECONDITION,
                            "service " + name + " does not have a previous spec to roll back to");
                }
                next = cur.getPreviousSpec();
            } else {
                next = requested;
                if (!next.getAnnotations().getName().equals(name)) {
                    throw ControlException.invalid("renaming services is not supported: remove " + name + " and create it again");
                }
                if (next.getModeCase() != cur.getSpec().getModeCase()) {
                    throw ControlException.invalid("service mode change is not allowed (" + mode(cur.getSpec()) + " to " + mode(next) + ")");
                }
            }
            id.set(cur.getId());
            tx.update(Kind.SERVICE, updated(tx, cur, NetworkRefs.resolve(tx, PayloadRefs.resolve(tx, next)), request.getRollback()));
        });
        return UpdateServiceResponse.newBuilder().setService(this.<Service>read(tx -> tx.get(Kind.SERVICE, id.get()).orElseThrow())).build();
    }

    /**
     * The service updated to {@code next} (already validated and resolved), as
     * {@code service update} writes it and {@code secret rotate} / {@code config rotate}
     * reuse it: the old spec kept as previous spec, ports allocated, and a rolling
     * update (or rollback) started when the tasks must change. Virtual IPs follow the
     * networks: kept on those the service stays on, freed on those it leaves.
     */
    static Service updated(ReadTx tx, Service cur, ServiceSpec next, boolean rollback) {
        List<Service> others = others(tx, cur.getId());
        Endpoint endpoint = NetworkRefs.withVirtualIps(tx, next,
                PortAllocator.allocate(next.getEndpoint(), cur.getEndpoint(), others), others);
        Service.Builder b = cur.toBuilder()
                .setSpec(next)
                .setPreviousSpec(cur.getSpec())
                .setSpecVersion(cur.getSpecVersion() + 1)
                .setEndpoint(endpoint);
        // new ports need new containers (their node ports are bound at creation), as SwarmKit's dirty check says
        boolean portsChanged = !endpoint.getPortsList().equals(PortAllocator.allocated(cur));
        if (!next.getTask().equals(cur.getSpec().getTask()) || portsChanged || rollback) {
            b.setUpdateStatus(UpdateStatus.newBuilder()
                    .setState(rollback ? UpdateStatus.UpdateState.ROLLBACK_STARTED : UpdateStatus.UpdateState.UPDATING)
                    .setStartedAt(System.currentTimeMillis())
                    .setMessage(rollback ? "manually requested rollback" : "update in progress"));
        }
        return b.build();
    }

    static String mode(ServiceSpec s) {
        switch (s.getModeCase()) {
            case GLOBAL: return "global";
            case REPLICATED_JOB: return "replicated-job";
            case GLOBAL_JOB: return "global-job";
            default: return "replicated";
        }
    }

    @Override
    public RemoveServiceResponse removeService(RemoveServiceRequest request) {
        // also during a rolling update, as Docker allows: the updater decides each step in the
        // transaction that writes it, finds the service gone and drops its rollout
        write(tx -> tx.delete(Kind.SERVICE, Resolver.resolve(tx, Kind.SERVICE, request.getId(), null).getId()));
        return RemoveServiceResponse.getDefaultInstance();
    }

    @Override
    public GetTaskResponse getTask(GetTaskRequest request) {
        return GetTaskResponse.newBuilder()
                .setTask(this.<Task>read(tx -> Resolver.resolve(tx, Kind.TASK, request.getId(), null))).build();
    }

    @Override
    public ListTasksResponse listTasks(ListTasksRequest request) {
        ListFilters f = request.getFilters();
        // as SwarmKit: a task's labels are its service's (the orchestrator gives tasks none of their own),
        // so `stack ps` finds a stack's tasks by com.docker.stack.namespace
        Predicate<Task> base = matches(Kind.TASK, f, null, t -> {
            Map<String, String> labels = new java.util.HashMap<>(t.getServiceAnnotations().getLabelsMap());
            labels.putAll(t.getAnnotations().getLabelsMap());
            return labels;
        });
        return ListTasksResponse.newBuilder()
                .addAllTasks(read(tx -> tx.find(Kind.TASK, t -> base.test(t)
                        && (f.getServiceIdsList().isEmpty() || f.getServiceIdsList().contains(t.getServiceId()))
                        && (f.getNodeIdsList().isEmpty() || f.getNodeIdsList().contains(t.getNodeId())))))
                .build();
    }


    // ------------------------------------------------------------ watch

    @Override
    public void watch(WatchRequest request, Consumer<WatchEvent> sink) throws InterruptedException {
        ObjectEvents.watch(events(), request, sink);
    }

    /** The one watch of the store that every Watch call shares (made on activation, or on first use outside OSGi). */
    private synchronized EventHub events() {
        if (events == null) {
            events = new EventHub(store);
        }
        return events;
    }

    // ------------------------------------------------------------ logs

    @Override
    public void logs(LogsRequest request, Consumer<LogMessage> sink) throws InterruptedException {
        Dispatcher d = dispatcher;
        if (d == null) {
            throw new ControlException(ControlException.Code.UNAVAILABLE, "logs are read through the dispatcher, which runs on the leader; it is not running here");
        }
        List<Task> tasks = read(tx -> {
            Optional<Task> task = tx.get(Kind.TASK, request.getId());
            if (task.isPresent()) {
                return List.of(task.get());
            }
            List<Service> named = tx.find(Kind.SERVICE, s -> s.getSpec().getAnnotations().getName().equals(request.getId()) || s.getId().equals(request.getId()));
            Service svc = null;
            if (named.size() == 1) {
                svc = named.get(0);
            } else {
                List<Service> ps = tx.find(Kind.SERVICE, s -> s.getId().startsWith(request.getId()));
                List<Task> pt = tx.find(Kind.TASK, t -> t.getId().startsWith(request.getId()));
                if (ps.size() + pt.size() > 1) {
                    throw ControlException.invalid(request.getId() + " is ambiguous (" + (ps.size() + pt.size()) + " matches found)");
                }
                if (pt.size() == 1) {
                    return pt;
                }
                if (ps.isEmpty()) {
                    throw ControlException.notFound("No such service or task: " + request.getId());
                }
                svc = ps.get(0);
            }
            String sid = svc.getId();
            return tx.find(Kind.TASK, t -> t.getServiceId().equals(sid) && !t.getNodeId().isEmpty()
                    && t.getStatus().getState().getNumber() >= TaskState.STARTING_VALUE);
        });
        if (tasks.size() == 1 || !request.getFollow()) {
            for (Task t : tasks) {
                if (tasks.size() == 1) {
                    streamTask(d, t, request, sink);
                } else {
                    streamServiceTask(d, t, request, sink);
                }
            }
            return;
        }
        // follow several tasks at once: one reader each, lines as they come
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(tasks.size());
        try {
            List<java.util.concurrent.Future<?>> fs = new java.util.ArrayList<>();
            for (Task t : tasks) {
                fs.add(pool.submit(() -> {
                    streamServiceTask(d, t, request, m -> {
                        synchronized (sink) {
                            sink.accept(m);
                        }
                    });
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : fs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException) {
                        throw (RuntimeException) e.getCause();
                    }
                    throw new ControlException(ControlException.Code.INTERNAL, String.valueOf(e.getCause().getMessage()), e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * One task of a service's logs: a finished task whose logs are gone (its container was
     * removed, as the task history is pruned) is left out rather than failing the whole
     * stream, as docker's {@code service logs}; a running task's failure still ends it.
     */
    private static void streamServiceTask(Dispatcher d, Task t, LogsRequest request, Consumer<LogMessage> sink)
            throws InterruptedException {
        try {
            streamTask(d, t, request, sink);
        } catch (ControlException e) {
            if (t.getStatus().getState().getNumber() <= TaskState.RUNNING_VALUE) {
                throw e;
            }
            LOG.debug("logs of finished task {} left out: {}", t.getId(), e.getMessage());
        }
    }

    private static void streamTask(Dispatcher d, Task t, LogsRequest request, Consumer<LogMessage> sink) throws InterruptedException {
        try {
            d.logs(t.getNodeId(), t.getId(), request.getTail(), request.getFollow(), line -> sink.accept(LogMessage.newBuilder()
                    .setTaskId(t.getId()).setNodeId(t.getNodeId()).setSlot(t.getSlot())
                    .setServiceName(t.getServiceAnnotations().getName())
                    .setTimestamp(line.timestamp()).setStderr(line.stderr()).setLine(line.line()).build()));
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new ControlException(ControlException.Code.UNAVAILABLE, "cannot read logs of task " + t.getId() + ": " + e.getMessage());
        }
    }

    // ------------------------------------------------------------ plugins

    private Plugins localPlugins() {
        Plugins p = plugins;
        if (p == null) {
            throw new ControlException(ControlException.Code.UNAVAILABLE,
                    "this daemon cannot manage its plugins right now: its node component is not running (see its log)");
        }
        return p;
    }

    /** With {@code cluster}: checked and written to the store, whence every node installs it; else this node's. */
    @Override
    public InstallPluginResponse installPlugin(InstallPluginRequest request) {
        if (!request.getCluster()) {
            return localPlugins().install(request);
        }
        byte[] jar = request.getJar().toByteArray();
        PluginJars.Checked c = PluginJars.check(jar, request.getSha256(), request.getName(), "the jar");
        Plugin p = Plugin.newBuilder().setId(Ids.newId())
                .setSpec(PluginSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName(c.name())))
                .setJar(request.getJar()).setSha256(c.sha256()).setSize(jar.length)
                .setSymbolicName(c.symbolicName()).setVersion(c.version()).build();
        write(tx -> {
            if (tx.byName(Kind.PLUGIN, c.name()).isPresent()) {
                throw new ControlException(ControlException.Code.ALREADY_EXISTS, "plugin " + c.name()
                        + " already exists: choose another --name, or remove it first with swarmlet plugin rm " + c.name());
            }
            tx.create(Kind.PLUGIN, p);
        });
        return InstallPluginResponse.newBuilder()
                .setPlugin(PluginStatus.newBuilder().setPluginId(p.getId()).setName(c.name()).setSha256(c.sha256())
                        .setState(PluginStatus.State.PENDING).setSymbolicName(c.symbolicName()).setVersion(c.version())
                        .setCluster(true).setSize(jar.length))
                .setMessage("plugin " + c.name() + " stored; installing on every node; see 'swarmlet plugin ls'").build();
    }

    /**
     * One entry per plugin per node, as each node reported them; this node's
     * from its own live list; a cluster plugin a node that is not down has not
     * reported yet is PENDING there.
     */
    @Override
    public ListPluginsResponse listPlugins(ListPluginsRequest request) {
        record View(List<Node> nodes, List<Plugin> cluster) {}
        View v = read(tx -> new View(tx.all(Kind.NODE), tx.all(Kind.PLUGIN)));
        Plugins own = plugins;
        List<PluginEntry> out = new java.util.ArrayList<>();
        for (Node n : v.nodes()) {
            List<PluginStatus> reported = n.getPluginsList();
            if (own != null && n.getId().equals(local.nodeId())) {
                reported = own.list().getPluginsList().stream().map(PluginEntry::getStatus).toList();
            }
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (PluginStatus s : reported) {
                seen.add(s.getPluginId());
                out.add(PluginEntry.newBuilder().setNodeId(n.getId()).setNodeHostname(hostname(n)).setStatus(s).build());
            }
            if (n.getStatus().getState() == NodeStatus.State.DOWN) {
                continue;
            }
            for (Plugin p : v.cluster()) {
                if (!seen.contains(p.getId())) {
                    out.add(PluginEntry.newBuilder().setNodeId(n.getId()).setNodeHostname(hostname(n))
                            .setStatus(PluginStatus.newBuilder().setPluginId(p.getId())
                                    .setName(p.getSpec().getAnnotations().getName()).setSha256(p.getSha256())
                                    .setState(PluginStatus.State.PENDING).setSymbolicName(p.getSymbolicName())
                                    .setVersion(p.getVersion()).setCluster(true).setSize(p.getSize()))
                            .build());
                }
            }
        }
        out.sort(java.util.Comparator.comparing((PluginEntry e) -> e.getStatus().getName())
                .thenComparing(e -> e.getStatus().getPluginId())
                .thenComparing(PluginEntry::getNodeHostname)
                .thenComparing(PluginEntry::getNodeId));
        return ListPluginsResponse.newBuilder().addAllPlugins(out).build();
    }

    /** A cluster plugin by name, ID or unique ID prefix; else this node's local plugin of that name. */
    @Override
    public RemovePluginResponse removePlugin(RemovePluginRequest request) {
        String ref = request.getName().trim();
        Plugin p;
        try {
            p = read(tx -> Resolver.resolve(tx, Kind.PLUGIN, ref, null));
        } catch (ControlException e) {
            if (e.code() != ControlException.Code.NOT_FOUND || plugins == null) {
                throw e;
            }
            return plugins.remove(RemovePluginRequest.newBuilder().setName(ref).build());
        }
        write(tx -> tx.delete(Kind.PLUGIN, p.getId()));
        String name = p.getSpec().getAnnotations().getName();
        return RemovePluginResponse.newBuilder().setMessage("plugin " + name + " removed; every node uninstalls it").build();
    }

    // ------------------------------------------------------------ secrets, configs, autolock (Payloads, AutoLock)

    @Override public CreateSecretResponse createSecret(CreateSecretRequest request) { return payloads.createSecret(request); }
    @Override public GetSecretResponse getSecret(GetSecretRequest request) { return payloads.getSecret(request); }
    @Override public ListSecretsResponse listSecrets(ListSecretsRequest request) { return payloads.listSecrets(request); }
    @Override public RemoveSecretResponse removeSecret(RemoveSecretRequest request) { return payloads.removeSecret(request); }
    @Override public RotateSecretResponse rotateSecret(RotateSecretRequest request) { return payloads.rotateSecret(request); }
    @Override public UpdateSecretResponse updateSecret(UpdateSecretRequest request) { return payloads.updateSecret(request); }
    @Override public CreateConfigResponse createConfig(CreateConfigRequest request) { return payloads.createConfig(request); }
    @Override public GetConfigResponse getConfig(GetConfigRequest request) { return payloads.getConfig(request); }
    @Override public ListConfigsResponse listConfigs(ListConfigsRequest request) { return payloads.listConfigs(request); }
    @Override public RemoveConfigResponse removeConfig(RemoveConfigRequest request) { return payloads.removeConfig(request); }
    @Override public RotateConfigResponse rotateConfig(RotateConfigRequest request) { return payloads.rotateConfig(request); }
    @Override public UpdateConfigResponse updateConfig(UpdateConfigRequest request) { return payloads.updateConfig(request); }

    // ------------------------------------------------------------ networks (Networks), stacks (the stack bundle's)

    @Override public CreateNetworkResponse createNetwork(CreateNetworkRequest request) { return networks.create(request); }
    @Override public GetNetworkResponse getNetwork(GetNetworkRequest request) { return networks.get(request); }
    @Override public ListNetworksResponse listNetworks(ListNetworksRequest request) { return networks.list(request); }
    @Override public RemoveNetworkResponse removeNetwork(RemoveNetworkRequest request) { return networks.remove(request); }

    /** What a manager without the stack module answers to the stack calls. */
    static final String NO_STACKS = "this manager does not serve stacks: the stack module is not running";

    private <R> R withStacks(java.util.function.Function<Stacks, R> call) {
        if (stacks != null) {
            return call.apply(stacks);
        }
        org.osgi.service.component.ComponentServiceObjects<Stacks> objects = stacksService;
        Stacks s = objects == null ? null : objects.getService();
        if (s == null) {
            throw new ControlException(ControlException.Code.UNIMPLEMENTED, NO_STACKS);
        }
        try {
            return call.apply(s);
        } finally {
            objects.ungetService(s);
        }
    }

    @Override public DeployStackResponse deployStack(DeployStackRequest request) { return withStacks(s -> s.deploy(request)); }
    @Override public ListStacksResponse listStacks(ListStacksRequest request) { return withStacks(s -> s.list(request)); }
    @Override public RemoveStackResponse removeStack(RemoveStackRequest request) { return withStacks(s -> s.remove(request)); }

    /**
     * A token for the web console's actions ({@code swarmlet web token}): returned
     * once, only its SHA-256 stored in the cluster object; {@code rotate} replaces
     * every earlier token, so they stop working.
     */
    @Override
    public CreateWebTokenResponse createWebToken(CreateWebTokenRequest request) {
        String token = WebTokens.newToken();
        WebToken stored = WebTokens.stored(token, System.currentTimeMillis());
        write(tx -> {
            Cluster current = tx.all(Kind.CLUSTER).stream().findFirst()
                    .orElseThrow(() -> ControlException.notFound("this manager's store has no cluster object yet; try again in a moment"));
            Cluster.Builder b = current.toBuilder();
            if (request.getRotate()) {
                b.clearWebTokens();
            }
            tx.update(Kind.CLUSTER, b.addWebTokens(stored).build());
        });
        return CreateWebTokenResponse.newBuilder().setToken(token).setId(stored.getId()).build();
    }

    /** The cluster's unlock key ({@code swarm unlock-key}); empty while autolock is off. */
    @Override
    public GetUnlockKeyResponse getUnlockKey(GetUnlockKeyRequest request) {
        Cluster c = read(tx -> tx.all(Kind.CLUSTER).stream().findFirst()
                .orElseThrow(() -> ControlException.notFound("this manager's store has no cluster object yet; try again in a moment")));
        return autoLock.unlockKey(c);
    }
}
