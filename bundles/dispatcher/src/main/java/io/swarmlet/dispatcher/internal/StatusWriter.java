package io.swarmlet.dispatcher.internal;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.WriteTx;
import io.swarmlet.api.types.MeshStatus;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.PluginStatus;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskStatus;
import io.swarmlet.api.types.TaskStates;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The dispatcher's one writer: task status reports from every session and node
 * status changes, merged per object and written in few store transactions
 * (at most every {@link #FLUSH_DELAY_MS} ms, or at once when
 * {@link #MAX_PENDING} reports wait). Its thread also runs the heartbeat check.
 *
 * <p>Task statuses only move forward: a report is dropped when the task is
 * gone, is assigned to another node, or already is in a later state (or the
 * same state, reported later). Conflicting transactions are retried on the
 * state they conflicted with.
 *
 * <p>Mesh counters ({@code node.mesh}) are kept per node, latest only, and
 * written at most every {@link #MESH_INTERVAL_MS} per node, several nodes in
 * one transaction, and not at all when nothing but their timestamp changed.
 *
 * <p>Plugin lists ({@code node.plugins}) are kept per node, latest only, and
 * written {@link #FLUSH_DELAY_MS} after the first one waiting, every node's in
 * one transaction, and not at all when they did not change.
 */
final class StatusWriter {

    static final long FLUSH_DELAY_MS = 50;
    static final int MAX_PENDING = 100;
    /** Shortest time between two writes of one node's mesh counters. */
    static final long MESH_INTERVAL_MS = 2_000;
    /** Task updates per store transaction. */
    static final int MAX_TX_TASKS = 500;
    private static final int CONFLICT_RETRIES = 10;
    private static final long FAILURE_BACKOFF_MS = 500;

    private static final Logger LOG = LogManager.getLogger(StatusWriter.class);

    /** A task status as reported by a node. */
    record Report(String nodeId, TaskStatus status) {}

    /** A node's new status (description null: keep it). */
    record NodeChange(NodeStatus.State state, String message, NodeDescription description) {}

    /** A node's latest mesh counters, to be written at {@code dueAt} (nanoTime). */
    private record MeshReport(MeshStatus status, long dueAt) {}

    private final Store store;
    private final Runnable periodic;
    private final LongSupplier periodicIntervalMs;

    private final Object lock = new Object();
    private Map<String, Report> tasks = new LinkedHashMap<>();
    private Map<String, NodeChange> nodes = new LinkedHashMap<>();
    private final Map<String, MeshReport> meshes = new LinkedHashMap<>();
    /** When each node's mesh counters were last taken for a write (nanoTime); pruned after the interval. */
    private final Map<String, Long> meshTakenAt = new HashMap<>();
    private Map<String, List<PluginStatus>> plugins = new LinkedHashMap<>();
    private long firstPendingAt;
    private long firstPluginsAt;
    private boolean running;
    private Thread thread;

    /**
     * @param periodic run on the writer thread every {@code periodicIntervalMs} (the heartbeat check)
     */
    StatusWriter(Store store, Runnable periodic, LongSupplier periodicIntervalMs) {
        this.store = store;
        this.periodic = periodic;
        this.periodicIntervalMs = periodicIntervalMs;
    }

    void start() {
        synchronized (lock) {
            running = true;
            thread = new Thread(this::loop, "swarmlet-dispatcher-writer");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** Stops the thread; whatever was not written yet is dropped (agents report again to the next dispatcher). */
    void stop() throws InterruptedException {
        Thread t;
        synchronized (lock) {
            running = false;
            t = thread;
            lock.notifyAll();
        }
        if (t != null) {
            t.interrupt();
            t.join(10_000);
        }
    }

    /** Queues status reports of one node. */
    void reportTasks(String nodeId, Map<String, TaskStatus> statuses) {
        if (statuses.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        synchronized (lock) {
            if (tasks.isEmpty()) {
                firstPendingAt = System.nanoTime();
            }
            statuses.forEach((taskId, s) -> {
                TaskStatus status = s.getTimestamp() > 0 ? s : s.toBuilder().setTimestamp(now).build();
                tasks.merge(taskId, new Report(nodeId, status), StatusWriter::later);
            });
            if (tasks.size() >= MAX_PENDING) {
                lock.notifyAll();
            }
        }
    }

    /** Queues a node status change; it replaces any change of that node not written yet. */
    void nodeChanged(String nodeId, NodeChange change) {
        synchronized (lock) {
            nodes.merge(nodeId, change, (old, now) -> now.description() != null ? now
                    : new NodeChange(now.state(), now.message(), old.description()));
            lock.notifyAll();
        }
    }

    /**
     * Queues a node's mesh counters: they replace any not written yet, and are
     * written once {@link #MESH_INTERVAL_MS} passed since the node's last write
     * (the first after {@link #FLUSH_DELAY_MS}, to batch nodes that report together).
     */
    void meshReported(String nodeId, MeshStatus status) {
        MeshStatus s = status.getTimestamp() > 0 ? status : status.toBuilder().setTimestamp(System.currentTimeMillis()).build();
        synchronized (lock) {
            MeshReport old = meshes.get(nodeId);
            long dueAt;
            if (old != null) {
                dueAt = old.dueAt();
            } else {
                long now = System.nanoTime();
                dueAt = now + TimeUnit.MILLISECONDS.toNanos(FLUSH_DELAY_MS);
                Long last = meshTakenAt.get(nodeId);
                if (last != null) {
                    long next = last + TimeUnit.MILLISECONDS.toNanos(MESH_INTERVAL_MS);
                    dueAt = next - dueAt > 0 ? next : dueAt;
                }
            }
            meshes.put(nodeId, new MeshReport(s, dueAt));
            lock.notifyAll();
        }
    }

    /** Queues a node's plugin list; it replaces any list of that node not written yet. */
    void pluginsReported(String nodeId, List<PluginStatus> list) {
        synchronized (lock) {
            if (plugins.isEmpty()) {
                firstPluginsAt = System.nanoTime();
            }
            plugins.put(nodeId, list);
            lock.notifyAll();
        }
    }

    /** Of two reports of one task, the one that may follow the other. */
    static Report later(Report old, Report now) {
        return supersedes(old.status(), now.status()) ? now : old;
    }

    /** Whether {@code now} may replace {@code current}: a later state, or the same state reported later. */
    static boolean supersedes(TaskStatus current, TaskStatus now) {
        if (!TaskStates.canMove(current.getState(), now.getState())) {
            return false;
        }
        return now.getState() != current.getState() || now.getTimestamp() >= current.getTimestamp();
    }

    private void loop() {
        long nextPeriodic = System.nanoTime();
        while (true) {
            Map<String, Report> taskBatch;
            Map<String, NodeChange> nodeBatch;
            Map<String, MeshStatus> meshBatch;
            Map<String, List<PluginStatus>> pluginBatch;
            boolean runPeriodic;
            synchronized (lock) {
                try {
                    while (true) {
                        if (!running) {
                            return;
                        }
                        long now = System.nanoTime();
                        Long meshDue = nextMeshDue();
                        if (!plugins.isEmpty()) {
                            long pluginsDue = firstPluginsAt + TimeUnit.MILLISECONDS.toNanos(FLUSH_DELAY_MS);
                            meshDue = meshDue == null || pluginsDue - meshDue < 0 ? pluginsDue : meshDue;
                        }
                        if (now - nextPeriodic >= 0 || !nodes.isEmpty() || tasks.size() >= MAX_PENDING
                                || (!tasks.isEmpty() && now - firstPendingAt >= TimeUnit.MILLISECONDS.toNanos(FLUSH_DELAY_MS))
                                || (meshDue != null && now - meshDue >= 0)) {
                            break;
                        }
                        long wakeAt = nextPeriodic;
                        if (!tasks.isEmpty()) {
                            long flushAt = firstPendingAt + TimeUnit.MILLISECONDS.toNanos(FLUSH_DELAY_MS);
                            wakeAt = flushAt - wakeAt < 0 ? flushAt : wakeAt;
                        }
                        if (meshDue != null) {
                            wakeAt = meshDue - wakeAt < 0 ? meshDue : wakeAt;
                        }
                        TimeUnit.NANOSECONDS.timedWait(lock, Math.max(1, wakeAt - now));
                    }
                } catch (InterruptedException e) {
                    return;
                }
                runPeriodic = System.nanoTime() - nextPeriodic >= 0;
                taskBatch = tasks;
                nodeBatch = nodes;
                tasks = new LinkedHashMap<>();
                nodes = new LinkedHashMap<>();
                meshBatch = takeDueMeshes(System.nanoTime());
                pluginBatch = Map.of();
                if (!plugins.isEmpty()
                        && System.nanoTime() - firstPluginsAt >= TimeUnit.MILLISECONDS.toNanos(FLUSH_DELAY_MS)) {
                    pluginBatch = plugins;
                    plugins = new LinkedHashMap<>();
                }
            }
            if (runPeriodic) {
                try {
                    periodic.run();
                } catch (RuntimeException e) {
                    LOG.warn("dispatcher heartbeat check failed", e);
                }
                nextPeriodic = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(10, periodicIntervalMs.getAsLong()));
            }
            boolean failed = false;
            if (!nodeBatch.isEmpty() && !writeNodes(nodeBatch)) {
                failed = true;
            }
            if (!taskBatch.isEmpty() && !writeTasks(taskBatch)) {
                failed = true;
            }
            if (!meshBatch.isEmpty() && !writeMeshes(meshBatch)) {
                failed = true;
            }
            if (!pluginBatch.isEmpty() && !writePlugins(pluginBatch)) {
                failed = true;
            }
            if (failed) {
                synchronized (lock) {
                    try {
                        lock.wait(FAILURE_BACKOFF_MS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    /** When the first queued mesh report is due; null if none waits. Holding the lock. */
    private Long nextMeshDue() {
        Long first = null;
        for (MeshReport r : meshes.values()) {
            if (first == null || r.dueAt() - first < 0) {
                first = r.dueAt();
            }
        }
        return first;
    }

    /** Removes and returns the mesh reports due at {@code now}. Holding the lock. */
    private Map<String, MeshStatus> takeDueMeshes(long now) {
        long interval = TimeUnit.MILLISECONDS.toNanos(MESH_INTERVAL_MS);
        meshTakenAt.values().removeIf(t -> now - t >= interval);
        if (meshes.isEmpty()) {
            return Map.of();
        }
        Map<String, MeshStatus> due = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, MeshReport>> it = meshes.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, MeshReport> e = it.next();
            if (now - e.getValue().dueAt() >= 0) {
                due.put(e.getKey(), e.getValue().status());
                meshTakenAt.put(e.getKey(), now);
                it.remove();
            }
        }
        return due;
    }

    /** Writes the nodes' mesh counters; on a failure worth retrying queues them again and returns false. */
    private boolean writeMeshes(Map<String, MeshStatus> batch) {
        try {
            int[] written = new int[1];
            update(tx -> {
                written[0] = 0;
                batch.forEach((id, status) -> {
                    if (applyMesh(tx, id, status)) {
                        written[0]++;
                    }
                });
            });
            LOG.debug("wrote the mesh counters of {} of {} nodes", written[0], batch.size());
            return true;
        } catch (StoreException e) {
            if (!isRunning()) {
                return true;
            }
            if (!retryable(e)) {
                LOG.warn("dropped mesh counters of nodes {}: {}", batch.keySet(), e.getMessage());
                return true;
            }
            LOG.warn("cannot write mesh counters ({}), will retry: {}", e.reason(), e.getMessage());
            long now = System.nanoTime();
            synchronized (lock) {
                batch.forEach((id, status) -> meshes.putIfAbsent(id, new MeshReport(status, now)));
            }
            return false;
        }
    }

    /** Writes the nodes' plugin lists; on a failure worth retrying queues them again and returns false. */
    private boolean writePlugins(Map<String, List<PluginStatus>> batch) {
        try {
            int[] written = new int[1];
            update(tx -> {
                written[0] = 0;
                batch.forEach((id, list) -> {
                    if (applyPlugins(tx, id, list)) {
                        written[0]++;
                    }
                });
            });
            LOG.debug("wrote the plugin lists of {} of {} nodes", written[0], batch.size());
            return true;
        } catch (StoreException e) {
            if (!isRunning()) {
                return true;
            }
            if (!retryable(e)) {
                LOG.warn("dropped the plugin lists of nodes {}: {}", batch.keySet(), e.getMessage());
                return true;
            }
            LOG.warn("cannot write plugin lists ({}), will retry: {}", e.reason(), e.getMessage());
            synchronized (lock) {
                if (plugins.isEmpty()) {
                    firstPluginsAt = System.nanoTime();
                }
                batch.forEach(plugins::putIfAbsent);
            }
            return false;
        }
    }

    /** Writes a node's plugin list unless the node is gone or it did not change. */
    static boolean applyPlugins(WriteTx tx, String nodeId, List<PluginStatus> list) {
        Node current = tx.get(Kind.NODE, nodeId).orElse(null);
        if (current == null) {
            LOG.debug("ignored the plugins of node {}: it is gone", nodeId);
            return false;
        }
        if (current.getPluginsList().equals(list)) {
            return false;
        }
        tx.update(Kind.NODE, current.toBuilder().clearPlugins().addAllPlugins(list).build());
        return true;
    }

    /** Writes a node's mesh counters unless the node is gone or they differ in their timestamp only. */
    static boolean applyMesh(WriteTx tx, String nodeId, MeshStatus status) {
        Node current = tx.get(Kind.NODE, nodeId).orElse(null);
        if (current == null) {
            LOG.debug("ignored the mesh counters of node {}: it is gone", nodeId);
            return false;
        }
        if (current.getMesh().toBuilder().clearTimestamp().build().equals(status.toBuilder().clearTimestamp().build())) {
            return false;
        }
        tx.update(Kind.NODE, current.toBuilder().setMesh(status).build());
        return true;
    }

    /** Writes the batch; on a failure worth retrying puts it back and returns false. */
    private boolean writeNodes(Map<String, NodeChange> batch) {
        try {
            update(tx -> batch.forEach((id, change) -> applyNode(tx, id, change)));
            return true;
        } catch (StoreException e) {
            if (!isRunning()) {
                return true; // stopping: the write was interrupted
            }
            if (!retryable(e)) {
                LOG.warn("dropped status of nodes {}: {}", batch.keySet(), e.getMessage());
                return true;
            }
            LOG.warn("cannot write node status ({}), will retry: {}", e.reason(), e.getMessage());
            synchronized (lock) {
                batch.forEach((id, change) -> nodes.putIfAbsent(id, change));
            }
            return false;
        }
    }

    private boolean writeTasks(Map<String, Report> batch) {
        List<Map.Entry<String, Report>> entries = new ArrayList<>(batch.entrySet());
        for (int from = 0; from < entries.size(); from += MAX_TX_TASKS) {
            List<Map.Entry<String, Report>> chunk = entries.subList(from, Math.min(entries.size(), from + MAX_TX_TASKS));
            try {
                int[] counts = new int[1];
                update(tx -> {
                    counts[0] = 0;
                    for (Map.Entry<String, Report> e : chunk) {
                        if (applyTask(tx, e.getKey(), e.getValue())) {
                            counts[0]++;
                        }
                    }
                });
                LOG.debug("wrote {} of {} task status reports", counts[0], chunk.size());
            } catch (StoreException e) {
                if (!isRunning()) {
                    return true; // stopping: the write was interrupted
                }
                if (!retryable(e)) {
                    LOG.warn("dropped {} task status reports: {}", chunk.size(), e.getMessage());
                    continue;
                }
                LOG.warn("cannot write task status ({}), will retry: {}", e.reason(), e.getMessage());
                synchronized (lock) {
                    if (tasks.isEmpty()) {
                        firstPendingAt = System.nanoTime();
                    }
                    for (Map.Entry<String, Report> e2 : entries.subList(from, entries.size())) {
                        tasks.merge(e2.getKey(), e2.getValue(), (queued, back) -> later(back, queued));
                    }
                }
                return false;
            }
        }
        return true;
    }

    private boolean isRunning() {
        synchronized (lock) {
            return running;
        }
    }

    private static boolean retryable(StoreException e) {
        return e.reason() == StoreException.Reason.NO_QUORUM || e.reason() == StoreException.Reason.INTERNAL
                || e.reason() == StoreException.Reason.SEQUENCE_CONFLICT;
    }

    /** One transaction, retried on the state it conflicted with. */
    private void update(Consumer<WriteTx> writer) {
        for (int attempt = 1; ; attempt++) {
            try {
                store.update(writer);
                return;
            } catch (StoreException e) {
                if (e.reason() != StoreException.Reason.SEQUENCE_CONFLICT || attempt >= CONFLICT_RETRIES) {
                    throw e;
                }
                LOG.debug("status write conflicted (attempt {}), retrying", attempt);
            }
        }
    }

    static boolean applyTask(WriteTx tx, String taskId, Report report) {
        Task current = tx.get(Kind.TASK, taskId).orElse(null);
        if (current == null) {
            LOG.debug("ignored status of task {}: it is gone", taskId);
            return false;
        }
        if (!current.getNodeId().equals(report.nodeId())) {
            LOG.debug("ignored status of task {} from node {}: it is assigned to {}", taskId, report.nodeId(), current.getNodeId());
            return false;
        }
        TaskStatus now = report.status();
        if (current.getStatus().equals(now) || !supersedes(current.getStatus(), now)) {
            if (!current.getStatus().equals(now)) {
                LOG.debug("ignored stale status {} of task {} (it is {})", now.getState(), taskId, current.getStatus().getState());
            }
            return false;
        }
        tx.update(Kind.TASK, current.toBuilder().setStatus(now).build());
        return true;
    }

    static void applyNode(WriteTx tx, String nodeId, NodeChange change) {
        Node current = tx.get(Kind.NODE, nodeId).orElse(null);
        if (current == null) {
            return;
        }
        Node.Builder b = current.toBuilder();
        b.getStatusBuilder().setState(change.state()).setMessage(change.message());
        if (change.description() != null) {
            b.setDescription(describe(current.getDescription(), change.description()));
        }
        Node want = b.build();
        if (!want.equals(current)) {
            tx.update(Kind.NODE, want);
            LOG.info("node {} is {}{}", nodeId, change.state(), change.message().isEmpty() ? "" : " (" + change.message() + ")");
        }
    }

    /** What the agent says of its node, with what the node said of itself where the agent left a part out. */
    static NodeDescription describe(NodeDescription current, NodeDescription reported) {
        NodeDescription.Builder b = reported.toBuilder();
        if (reported.getHostname().isEmpty()) {
            b.setHostname(current.getHostname());
        }
        if (!reported.hasPlatform()) {
            b.setPlatform(current.getPlatform());
        }
        if (!reported.hasResources()) {
            b.setResources(current.getResources());
        }
        if (!reported.hasEngine() && current.hasEngine()) {
            b.setEngine(current.getEngine());
        }
        return b.build();
    }
}
