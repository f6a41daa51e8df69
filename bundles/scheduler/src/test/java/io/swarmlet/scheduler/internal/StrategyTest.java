package io.swarmlet.scheduler.internal;

import static io.swarmlet.scheduler.internal.TestObjects.GB;
import static io.swarmlet.scheduler.internal.TestObjects.node;
import static io.swarmlet.scheduler.internal.TestObjects.reserve;
import static io.swarmlet.scheduler.internal.TestObjects.running;
import static io.swarmlet.scheduler.internal.TestObjects.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.NodeInfo;
import io.swarmlet.spi.placement.PlacementStrategy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Placement strategies on the in-memory model: plugin strategies, the fall-backs to spread, the registry. */
class StrategyTest {

    private static final List<NodeFilter> CORE = SchedulerHarness.CORE;

    /** The fullest node that still fits: least memory left, then least CPU left, then most tasks, then node ID. */
    static final class Binpack implements PlacementStrategy {
        final List<List<String>> calls = new ArrayList<>();

        @Override
        public NodeInfo choose(Task task, List<NodeInfo> candidates) {
            calls.add(candidates.stream().map(n -> n.node().getId() + ":" + n.totalTasks()).toList());
            return candidates.stream().min(Comparator
                    .comparingLong((NodeInfo n) -> n.available().getMemoryBytes())
                    .thenComparingLong(n -> n.available().getNanoCpus())
                    .thenComparing(Comparator.comparingInt(NodeInfo::totalTasks).reversed())
                    .thenComparing(n -> n.node().getId())).orElse(null);
        }
    }

    private static Map<String, Object> named(String name) {
        return Map.of(PlacementStrategy.NAME, name);
    }

    private static StrategyRegistry registry(String name, PlacementStrategy s) {
        StrategyRegistry r = new StrategyRegistry();
        r.add(s, named(name));
        return r;
    }

    private static Task.Builder strategy(Task.Builder t, String name) {
        t.getSpecBuilder().getPlacementBuilder().setStrategy(name);
        return t;
    }

