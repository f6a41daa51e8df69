package io.swarmlet.spi.placement;

import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Task;

/**
 * One stage of the scheduler's filter pipeline (SwarmKit's scheduler.Filter).
 * Register as an OSGi service; the scheduler runs every registered filter, in
 * service ranking order, for every pending task.
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
}
