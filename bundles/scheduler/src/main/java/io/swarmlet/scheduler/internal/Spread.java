package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.PlacementPreference;
import io.swarmlet.api.types.Task;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Placement preferences ({@code --placement-pref spread=node.labels.zone}),
 * with SwarmKit's meaning: the nodes are split by the value of the first
 * preference's label, each part again by the second's, and so on; a task goes
 * to the part that has the fewest active tasks of its service (counting every
 * node of the part, eligible or not), then below that to the sub-part with the
 * fewest, and at the bottom to the part's best node in the usual order (fewest
 * tasks of the service, fewest tasks, node ID). Nodes without the label form
 * a part of their own (value ""). Parts where no node passes the filters take
 * nothing. Ties between parts go to the part whose next pick is the better
 * node in that usual order.
 *
 * <p>Giving each task, one after the other, to the emptiest part is SwarmKit's
 * "fill the branches up to an even level" done one task at a time: the counts
 * come out the same, and it needs no second pass when a part runs full.
 *
 * <p>Descriptors are {@code node.labels.KEY} (node spec labels, what
 * {@code node update --label-add} sets) or {@code engine.labels.KEY} (the
 * engine's labels); the prefix is case-insensitive, the key is not. Any other
 * descriptor is ignored, as SwarmKit does.
 */
final class Spread {

    static final String NODE_LABELS = "node.labels.";
    static final String ENGINE_LABELS = "engine.labels.";

    /** One level of the tree: a node label or an engine label. */
    record Level(boolean engine, String key) {
        /** The node's value for this level; "" when it has no such label. */
        String value(Node n) {
            Map<String, String> labels = engine
                    ? n.getDescription().getEngine().getLabelsMap()
                    : n.getSpec().getAnnotations().getLabelsMap();
            return labels.getOrDefault(key, "");
        }
    }

    private Spread() {}

    /** The levels the task's preferences ask for, in order; empty when there are none that apply. */
    static List<Level> levels(Task t) {
        List<PlacementPreference> prefs = t.getSpec().getPlacement().getPreferencesList();
        if (prefs.isEmpty()) {
            return List.of();
        }
        List<Level> out = new ArrayList<>(prefs.size());
        for (PlacementPreference p : prefs) {
            Level l = level(p.getSpread());
            if (l != null) {
                out.add(l);
            }
        }
        return out;
    }

    /** The level a spread descriptor names, or null if it names none the scheduler knows. */
    static Level level(String descriptor) {
        String d = descriptor.trim();
        String lower = d.toLowerCase(Locale.ROOT);
        if (lower.startsWith(NODE_LABELS) && d.length() > NODE_LABELS.length()) {
            return new Level(false, d.substring(NODE_LABELS.length()));
        }
        if (lower.startsWith(ENGINE_LABELS) && d.length() > ENGINE_LABELS.length()) {
            return new Level(true, d.substring(ENGINE_LABELS.length()));
        }
        return null;
    }

    /**
     * The tree for one group of tasks: every node sorted into its part (all
     * nodes count towards the parts' task counts, only those the filters
     * accept can be picked).
     *
     * @param nodeOrder the usual node order for this service
     * @param accepts whether a node may take (another) task of the group
     */
    static Branch build(Iterable<NodeState> nodes, List<Level> levels, String serviceId,
                        Comparator<NodeState> nodeOrder, Predicate<NodeState> accepts) {
        Branch root = new Branch("", levels.isEmpty(), nodeOrder);
        for (NodeState ns : nodes) {
            int count = ns.count(serviceId);
            Branch b = root;
            b.serviceTasks += count;
            for (int i = 0; i < levels.size(); i++) {
                b = b.child(levels.get(i).value(ns.node()), i == levels.size() - 1, nodeOrder);
                b.serviceTasks += count;
            }
            if (accepts.test(ns)) {
                b.nodes.add(ns);
            }
        }
        root.open();
        return root;
    }

    /** A part of the nodes: those that share the values of the levels above. */
    static final class Branch {
        final String value;
        /** active tasks of the service on all nodes of this part, the group's assignments included */
        int serviceTasks;
        private final Comparator<NodeState> nodeOrder;
        /** leaf: the nodes that may take a task, best first */
        private final PriorityQueue<NodeState> nodes;
        /** inner: every sub-part by value */
        private final Map<String, Branch> children;
        /** inner: the sub-parts that have a node that may take a task, emptiest first */
        private final PriorityQueue<Branch> open;

        private Branch(String value, boolean leaf, Comparator<NodeState> nodeOrder) {
            this.value = value;
            this.nodeOrder = nodeOrder;
            this.nodes = leaf ? new PriorityQueue<>(nodeOrder) : null;
            this.children = leaf ? null : new HashMap<>();
            this.open = leaf ? null : new PriorityQueue<>(Branch::compareTo);
        }

        private Branch child(String v, boolean leaf, Comparator<NodeState> order) {
            return children.computeIfAbsent(v, k -> new Branch(k, leaf, order));
        }

        /** Fills the open heaps, bottom up, once every node is in. */
        private void open() {
            if (children == null) {
                return;
            }
            for (Branch c : children.values()) {
                c.open();
                if (c.next() != null) {
                    open.add(c);
                }
            }
        }

        /** The node the next task of the group would get here, or null when this part has no room. */
        NodeState next() {
            if (children == null) {
                return nodes.peek();
            }
            Branch top = open.peek();
            return top == null ? null : top.next();
        }

        /** Fewest tasks of the service first; then the better next node; then the value. */
        private int compareTo(Branch o) {
            int c = Integer.compare(serviceTasks, o.serviceTasks);
            if (c != 0) {
                return c;
            }
            c = nodeOrder.compare(next(), o.next());
            return c != 0 ? c : value.compareTo(o.value);
        }

        /**
         * Places one task below this part: {@code assign} puts it on the chosen
         * node (changing the node's counts), after which the node stays a
         * candidate only if {@code accepts} still holds.
         *
         * @return the node, or null when no node here may take it
         */
        NodeState place(Consumer<NodeState> assign, Predicate<NodeState> accepts) {
            NodeState ns;
            if (children == null) {
                ns = nodes.poll();
                if (ns == null) {
                    return null;
                }
                assign.accept(ns);
                if (accepts.test(ns)) {
                    nodes.add(ns);
                }
            } else {
                // only the chosen sub-part (and the node below it) changes: take it out, put it back after
                do {
                    Branch c = open.poll();
                    if (c == null) {
                        return null;
                    }
                    ns = c.place(assign, accepts);
                    if (c.next() != null) {
                        open.add(c);
                    }
                } while (ns == null);
            }
            serviceTasks++;
            return ns;
        }

        /** The sub-part with that value (tests). */
        Branch child(String v) {
            return children == null ? null : children.get(v);
        }
    }
}
