package io.swarmlet.orchestrator.internal;

import io.swarmlet.api.types.Constraint;
import io.swarmlet.api.types.JobStatus;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.ReplicatedJob;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Replicated jobs (SwarmKit's {@code jobs/replicated}), and what all jobs
 * share. A replicated job runs until {@code total_completions} tasks of the
 * current job iteration are COMPLETE, at most {@code max_concurrent} at a
 * time, each task in a slot of its own (1, 2, ...). A task that completes
 * gets desired state COMPLETE; one that fails is restarted in its slot under
 * the restart policy (jobs default to ON_FAILURE); a slot the policy gave up
 * on stays failed and the job does not complete. When the job is done, its
 * {@code job_status.last_execution} records when the last task completed.
 *
 * <p>Tasks of an earlier job iteration that still run are told to go
 * (desired REMOVE).
 *
 * <p>Used by {@link Reconciler}.
 */
final class Jobs {

    private static final Logger LOG = LogManager.getLogger(Jobs.class);

    private final RestartSupervisor restarts;

    Jobs(RestartSupervisor restarts) {
        this.restarts = restarts;
    }

    void reconcileReplicated(Service service, ServiceTasks tasks, List<Constraint> constraints, Pass p) {
        String id = service.getId();
        long iteration = service.getJobStatus().getJobIteration();
        if (!retireOldIterations(tasks, iteration, p)) {
            p.unfinished.add(id);
            return;
        }
        for (Task t : tasks.where(t -> Tasks.runnable(t) && Tasks.terminal(t) && t.getJobIteration() == iteration)) {
            if (!p.hasRoom()) {
                p.unfinished.add(id);
                return;
            }
            if (t.getStatus().getState() == TaskState.COMPLETE) {
                p.update(tasks, Tasks.withDesired(t, TaskState.COMPLETE));
            } else {
                List<Task> slot = slotOf(tasks, t.getSlot(), iteration);
                restarts.restart(service, tasks, t, slot, false, true, Nodes.drained(p.nodes.get(t.getNodeId())), p);
            }
        }
        for (Task t : tasks.where(t -> Tasks.runnable(t) && !Tasks.terminal(t) && !t.getNodeId().isEmpty())) {
            Node n = p.nodes.get(t.getNodeId());
            if (n == null || !Nodes.mustLeave(n, constraints)) {
                continue;
            }
            if (!p.hasRoom()) {
                p.unfinished.add(id);
                return;
            }
            ReplicatedServices.stop(tasks, t, p);
            if (slotOf(tasks, t.getSlot(), iteration).stream().noneMatch(Tasks::runnable)) {
                p.create(tasks, Tasks.newTask(p.tx, service, t.getSlot(), "", TaskState.RUNNING, p.now));
            }
        }

        Map<Long, List<Task>> slots = tasks.groupBy(
                t -> t.getDesiredState() != TaskState.REMOVE && t.getJobIteration() == iteration, Task::getSlot);
        TreeSet<Long> taken = new TreeSet<>();
        long completed = 0;
        long active = 0;
        long failed = 0;
        for (Map.Entry<Long, List<Task>> e : slots.entrySet()) {
            List<Task> slot = e.getValue();
            Task newest = slot.get(slot.size() - 1);
            if (slot.stream().anyMatch(t -> t.getStatus().getState() == TaskState.COMPLETE)) {
                completed++;
            } else if (slot.stream().anyMatch(Tasks::runnable)) {
                active++;
            } else if (Tasks.terminal(newest) && newest.getStatus().getState() != TaskState.ORPHANED) {
                failed++; // the restart policy gave up on this slot
            } else {
                continue; // free
            }
            taken.add(e.getKey());
        }
        ReplicatedJob mode = service.getSpec().getReplicatedJob();
        long maxConcurrent = mode.getMaxConcurrent() > 0 ? mode.getMaxConcurrent() : 1;
        long total = mode.getTotalCompletions() > 0 ? mode.getTotalCompletions() : maxConcurrent;
        long create = Math.min(maxConcurrent - active, total - completed - active - failed);
        long slot = 0;
        for (long n = create; n > 0; n--) {
            if (!p.hasRoom()) {
                p.unfinished.add(id);
                return;
            }
            do {
                slot++;
            } while (taken.contains(slot));
            taken.add(slot);
            p.create(tasks, Tasks.newTask(p.tx, service, slot, "", TaskState.RUNNING, p.now));
        }
        if (completed >= total) {
            recordCompletion(service, tasks, iteration, p);
        }
    }

    private static List<Task> slotOf(ServiceTasks tasks, long slot, long iteration) {
        return tasks.where(o -> o.getSlot() == slot && o.getJobIteration() == iteration
                && o.getDesiredState() != TaskState.REMOVE);
    }

    /** Tells tasks of earlier iterations that still run to go; false when out of room. */
    static boolean retireOldIterations(ServiceTasks tasks, long iteration, Pass p) {
        for (Task t : tasks.where(t -> t.getJobIteration() != iteration && !Tasks.terminal(t)
                && t.getDesiredState() != TaskState.REMOVE)) {
            if (!p.hasRoom()) {
                return false;
            }
            p.update(tasks, Tasks.withDesired(t, TaskState.REMOVE));
        }
        return true;
    }

    /**
     * Records that the job's current iteration is done: {@code last_execution}
     * becomes the time its last task completed (written once per iteration,
     * when the job is seen done the first time).
     */
    static void recordCompletion(Service service, ServiceTasks tasks, long iteration, Pass p) {
        long last = 0;
        for (Task t : tasks.where(t -> t.getJobIteration() == iteration && t.getStatus().getState() == TaskState.COMPLETE)) {
            last = Math.max(last, Tasks.statusTime(t));
        }
        JobStatus js = service.getJobStatus();
        if (last == 0 || js.getLastExecution() >= last) {
            return;
        }
        p.updateService(service.toBuilder().setJobStatus(js.toBuilder().setLastExecution(last)).build());
        String name = service.getSpec().getAnnotations().getName();
        p.afterCommit.add(() -> LOG.info("job {} ({}) completed iteration {}", name, service.getId(), iteration));
    }
}
