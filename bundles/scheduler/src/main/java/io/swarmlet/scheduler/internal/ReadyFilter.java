package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.NodeInfo;
import org.osgi.service.component.annotations.Component;

/** Only nodes whose agent is up (status READY) get tasks: not DOWN, DISCONNECTED or UNKNOWN. */
@Component(service = NodeFilter.class, property = "service.ranking:Integer=700")
public final class ReadyFilter implements NodeFilter {

    @Override
    public String name() {
        return CoreFilters.READY;
    }

    @Override
    public boolean appliesTo(Task task) {
        return true;
    }

    @Override
    public boolean accepts(Task task, NodeInfo node) {
        return node.node().getStatus().getState() == NodeStatus.State.READY;
    }

    @Override
    public String explain(int nodes) {
        return TaskFacts.nodes(nodes, "", "", "not ready");
    }
}
