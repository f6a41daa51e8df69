package io.swarmlet.dispatcher.internal;

import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.dispatcher.LogProvider;
import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.metrics.Metrics;
import io.swarmlet.api.security.SecretVault;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.MeshStatus;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.Plugin;
import io.swarmlet.api.types.PluginSet;
import io.swarmlet.api.types.PluginStatus;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.executor.LogSource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The dispatcher while this manager leads (SwarmKit's manager/dispatcher):
 * node sessions with heartbeats, each node's assigned tasks, and the agents'
 * status reports written to the store in batches; also the routing mesh's
 * table, which every node's mesh long-polls, and the meshes' counters; and the
 * cluster's plugins ({@link PluginTable}, long-polled by every node's plugin
 * installer; jars read from the store one at a time), with the nodes' plugin
 * states written to {@code node.plugins} in batches.
 *
 * <p>Threads: one watch loop over the store (tasks with a node, the cluster's
 * heartbeat period, nodes said to be up without a session; services, nodes and
 * the cluster's default balancing strategy for the mesh) feeding the
 * {@link AssignmentIndex} that every session waits on and the {@link MeshTable}
 * that every mesh waits on; one {@link StatusWriter} thread that writes node
 * and task status and mesh counters and checks heartbeats. Callers' threads
 * only queue and wait.
 *
 * <p>Started and stopped by {@link DispatcherComponent} with leadership; public
 * so that the agent's tests can run it against a real store.
 */
public final class DispatcherImpl implements Dispatcher {

    static final long DEFAULT_HEARTBEAT_MS = 5_000;
    /** Heartbeat periods a node may miss before it is marked DOWN. */
    static final int MISSED_HEARTBEATS = 3;
    static final String HEARTBEAT_FAILURE = "heartbeat failure";
    static final String SESSION_CLOSED = "session closed";
    /** Counted each time a node is marked down for missed heartbeats. */
    static final String HEARTBEAT_MISSES = "swarmlet_dispatcher_heartbeat_misses_total";

    private static final Logger LOG = LogManager.getLogger(DispatcherImpl.class);
    private static final Duration POLL = Duration.ofMillis(500);

    private final Store store;
    private final AssignmentIndex index = new AssignmentIndex();
    private final Payloads payloads;
    private final MeshTable mesh = new MeshTable();
    private final PluginTable plugins = new PluginTable();
    private final StatusWriter writer;
    private final Map<String, SessionImpl> sessions = new ConcurrentHashMap<>();
    /** Nodes that were up when this dispatcher started, with the time they must open a session by. */
    private final Map<String, Long> unclaimed = new ConcurrentHashMap<>();

    private volatile long heartbeatMs = DEFAULT_HEARTBEAT_MS;
    /** The node's metrics registry now (null while there is none). */
    private volatile Supplier<Metrics> metrics = () -> null;
    private volatile boolean running;
    private boolean started;
    private Thread watcher;

    /** Without a secret vault: secrets are left out of assignments (tests of tasks without secrets). */
    public DispatcherImpl(Store store) {
        this(store, () -> null);
    }

    /**
     * @param vault the secret vault of this manager now (null while there is none), which opens the
     *              secret versions delivered with assignments
     */
    public DispatcherImpl(Store store, Supplier<SecretVault> vault) {
        this.store = Objects.requireNonNull(store, "store");
        this.payloads = new Payloads(store, vault);
        this.writer = new StatusWriter(store, this::checkHeartbeats, () -> Math.min(1_000, heartbeatMs / 4));
    }

    /** Where heartbeat misses are counted (the metrics bundle's registry, while there is one). */
    void setMetrics(Supplier<Metrics> metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** Sessions open now. */
    int sessionCount() {
        return sessions.size();
    }

    private void countHeartbeatMiss() {
        Metrics m = metrics.get();
        if (m != null) {
            m.counter(HEARTBEAT_MISSES, "Nodes the dispatcher marked down for missed heartbeats").increment();
        }
    }

    /** What the watch loop reads from its snapshot. */
    private record Snapshot(long index, List<Task> assigned, Cluster cluster, List<Node> nodes, List<Service> services,
            List<Plugin> plugins, List<Network> networks) {
        static Snapshot read(ReadTx tx) {
            return new Snapshot(tx.index(), tx.find(Kind.TASK, t -> !t.getNodeId().isEmpty()),
                    tx.all(Kind.CLUSTER).stream().findFirst().orElse(null), tx.all(Kind.NODE), tx.all(Kind.SERVICE),
                    tx.all(Kind.PLUGIN), tx.all(Kind.NETWORK));
        }

        long heartbeatMs() {
            return cluster == null ? DEFAULT_HEARTBEAT_MS : DispatcherImpl.heartbeatMs(cluster);
        }
    }

    /** Reads the store and starts the loops; a dispatcher starts once. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("a dispatcher starts once");
        }
        started = true;
        Watch<Snapshot> watch = store.watch(Snapshot::read);
        Snapshot s = watch.initial();
        load(s);
        // nodes that were up under the previous leader get the grace period to open a session here
        long deadline = System.nanoTime() + graceNanos();
        for (Node n : s.nodes()) {
            if (n.getStatus().getState() != NodeStatus.State.DOWN) {
                unclaimed.put(n.getId(), deadline);
            }
        }
        running = true;
        writer.start();
        watcher = new Thread(() -> watchLoop(watch), "swarmlet-dispatcher-watch");
        watcher.setDaemon(true);
        watcher.start();
        LOG.info("dispatcher started: {} assigned tasks, heartbeat period {} ms", s.assigned().size(), heartbeatMs);
    }

    /**
     * Ends every session (their agents open new ones with the next dispatcher)
     * and stops the loops. Status not written yet is dropped: agents report
     * their tasks' status again in their next session.
     */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        for (SessionImpl s : sessions.values()) {
            s.end();
        }
        sessions.clear();
        index.wakeAll();
        mesh.close();
        plugins.close();
        try {
            if (watcher != null) {
                watcher.interrupt();
                watcher.join(10_000);
            }
            writer.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("dispatcher stopped");
    }

    // ------------------------------------------------------------ Dispatcher

    @Override
    public Session open(String nodeId, NodeDescription description) {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(description, "description");
        if (!running) {
            throw new IllegalStateException("the dispatcher is not running");
        }
        if (store.view(tx -> tx.get(Kind.NODE, nodeId)).isEmpty()) {
            throw new IllegalStateException("unknown node " + nodeId);
        }
        SessionImpl session = new SessionImpl(this, nodeId);
        synchronized (session) {
            SessionImpl old = sessions.put(nodeId, session);
            if (old != null) {
                old.end();
                LOG.info("node {} opened a new session; the old one is closed", nodeId);
            }
            unclaimed.remove(nodeId);
            nodeUp(nodeId, description);
        }
        if (!running) { // stopped meanwhile: stop() may have missed it
            session.end();
            throw new IllegalStateException("the dispatcher is not running");
        }
        LOG.info("node {} ({}) opened a session", nodeId, description.getHostname());
        return session;
    }

    @Override
    public void logs(String nodeId, String taskId, int tail, boolean follow, Consumer<LogSource.LogLine> sink)
            throws InterruptedException {
        SessionImpl s = sessions.get(nodeId);
        LogProvider provider = s == null ? null : s.logProvider();
        if (provider == null) {
            throw new IllegalStateException("node " + nodeId + " is not connected");
        }
        provider.logs(taskId, tail, follow, sink);
    }

    /**
     * The routing table as soon as its version differs from {@code afterVersion}.
     *
     * @throws IllegalStateException when the dispatcher is not (any more) running: ask the next leader
     */
    @Override
    public MeshRoutes meshRoutes(long afterVersion, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        return mesh.await(afterVersion, timeout);
    }

    /**
     * Keeps the node's latest counters; the writer puts them in {@code node.mesh}
     * at most every {@link StatusWriter#MESH_INTERVAL_MS} per node, when they changed.
     * Reports of unknown nodes, or made while the dispatcher is not running, are dropped.
     */
    @Override
    public void reportMesh(String nodeId, MeshStatus status) {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(status, "status");
        if (!running) {
            LOG.debug("ignored the mesh status of node {}: the dispatcher is not running", nodeId);
            return;
        }
        if (store.view(tx -> tx.get(Kind.NODE, nodeId)).isEmpty()) {
            LOG.debug("ignored the mesh status of unknown node {}", nodeId);
            return;
        }
        writer.meshReported(nodeId, status);
    }

    /**
     * The cluster's plugins (no jars) as soon as their version differs from {@code afterVersion}.
     *
     * @throws IllegalStateException when the dispatcher is not (any more) running: ask the next leader
     */
    @Override
    public PluginSet plugins(long afterVersion, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        return plugins.await(afterVersion, timeout);
    }

    /**
     * One cluster plugin with its jar, read from the store; null when there is no such plugin.
     *
     * @throws IllegalStateException when the dispatcher is not running
     */
    @Override
    public Plugin pluginJar(String pluginId) {
        Objects.requireNonNull(pluginId, "pluginId");
        if (!running) {
            throw new IllegalStateException("the dispatcher is not running");
        }
        return store.view(tx -> tx.get(Kind.PLUGIN, pluginId)).orElse(null);
    }

    /**
     * Keeps the node's latest plugin list; the writer puts it in {@code node.plugins}
     * after {@link StatusWriter#FLUSH_DELAY_MS}, several nodes in one transaction, when it changed.
     * Reports of unknown nodes, or made while the dispatcher is not running, are dropped.
     *
     * @throws IllegalStateException when the dispatcher is not running (the node reports again to the next one)
     */
    @Override
    public void reportPlugins(String nodeId, List<PluginStatus> list) {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(list, "plugins");
        if (!running) {
            throw new IllegalStateException("the dispatcher is not running");
        }
        if (store.view(tx -> tx.get(Kind.NODE, nodeId)).isEmpty()) {
            LOG.debug("ignored the plugins of unknown node {}", nodeId);
            return;
        }
        writer.pluginsReported(nodeId, List.copyOf(list));
    }

    // ------------------------------------------------------------ for sessions

    AssignmentIndex index() {
        return index;
    }

    StatusWriter writer() {
        return writer;
    }

    Payloads payloads() {
        return payloads;
    }

    long heartbeatMs() {
        return heartbeatMs;
    }

    /** The node is READY (with that description, or the one it has when null). */
    void nodeUp(String nodeId, NodeDescription description) {
        writer.nodeChanged(nodeId, new StatusWriter.NodeChange(NodeStatus.State.READY, "", description));
    }

    /** A session was closed by its agent: its node is DOWN, unless a newer session took over. */
    void closed(SessionImpl s) {
        if (sessions.remove(s.nodeId(), s)) {
            writer.nodeChanged(s.nodeId(), new StatusWriter.NodeChange(NodeStatus.State.DOWN, SESSION_CLOSED, null));
            LOG.info("node {} closed its session", s.nodeId());
        }
    }

    /** Marks DOWN the nodes whose sessions missed their heartbeats, and those that never came back. Writer thread. */
    void checkHeartbeats() {
        long now = System.nanoTime();
        long limit = graceNanos();
        for (SessionImpl s : sessions.values()) {
            s.expire(now, limit, () -> {
                LOG.warn("node {} missed {} heartbeats: marking it down", s.nodeId(), MISSED_HEARTBEATS);
                countHeartbeatMiss();
                writer.nodeChanged(s.nodeId(), new StatusWriter.NodeChange(NodeStatus.State.DOWN, HEARTBEAT_FAILURE, null));
            });
        }
        unclaimed.forEach((nodeId, deadline) -> {
            if (now - deadline >= 0 && unclaimed.remove(nodeId, deadline) && !sessions.containsKey(nodeId)) {
                LOG.warn("node {} did not open a session within {} heartbeats: marking it down", nodeId, MISSED_HEARTBEATS);
                countHeartbeatMiss();
                writer.nodeChanged(nodeId, new StatusWriter.NodeChange(NodeStatus.State.DOWN, HEARTBEAT_FAILURE, null));
            }
        });
    }

    private long graceNanos() {
        return TimeUnit.MILLISECONDS.toNanos(MISSED_HEARTBEATS * heartbeatMs);
    }

    // ------------------------------------------------------------ the watch loop

    private void load(Snapshot s) {
        heartbeatMs = s.heartbeatMs();
        index.reset(s.index(), s.assigned());
        payloads.retain(index::referenced);
        mesh.reset(s.index(), s.services(), s.assigned(), s.nodes(), s.cluster(), s.networks());
        plugins.reset(s.index(), s.plugins());
    }

    private void watchLoop(Watch<Snapshot> first) {
        Watch<Snapshot> watch = first;
        try {
            while (running) {
                StoreEvent e = watch.poll(POLL);
                if (e == null) {
                    if (watch.isClosed() && running) {
                        watch.close();
                        watch = rewatch();
                    }
                    continue;
                }
                handle(e);
            }
        } catch (InterruptedException e) {
            // stopping
        } finally {
            if (watch != null) {
                watch.close();
            }
        }
    }

    private void handle(StoreEvent e) {
        if (e.action() == StoreEvent.Action.COMMIT) {
            index.commit(e.index());
            payloads.retain(index::referenced);
            mesh.commit(e.index());
            plugins.commit(e.index());
            return;
        }
        mesh.apply(e);
        plugins.apply(e);
        if (e.kind() == Kind.TASK) {
            index.apply(e);
        } else if (e.kind() == Kind.NODE && e.action() != StoreEvent.Action.REMOVE) {
            // a node said to be up by someone else (a manager bootstrapping its own node object) must
            // still open a session within the grace period
            Node n = e.objectAs(Kind.NODE);
            if (n.getStatus().getState() != NodeStatus.State.DOWN && !sessions.containsKey(n.getId())) {
                unclaimed.putIfAbsent(n.getId(), System.nanoTime() + graceNanos());
            }
        } else if (e.kind() == Kind.CLUSTER && e.action() != StoreEvent.Action.REMOVE) {
            long period = heartbeatMs(e.objectAs(Kind.CLUSTER));
            if (period != heartbeatMs) {
                LOG.info("heartbeat period is now {} ms", period);
                heartbeatMs = period;
            }
        }
    }

    /** A new snapshot after the store closed the watch (fell behind, or the store reloaded). */
    private Watch<Snapshot> rewatch() throws InterruptedException {
        long backoff = 100;
        while (running) {
            try {
                Watch<Snapshot> w = store.watch(Snapshot::read);
                load(w.initial());
                LOG.info("dispatcher watch reopened at index {}", w.initial().index());
                return w;
            } catch (RuntimeException e) {
                LOG.warn("cannot watch the store, retrying: {}", e.getMessage());
                Thread.sleep(backoff);
                backoff = Math.min(5_000, backoff * 2);
            }
        }
        return null;
    }

    static long heartbeatMs(Cluster c) {
        long p = c.getSpec().getDispatcher().getHeartbeatPeriodMs();
        return p > 0 ? p : DEFAULT_HEARTBEAT_MS;
    }
}
