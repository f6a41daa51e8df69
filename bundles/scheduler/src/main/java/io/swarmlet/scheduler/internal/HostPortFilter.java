package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.NodeInfo;
import java.util.List;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * A host-mode published port ({@code PortConfig.publish_mode HOST}) can be
 * taken once per node: nodes where an unfinished task already publishes it
 * are out. Ingress ports and ports without a published number are not
 * considered.
 */
@Component(service = NodeFilter.class, property = "service.ranking:Integer=300")
public final class HostPortFilter implements NodeFilter {

    @Override
    public String name() {
        return CoreFilters.HOST_PORTS;
    }

    @Override
    public boolean appliesTo(Task task) {
        return !TaskFacts.hostPorts(task).isEmpty();
    }

    @Override
    public boolean accepts(Task task, NodeInfo node) {
        Set<String> used = node.usedHostPorts();
        if (used.isEmpty()) {
            return true;
        }
        List<String> wanted = TaskFacts.hostPorts(task);
        for (String p : wanted) {
            if (used.contains(p)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String explain(int nodes) {
        return "host-mode port already in use on " + (nodes == 1 ? "1 node" : nodes + " nodes");
    }
}
