package io.swarmlet.orchestrator.internal;

import io.swarmlet.api.types.Constraint;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.util.List;

/**
 * Global services and global jobs (SwarmKit's {@code orchestrator/global} and
 * {@code jobs/global}): one task per node that takes new tasks (READY, ACTIVE,
 * placement constraints met), created with its node preset; the scheduler
 * still confirms it (PENDING to ASSIGNED).
 *
 * <ul>
 * <li>A node that tasks must leave (drained, down, constraints no longer met)
 *     has its task told to SHUTDOWN; nothing replaces it there.</li>
 * <li>A task that ends on a node that still takes tasks is restarted there
 *     under the restart policy; on a paused or disconnected node the decision
 *     waits until the node takes tasks again.</li>
 * <li>A node whose newest task ended for good at the current spec version (the
 *     policy gave up) gets no new task until the service changes.</li>
 * <li>Global jobs run once per node and job iteration: a node with a COMPLETE
 *     task of the iteration is done; the job is done when every node that
 *     takes tasks is.</li>
 * </ul>
 *
 * <p>Used by {@link Reconciler}.
 */
final class GlobalServices {

    private final RestartSupervisor restarts;

    GlobalServices(RestartSupervisor restarts) {
        this.restarts = restarts;
    }

    void reconcile(Service service, ServiceTasks tasks, List<Constraint> constraints, Pass p) {
        boolean job = Tasks.isJob(service.getSpec());
        long iteration = service.getJobStatus().getJobIteration();
        String id = service.getId();
        if (job && !Jobs.retireOldIterations(tasks, iteration, p)) {
            p.unfinished.add(id);
            return;
        }
        for (Task t : tasks.where(t -> Tasks.runnable(t) && Tasks.terminal(t))) {
            Node n = p.nodes.get(t.getNodeId());
            if (n == null) {
                continue; // orphaned by the Reconciler
            }
            if (!p.hasRoom()) {
                p.unfinished.add(id);
                return;
            }
            if (job && t.getStatus().getState() == TaskState.COMPLETE) {
                p.update(tasks, Tasks.withDesired(t, TaskState.COMPLETE));
            } else if (Nodes.mustLeave(n, constraints)) {
                p.update(tasks, Tasks.withDesired(t, TaskState.SHUTDOWN));
            } else if (Nodes.takesNewTasks(n, constraints)) {
                List<Task> slot = onNode(tasks, n.getId(), job, iteration);
                restarts.restart(service, tasks, t, slot, true, job, false, p);
            }
        }
        boolean allDone = true;
        boolean anyComplete = false;
        for (Node n : p.nodes.all()) {
            List<Task> on = onNode(tasks, n.getId(), job, iteration);
            boolean complete = job && on.stream().anyMatch(t -> t.getStatus().getState() == TaskState.COMPLETE);
            anyComplete |= complete;
            if (Nodes.mustLeave(n, constraints)) {
                for (Task t : on) {
                    if (Tasks.runnable(t) && !Tasks.terminal(t)) {
                        if (!p.hasRoom()) {
                            p.unfinished.add(id);
                            return;
                        }
                        ReplicatedServices.stop(tasks, t, p);
                    }
                }
                continue;
            }
            boolean runs = on.stream().anyMatch(Tasks::runnable);
            if (runs) {
                allDone = false;
            } else if (Nodes.takesNewTasks(n, constraints) && !complete) {
                allDone = false;
                if (!on.isEmpty() && isHeld(service, on.get(on.size() - 1), job)) {
                    continue;
                }
                if (!p.hasRoom()) {
                    p.unfinished.add(id);
                    return;
                }
                p.create(tasks, Tasks.newTask(p.tx, service, 0, n.getId(), TaskState.RUNNING, p.now));
            }
        }
        if (job && allDone && anyComplete) {
            Jobs.recordCompletion(service, tasks, iteration, p);
        }
    }

    /** The tasks of this service on a node that are not being removed (of the current iteration, for jobs), oldest first. */
    private static List<Task> onNode(ServiceTasks tasks, String nodeId, boolean job, long iteration) {
        List<Task> on = tasks.where(t -> t.getNodeId().equals(nodeId) && t.getDesiredState() != TaskState.REMOVE
                && (!job || t.getJobIteration() == iteration));
        on.sort(Tasks.OLDEST_FIRST);
        return on;
    }

    /** Whether the node's newest task ended for good (by itself, at the current spec version, not replaced). */
    private static boolean isHeld(Service service, Task newest, boolean job) {
        return Tasks.terminal(newest) && !Tasks.runnable(newest) && Tasks.endedByItself(newest)
                && (job || newest.getSpecVersion() == service.getSpecVersion());
    }
}
