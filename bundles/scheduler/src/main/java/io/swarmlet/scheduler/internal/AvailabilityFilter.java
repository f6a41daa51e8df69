package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.NodeInfo;
import org.osgi.service.component.annotations.Component;

/** Only ACTIVE nodes get new tasks; PAUSE and DRAIN keep (or lose) what they have but get nothing new. */
@Component(service = NodeFilter.class, property = "service.ranking:Integer=650")
public final class AvailabilityFilter implements NodeFilter {

    @Override
    public String name() {
        return CoreFilters.AVAILABILITY;
    }

    @Override
    public boolean appliesTo(Task task) {
        return true;
    }

    @Override
    public boolean accepts(Task task, NodeInfo node) {
        return node.node().getSpec().getAvailability() == NodeSpec.Availability.ACTIVE;
    }

    @Override
    public String explain(int nodes) {
        return TaskFacts.nodes(nodes, "", "", "not available for new tasks");
    }
}
