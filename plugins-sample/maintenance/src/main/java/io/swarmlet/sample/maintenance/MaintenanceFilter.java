package io.swarmlet.sample.maintenance;

import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.NodeInfo;
import org.osgi.service.component.annotations.Component;

/**
 * A placement plugin, as small as one can be: a {@link NodeFilter} service
 * that keeps new tasks off nodes an operator marked for maintenance
 * ({@code swarmlet node update --label-add swarmlet.maintenance=true NODE}).
 * Tasks already running there stay; drain the node to move them.
 *
 * <p>The scheduler picks every NodeFilter service up as it registers, and
 * drops it when it goes, so installing or removing this bundle (dropping
 * the jar into {@code deploy/}, or taking it out) changes placement at once.
 */
@Component(service = NodeFilter.class)
public class MaintenanceFilter implements NodeFilter {

    /** The node label this filter reads. */
    public static final String LABEL = "swarmlet.maintenance";

    @Override
    public String name() {
        return "maintenance";
    }

    @Override
    public boolean appliesTo(Task task) {
        return true;
    }

    @Override
    public boolean accepts(Task task, NodeInfo node) {
        return !"true".equalsIgnoreCase(node.node().getSpec().getAnnotations().getLabelsMap().get(LABEL));
    }

    @Override
    public String explain(int nodes) {
        return nodes == 1 ? "1 node in maintenance" : nodes + " nodes in maintenance";
    }
}
