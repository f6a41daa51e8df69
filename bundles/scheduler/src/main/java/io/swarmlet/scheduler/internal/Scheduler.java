package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import io.swarmlet.spi.placement.NodeFilter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The scheduler's in-memory model and its decisions (SwarmKit's
 * manager/scheduler Scheduler without the store): every node with the tasks
 * placed on it, and the tasks that wait for a node. Fed from one consistent
 * snapshot and then from watch events; {@link #tick} decides where waiting
 * tasks go and applies those decisions to the model at once (tentatively:
 * {@link #revert} undoes one the store refused), so later decisions in the
 * same round see them.
 *
 * <p>Placement: tasks that share service, spec and endpoint are placed as one
 * group. The filters run once per node for the group; the nodes that pass go
 * into a heap ordered by fewest tasks of that service, then fewest tasks, then
 * node ID; each task takes the top node, which goes back into the heap if it
 * still passes with the new task on it. With placement preferences the nodes
 * are first split by label value ({@link Spread}) and each task goes to the
 * part with the fewest tasks of its service, then to that part's best node.
 * Tasks with a preset node_id (global services) only have that node checked.
 *
 * <p>Not thread-safe: owned by the scheduler loop's thread.
 */
final class Scheduler {

    /**
     * One decision: the task as the model knew it, and what it should become
     * (assigned to {@code nodeId}, or still pending with a new {@code status.err}).
     *
     * @param nodeVersion the node's meta.version the decision was made on (assignments only)
     */
    record Decision(Task before, Task after, String nodeId, long nodeVersion) {
        boolean assignment() {
            return nodeId != null;
        }
    }

    /** Tasks that may share one pass of the filters: same service, same spec, same endpoint. */
    private record GroupKey(String serviceId, TaskSpec spec, Endpoint endpoint) {
        static GroupKey of(Task t) {
            return new GroupKey(t.getServiceId(), t.getSpec(), t.getEndpoint());
        }
    }

    private final Map<String, NodeState> nodes = new HashMap<>();
    /** tasks waiting for the scheduler to choose a node, in arrival order */
    private final Map<String, Task> unassigned = new LinkedHashMap<>();
    /** tasks waiting with their node preset (global services) */
    private final Map<String, Task> preassigned = new LinkedHashMap<>();
    /** task ID -> ID of the node whose {@link NodeState} tracks it */
    private final Map<String, String> placedOn = new HashMap<>();

    /** Replaces the model with a snapshot. */
    void load(Collection<Node> allNodes, Collection<Task> allTasks) {
        nodes.clear();
        unassigned.clear();
        preassigned.clear();
        placedOn.clear();
        for (Node n : allNodes) {
            nodes.put(n.getId(), new NodeState(n));
        }
        for (Task t : allTasks) {
            taskChanged(t);
        }
    }

    /**
     * A node was created or changed.
     *
     * @return whether waiting tasks should be looked at again
     */
    boolean nodeChanged(Node n) {
        NodeState ns = nodes.get(n.getId());
        if (ns == null) {
            nodes.put(n.getId(), new NodeState(n));
            return true;
        }
        Node old = ns.node();
        ns.setNode(n);
        // a heartbeat that only moves meta or the status message changes nothing for placement
        return !old.getSpec().equals(n.getSpec())
                || !old.getDescription().equals(n.getDescription())
                || old.getStatus().getState() != n.getStatus().getState()
                || old.getRole() != n.getRole()
                || !old.getManagerStatus().equals(n.getManagerStatus());
    }

    /** A node was removed. Its tasks stop counting anywhere. */
    void nodeRemoved(String nodeId) {
        nodes.remove(nodeId);
    }

    /**
     * A task was created or changed (its latest version).
     *
     * @return whether waiting tasks should be looked at again: a new task
     *     waits, or a node gained room
     */
    boolean taskChanged(Task t) {
        String id = t.getId();
        boolean wake = false;
        boolean holds = TaskFacts.holdsNode(t);
        String was = placedOn.get(id);
        if (was != null && !(holds && was.equals(t.getNodeId()))) {
            NodeState ns = nodes.get(was);
            if (ns != null && ns.remove(id) != null) {
                wake = true;
            }
            placedOn.remove(id);
        }
        boolean waited = unassigned.remove(id) != null;
        waited |= preassigned.remove(id) != null;
        if (holds) {
            NodeState ns = nodes.get(t.getNodeId());
            if (ns != null) {
                placedOn.put(id, ns.id());
                if (ns.add(t) && was != null) {
                    wake = true; // e.g. desired SHUTDOWN: no longer counts for max replicas
                }
            }
        } else if (TaskFacts.waitsForNode(t)) {
            (t.getNodeId().isEmpty() ? unassigned : preassigned).put(id, t);
            wake |= !waited;
        }
        return wake;
    }

    /** A task was removed. */
    boolean taskRemoved(String taskId) {
        boolean wake = false;
        String was = placedOn.remove(taskId);
        if (was != null) {
            NodeState ns = nodes.get(was);
            wake = ns != null && ns.remove(taskId) != null;
        }
        unassigned.remove(taskId);
        preassigned.remove(taskId);
        return wake;
    }

    int waiting() {
        return unassigned.size() + preassigned.size();
    }

    NodeState node(String id) {
        return nodes.get(id);
    }

    /**
     * Decides for every waiting task: a node, or (when none fits) why not.
     * Assignments are applied to the model at once; a {@code status.err} is
     * only proposed when it differs from what the task already says.
     */
    List<Decision> tick(List<NodeFilter> filters) {
        List<Decision> out = new ArrayList<>();
        long now = System.currentTimeMillis();

        for (Task t : new ArrayList<>(preassigned.values())) {
            NodeState ns = nodes.get(t.getNodeId());
            if (ns == null) {
                continue; // the node is gone: nothing to confirm, the orchestrator will clean up
            }
            Pipeline p = new Pipeline(filters, t);
            if (p.check(ns)) {
                assign(t, ns, now, out);
            } else {
                explain(t, p.explain(), now, out);
            }
        }

        Map<GroupKey, List<Task>> groups = new LinkedHashMap<>();
        for (Task t : unassigned.values()) {
            groups.computeIfAbsent(GroupKey.of(t), k -> new ArrayList<>()).add(t);
        }
        for (List<Task> group : groups.values()) {
            scheduleGroup(group, filters, now, out);
        }
        return out;
    }

    private void scheduleGroup(List<Task> group, List<NodeFilter> filters, long now, List<Decision> out) {
        Task first = group.get(0);
        String serviceId = first.getServiceId();
        Pipeline p = new Pipeline(filters, first);
        List<Spread.Level> levels = Spread.levels(first);
        int i = 0;
        if (levels.isEmpty()) {
            PriorityQueue<NodeState> heap = new PriorityQueue<>(Math.max(1, nodes.size()), order(serviceId));
            for (NodeState ns : nodes.values()) {
                if (p.accepts(ns)) {
                    heap.add(ns);
                }
            }
            for (; i < group.size() && !heap.isEmpty(); i++) {
                NodeState ns = heap.poll();
                assign(group.get(i), ns, now, out);
                if (p.accepts(ns)) {
                    heap.add(ns);
                }
            }
        } else {
            Spread.Branch tree = Spread.build(nodes.values(), levels, serviceId, order(serviceId), p::accepts);
            for (; i < group.size(); i++) {
                Task t = group.get(i);
                if (tree.place(ns -> assign(t, ns, now, out), p::accepts) == null) {
                    break;
                }
            }
        }
        if (i < group.size()) {
            for (NodeState ns : nodes.values()) {
                p.check(ns);
            }
            String err = p.explain();
            for (; i < group.size(); i++) {
                explain(group.get(i), err, now, out);
            }
        }
    }

    /** Fewest tasks of the service, then fewest tasks, then node ID. */
    private static Comparator<NodeState> order(String serviceId) {
        return (a, b) -> {
            int c = Integer.compare(a.count(serviceId), b.count(serviceId));
            if (c != 0) {
                return c;
            }
            c = Integer.compare(a.totalTasks(), b.totalTasks());
            return c != 0 ? c : a.id().compareTo(b.id());
        };
    }

    private void assign(Task t, NodeState ns, long now, List<Decision> out) {
        Task after = assigned(t, ns.id(), now);
        unassigned.remove(t.getId());
        preassigned.remove(t.getId());
        ns.add(after);
        placedOn.put(t.getId(), ns.id());
        out.add(new Decision(t, after, ns.id(), ns.node().getMeta().getVersion()));
    }

    private static void explain(Task t, String err, long now, List<Decision> out) {
        if (!err.equals(t.getStatus().getErr())) {
            out.add(new Decision(t, withErr(t, err, now), null, 0));
        }
    }

    /** The task assigned to that node: ASSIGNED, with a fresh status. */
    static Task assigned(Task t, String nodeId, long now) {
        return t.toBuilder()
                .setNodeId(nodeId)
                .setStatus(TaskStatus.newBuilder()
                        .setState(TaskState.ASSIGNED)
                        .setTimestamp(now)
                        .setMessage(TaskFacts.ASSIGNED_MESSAGE))
                .build();
    }

    /** The task still pending, saying why. */
    static Task withErr(Task t, String err, long now) {
        return t.toBuilder().setStatus(t.getStatus().toBuilder().setErr(err).setTimestamp(now)).build();
    }

    /**
     * Undoes an assignment the store did not take, unless the model has moved
     * on for that task since (an event about it came in meanwhile).
     */
    void revert(Decision d) {
        if (!d.assignment()) {
            return;
        }
        String id = d.before().getId();
        if (!d.nodeId().equals(placedOn.get(id))) {
            return;
        }
        NodeState ns = nodes.get(d.nodeId());
        if (ns != null) {
            if (ns.task(id) != d.after()) {
                return;
            }
            ns.remove(id);
        }
        placedOn.remove(id);
        (d.before().getNodeId().isEmpty() ? unassigned : preassigned).put(id, d.before());
    }
}
