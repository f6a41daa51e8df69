package io.swarmlet.updater.internal;

import io.swarmlet.api.types.Constraint;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.TaskState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A service's slots as the updater sees them: for each slot (replicated: 1..replicas;
 * global: each eligible node) its live tasks, split into those that run the
 * service's current task spec ("fresh") and those that do not ("stale").
 *
 * <p>A task is live while its desired state is at most RUNNING (RUNNING, or READY
 * while a restart delay runs); a task the managers have asked to stop is not.
 * Pure functions over store objects; used by {@link UpdateLoop} inside its transactions.
 */
final class Slots {

    private Slots() {}

    /**
     * One slot.
     *
     * @param slot the replica number (0 for a global service)
     * @param nodeId the node of a global service's slot ("" for replicated ones)
     * @param fresh live tasks with the current spec, oldest first
     * @param stale live tasks with another spec, oldest first
     */
    record Slot(long slot, String nodeId, List<Task> fresh, List<Task> stale) {

        /** Runs (or is to run) an out-of-date spec. */
        boolean dirty() {
            return !stale.isEmpty();
        }

        /** Out of date, and no replacement has been started yet. */
        boolean needsReplacement() {
            return !stale.isEmpty() && fresh.isEmpty();
        }

        /** A replacement with the current spec is running: the stale tasks can go. */
        boolean freshRunning() {
            return fresh.stream().anyMatch(t -> t.getStatus().getState() == TaskState.RUNNING);
        }

        /** No live task of this slot is running. */
        boolean down() {
            return fresh.stream().noneMatch(t -> t.getStatus().getState() == TaskState.RUNNING)
                    && stale.stream().noneMatch(t -> t.getStatus().getState() == TaskState.RUNNING);
        }

        String describe() {
            return nodeId.isEmpty() ? "slot " + slot : "node " + nodeId;
        }
    }

    /**
     * Whether {@code t} runs the service as it is now: its task spec, and its
     * published ports (a port added or moved needs a new container, whose node
     * ports are bound when it is created; SwarmKit's dirty check does the same).
     */
    static boolean current(Task t, Service s) {
        return t.getSpec().equals(s.getSpec().getTask())
                && t.getEndpoint().getPortsList().equals(s.getEndpoint().getPortsList());
    }

    /** Slots already down come first (replacing them takes nothing away), then slot or node order. */
    static final Comparator<Slot> REPLACEMENT_ORDER = Comparator.comparing((Slot s) -> !s.down())
            .thenComparingLong(Slot::slot).thenComparing(Slot::nodeId);

    static boolean live(Task t) {
        return t.getDesiredState().getNumber() <= TaskState.RUNNING_VALUE;
    }

    static boolean isGlobal(Service s) {
        return s.getSpec().getModeCase() == ServiceSpec.ModeCase.GLOBAL;
    }

    /** Whether the updater rolls this service: long-running services only; jobs run to completion instead. */
    static boolean rolls(Service s) {
        ServiceSpec.ModeCase m = s.getSpec().getModeCase();
        return m == ServiceSpec.ModeCase.REPLICATED || m == ServiceSpec.ModeCase.GLOBAL;
    }

    /**
     * The slots of {@code service}, in slot (or node) order.
     *
     * @param tasks the service's tasks (any state)
     * @param nodes every node by ID (read for global services only)
     */
    static List<Slot> of(Service service, List<Task> tasks, Map<String, Node> nodes) {
        TaskSpec target = service.getSpec().getTask();
        boolean global = isGlobal(service);
        long replicas = service.getSpec().getReplicated().getReplicas();
        List<Constraint> constraints = global ? constraints(target) : List.of();
        Map<String, List<Task>> bySlot = new TreeMap<>();
        Map<String, Long> numbers = new TreeMap<>();
        for (Task t : tasks) {
            if (!live(t)) {
                continue;
            }
            String key;
            if (global) {
                // slots on nodes that no longer take this service are the orchestrator's to clear
                if (t.getNodeId().isEmpty() || !eligible(nodes.get(t.getNodeId()), constraints)) {
                    continue;
                }
                key = t.getNodeId();
            } else {
                // slots above the replica count are being scaled away by the orchestrator
                if (t.getSlot() < 1 || t.getSlot() > replicas) {
                    continue;
                }
                key = String.format("%020d", t.getSlot());
            }
            bySlot.computeIfAbsent(key, k -> new ArrayList<>()).add(t);
            numbers.put(key, global ? 0L : t.getSlot());
        }
        List<Slot> out = new ArrayList<>();
        Comparator<Task> oldestFirst = Comparator.comparingLong((Task t) -> t.getMeta().getCreatedAt()).thenComparing(Task::getId);
        for (Map.Entry<String, List<Task>> e : bySlot.entrySet()) {
            List<Task> fresh = new ArrayList<>();
            List<Task> stale = new ArrayList<>();
            for (Task t : e.getValue()) {
                (current(t, service) ? fresh : stale).add(t);
            }
            fresh.sort(oldestFirst);
            stale.sort(oldestFirst);
            out.add(new Slot(numbers.get(e.getKey()), global ? e.getKey() : "", List.copyOf(fresh), List.copyOf(stale)));
        }
        return out;
    }

    /** A node a global service's task may run on now: it exists, is active and ready, and meets the constraints. */
    static boolean eligible(Node n, List<Constraint> constraints) {
        if (n == null || n.getSpec().getAvailability() != NodeSpec.Availability.ACTIVE
                || n.getStatus().getState() != NodeStatus.State.READY) {
            return false;
        }
        return constraints.stream().allMatch(c -> c.matches(n));
    }

    private static List<Constraint> constraints(TaskSpec spec) {
        try {
            return Constraint.parseAll(spec.getPlacement().getConstraintsList());
        } catch (IllegalArgumentException e) {
            // refused by the control API before it is stored; if one slips through, the scheduler explains it
            return List.of();
        }
    }
}
