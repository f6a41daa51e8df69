package io.swarmlet.orchestrator.internal;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.WriteTx;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One reconciliation pass: the write transaction it runs in, what it saw of
 * the cluster, and what it leaves for later. Writes are counted so that one
 * transaction stays small; a service whose work did not fit is
 * {@linkplain #unfinished unfinished} and gets another pass. What must happen
 * only if the transaction commits (restart history) is queued in
 * {@link #afterCommit}.
 *
 * <p>Made by {@link Reconciler#pass}; read by {@link OrchestratorLoop} once committed.
 */
final class Pass {

    final WriteTx tx;
    final long now;
    final Nodes nodes;
    /** Terminal tasks kept per slot; negative keeps all. */
    final long historyLimit;
    private final int budget;
    private int writes;
    private final Set<String> written = new HashSet<>();

    /** Services that need another pass (ran out of room in this transaction). */
    final Set<String> unfinished = new HashSet<>();
    /** Service ID to the earliest time it should be looked at again (restart delays). */
    final Map<String, Long> wakeUps = new HashMap<>();
    /** Run once the transaction is committed. */
    final List<Runnable> afterCommit = new ArrayList<>();

    Pass(WriteTx tx, long now, Nodes nodes, long historyLimit, int budget) {
        this.tx = tx;
        this.now = now;
        this.nodes = nodes;
        this.historyLimit = historyLimit;
        this.budget = budget;
    }

    /** Whether another write (or an inseparable pair of writes) still fits in this transaction. */
    boolean hasRoom() {
        return writes < budget;
    }

    int writes() {
        return writes;
    }

    void create(ServiceTasks tasks, Task t) {
        tx.create(Kind.TASK, t);
        tasks.put(t);
        written.add(t.getId());
        writes++;
    }

    Task update(ServiceTasks tasks, Task t) {
        tx.update(Kind.TASK, t);
        tasks.put(t);
        written.add(t.getId());
        writes++;
        return t;
    }

    /** Whether this pass created or changed the task (the reaper leaves those to the next pass, so each step is seen). */
    boolean wrote(Task t) {
        return written.contains(t.getId());
    }

    void delete(ServiceTasks tasks, Task t) {
        tx.delete(Kind.TASK, t.getId());
        tasks.remove(t.getId());
        writes++;
    }

    void updateService(Service s) {
        tx.update(Kind.SERVICE, s);
        writes++;
    }

    void wakeUp(String serviceId, long at) {
        wakeUps.merge(serviceId, at, Math::min);
    }
}
