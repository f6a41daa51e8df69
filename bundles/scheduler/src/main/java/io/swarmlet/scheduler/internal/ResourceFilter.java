package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.NodeInfo;
import org.osgi.service.component.annotations.Component;

/**
 * Reservations ({@code --reserve-cpu}, {@code --reserve-memory}) must fit in
 * what the node has left: its resources minus what the unfinished tasks
 * assigned to it reserve. Limits are not considered, as in SwarmKit.
 * Rejections say what is short: "2 nodes lack memory", "1 node lacks CPU".
 */
@Component(service = NodeFilter.class, property = "service.ranking:Integer=600")
public final class ResourceFilter implements NodeFilter {

    static final String CPU = "CPU";
    static final String MEMORY = "memory";
    static final String CPU_AND_MEMORY = "CPU and memory";

    @Override
    public String name() {
        return CoreFilters.RESOURCES;
    }

    @Override
    public boolean appliesTo(Task task) {
        Resources r = TaskFacts.reservations(task);
        return r.getNanoCpus() > 0 || r.getMemoryBytes() > 0;
    }

    @Override
    public boolean accepts(Task task, NodeInfo node) {
        return rejection(task, node) == null;
    }

    @Override
    public String rejection(Task task, NodeInfo node) {
        Resources want = TaskFacts.reservations(task);
        Resources have = node.available();
        boolean cpu = want.getNanoCpus() > have.getNanoCpus();
        boolean memory = want.getMemoryBytes() > have.getMemoryBytes();
        if (cpu && memory) {
            return CPU_AND_MEMORY;
        }
        return cpu ? CPU : memory ? MEMORY : null;
    }

    @Override
    public String explain(String reason, int nodes) {
        if (reason.isEmpty()) {
            return explain(nodes);
        }
        return TaskFacts.nodes(nodes, "lacks ", "lack ", reason);
    }

    @Override
    public String explain(int nodes) {
        return nodes == 1 ? "insufficient resources on 1 node" : "insufficient resources on " + nodes + " nodes";
    }
}
