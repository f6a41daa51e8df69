package io.swarmlet.updater.internal;

import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStates;
import io.swarmlet.api.types.UpdateConfig;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the updater remembers about one service's update between two store
 * events: the replacement tasks of the batch in flight, the tasks it has
 * replaced slots with (watched for failures during {@code monitor}), the
 * failures counted, and when the last batch came up (for {@code delay}).
 *
 * <p>None of it is the update's progress: which slots are done is read from the
 * store each time. A new leader (or a watch that had to start over) rebuilds it
 * from the store with {@link #derive}; only the failure count starts again from zero.
 * Owned by the {@link UpdateLoop} thread; not thread-safe.
 */
final class Rollout {

    /** Docker's default for {@code --update-monitor} / {@code --rollback-monitor}. */
    static final long DEFAULT_MONITOR_MS = 5_000;

    /** A replacement task under watch. */
    static final class Watched {
        /** Status timestamp at which it was first seen RUNNING; 0 until then. */
        long runningAt;
        /** Stopped, gone, or failed (and counted): no longer watched. */
        boolean done;
    }

    final String serviceId;
    final TaskSpec target;
    final boolean rollback;
    final boolean global;
    final long startedAt;

    /** The update (or rollback) config in effect, as last read from the service. */
    UpdateConfig config = UpdateConfig.getDefaultInstance();
    /** Whether the service's update status says UPDATING or ROLLBACK_STARTED. */
    boolean active;

    /** Replacement tasks of the current batch that have not reached RUNNING (or failed) yet. */
    final Set<String> inFlight = new HashSet<>();
    /** Every replacement task of this rollout ("tasks updated so far"), by ID. */
    final Map<String, Watched> updated = new HashMap<>();
    int failures;
    /** The task whose failure tipped the failure ratio, until the failure action is written. */
    String actionTask;
    /** Local time at which the last batch had all come up; 0 while one is in flight or before the first. */
    long batchDoneAt;

    Rollout(String serviceId, TaskSpec target, boolean rollback, boolean global, long startedAt) {
        this.serviceId = serviceId;
        this.target = target;
        this.rollback = rollback;
        this.global = global;
        this.startedAt = startedAt;
    }

    /**
     * The rollout a service is in, as far as the store tells: replacement tasks
     * still coming up are in flight, and those created for the current spec
     * version are watched (running ones from the time their status says).
     */
    static Rollout derive(Service s, List<Task> tasks, boolean rollback) {
        Rollout r = new Rollout(s.getId(), s.getSpec().getTask(), rollback, Slots.isGlobal(s),
                s.getUpdateStatus().getStartedAt());
        for (Task t : tasks) {
            if (!Slots.live(t) || !Slots.current(t, s)) {
                continue;
            }
            TaskState state = t.getStatus().getState();
            if (state.getNumber() < TaskState.RUNNING_VALUE) {
                r.inFlight.add(t.getId());
            }
            if (t.getSpecVersion() == s.getSpecVersion() && state.getNumber() <= TaskState.RUNNING_VALUE) {
                Watched w = new Watched();
                if (state == TaskState.RUNNING) {
                    w.runningAt = Math.max(1, t.getStatus().getTimestamp());
                }
                r.updated.put(t.getId(), w);
            }
        }
        return r;
    }

    /** Whether this record is about the update {@code s} is in now. */
    boolean matches(Service s, boolean rollingBack) {
        return rollback == rollingBack && target.equals(s.getSpec().getTask())
                && startedAt == s.getUpdateStatus().getStartedAt();
    }

    /** A batch was written: its tasks are in flight and watched. */
    void started(List<String> taskIds) {
        batchDoneAt = 0;
        for (String id : taskIds) {
            inFlight.add(id);
            updated.put(id, new Watched());
        }
    }

    long monitorMs() {
        return config.getMonitorMs() > 0 ? config.getMonitorMs() : DEFAULT_MONITOR_MS;
    }

    /**
     * Takes in one change of one of the service's tasks (in log order): a
     * replacement that came up (or stopped) leaves the batch; one that failed
     * before RUNNING, or within {@code monitor} of it (by its status timestamps),
     * counts as a failure, and may tip the failure ratio.
     */
    void observe(StoreEvent e, long now) {
        Task t = (Task) e.object();
        String id = t.getId();
        Watched w = updated.get(id);
        if (e.action() == StoreEvent.Action.REMOVE) {
            leave(id, now);
            if (w != null) {
                w.done = true;
            }
            return;
        }
        int state = t.getStatus().getState().getNumber();
        boolean stopping = !Slots.live(t);
        if (state >= TaskState.RUNNING_VALUE || stopping) {
            leave(id, now);
        }
        if (w == null || w.done) {
            return;
        }
        if (state == TaskState.RUNNING_VALUE && w.runningAt == 0) {
            w.runningAt = t.getStatus().getTimestamp() > 0 ? t.getStatus().getTimestamp() : now;
        }
        if (!TaskStates.isTerminal(t.getStatus().getState())) {
            return;
        }
        w.done = true;
        if (stopping || !active) {
            return; // asked to stop, or no update running: not a failure of the update
        }
        long at = t.getStatus().getTimestamp();
        boolean early = w.runningAt == 0 || at == 0 || at - w.runningAt <= monitorMs();
        if (!early) {
            return;
        }
        failures++;
        if (actionTask == null && config.getFailureAction() != UpdateConfig.FailureAction.CONTINUE
                && (float) failures / updated.size() > config.getMaxFailureRatio()) {
            actionTask = id;
        }
    }

    private void leave(String id, long now) {
        if (inFlight.remove(id) && inFlight.isEmpty()) {
            batchDoneAt = now;
        }
    }

    /** When the last replacements that run have been watched for {@code monitor}; 0 if none is watched. */
    long monitorEndsAt() {
        long end = 0;
        for (Watched w : updated.values()) {
            if (!w.done && w.runningAt > 0) {
                end = Math.max(end, w.runningAt + monitorMs());
            }
        }
        return end;
    }
}
