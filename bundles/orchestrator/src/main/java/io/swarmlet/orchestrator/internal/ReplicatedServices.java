package io.swarmlet.orchestrator.internal;

import io.swarmlet.api.types.Constraint;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Replicated services (SwarmKit's {@code orchestrator/replicated}): keeps
 * exactly {@code replicas} slots, each with one task meant to run.
 *
 * <p>A slot is <em>live</em> when one of its tasks has desired state RUNNING
 * or READY. A slot that is not live is <em>held</em> when its newest task
 * ended at the service's current spec version and the restart supervisor did
 * not replace it (policy NONE, ON_FAILURE after COMPLETE, attempts used up):
 * it counts as one of the replicas until the service is changed, as in
 * SwarmKit. Any other slot is free, and its number is the first reused.
 *
 * <p>Tasks are never replaced only because their spec is outdated: that is
 * the updater's work. New tasks always take the service's current spec.
 *
 * <p>Used by {@link Reconciler}.
 */
final class ReplicatedServices {

    private final RestartSupervisor restarts;

    ReplicatedServices(RestartSupervisor restarts) {
        this.restarts = restarts;
    }

    void reconcile(Service service, ServiceTasks tasks, List<Constraint> constraints, Pass p) {
        String id = service.getId();
        if (!restartEnded(service, tasks, p) || !relocate(service, tasks, constraints, p)) {
            p.unfinished.add(id);
            return;
        }
        Map<Long, List<Task>> slots = tasks.groupBy(t -> t.getDesiredState() != TaskState.REMOVE, Task::getSlot);
        TreeMap<Long, List<Task>> live = new TreeMap<>();
        TreeSet<Long> held = new TreeSet<>();
        TreeSet<Long> free = new TreeSet<>();
        for (Map.Entry<Long, List<Task>> e : slots.entrySet()) {
            List<Task> slot = e.getValue();
            if (slot.stream().anyMatch(Tasks::runnable)) {
                live.put(e.getKey(), slot);
            } else if (isHeld(service, slot)) {
                held.add(e.getKey());
            } else {
                free.add(e.getKey());
            }
        }
        long want = service.getSpec().getReplicated().getReplicas();
        long occupied = live.size() + held.size();
        if (occupied < want) {
            long slot = 0;
            for (long n = want - occupied; n > 0; n--) {
                if (!p.hasRoom()) {
                    p.unfinished.add(id);
                    return;
                }
                do {
                    slot++;
                } while (live.containsKey(slot) || held.contains(slot));
                free.remove(slot);
                p.create(tasks, Tasks.newTask(p.tx, service, slot, "", TaskState.RUNNING, p.now));
            }
        } else if (occupied > want) {
            for (long slot : pickForRemoval(live, held, occupied - want)) {
                if (!p.hasRoom()) {
                    p.unfinished.add(id);
                    return;
                }
                for (Task t : slots.get(slot)) {
                    p.update(tasks, Tasks.withDesired(t, TaskState.REMOVE));
                }
            }
        }
        // free slots not reused are history nobody looks at (SwarmKit deletes dead slots the same way)
        for (long slot : free) {
            List<Task> left = slots.get(slot);
            if (left.stream().allMatch(Tasks::terminal)) {
                if (!p.hasRoom()) {
                    p.unfinished.add(id);
                    return;
                }
                for (Task t : left) {
                    p.update(tasks, Tasks.withDesired(t, TaskState.REMOVE));
                }
            }
        }
    }

    /** Restarts (or gives up on) tasks that ended while desired running; false when out of room. */
    private boolean restartEnded(Service service, ServiceTasks tasks, Pass p) {
        for (Task t : tasks.where(t -> Tasks.runnable(t) && Tasks.terminal(t))) {
            if (!p.hasRoom()) {
                return false;
            }
            List<Task> slot = tasks.where(o -> o.getSlot() == t.getSlot() && o.getDesiredState() != TaskState.REMOVE);
            restarts.restart(service, tasks, t, slot, false, false, Nodes.drained(p.nodes.get(t.getNodeId())), p);
        }
        return true;
    }

    /**
     * Moves tasks off nodes they must leave (drained, down, constraints no longer
     * met): the task is told to stop and a new one takes its slot at once.
     */
    private boolean relocate(Service service, ServiceTasks tasks, List<Constraint> constraints, Pass p) {
        for (Task t : tasks.where(t -> Tasks.runnable(t) && !Tasks.terminal(t) && !t.getNodeId().isEmpty())) {
            Node n = p.nodes.get(t.getNodeId());
            if (n == null || !Nodes.mustLeave(n, constraints)) {
                continue; // a removed node's tasks are orphaned by the Reconciler
            }
            if (!p.hasRoom()) {
                return false;
            }
            stop(tasks, t, p);
            boolean othersRun = !tasks.where(o -> o.getSlot() == t.getSlot() && Tasks.runnable(o)).isEmpty();
            if (!othersRun) {
                p.create(tasks, Tasks.newTask(p.tx, service, t.getSlot(), "", TaskState.RUNNING, p.now));
            }
        }
        return true;
    }

    /** Tells a task to stop: SHUTDOWN, or REMOVE if it never reached a node (nobody would ever stop it). */
    static void stop(ServiceTasks tasks, Task t, Pass p) {
        p.update(tasks, Tasks.withDesired(t, Tasks.neverAssigned(t) ? TaskState.REMOVE : TaskState.SHUTDOWN));
    }

    /** Whether a slot with nothing meant to run ended for good at the current spec version. */
    static boolean isHeld(Service service, List<Task> slot) {
        Task newest = slot.get(slot.size() - 1);
        return Tasks.terminal(newest)
                && newest.getStatus().getState() != TaskState.ORPHANED
                && newest.getSpecVersion() == service.getSpecVersion();
    }

    /**
     * The slots to remove when scaling down: held slots first (nothing runs
     * there), then slots whose task has no node yet, then, one at a time, a
     * slot on the node that has the most of this service's live slots left
     * (ties: the highest slot number goes first). Within each group the
     * highest slot number goes first.
     */
    static List<Long> pickForRemoval(Map<Long, List<Task>> live, TreeSet<Long> held, long count) {
        List<Long> out = new ArrayList<>();
        for (long slot : held.descendingSet()) {
            if (out.size() == count) {
                return out;
            }
            out.add(slot);
        }
        Map<String, TreeSet<Long>> byNode = new LinkedHashMap<>();
        for (Map.Entry<Long, List<Task>> e : live.entrySet()) {
            byNode.computeIfAbsent(nodeOf(e.getValue()), k -> new TreeSet<>()).add(e.getKey());
        }
        TreeSet<Long> unassigned = byNode.remove("");
        if (unassigned != null) {
            for (long slot : unassigned.descendingSet()) {
                if (out.size() == count) {
                    return out;
                }
                out.add(slot);
            }
        }
        Comparator<Map.Entry<String, TreeSet<Long>>> most = Comparator
                .comparingInt((Map.Entry<String, TreeSet<Long>> e) -> e.getValue().size())
                .thenComparingLong(e -> e.getValue().last());
        Map<String, TreeSet<Long>> left = new HashMap<>(byNode);
        while (out.size() < count && !left.isEmpty()) {
            Map.Entry<String, TreeSet<Long>> pick = left.entrySet().stream().max(most).orElseThrow();
            out.add(pick.getValue().pollLast());
            if (pick.getValue().isEmpty()) {
                left.remove(pick.getKey());
            }
        }
        return out;
    }

    /** The node of a live slot: that of its newest task meant to run ("" while unassigned). */
    private static String nodeOf(List<Task> slot) {
        String node = "";
        for (Task t : slot) {
            if (Tasks.runnable(t)) {
                node = t.getNodeId();
            }
        }
        return node;
    }
}