    private static List<Task> replicas(String service, int n, UnaryOperator<Task.Builder> shape) {
        List<Task> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(shape.apply(task(service + "-" + i, service, i)).build());
        }
        return out;
    }

    private static List<Node> nodes(String... ids) {
        List<Node> out = new ArrayList<>();
        for (String id : ids) {
            out.add(node(id).build());
        }
        return out;
    }

    private static Map<String, Integer> perNode(List<Scheduler.Decision> ds) {
        Map<String, Integer> out = new TreeMap<>();
        for (Scheduler.Decision d : ds) {
            if (d.assignment()) {
                out.merge(d.nodeId(), 1, Integer::sum);
            }
        }
        return out;
    }

    @Test
    void binpackFillsOneNodeUntilItIsFullThenTheNext() {
        Scheduler s = new Scheduler();
        // 8 GB nodes, tasks of 1 GB: 8 fit on one node
        s.load(nodes("n1", "n2", "n3"), replicas("web", 10, t -> reserve(strategy(t, "binpack"), 0, GB)));
        Binpack b = new Binpack();
        List<Scheduler.Decision> ds = s.tick(CORE, registry("binpack", b));
        assertEquals(Map.of("n1", 8, "n2", 2), perNode(ds));
        assertEquals(10, b.calls.size(), "asked once per task");
        assertEquals(List.of("n1:0", "n2:0", "n3:0"), b.calls.get(0), "candidates sorted by node ID");
        assertEquals(List.of("n1:1", "n2:0", "n3:0"), b.calls.get(1), "the candidates count what the pass placed");
        assertEquals(List.of("n2:0", "n3:0"), b.calls.get(8), "a full node is no longer a candidate");
    }

    @Test
    void binpackPrefersTheFullestNodeThatStillFits() {
        Scheduler s = new Scheduler();
        List<Task> existing = List.of(
                reserve(running(task("a", "db", 1), "n2"), 0, 4 * GB).build(),
                reserve(running(task("b", "db", 2), "n3"), 0, 7 * GB).build());
        List<Task> all = new ArrayList<>(existing);
        all.add(reserve(strategy(task("w", "web", 1), "binpack"), 0, 2 * GB).build());
        s.load(nodes("n1", "n2", "n3"), all);
        List<Scheduler.Decision> ds = s.tick(CORE, registry("binpack", new Binpack()));
        assertEquals(Map.of("n2", 1), perNode(ds), "n3 has the least left, but 1 GB does not fit 2 GB");
    }

    @Test
    void theClusterDefaultAppliesToServicesThatNameNone() {
        Scheduler s = new Scheduler();
        List<Task> tasks = new ArrayList<>(replicas("web", 3, t -> t));
        tasks.addAll(replicas("api", 3, t -> strategy(t, PlacementStrategy.SPREAD)));
        s.load(nodes("n1", "n2", "n3"), tasks);
        assertTrue(s.defaultStrategy("binpack"));
        assertFalse(s.defaultStrategy("binpack"), "unchanged");
        assertEquals("binpack", s.strategyName(tasks.get(0)));
        assertEquals("spread", s.strategyName(tasks.get(3)));
        List<Scheduler.Decision> ds = s.tick(CORE, registry("binpack", new Binpack()));
        Map<String, Integer> web = perNode(ds.stream().filter(d -> d.before().getServiceId().equals("web")).toList());
        Map<String, Integer> api = perNode(ds.stream().filter(d -> d.before().getServiceId().equals("api")).toList());
        assertEquals(Map.of("n1", 3), web, "binpack by the cluster's default");
        assertEquals(Map.of("n1", 1, "n2", 1, "n3", 1), api, "spread named explicitly");

        assertTrue(s.defaultStrategy(""));
        assertEquals("spread", s.strategyName(tasks.get(0)));
    }

    @Test
    void aStrategyNobodyProvidesFallsBackToSpreadAndIsLoggedOnce() {
        Scheduler s = new Scheduler();
        s.load(nodes("n1", "n2", "n3"), replicas("web", 6, t -> strategy(t, "binpack")));
        StrategyRegistry r = new StrategyRegistry();
        assertEquals(Map.of("n1", 2, "n2", 2, "n3", 2), perNode(s.tick(CORE, r)));
        assertFalse(r.missing("binpack"), "the round logged it already");
        assertTrue(r.missing("other"));

        // it comes, and goes: missing again, and said again
        Binpack b = new Binpack();
        r.add(b, named("binpack"));
        assertSame(b, r.get("binpack"));
        r.remove(b);
        assertNull(r.get("binpack"));
        assertTrue(r.missing("binpack"));
    }

    @Test
    void nullOrAStrayNodeLeavesTheChoiceToSpread() {
        PlacementStrategy none = (task, candidates) -> null;
        Scheduler s = new Scheduler();
        s.load(nodes("n1", "n2", "n3"), replicas("web", 6, t -> strategy(t, "lazy")));
        assertEquals(Map.of("n1", 2, "n2", 2, "n3", 2), perNode(s.tick(CORE, registry("lazy", none))));

        NodeState stranger = new NodeState(node("n9").build());
        PlacementStrategy stray = (task, candidates) -> stranger;
        Scheduler s2 = new Scheduler();
        s2.load(nodes("n1", "n2", "n3"), replicas("web", 6, t -> strategy(t, "stray")));
        assertEquals(Map.of("n1", 2, "n2", 2, "n3", 2), perNode(s2.tick(CORE, registry("stray", stray))));
    }

    @Test
    void aStrategyThatThrowsIsNotAskedAgainForItsGroup() {
        int[] calls = {0};
        PlacementStrategy broken = (task, candidates) -> {
            calls[0]++;
            throw new IllegalStateException("bug");
        };
        Scheduler s = new Scheduler();
        s.load(nodes("n1", "n2", "n3"), replicas("web", 6, t -> strategy(t, "broken")));
        assertEquals(Map.of("n1", 2, "n2", 2, "n3", 2), perNode(s.tick(CORE, registry("broken", broken))));
        assertEquals(1, calls[0]);
    }

    @Test
    void candidatesCannotBeChangedByTheStrategy() {
        PlacementStrategy greedy = (task, candidates) -> {
            candidates.clear();
            return null;
        };
        Scheduler s = new Scheduler();
        s.load(nodes("n1", "n2"), replicas("web", 2, t -> strategy(t, "greedy")));
        assertEquals(Map.of("n1", 1, "n2", 1), perNode(s.tick(CORE, registry("greedy", greedy))),
                "the strategy's exception is caught, spread places the tasks");
    }

    @Test
    void tasksThatFitNowhereSayWhyWhateverTheStrategy() {
        Scheduler s = new Scheduler();
        s.load(nodes("n1"), replicas("web", 9, t -> reserve(strategy(t, "binpack"), 0, GB)));
        List<Scheduler.Decision> ds = s.tick(CORE, registry("binpack", new Binpack()));
        assertEquals(Map.of("n1", 8), perNode(ds));
        assertEquals(List.of("no suitable node (1 node lacks memory)"),
                ds.stream().filter(d -> !d.assignment()).map(d -> d.after().getStatus().getErr()).toList());
    }

    @Test
    void registryPicksByNameAndRankingAndIgnoresSpreadAndNameless() {
        StrategyRegistry r = new StrategyRegistry();
        PlacementStrategy low = (t, c) -> null;
        PlacementStrategy high = (t, c) -> null;
        PlacementStrategy impostor = (t, c) -> null;
        PlacementStrategy nameless = (t, c) -> null;
        long g0 = r.generation();
        r.add(low, Map.of(PlacementStrategy.NAME, "binpack", FilterRegistry.SERVICE_ID, 1L));
        r.add(high, Map.of(PlacementStrategy.NAME, "binpack", FilterRegistry.SERVICE_RANKING, 10,
                FilterRegistry.SERVICE_ID, 2L));
        r.add(impostor, named(PlacementStrategy.SPREAD));
        r.add(nameless, Map.of());
        assertTrue(r.generation() > g0);
        assertSame(high, r.get("binpack"));
        assertNull(r.get(PlacementStrategy.SPREAD), "spread is built in");
        assertEquals(java.util.Set.of("binpack"), r.names());
        r.remove(high);
        assertSame(low, r.get("binpack"), "the other provider takes over");
        r.add(low, named("tight")); // its properties changed
        assertNull(r.get("binpack"));
        assertSame(low, r.get("tight"));
        assertThrows(UnsupportedOperationException.class, () -> r.names().add("x"));
    }
}
