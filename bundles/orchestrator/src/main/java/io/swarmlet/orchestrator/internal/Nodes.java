package io.swarmlet.orchestrator.internal;

import io.swarmlet.api.types.Constraint;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The nodes as one transaction sees them, and what their state means for the
 * tasks on them.
 *
 * <ul>
 * <li>A node <em>takes new tasks</em> when it is READY, ACTIVE and meets the
 *     service's placement constraints.</li>
 * <li>Tasks <em>must leave</em> a node that is DOWN, drained, or no longer
 *     meets the constraints (SwarmKit's constraint enforcer).</li>
 * <li>Anything in between (PAUSE, DISCONNECTED, UNKNOWN) keeps what runs there
 *     and gets nothing new.</li>
 * </ul>
 *
 * <p>Built by {@link Reconciler} once per pass; used by the reconcilers.
 */
final class Nodes {

    private final Map<String, Node> byId = new LinkedHashMap<>();

    Nodes(List<Node> nodes) {
        for (Node n : nodes) {
            byId.put(n.getId(), n);
        }
    }

    /** The node, or null when there is no such node (any more). */
    Node get(String id) {
        return byId.get(id);
    }

    boolean exists(String id) {
        return byId.containsKey(id);
    }

    Collection<Node> all() {
        return Collections.unmodifiableCollection(byId.values());
    }

    static boolean takesNewTasks(Node n, List<Constraint> constraints) {
        return n != null
                && n.getStatus().getState() == NodeStatus.State.READY
                && n.getSpec().getAvailability() == NodeSpec.Availability.ACTIVE
                && meets(n, constraints);
    }

    static boolean mustLeave(Node n, List<Constraint> constraints) {
        return n == null
                || n.getStatus().getState() == NodeStatus.State.DOWN
                || n.getSpec().getAvailability() == NodeSpec.Availability.DRAIN
                || !meets(n, constraints);
    }

    static boolean drained(Node n) {
        return n != null && n.getSpec().getAvailability() == NodeSpec.Availability.DRAIN;
    }

    /** Whether the node is alive enough that a task on it may still be running (not DOWN, not gone). */
    static boolean alive(Node n) {
        return n != null && n.getStatus().getState() != NodeStatus.State.DOWN;
    }

    private static boolean meets(Node n, List<Constraint> constraints) {
        for (Constraint c : constraints) {
            if (!c.matches(n)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether a change of a node can matter to the orchestrator: its spec
     * (availability, labels), its state, its description (constraints on
     * hostname, platform, engine labels) or its role.
     */
    static boolean relevantChange(Node before, Node after) {
        return before == null || after == null
                || !before.getSpec().equals(after.getSpec())
                || before.getStatus().getState() != after.getStatus().getState()
                || !before.getDescription().equals(after.getDescription())
                || before.getRole() != after.getRole();
    }
}
