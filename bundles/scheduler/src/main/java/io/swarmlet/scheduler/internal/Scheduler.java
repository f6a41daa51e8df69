package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.NodeInfo;
import io.swarmlet.spi.placement.PlacementStrategy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

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
 * That is the built-in strategy, "spread". A group whose strategy
 * ({@code placement.strategy}, else the cluster's default) is a plugin's
 * {@link PlacementStrategy} has it choose each task's node among those that
 * pass the filters instead (placement preferences are spread's and do not
 * apply then); a strategy that is not registered, returns null or fails
 * leaves the choice to spread.
 *
 * <p>Not thread-safe: owned by the scheduler loop's thread.
 */
final class Scheduler {

    private static final Logger LOG = LogManager.getLogger(Scheduler.class);

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
    /** the cluster's default_placement_strategy ("" = spread) */
    private String defaultStrategy = "";

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

    /**
     * The cluster's default placement strategy changed ("" = spread).
     *
     * @return whether it differs from what the model had
     */
    boolean defaultStrategy(String name) {
        String n = name == null ? "" : name;
        if (n.equals(defaultStrategy)) {
            return false;
        }
        defaultStrategy = n;
        return true;
    }

    String defaultStrategy() {
        return defaultStrategy;
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
        return tick(filters, null);
    }

    /**
     * Like {@link #tick(List)}, with the placement strategies plugins
     * registered ({@code null}: spread only).
     */
    List<Decision> tick(List<NodeFilter> filters, StrategyRegistry strategies) {
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
            scheduleGroup(group, filters, strategies, now, out);
        }
        return out;
    }

    private void scheduleGroup(List<Task> group, List<NodeFilter> filters, StrategyRegistry strategies, long now,
                               List<Decision> out) {
        Task first = group.get(0);
        String serviceId = first.getServiceId();
        Pipeline p = new Pipeline(filters, first);
        String strategyName = strategyName(first);
        PlacementStrategy strategy = strategy(strategyName, strategies);
        List<Spread.Level> levels = Spread.levels(first);
        int i = 0;
        if (strategy != null) {
            i = placeWith(strategy, strategyName, group, p, now, out);
        } else if (levels.isEmpty()) {
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

    /** The strategy the task's group asks for: its own, else the cluster's default, else spread. */
    String strategyName(Task t) {
        String name = t.getSpec().getPlacement().getStrategy();
        if (name.isEmpty()) {
            name = defaultStrategy;
        }
        return name.isEmpty() ? PlacementStrategy.SPREAD : name;
    }

    /** The plugin strategy of that name, or null for spread (built in, or the named one is not registered). */
    private static PlacementStrategy strategy(String name, StrategyRegistry strategies) {
        if (PlacementStrategy.SPREAD.equals(name) || strategies == null) {
            return null;
        }
        PlacementStrategy s = strategies.get(name);
        if (s == null) {
            strategies.missing(name);
        }
        return s;
    }

    /**
     * Places the group's tasks one by one with a plugin strategy: the nodes
     * that pass the filters (sorted by node ID) are the candidates; after each
     * task its node stays one only if the filters still pass with the task on
     * it. Where the strategy returns null, or a node that is not a candidate,
     * spread's order picks; a strategy that throws is not asked again for the
     * rest of the group.
     *
     * @return how many of the group's tasks were placed
     */
    private int placeWith(PlacementStrategy strategy, String name, List<Task> group, Pipeline p, long now,
                          List<Decision> out) {
        Comparator<NodeState> spread = order(group.get(0).getServiceId());
        List<NodeState> candidates = new ArrayList<>();
        for (NodeState ns : nodes.values()) {
            if (p.accepts(ns)) {
                candidates.add(ns);
            }
        }
        candidates.sort(Comparator.comparing(NodeState::id));
        List<NodeInfo> view = Collections.unmodifiableList(candidates);
        boolean strayReported = false;
        int i = 0;
        for (; i < group.size() && !candidates.isEmpty(); i++) {
            Task t = group.get(i);
            int at = -1;
            if (strategy != null) {
                NodeInfo chosen = null;
                try {
                    chosen = strategy.choose(t, view);
                } catch (RuntimeException | LinkageError e) {
                    // a broken plugin (or one whose bundle just went away) must not stop scheduling
                    LOG.warn("placement strategy '{}' failed on task {}; using spread for the rest of its group: {}",
                            name, t.getId(), e.toString());
                    strategy = null;
                }
                if (chosen != null) {
                    at = indexOf(candidates, chosen);
                    if (at < 0 && !strayReported) {
                        strayReported = true;
                        LOG.warn("placement strategy '{}' chose a node that is not a candidate for task {}; using"
                                + " spread", name, t.getId());
                    }
                }
            }
            if (at < 0) {
                at = best(candidates, spread);
            }
            NodeState ns = candidates.get(at);
            assign(t, ns, now, out);
            if (!p.accepts(ns)) {
                candidates.remove(at);
            }
        }
        return i;
    }

    private static int indexOf(List<NodeState> candidates, NodeInfo chosen) {
        for (int k = 0; k < candidates.size(); k++) {
            if (candidates.get(k) == chosen) {
                return k;
            }
        }
        return -1;
    }

    private static int best(List<NodeState> candidates, Comparator<NodeState> order) {
        int best = 0;
        for (int k = 1; k < candidates.size(); k++) {
            if (order.compare(candidates.get(k), candidates.get(best)) < 0) {
                best = k;
            }
        }
        return best;
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
