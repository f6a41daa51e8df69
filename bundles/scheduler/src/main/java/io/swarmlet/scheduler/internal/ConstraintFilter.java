package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.Constraint;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.NodeInfo;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * {@code task.spec.placement.constraints} ({@link Constraint}: node.role,
 * node.labels.*, node.hostname...) must all hold on the node. Rejections name
 * the first constraint that failed: "1 node fails constraint node.role==manager".
 * Constraints that do not parse were refused when the service was created;
 * should one get here anyway the filter stands aside, as SwarmKit's does.
 */
@Component(service = NodeFilter.class, property = "service.ranking:Integer=500")
public final class ConstraintFilter implements NodeFilter {

    /** The last constraint list parsed: the scheduler asks about one task against many nodes in a row. */
    private record Parsed(List<String> source, List<Constraint> constraints) {}

    private volatile Parsed last = new Parsed(List.of(), List.of());

    @Override
    public String name() {
        return CoreFilters.CONSTRAINTS;
    }

    @Override
    public boolean appliesTo(Task task) {
        return !constraints(task).isEmpty();
    }

    @Override
    public boolean accepts(Task task, NodeInfo node) {
        return rejection(task, node) == null;
    }

    @Override
    public String rejection(Task task, NodeInfo node) {
        for (Constraint c : constraints(task)) {
            if (!c.matches(node.node())) {
                return c.toString();
            }
        }
        return null;
    }

    @Override
    public String explain(String reason, int nodes) {
        if (reason.isEmpty()) {
            return explain(nodes);
        }
        return TaskFacts.nodes(nodes, "fails ", "fail ", "constraint " + reason);
    }

    @Override
    public String explain(int nodes) {
        return "scheduling constraints not satisfied on " + (nodes == 1 ? "1 node" : nodes + " nodes");
    }

    private List<Constraint> constraints(Task task) {
        List<String> source = task.getSpec().getPlacement().getConstraintsList();
        if (source.isEmpty()) {
            return List.of();
        }
        Parsed p = last;
        if (p.source() != source && !p.source().equals(source)) {
            List<Constraint> parsed;
            try {
                parsed = Constraint.parseAll(source);
            } catch (IllegalArgumentException e) {
                parsed = List.of();
            }
            p = new Parsed(source, parsed);
            last = p;
        }
        return p.constraints();
    }
}
