package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.NodeInfo;
import org.osgi.service.component.annotations.Component;

/**
 * {@code task.spec.placement.max_replicas}: a node that already runs that
 * many active tasks of the service gets no more of them.
 */
@Component(service = NodeFilter.class, property = "service.ranking:Integer=200")
public final class MaxReplicasFilter implements NodeFilter {

    @Override
    public String name() {
        return CoreFilters.MAX_REPLICAS;
    }

    @Override
    public boolean appliesTo(Task task) {
        return task.getSpec().getPlacement().getMaxReplicas() > 0;
    }

    @Override
    public boolean accepts(Task task, NodeInfo node) {
        Integer n = node.tasksByService().get(task.getServiceId());
        return n == null || n < task.getSpec().getPlacement().getMaxReplicas();
    }

    @Override
    public String explain(int nodes) {
        return "max replicas per node limit exceed on " + (nodes == 1 ? "1 node" : nodes + " nodes");
    }
}
