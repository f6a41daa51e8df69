package io.swarmlet.sample.binpack;

import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeInfo;
import io.swarmlet.spi.placement.PlacementStrategy;
import java.util.Comparator;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * A placement strategy plugin: "binpack" puts each task on the fullest node
 * that still fits it, so that services fill nodes one after the other and
 * leave whole nodes free for big tasks (or to be switched off), where the
 * built-in "spread" evens the load out.
 *
 * <p>"Fullest" is, in order: the least memory left, then the least CPU left
 * (after the reservations of the tasks already there), then the most tasks,
 * then the node ID so that the same state always gives the same answer. The
 * scheduler only hands over nodes that passed every filter, so every
 * candidate fits; the resources it reports already count the tasks placed
 * earlier in the same pass. Tasks without reservations therefore go to the
 * node with the most tasks among equally full ones.
 *
 * <p>Services select it with {@code --placement-strategy binpack}, the whole
 * cluster with {@code swarmlet swarm update --default-placement-strategy binpack}.
 * While this bundle is not running the scheduler uses spread instead and
 * logs it. The component keeps no state: it may be stopped, updated or
 * removed at any time.
 */
@Component(service = PlacementStrategy.class, property = PlacementStrategy.NAME + "=" + BinpackStrategy.NAME)
public class BinpackStrategy implements PlacementStrategy {

    /** The name services and the cluster select it by. */
    public static final String NAME = "binpack";

    /** Fullest first: least memory left, least CPU left, most tasks, node ID. */
    static final Comparator<NodeInfo> FULLEST_FIRST = Comparator
            .comparingLong((NodeInfo n) -> memory(n.available()))
            .thenComparingLong(n -> cpu(n.available()))
            .thenComparing(Comparator.comparingInt(NodeInfo::totalTasks).reversed())
            .thenComparing(n -> n.node().getId());

    @Override
    public NodeInfo choose(Task task, List<NodeInfo> candidates) {
        NodeInfo best = null;
        for (NodeInfo n : candidates) {
            if (best == null || FULLEST_FIRST.compare(n, best) < 0) {
                best = n;
            }
        }
        return best;
    }

    private static long memory(Resources r) {
        return r == null ? 0 : r.getMemoryBytes();
    }

    private static long cpu(Resources r) {
        return r == null ? 0 : r.getNanoCpus();
    }
}
