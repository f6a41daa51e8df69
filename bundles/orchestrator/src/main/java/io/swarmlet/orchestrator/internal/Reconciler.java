package io.swarmlet.orchestrator.internal;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.WriteTx;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.Constraint;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One reconciliation pass over some services, inside one write transaction:
 * for each service, orphans the tasks of removed nodes, lets the reconciler
 * of its mode fill and empty slots and restart ended tasks, starts delayed
 * tasks that are due, and reaps old tasks. A service that is gone has all its
 * tasks told to go (desired REMOVE), then deleted once they are terminal.
 *
 * <p>Everything is read from the transaction, so a pass decides on one
 * consistent state and writes nothing that was decided on stale reads: a
 * concurrent change to a task it writes fails the transaction with
 * SEQUENCE_CONFLICT and the pass runs again. Passes are idempotent: run on
 * a converged state they write nothing.
 *
 * <p>Used by {@link OrchestratorLoop}; one instance per leadership term.
 */
final class Reconciler {

    /** Docker's default task history retention limit, used while no cluster object says otherwise. */
    static final long DEFAULT_HISTORY_LIMIT = 5;

    private static final Logger LOG = LogManager.getLogger(Reconciler.class);

    private final RestartSupervisor restarts = new RestartSupervisor();
    private final ReplicatedServices replicated = new ReplicatedServices(restarts);
    private final GlobalServices global = new GlobalServices(restarts);
    private final Jobs jobs = new Jobs(restarts);
    private final TaskReaper reaper = new TaskReaper();
    private final int writesPerTransaction;
    private final Set<String> badConstraintsLogged = new HashSet<>();

    Reconciler(int writesPerTransaction) {
        this.writesPerTransaction = writesPerTransaction;
    }

    /**
     * Reconciles the services with these IDs (null: every service, and every
     * service ID that tasks still name).
     */
    Pass pass(WriteTx tx, Set<String> serviceIds, long now) {
        Pass p = new Pass(tx, now, new Nodes(tx.all(Kind.NODE)), historyLimit(tx), writesPerTransaction);
        Set<String> ids = serviceIds != null ? serviceIds : allServiceIds(tx);
        Map<String, ServiceTasks> byService = new HashMap<>();
        for (Task t : tx.find(Kind.TASK, t -> ids.contains(t.getServiceId()))) {
            byService.computeIfAbsent(t.getServiceId(), ServiceTasks::new).put(t);
        }
        for (String id : new TreeSet<>(ids)) {
            if (!p.hasRoom()) {
                p.unfinished.add(id);
                continue;
            }
            Service service = tx.get(Kind.SERVICE, id).orElse(null);
            reconcile(service, byService.getOrDefault(id, new ServiceTasks(id)), p);
        }
        return p;
    }

    /** Every service, and the services tasks name that may be gone. */
    static Set<String> allServiceIds(ReadTx tx) {
        Set<String> ids = new HashSet<>();
        for (Service s : tx.all(Kind.SERVICE)) {
            ids.add(s.getId());
        }
        for (Task t : tx.all(Kind.TASK)) {
            if (!t.getServiceId().isEmpty()) {
                ids.add(t.getServiceId());
            }
        }
        return ids;
    }

    static long historyLimit(ReadTx tx) {
        List<Cluster> clusters = tx.all(Kind.CLUSTER);
        if (clusters.isEmpty() || !clusters.get(0).getSpec().hasOrchestration()) {
            return DEFAULT_HISTORY_LIMIT;
        }
        return clusters.get(0).getSpec().getOrchestration().getTaskHistoryRetentionLimit();
    }

    private void reconcile(Service service, ServiceTasks tasks, Pass p) {
        if (service == null) {
            removed(tasks, p);
            return;
        }
        boolean isGlobal = Tasks.isGlobal(service.getSpec());
        if (!orphan(tasks, isGlobal, p)) {
            p.unfinished.add(service.getId());
            return;
        }
        List<Constraint> constraints = constraints(service);
        switch (service.getSpec().getModeCase()) {
            case REPLICATED -> replicated.reconcile(service, tasks, constraints, p);
            case GLOBAL, GLOBAL_JOB -> global.reconcile(service, tasks, constraints, p);
            case REPLICATED_JOB -> jobs.reconcileReplicated(service, tasks, constraints, p);
            default -> LOG.debug("service {} has no mode; nothing to do", service.getId());
        }
        restarts.startDue(tasks, isGlobal, p);
        reaper.reap(service, tasks, isGlobal, p);
    }

    /** A removed service: every task is told to go (REMOVE); the reaper deletes them once terminal. */
    private void removed(ServiceTasks tasks, Pass p) {
        int told = 0;
        for (Task t : tasks.where(t -> t.getDesiredState() != TaskState.REMOVE)) {
            if (!p.hasRoom()) {
                p.unfinished.add(tasks.serviceId());
                return;
            }
            p.update(tasks, Tasks.withDesired(t, TaskState.REMOVE));
            told++;
        }
        restarts.forget(tasks.serviceId());
        reaper.reap(null, tasks, false, p);
        if (told > 0) {
            int n = told;
            p.afterCommit.add(() -> LOG.info("service {} was removed: its {} task(s) are told to stop and will be deleted",
                    tasks.serviceId(), n));
        }
    }

    /**
     * Tasks on nodes that no longer exist: desired REMOVE, and status ORPHANED
     * for those that may still have been running. Terminal tasks of replicated
     * slots stay as history; those of global services (whose history is per
     * node) go too.
     */
    private static boolean orphan(ServiceTasks tasks, boolean isGlobal, Pass p) {
        for (Task t : tasks.where(t -> !t.getNodeId().isEmpty() && t.getDesiredState() != TaskState.REMOVE
                && !p.nodes.exists(t.getNodeId()))) {
            if (Tasks.terminal(t) && !isGlobal) {
                continue;
            }
            if (!p.hasRoom()) {
                return false;
            }
            Task.Builder b = t.toBuilder().setDesiredState(TaskState.REMOVE);
            if (!Tasks.terminal(t) && !Tasks.neverAssigned(t)) {
                b.setStatus(t.getStatus().toBuilder()
                        .setState(TaskState.ORPHANED)
                        .setTimestamp(p.now)
                        .setMessage("node " + t.getNodeId() + " was removed")
                        .clearErr());
            }
            p.update(tasks, b.build());
        }
        return true;
    }

    private List<Constraint> constraints(Service service) {
        try {
            return Constraint.parseAll(service.getSpec().getTask().getPlacement().getConstraintsList());
        } catch (IllegalArgumentException e) {
            if (badConstraintsLogged.add(service.getId() + "@" + service.getSpecVersion())) {
                LOG.error("service {} ({}): placement constraints ignored: {}",
                        service.getSpec().getAnnotations().getName(), service.getId(), e.getMessage());
            }
            return List.of();
        }
    }
}
