package io.swarmlet.dispatcher.internal;

import io.swarmlet.api.dispatcher.Assignments;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.types.Task;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Every task that has a node, grouped by node, with a version per node that
 * changes whenever that node's set (or any task in it) changes. Fed by the
 * dispatcher's one watch loop; read by every session's blocking
 * {@code assignments} call, which it wakes when a transaction touched its node.
 *
 * <p>Versions are store indexes (the transaction that last touched the node's
 * set), so they only grow, also across a reload after the watch was lost.
 */
final class AssignmentIndex {

    private final Map<String, Task> tasks = new HashMap<>();
    private final Map<String, TreeMap<String, Task>> byNode = new HashMap<>();
    private final Map<String, Long> versions = new HashMap<>();
    /** How many indexed tasks reference each secret/config version ({@link Payloads#keys}). */
    private final Map<String, Integer> references = new HashMap<>();
    /** Nodes touched by the transaction being read, versioned at its COMMIT. */
    private final Set<String> dirty = new HashSet<>();
    /** The version of every node untouched since the last (re)load. */
    private long base;
    private long lastVersion;
    private boolean loaded;

    /** Replaces everything with a snapshot read at {@code index}. */
    synchronized void reset(long index, Collection<Task> all) {
        tasks.clear();
        byNode.clear();
        versions.clear();
        references.clear();
        dirty.clear();
        base = Math.max(index, lastVersion + 1);
        lastVersion = base;
        for (Task t : all) {
            put(t);
        }
        loaded = true;
        notifyAll();
    }

    /** One task created, updated or removed (not yet visible: see {@link #commit}). */
    synchronized void apply(StoreEvent e) {
        Task t = e.objectAs(Kind.TASK);
        if (t == null) {
            return;
        }
        Task old = tasks.remove(t.getId());
        if (old != null) {
            for (String k : Payloads.keys(old)) {
                references.computeIfPresent(k, (key, n) -> n > 1 ? n - 1 : null);
            }
            TreeMap<String, Task> set = byNode.get(old.getNodeId());
            if (set != null) {
                set.remove(old.getId());
                if (set.isEmpty()) {
                    byNode.remove(old.getNodeId());
                }
            }
            dirty.add(old.getNodeId());
        }
        if (e.action() != StoreEvent.Action.REMOVE && !t.getNodeId().isEmpty()) {
            put(t);
            dirty.add(t.getNodeId());
        }
    }

    /** The end of a transaction: the nodes it touched get a new version and their waiters wake. */
    synchronized void commit(long index) {
        if (dirty.isEmpty()) {
            return;
        }
        long v = Math.max(index, lastVersion + 1);
        lastVersion = v;
        for (String node : dirty) {
            versions.put(node, v);
        }
        dirty.clear();
        notifyAll();
    }

    /**
     * The node's tasks as soon as their version differs from {@code after}, or
     * null after {@code timeout}.
     *
     * @throws IllegalStateException once {@code closed} says so
     */
    synchronized Assignments await(String nodeId, long after, Duration timeout, BooleanSupplier closed)
            throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            if (closed.getAsBoolean()) {
                throw new IllegalStateException("session closed");
            }
            if (loaded) {
                long v = versions.getOrDefault(nodeId, base);
                if (v != after) {
                    TreeMap<String, Task> set = byNode.get(nodeId);
                    return new Assignments(v, set == null ? List.of() : List.copyOf(set.values()));
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** The secret and config versions that some indexed task references. */
    synchronized Set<String> referenced() {
        return Set.copyOf(references.keySet());
    }

    /** Wakes every waiter (a session closed). */
    synchronized void wakeAll() {
        notifyAll();
    }

    private void put(Task t) {
        if (t.getNodeId().isEmpty()) {
            return;
        }
        tasks.put(t.getId(), t);
        for (String k : Payloads.keys(t)) {
            references.merge(k, 1, Integer::sum);
        }
        byNode.computeIfAbsent(t.getNodeId(), n -> new TreeMap<>()).put(t.getId(), t);
    }
}
