package io.swarmlet.sample.maintenance;

import static org.junit.jupiter.api.Assertions.*;

import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeInfo;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MaintenanceFilterTest {

    static NodeInfo node(Map<String, String> labels) {
        Node n = Node.newBuilder().setId("n1")
                .setSpec(NodeSpec.newBuilder().setAnnotations(Annotations.newBuilder().putAllLabels(labels))).build();
        return new NodeInfo() {
            @Override public Node node() { return n; }
            @Override public Resources available() { return Resources.getDefaultInstance(); }
            @Override public Map<String, Integer> tasksByService() { return Map.of(); }
            @Override public Set<String> usedHostPorts() { return Set.of(); }
            @Override public int totalTasks() { return 0; }
        };
    }

    final MaintenanceFilter filter = new MaintenanceFilter();
    final Task task = Task.newBuilder().setId("t1").build();

    @Test
    void keepsTasksOffNodesInMaintenance() {
        assertTrue(filter.appliesTo(task));
        assertTrue(filter.accepts(task, node(Map.of())));
        assertTrue(filter.accepts(task, node(Map.of(MaintenanceFilter.LABEL, "false"))));
        assertFalse(filter.accepts(task, node(Map.of(MaintenanceFilter.LABEL, "true"))));
        assertFalse(filter.accepts(task, node(Map.of(MaintenanceFilter.LABEL, "TRUE"))));
    }

    @Test
    void explainsInTheSchedulersWords() {
        assertEquals("1 node in maintenance", filter.explain(1));
        assertEquals("3 nodes in maintenance", filter.explain(3));
    }
}
