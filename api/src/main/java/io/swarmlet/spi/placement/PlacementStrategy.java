package io.swarmlet.spi.placement;

import io.swarmlet.api.types.Task;
import java.util.List;

/**
 * How the scheduler chooses among the nodes that passed every filter: the
 * built-in "spread" puts each task on the least loaded node (and honours
 * {@code --placement-pref}); a plugin may do otherwise, e.g. "binpack" fills
 * the fullest node that still fits. Register as an OSGi service with
 * {@link #NAME}; services select one with {@code --placement-strategy NAME}
 * (their {@code Placement.strategy}), the cluster with
 * {@code swarm update --default-placement-strategy NAME}. A strategy that is
 * named but not registered falls back to "spread", and the scheduler logs it.
 *
 * <p>Called from the scheduler's one loop thread, once per task placed; the
 * {@link NodeInfo}s reflect the tasks placed earlier in the same pass.
 *
 * <p>Implemented by placement plugins; called by the scheduler.
 *
 * @since 1.1
 */
@org.osgi.annotation.versioning.ConsumerType
public interface PlacementStrategy {

    /** Service property: the strategy's name, as services and the cluster name it ("binpack"). */
    String NAME = "swarmlet.placement.strategy";

    /** The name of the built-in strategy. */
    String SPREAD = "spread";

    /**
     * Picks the node for {@code task} among {@code candidates} (never empty;
     * every one may take it), or returns null to leave the choice to "spread".
     */
    NodeInfo choose(Task task, List<NodeInfo> candidates);
}
