package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.Task;
import io.swarmlet.spi.executor.Executor;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.NodeInfo;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * The node must run the task's runtime: {@code task.spec.runtime} ("" means
 * "container", Docker) must be among {@code description.runtimes}, which
 * each node fills from its executors (empty, from nodes that predate
 * runtimes, means ["container"]). Rejections name the runtime: "1 node lacks
 * runtime process". Runs right after availability, so a task no node can
 * run says so rather than blaming resources.
 */
@Component(service = NodeFilter.class, property = "service.ranking:Integer=625")
public final class RuntimeFilter implements NodeFilter {

    @Override
    public String name() {
        return CoreFilters.RUNTIME;
    }

    @Override
    public boolean appliesTo(Task task) {
        return true; // a container task must not go to a node that only runs processes either
    }

    @Override
    public boolean accepts(Task task, NodeInfo node) {
        return rejection(task, node) == null;
    }

    @Override
    public String rejection(Task task, NodeInfo node) {
        String want = runtime(task);
        List<String> have = node.node().getDescription().getRuntimesList();
        if (have.isEmpty()) {
            return Executor.CONTAINER.equals(want) ? null : want;
        }
        return have.contains(want) ? null : want;
    }

    @Override
    public String explain(String reason, int nodes) {
        if (reason.isEmpty()) {
            return explain(nodes);
        }
        return TaskFacts.nodes(nodes, "lacks ", "lack ", "runtime " + reason);
    }

    @Override
    public String explain(int nodes) {
        return TaskFacts.nodes(nodes, "lacks ", "lack ", "the task's runtime");
    }

    /** The task's runtime: {@code spec.runtime}, "" meaning "container". */
    static String runtime(Task task) {
        String r = task.getSpec().getRuntime();
        return r.isEmpty() ? Executor.CONTAINER : r;
    }
}
