package io.swarmlet.orchestrator.internal;

import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStates;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Restarts tasks that ended while the managers wanted them running, under the
 * restart policy of their spec (SwarmKit's {@code restart.Supervisor}).
 *
 * <p>The ended task's desired state becomes SHUTDOWN (its status, with any
 * error, stays as the agent reported it). If the policy allows, a replacement
 * from the service's <em>current</em> spec takes the same slot (or node, for
 * global services) at once, with desired state READY; {@link #startDue} moves
 * it to RUNNING once the restart delay has passed since it was created. The
 * delay lives in the store (the replacement's creation time and spec), so a
 * new leader picks pending delays up from there.
 *
 * <ul>
 * <li>condition ANY restarts after any end (for jobs, not after COMPLETE);
 *     ON_FAILURE after anything but COMPLETE (FAILED, REJECTED, and the rare
 *     unexpected SHUTDOWN or ORPHANED); NONE never.</li>
 * <li>max_attempts (0 = unlimited) counts the restarts of the slot at the
 *     ended task's spec version (a service update starts the count again), within
 *     window_ms before now (0 = ever). The count is the larger of what this
 *     leader remembers and what the slot's history in the store shows, so
 *     neither a leader change nor the task reaper resets it.</li>
 * </ul>
 *
 * <p>Used by the reconcilers, inside their pass; one instance per leadership term.
 */
final class RestartSupervisor {

    private static final Logger LOG = LogManager.getLogger(RestartSupervisor.class);

    /** Docker's default restart delay (the control API fills it in; specs written otherwise may lack it). */
    static final long DEFAULT_DELAY_MS = 5_000;
    /** How long a delayed task waits for another task of its slot to stop before it starts anyway. */
    static final long OLD_TASK_TIMEOUT_MS = 60_000;

    /** A slot: a slot number for replicated services and jobs, a node for global ones. */
    record SlotKey(String serviceId, long slot, String nodeId) {
        static SlotKey of(boolean global, Task t) {
            return global ? new SlotKey(t.getServiceId(), 0, t.getNodeId()) : new SlotKey(t.getServiceId(), t.getSlot(), "");
        }
    }

    /** Restarts made by this leader in one slot, for one spec version and job iteration. */
    private record History(long specVersion, long iteration, Deque<Long> restarts) {}

    private final Map<SlotKey, History> history = new HashMap<>();

    static RestartPolicy.Condition condition(TaskSpec spec, boolean job) {
        if (!spec.hasRestart()) {
            return job ? RestartPolicy.Condition.ON_FAILURE : RestartPolicy.Condition.ANY;
        }
        return spec.getRestart().getCondition();
    }

    static long delayMs(TaskSpec spec) {
        return spec.hasRestart() ? Math.max(0, spec.getRestart().getDelayMs()) : DEFAULT_DELAY_MS;
    }

    /**
     * Why the policy does not let {@code ended} (terminal while desired running)
     * be replaced; null when it does.
     *
     * @param slot every task of its slot that is not being removed, {@code ended} included
     */
    String refusal(Task ended, List<Task> slot, boolean global, boolean job, long now) {
        TaskState s = ended.getStatus().getState();
        if (job && s == TaskState.COMPLETE) {
            return "the job task completed";
        }
        RestartPolicy.Condition condition = condition(ended.getSpec(), job);
        if (condition == RestartPolicy.Condition.NONE) {
            return "restart condition none";
        }
        if (condition == RestartPolicy.Condition.ON_FAILURE && s == TaskState.COMPLETE) {
            return "restart condition on-failure, and the task completed";
        }
        RestartPolicy p = ended.getSpec().getRestart();
        long max = p.getMaxAttempts();
        if (max == 0) {
            return null;
        }
        long since = p.getWindowMs() > 0 ? now - p.getWindowMs() : Long.MIN_VALUE;
        long stored = slot.stream()
                .filter(o -> !o.getId().equals(ended.getId())
                        && o.getSpecVersion() == ended.getSpecVersion()
                        && o.getJobIteration() == ended.getJobIteration()
                        && !Tasks.runnable(o)
                        && Tasks.endedByItself(o)
                        && Tasks.statusTime(o) >= since)
                .count();
        long remembered = 0;
        History h = history.get(SlotKey.of(global, ended));
        if (h != null && h.specVersion() == ended.getSpecVersion() && h.iteration() == ended.getJobIteration()) {
            remembered = h.restarts().stream().filter(at -> at >= since).count();
        }
        long attempts = Math.max(stored, remembered);
        if (attempts < max) {
            return null;
        }
        return "restarted " + attempts + " time(s)" + (p.getWindowMs() > 0 ? " within " + p.getWindowMs() + " ms" : "")
                + ", the most the restart policy allows";
    }

    /**
     * Handles a task that ended while desired running or ready: it gets desired
     * state SHUTDOWN, and, when nothing else of its slot is meant to run and the
     * policy allows, a replacement is created in its slot (on the same node, for
     * global services; callers check that the node still takes tasks).
     *
     * @param slot every task of its slot that is not being removed
     * @param skipDelay start the replacement at once (the old task's node is drained)
     * @return the replacement, or null
     */
    Task restart(Service service, ServiceTasks tasks, Task ended, List<Task> slot, boolean global, boolean job,
                 boolean skipDelay, Pass p) {
        p.update(tasks, Tasks.withDesired(ended, TaskState.SHUTDOWN));
        boolean othersRun = slot.stream().anyMatch(o -> !o.getId().equals(ended.getId()) && Tasks.runnable(o));
        if (othersRun) {
            return null;
        }
        String refusal = refusal(ended, slot, global, job, p.now);
        if (refusal != null) {
            if (!(job && ended.getStatus().getState() == TaskState.COMPLETE)) {
                String name = ended.getAnnotations().getName();
                String state = TaskStates.display(ended.getStatus().getState());
                p.afterCommit.add(() -> LOG.info("task {} ({}) ended ({}) and is not restarted: {}", name, ended.getId(),
                        state, refusal));
            }
            return null;
        }
        long delay = skipDelay ? 0 : delayMs(service.getSpec().getTask());
        Task replacement = Tasks.newTask(p.tx, service, global ? 0 : ended.getSlot(), global ? ended.getNodeId() : "",
                delay > 0 ? TaskState.READY : TaskState.RUNNING, p.now);
        p.create(tasks, replacement);
        if (delay > 0) {
            p.wakeUp(service.getId(), p.now + delay);
        }
        SlotKey key = SlotKey.of(global, ended);
        long version = replacement.getSpecVersion();
        long iteration = replacement.getJobIteration();
        long at = p.now;
        p.afterCommit.add(() -> record(key, version, iteration, at));
        return replacement;
    }

    private void record(SlotKey key, long specVersion, long iteration, long at) {
        History h = history.get(key);
        if (h == null || h.specVersion() != specVersion || h.iteration() != iteration) {
            h = new History(specVersion, iteration, new ArrayDeque<>());
            history.put(key, h);
        }
        h.restarts().addLast(at);
        while (h.restarts().size() > 1_000) {
            h.restarts().removeFirst();
        }
    }

    /**
     * Moves tasks waiting in desired state READY to RUNNING once their restart
     * delay has passed since they were created and no other task of their slot
     * is still running on a live node (or has had {@link #OLD_TASK_TIMEOUT_MS}
     * to stop). Tasks not due yet get a wake-up.
     */
    void startDue(ServiceTasks tasks, boolean global, Pass p) {
        for (Task t : tasks.where(t -> t.getDesiredState() == TaskState.READY && !Tasks.terminal(t))) {
            long created = t.getMeta().getCreatedAt();
            if (created == 0) {
                continue; // created in this pass: its wake-up is set
            }
            long due = created + delayMs(t.getSpec());
            if (p.now < due) {
                p.wakeUp(tasks.serviceId(), due);
                continue;
            }
            SlotKey key = SlotKey.of(global, t);
            boolean oldStillRuns = !tasks.where(o -> !o.getId().equals(t.getId())
                    && SlotKey.of(global, o).equals(key)
                    && !Tasks.terminal(o)
                    && !Tasks.neverAssigned(o)
                    && Nodes.alive(p.nodes.get(o.getNodeId()))).isEmpty();
            if (oldStillRuns && p.now < due + OLD_TASK_TIMEOUT_MS) {
                p.wakeUp(tasks.serviceId(), due + OLD_TASK_TIMEOUT_MS);
                continue;
            }
            if (!p.hasRoom()) {
                p.unfinished.add(tasks.serviceId());
                return;
            }
            p.update(tasks, Tasks.withDesired(t, TaskState.RUNNING));
        }
    }

    /** Forgets a removed service. */
    void forget(String serviceId) {
        history.keySet().removeIf(k -> k.serviceId().equals(serviceId));
    }
}
