package io.swarmlet.sample.binpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeInfo;
import io.swarmlet.spi.placement.PlacementStrategy;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BinpackStrategyTest {

    static final long GB = 1L << 30;
    static final long CPU = 1_000_000_000L;

    /** A node as the scheduler shows it, with what is left on it and how many tasks it runs. */
    static final class FakeNode implements NodeInfo {
        final Node node;
        long cpuLeft;
        long memoryLeft;
        int tasks;

        FakeNode(String id, long cpuLeft, long memoryLeft, int tasks) {
            this.node = Node.newBuilder().setId(id).build();
            this.cpuLeft = cpuLeft;
            this.memoryLeft = memoryLeft;
            this.tasks = tasks;
        }

        @Override public Node node() { return node; }
        @Override public Resources available() {
            return Resources.newBuilder().setNanoCpus(cpuLeft).setMemoryBytes(memoryLeft).build();
        }
        @Override public Map<String, Integer> tasksByService() { return Map.of(); }
        @Override public Set<String> usedHostPorts() { return Set.of(); }
        @Override public int totalTasks() { return tasks; }
    }

    final BinpackStrategy binpack = new BinpackStrategy();
    final Task task = Task.newBuilder().setId("t1").build();

    private String choose(NodeInfo... candidates) {
        NodeInfo n = binpack.choose(task, List.of(candidates));
        return n == null ? null : n.node().getId();
    }

    @Test
    void leastMemoryLeftComesFirst() {
        assertEquals("b", choose(new FakeNode("a", CPU, 4 * GB, 0), new FakeNode("b", 4 * CPU, 2 * GB, 0),
                new FakeNode("c", 2 * CPU, 3 * GB, 9)));
    }

    @Test
    void thenLeastCpuLeft() {
        assertEquals("a", choose(new FakeNode("c", 2 * CPU, GB, 5), new FakeNode("a", CPU, GB, 0)));
    }

    @Test
    void thenMostTasksThenNodeId() {
        assertEquals("z", choose(new FakeNode("a", CPU, GB, 1), new FakeNode("z", CPU, GB, 3)));
        assertEquals("a", choose(new FakeNode("b", CPU, GB, 2), new FakeNode("a", CPU, GB, 2)),
                "the node ID settles a tie, whatever the order of the candidates");
    }

    @Test
    void noCandidatesNoChoice() {
        assertNull(binpack.choose(task, List.of()));
    }

    /**
     * A pass as the scheduler runs it: only nodes where the task fits are
     * candidates, and each placement counts at once. 1 GB tasks on three
     * 4 GB nodes, one of which already has 2 GB taken: that one fills first,
     * then the others, one after the other.
     */
    @Test
    void fillsTheFullestNodeThenTheNext() {
        List<FakeNode> nodes = List.of(new FakeNode("n1", 4 * CPU, 4 * GB, 0),
                new FakeNode("n2", 4 * CPU, 2 * GB, 1), new FakeNode("n3", 4 * CPU, 4 * GB, 0));
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            List<NodeInfo> fits = new ArrayList<>();
            for (FakeNode n : nodes) {
                if (n.memoryLeft >= GB) {
                    fits.add(n);
                }
            }
            if (fits.isEmpty()) {
                break;
            }
            FakeNode chosen = (FakeNode) binpack.choose(task, fits);
            chosen.memoryLeft -= GB;
            chosen.tasks++;
            order.add(chosen.node().getId());
        }
        assertEquals(List.of("n2", "n2", "n1", "n1", "n1", "n1", "n3", "n3", "n3", "n3"), order);
        Map<String, Integer> perNode = new TreeMap<>();
        order.forEach(id -> perNode.merge(id, 1, Integer::sum));
        assertEquals(Map.of("n1", 4, "n2", 2, "n3", 4), perNode);
    }

    /** The DS descriptor bnd generated registers the service under its name (build with mvn so bnd makes it). */
    @Test
    void registersAsPlacementStrategyNamedBinpack() throws Exception {
        String res = "OSGI-INF/" + BinpackStrategy.class.getName() + ".xml";
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(res)) {
            assertNotNull(in, "no DS descriptor " + res);
            String xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(xml.contains("interface=\"" + PlacementStrategy.class.getName() + "\""), xml);
            assertTrue(xml.contains("name=\"" + PlacementStrategy.NAME + "\"") && xml.contains("value=\"binpack\""), xml);
        }
    }
}
