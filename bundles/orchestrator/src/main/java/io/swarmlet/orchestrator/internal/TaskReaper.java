package io.swarmlet.orchestrator.internal;

import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.util.List;
import java.util.Map;

/**
 * Deletes tasks nobody needs any more (SwarmKit's {@code taskreaper}):
 *
 * <ul>
 * <li>tasks with desired state REMOVE (their service was removed, their slot
 *     scaled away, their node removed) once they are terminal, or at once if
 *     they never reached a node (status before ASSIGNED);</li>
 * <li>beyond the cluster's {@code task_history_retention_limit}, the oldest
 *     terminal tasks of each slot (each node, for global services).</li>
 * </ul>
 *
 * <p>Two tasks are always kept, whatever the limit: the newest task of a slot
 * that has nothing running (it says what became of the slot, and keeps a slot
 * the restart policy gave up on from being filled again), and a job's
 * COMPLETE task of the current iteration (it is what counts the completions).
 *
 * <p>Tasks the same pass has just written are left for the next pass (which
 * their change triggers), so that every state a task goes through is
 * committed and seen: a task told to go (desired REMOVE) is deleted one
 * transaction later.
 *
 * <p>Used by {@link Reconciler} at the end of each service's pass.
 */
final class TaskReaper {

    void reap(Service service, ServiceTasks tasks, boolean global, Pass p) {
        for (Task t : tasks.where(t -> t.getDesiredState() == TaskState.REMOVE
                && (Tasks.terminal(t) || Tasks.neverAssigned(t)) && !p.wrote(t))) {
            if (!p.hasRoom()) {
                p.unfinished.add(tasks.serviceId());
                return;
            }
            p.delete(tasks, t);
        }
        if (service == null || p.historyLimit < 0) {
            return;
        }
        boolean job = Tasks.isJob(service.getSpec());
        long iteration = service.getJobStatus().getJobIteration();
        Map<RestartSupervisor.SlotKey, List<Task>> slots = tasks.groupBy(
                t -> t.getDesiredState() != TaskState.REMOVE, t -> RestartSupervisor.SlotKey.of(global, t));
        for (List<Task> slot : slots.values()) {
            boolean live = slot.stream().anyMatch(Tasks::runnable);
            Task newest = slot.get(slot.size() - 1);
            List<Task> history = slot.stream().filter(t -> Tasks.terminal(t) && !Tasks.runnable(t)).toList();
            long excess = history.size() - p.historyLimit;
            for (Task t : history) {
                if (excess <= 0) {
                    break;
                }
                boolean kept = (!live && t == newest) || p.wrote(t)
                        || (job && t.getJobIteration() == iteration && t.getStatus().getState() == TaskState.COMPLETE);
                if (kept) {
                    continue;
                }
                if (!p.hasRoom()) {
                    p.unfinished.add(tasks.serviceId());
                    return;
                }
                p.delete(tasks, t);
                excess--;
            }
        }
    }
}
