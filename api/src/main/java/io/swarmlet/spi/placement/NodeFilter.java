package io.swarmlet.spi.placement;

import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Task;

/**
 * One stage of the scheduler's filter pipeline (SwarmKit's scheduler.Filter).
 * Register as an OSGi service; the scheduler runs every registered filter, in
 * service ranking order, for every pending task.
 *
 * <p>The scheduler calls filters from its one loop thread, through
 * {@link #rejection} (whose default asks {@link #accepts}). Tasks that share
 * service, spec and endpoint are checked as one group, the first standing for
 * all, so a filter must decide from those fields, not from a task's ID, slot
 * or name.
 *
 * <p>Implemented by placement plugins (and the core's own filters); called by the scheduler.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface NodeFilter {

    /** Short name used in logs and configuration ("resources", "constraints"...). */
    String name();

    /** Whether this filter has anything to say about that task (else it is skipped). */
    boolean appliesTo(Task task);

    /** Whether the task may run on that node, given what is already on it. */
    boolean accepts(Task task, NodeInfo node);

    /**
     * Why {@code nodes} nodes were rejected, in the scheduler's words:
     * "1 node lacks memory", "2 nodes fail constraint node.role==manager".
     */
    String explain(int nodes);

    /**
     * Checks the node and says why it was rejected, for filters with more than
     * one reason to refuse: {@code null} when the task may run there, else a
     * reason (e.g. "memory", or the constraint that failed) that the scheduler
     * counts per distinct value and hands back to {@link #explain(String, int)}.
     * The default asks {@link #accepts} and has a single reason, "".
     */
    default String rejection(Task task, NodeInfo node) {
        return accepts(task, node) ? null : "";
    }

    /**
     * Why {@code nodes} nodes were rejected for that {@link #rejection reason}:
     * "2 nodes lack memory", "1 node fails constraint node.role==manager".
     * The default ignores the reason and calls {@link #explain(int)}.
     */
    default String explain(String reason, int nodes) {
        return explain(nodes);
    }
}
