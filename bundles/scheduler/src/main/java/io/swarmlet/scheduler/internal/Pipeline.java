package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeFilter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The filters that have something to say about one task (SwarmKit's
 * Pipeline after SetTask), in service ranking order. A node passes when every
 * filter accepts it; a node that fails is counted against the first filter
 * that refused it, per reason, and {@link #explain} turns the counts into
 * "1 node not available for new tasks; 2 nodes lack memory", in pipeline order.
 *
 * <p>A filter that throws is left out for the rest of this task's round (and
 * logged): a broken plugin must not stop scheduling.
 */
final class Pipeline {

    private static final Logger LOG = LogManager.getLogger(Pipeline.class);

    private final Task task;
    private final NodeFilter[] filters;
    private final boolean[] broken;
    /** per filter (pipeline position): reason -> nodes rejected for it */
    private final List<Map<String, Integer>> failures;

    Pipeline(List<NodeFilter> all, Task task) {
        this.task = task;
        List<NodeFilter> applying = new ArrayList<>(all.size());
        for (NodeFilter f : all) {
            try {
                if (f.appliesTo(task)) {
                    applying.add(f);
                }
            } catch (RuntimeException e) {
                LOG.warn("node filter {} failed on task {}; leaving it out: {}", name(f), task.getId(), e.toString());
            }
        }
        this.filters = applying.toArray(new NodeFilter[0]);
        this.broken = new boolean[filters.length];
        this.failures = new ArrayList<>(filters.length);
        for (int i = 0; i < filters.length; i++) {
            failures.add(new HashMap<>());
        }
    }

    /** Whether the task may run on that node (nothing counted). */
    boolean accepts(NodeState node) {
        for (int i = 0; i < filters.length; i++) {
            if (!broken[i] && reject(i, node) != null) {
                return false;
            }
        }
        return true;
    }

    /** Like {@link #accepts}, and counts the rejection for {@link #explain}. */
    boolean check(NodeState node) {
        for (int i = 0; i < filters.length; i++) {
            if (broken[i]) {
                continue;
            }
            String reason = reject(i, node);
            if (reason != null) {
                failures.get(i).merge(reason, 1, Integer::sum);
                return false;
            }
        }
        return true;
    }

    private String reject(int i, NodeState node) {
        try {
            return filters[i].rejection(task, node);
        } catch (RuntimeException e) {
            broken[i] = true;
            LOG.warn("node filter {} failed on task {} and node {}; leaving it out: {}",
                    name(filters[i]), task.getId(), node.id(), e.toString());
            return null;
        }
    }

    /** "no suitable node (…)" from what {@link #check} counted; "no suitable node" if it counted nothing. */
    String explain() {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < filters.length; i++) {
            // reasons of one filter in a stable order, whatever order the nodes came in
            for (Map.Entry<String, Integer> e : new TreeMap<>(failures.get(i)).entrySet()) {
                String text;
                try {
                    text = filters[i].explain(e.getKey(), e.getValue());
                } catch (RuntimeException ex) {
                    text = null;
                }
                parts.add(text == null || text.isBlank()
                        ? TaskFacts.nodes(e.getValue(), "rejected", "rejected", " by filter " + name(filters[i]))
                        : text);
            }
        }
        return parts.isEmpty() ? "no suitable node" : "no suitable node (" + String.join("; ", parts) + ")";
    }

    static String name(NodeFilter f) {
        try {
            return f.name();
        } catch (RuntimeException e) {
            return f.getClass().getName();
        }
    }
}
