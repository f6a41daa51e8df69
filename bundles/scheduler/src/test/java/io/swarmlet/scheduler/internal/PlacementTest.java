package io.swarmlet.scheduler.internal;

import static io.swarmlet.scheduler.internal.TestObjects.availability;
import static io.swarmlet.scheduler.internal.TestObjects.constraint;
import static io.swarmlet.scheduler.internal.TestObjects.label;
import static io.swarmlet.scheduler.internal.TestObjects.node;
import static io.swarmlet.scheduler.internal.TestObjects.running;
import static io.swarmlet.scheduler.internal.TestObjects.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.Platform;
import io.swarmlet.api.types.PlacementPreference;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.spi.placement.NodeFilter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Placement as issue 4 asks for it, on the in-memory model with many fake
 * nodes: constraints on every key docker knows, spread preferences (one and
 * several levels), max replicas per node, and the default spread by load.
 */
class PlacementTest {

    private static final List<NodeFilter> CORE = SchedulerHarness.CORE;

    // ------------------------------------------------------------------ helpers

    private static Node.Builder engineLabel(Node.Builder n, String key, String value) {
        n.getDescriptionBuilder().getEngineBuilder().putLabels(key, value);
        return n;
    }

    private static Task.Builder spread(Task.Builder t, String... descriptors) {
        for (String d : descriptors) {
            t.getSpecBuilder().getPlacementBuilder().addPreferences(PlacementPreference.newBuilder().setSpread(d));
        }
        return t;
    }

    private static Task.Builder maxReplicas(Task.Builder t, long n) {
        t.getSpecBuilder().getPlacementBuilder().setMaxReplicas(n);
        return t;
    }

    private static List<Task> replicas(String service, int n, UnaryOperator<Task.Builder> shape) {
        List<Task> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(shape.apply(task(service + "-" + i, service, i)).build());
        }
        return out;
    }

    private static List<Node> build(Node.Builder... nodes) {
        List<Node> out = new ArrayList<>();
        for (Node.Builder n : nodes) {
            out.add(n.build());
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

    /** Assignments grouped by a property of the node they went to. */
    private static Map<String, Integer> perGroup(List<Scheduler.Decision> ds, Collection<Node> nodes,
                                                 Function<Node, String> key) {
        Map<String, Node> byId = nodes.stream().collect(Collectors.toMap(Node::getId, n -> n));
        Map<String, Integer> out = new TreeMap<>();
        for (Scheduler.Decision d : ds) {
            if (d.assignment()) {
                out.merge(key.apply(byId.get(d.nodeId())), 1, Integer::sum);
            }
        }
        return out;
    }

    private static Function<Node, String> nodeLabel(String key) {
        return n -> n.getSpec().getAnnotations().getLabelsMap().getOrDefault(key, "-");
    }

    private static List<String> errs(List<Scheduler.Decision> ds) {
        return ds.stream().filter(d -> !d.assignment()).map(d -> d.after().getStatus().getErr()).distinct().toList();
    }

    /** The nodes (IDs, sorted) a constrained task may go to: one task per node tried, on a fresh model each time. */
    private static Set<String> eligible(List<Node> nodes, String... constraints) {
        Set<String> out = new java.util.TreeSet<>();
        Task t = constraint(task("t", "svc", 1), constraints).build();
        ConstraintFilter f = new ConstraintFilter();
        for (Node n : nodes) {
            if (f.accepts(t, new NodeState(n))) {
                out.add(n.getId());
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ constraints

    private static List<Node> mixedNodes() {
        Node.Builder m1 = label(node("m1").setRole(NodeRole.MANAGER), "zone", "a");
        Node.Builder w1 = label(label(node("w1"), "zone", "b"), "ssd", "true");
        Node.Builder w2 = engineLabel(label(node("w2"), "Zone", "c"), "storage", "fast");
        w2.getDescriptionBuilder().setHostname("work-02")
                .setPlatform(Platform.newBuilder().setOs("linux").setArchitecture("aarch64"));
        Node.Builder w3 = node("w3");
        w3.getDescriptionBuilder().setPlatform(Platform.newBuilder().setOs("windows").setArchitecture("x86_64"));
        return build(m1, w1, w2, w3);
    }

    @Test
    void everyConstraintKeyWithBothOperators() {
        List<Node> ns = mixedNodes();
        assertEquals(Set.of("w1"), eligible(ns, "node.id==w1"));
        assertEquals(Set.of("m1", "w2", "w3"), eligible(ns, "node.id!=w1"));
        assertEquals(Set.of("w2"), eligible(ns, "node.hostname==work-02"));
        assertEquals(Set.of("w2"), eligible(ns, "node.hostname==WORK-02"), "values compare case-insensitively");
        assertEquals(Set.of("m1", "w1", "w3"), eligible(ns, "node.hostname!=work-02"));
        assertEquals(Set.of("m1"), eligible(ns, "node.role==manager"));
        assertEquals(Set.of("m1"), eligible(ns, "node.role==Manager"));
        assertEquals(Set.of("w1", "w2", "w3"), eligible(ns, "node.role!=manager"));
        assertEquals(Set.of("w1", "w2", "w3"), eligible(ns, "node.role==worker"));
        assertEquals(Set.of("w3"), eligible(ns, "node.platform.os==windows"));
        assertEquals(Set.of("m1", "w1", "w2"), eligible(ns, "node.platform.os!=windows"));
        assertEquals(Set.of("w2"), eligible(ns, "node.platform.arch==aarch64"));
        assertEquals(Set.of("m1", "w1", "w3"), eligible(ns, "node.platform.arch!=aarch64"));
        assertEquals(Set.of("w2"), eligible(ns, "engine.labels.storage==fast"));
        assertEquals(Set.of("w2"), eligible(ns, "engine.labels.storage==FAST"));
        assertEquals(Set.of("m1", "w1", "w3"), eligible(ns, "engine.labels.storage!=fast"), "no such engine label: != holds");
    }

    @Test
    void nodeLabelsMissingLabelsAndKeyCase() {
        List<Node> ns = mixedNodes();
        assertEquals(Set.of("m1"), eligible(ns, "node.labels.zone==a"));
        assertEquals(Set.of("m1"), eligible(ns, "node.labels.zone==A"), "values compare case-insensitively");
        assertEquals(Set.of("m1"), eligible(ns, "NODE.LABELS.zone==a"), "the prefix is case-insensitive");
        assertEquals(Set.of(), eligible(ns, "node.labels.zone==c"), "the label key is not: w2 has Zone, not zone");
        assertEquals(Set.of("w2"), eligible(ns, "node.labels.Zone==c"));
        assertEquals(Set.of("w1", "w2", "w3"), eligible(ns, "node.labels.zone!=a"),
                "a node without the label matches !=");
        assertEquals(Set.of("w1"), eligible(ns, "node.labels.ssd==true"));
        assertEquals(Set.of("m1", "w2", "w3"), eligible(ns, "node.labels.ssd!=true"));
        assertEquals(Set.of(), eligible(ns, "node.labels.nothing==x"), "a missing label never matches ==");
    }

    @Test
    void constraintsAreAnded() {
        List<Node> ns = mixedNodes();
        assertEquals(Set.of("w1"), eligible(ns, "node.role==worker", "node.labels.zone!=a", "node.platform.os==linux",
                "node.platform.arch!=aarch64"));
        assertEquals(Set.of(), eligible(ns, "node.role==manager", "node.labels.ssd==true"));
        assertEquals(Set.of("w2", "w3"), eligible(ns, "node.id!=m1", "node.id!=w1"));
    }

    @Test
    void constrainedServiceOnManyNodesSpreadsOverTheNodesThatMatch() {
        List<Node.Builder> bs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Node.Builder n = node(String.format("n%02d", i));
            if (i % 4 == 0) {
                label(n, "disk", "ssd");
            }
            if (i % 10 == 0) {
                n.setRole(NodeRole.MANAGER);
            }
            bs.add(n);
        }
        List<Node> ns = build(bs.toArray(Node.Builder[]::new));
        Scheduler s = new Scheduler();
        // ssd and worker: i % 4 == 0 and i % 10 != 0 -> 10 ssd nodes, minus 0 and 20 -> 8 nodes
        s.load(ns, replicas("db", 16, t -> constraint(t, "node.labels.disk==ssd", "node.role!=manager")));
        Map<String, Integer> got = perNode(s.tick(CORE));
        assertEquals(8, got.size(), got.toString());
        for (Map.Entry<String, Integer> e : got.entrySet()) {
            int i = Integer.parseInt(e.getKey().substring(1));
            assertTrue(i % 4 == 0 && i % 10 != 0, e.getKey());
            assertEquals(2, e.getValue(), e.getKey());
        }
    }

    // ------------------------------------------------------------------ spread preferences

    @Test
    void spreadDescriptors() {
        assertEquals(new Spread.Level(false, "zone"), Spread.level("node.labels.zone"));
        assertEquals(new Spread.Level(false, "Zone"), Spread.level("Node.Labels.Zone"), "prefix case-insensitive, key not");
        assertEquals(new Spread.Level(true, "rack"), Spread.level("engine.labels.rack"));
        assertNull(Spread.level("node.labels."));
        assertNull(Spread.level("node.hostname"), "SwarmKit spreads over labels only; anything else is ignored");
        assertNull(Spread.level(""));
        assertEquals(List.of(new Spread.Level(false, "zone"), new Spread.Level(false, "rack")),
                Spread.levels(spread(task("t", "s", 1), "node.labels.zone", "node.id", "node.labels.rack").build()));
    }

    /** 3 nodes in zone a, 1 in b, 2 in c, 2 without a zone: 8 tasks, 2 per zone (the unlabelled nodes are a zone). */
    @Test
    void spreadEvenlyOverTheValuesNotTheNodes() {
        List<Node> ns = build(label(node("a1"), "zone", "a"), label(node("a2"), "zone", "a"), label(node("a3"), "zone", "a"),
                label(node("b1"), "zone", "b"), label(node("c1"), "zone", "c"), label(node("c2"), "zone", "c"),
                node("x1"), node("x2"));
        Scheduler s = new Scheduler();
        s.load(ns, replicas("web", 8, t -> spread(t, "node.labels.zone")));
        List<Scheduler.Decision> ds = s.tick(CORE);
        assertEquals(Map.of("a", 2, "b", 2, "c", 2, "-", 2), perGroup(ds, ns, nodeLabel("zone")));
        Map<String, Integer> nodes = perNode(ds);
        assertEquals(2, nodes.get("b1"), "b has one node: both of b's tasks go there");
        assertEquals(1, nodes.get("c1"));
        assertEquals(1, nodes.get("c2"));
        assertEquals(1, nodes.get("x1"));
        assertEquals(1, nodes.get("x2"));
        assertEquals(2, nodes.getOrDefault("a1", 0) + nodes.getOrDefault("a2", 0) + nodes.getOrDefault("a3", 0));
        assertTrue(nodes.values().stream().allMatch(n -> n <= 2));

        // without the preference the same service would go 1 per node
        Scheduler plain = new Scheduler();
        plain.load(ns, replicas("web", 8, t -> t));
        assertEquals(8, perNode(plain.tick(CORE)).size());
    }

    @Test
    void tasksAlreadyRunningCountForTheirZone() {
        List<Node> ns = build(label(node("a1"), "zone", "a"), label(node("a2"), "zone", "a"),
                label(node("b1"), "zone", "b"), label(node("c1"), "zone", "c"));
        List<Task> tasks = new ArrayList<>();
        // zone a runs 3 of the service already, b 1, c none
        tasks.add(spread(running(task("old-1", "web", 1), "a1"), "node.labels.zone").build());
        tasks.add(spread(running(task("old-2", "web", 2), "a2"), "node.labels.zone").build());
        tasks.add(spread(running(task("old-3", "web", 3), "a2"), "node.labels.zone").build());
        tasks.add(spread(running(task("old-4", "web", 4), "b1"), "node.labels.zone").build());
        for (int i = 5; i <= 9; i++) {
            tasks.add(spread(task("new-" + i, "web", i), "node.labels.zone").build());
        }
        Scheduler s = new Scheduler();
        s.load(ns, tasks);
        // 9 in all over 3 zones: 3 each -> b gets 2, c gets 3, a nothing
        assertEquals(Map.of("b", 2, "c", 3), perGroup(s.tick(CORE), ns, nodeLabel("zone")));
    }

    @Test
    void aZoneWithoutRoomLeavesItsShareToTheOthers() {
        List<Node> ns = build(availability(label(node("a1"), "zone", "a"), NodeSpec.Availability.DRAIN),
                label(node("a2"), "zone", "a").setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.DOWN)),
                label(node("b1"), "zone", "b"), label(node("c1"), "zone", "c"), label(node("c2"), "zone", "c"));
        Scheduler s = new Scheduler();
        s.load(ns, replicas("web", 6, t -> spread(t, "node.labels.zone")));
        List<Scheduler.Decision> ds = s.tick(CORE);
        assertEquals(Map.of("b", 3, "c", 3), perGroup(ds, ns, nodeLabel("zone")));
        assertEquals(Map.of("b1", 3, "c1", 2, "c2", 1), perNode(ds));
    }

    @Test
    void spreadWithMaxReplicasFillsASmallZoneThenMovesOn() {
        List<Node> ns = build(label(node("a1"), "zone", "a"), label(node("b1"), "zone", "b"),
                label(node("b2"), "zone", "b"), label(node("b3"), "zone", "b"));
        Scheduler s = new Scheduler();
        s.load(ns, replicas("web", 6, t -> maxReplicas(spread(t, "node.labels.zone"), 1)));
        List<Scheduler.Decision> ds = s.tick(CORE);
        assertEquals(Map.of("a", 1, "b", 3), perGroup(ds, ns, nodeLabel("zone")));
        assertEquals(List.of("no suitable node (max replicas per node limit exceed on 4 nodes)"), errs(ds));
    }

    @Test
    void severalLevelsInOrder() {
        // zone a: racks r1 (2 nodes) and r2 (1 node); zone b: one rack r1 with 3 nodes
        List<Node.Builder> bs = List.of(
                label(label(node("a-r1-1"), "zone", "a"), "rack", "r1"),
                label(label(node("a-r1-2"), "zone", "a"), "rack", "r1"),
                label(label(node("a-r2-1"), "zone", "a"), "rack", "r2"),
                label(label(node("b-r1-1"), "zone", "b"), "rack", "r1"),
                label(label(node("b-r1-2"), "zone", "b"), "rack", "r1"),
                label(label(node("b-r1-3"), "zone", "b"), "rack", "r1"));
        List<Node> ns = build(bs.toArray(Node.Builder[]::new));
        Scheduler s = new Scheduler();
        s.load(ns, replicas("web", 8, t -> spread(t, "node.labels.zone", "node.labels.rack")));
        List<Scheduler.Decision> ds = s.tick(CORE);
        assertEquals(Map.of("a", 4, "b", 4), perGroup(ds, ns, nodeLabel("zone")));
        Map<String, Integer> byNode = perNode(ds);
        // zone a's 4: 2 per rack, so the lone node of r2 takes 2
        assertEquals(2, byNode.get("a-r2-1"));
        assertEquals(1, byNode.get("a-r1-1"));
        assertEquals(1, byNode.get("a-r1-2"));
        // zone b's 4 over its 3 nodes: 2/1/1
        assertEquals(List.of(1, 1, 2), List.of(byNode.get("b-r1-1"), byNode.get("b-r1-2"), byNode.get("b-r1-3"))
                .stream().sorted().toList());

        // the order matters: rack first puts 4 on r1 (5 nodes) and 4 on r2 (1 node)
        Scheduler reversed = new Scheduler();
        reversed.load(ns, replicas("web", 8, t -> spread(t, "node.labels.rack", "node.labels.zone")));
        assertEquals(4, perNode(reversed.tick(CORE)).get("a-r2-1"));
    }

    @Test
    void engineLabelsAndIgnoredDescriptors() {
        List<Node> ns = build(engineLabel(node("e1"), "dc", "x"), engineLabel(node("e2"), "dc", "x"),
                engineLabel(node("e3"), "dc", "y"));
        Scheduler s = new Scheduler();
        s.load(ns, replicas("web", 4, t -> spread(t, "engine.labels.dc")));
        assertEquals(Map.of("e1", 1, "e2", 1, "e3", 2), perNode(s.tick(CORE)));

        Scheduler ignored = new Scheduler();
        ignored.load(ns, replicas("web", 3, t -> spread(t, "node.hostname")));
        assertEquals(Map.of("e1", 1, "e2", 1, "e3", 1), perNode(ignored.tick(CORE)), "an unknown descriptor: plain spread");
    }

    @Test
    void tiesBetweenZonesGoToTheBetterNode() {
        // zones a and b both run nothing of web; b's node is idle, a's runs another service
        List<Node> ns = build(label(node("a1"), "zone", "a"), label(node("b1"), "zone", "b"));
        Scheduler s = new Scheduler();
        List<Task> tasks = new ArrayList<>();
        tasks.add(running(task("db", "db", 1), "a1").build());
        tasks.addAll(replicas("web", 1, t -> spread(t, "node.labels.zone")));
        s.load(ns, tasks);
        assertEquals(Map.of("b1", 1), perNode(s.tick(CORE)));
    }

    /** 4 zones of 24 nodes in 2 racks of 12: 960 tasks go 240 per zone, 120 per rack, 10 per node. */
    @Test
    void manyNodesManyTasks() {
        List<Node> ns = new ArrayList<>();
        for (int i = 0; i < 96; i++) {
            ns.add(label(label(node(String.format("n%03d", i)), "zone", "z" + (i % 4)), "rack", "r" + (i % 8 / 4)).build());
        }
        Scheduler s = new Scheduler();
        s.load(ns, replicas("web", 960, t -> spread(t, "node.labels.zone", "node.labels.rack")));
        List<Scheduler.Decision> ds = s.tick(CORE);
        assertEquals(Map.of("z0", 240, "z1", 240, "z2", 240, "z3", 240), perGroup(ds, ns, nodeLabel("zone")));
        assertEquals(Map.of("z0/r0", 120, "z0/r1", 120, "z1/r0", 120, "z1/r1", 120,
                        "z2/r0", 120, "z2/r1", 120, "z3/r0", 120, "z3/r1", 120),
                perGroup(ds, ns, n -> nodeLabel("zone").apply(n) + "/" + nodeLabel("rack").apply(n)));
        assertTrue(perNode(ds).values().stream().allMatch(n -> n == 10), perNode(ds).toString());
    }

    // ------------------------------------------------------------------ max replicas

    @Test
    void maxReplicasPerNodeLeavesTheRestPending() {
        List<Node> ns = build(node("n1"), node("n2"), node("n3"), node("n4"), node("n5"));
        Scheduler s = new Scheduler();
        List<Task> tasks = new ArrayList<>();
        tasks.add(maxReplicas(running(task("old", "web", 1), "n1"), 1).build());
        tasks.addAll(replicas("web", 5, t -> maxReplicas(t, 1)));
        s.load(ns, tasks);
        List<Scheduler.Decision> ds = s.tick(CORE);
        assertEquals(Map.of("n2", 1, "n3", 1, "n4", 1, "n5", 1), perNode(ds));
        assertEquals(List.of("no suitable node (max replicas per node limit exceed on 5 nodes)"), errs(ds));

        // a task of the service told to shut down no longer counts (SwarmKit: desired state above COMPLETE)
        Task old = tasks.get(0);
        assertTrue(s.taskChanged(old.toBuilder().setDesiredState(TaskState.SHUTDOWN).build()));
        Map<String, Integer> next = perNode(s.tick(CORE));
        assertEquals(Map.of("n1", 1), next);
    }

    // ------------------------------------------------------------------ default spread by load

    @Test
    void sixReplicasOnFiveNodesGoTwoOneOneOneOne() {
        List<Node> ns = build(node("n1"), node("n2"), node("n3"), node("n4"), node("n5"));
        Scheduler s = new Scheduler();
        s.load(ns, replicas("web", 6, t -> t));
        Map<String, Integer> got = perNode(s.tick(CORE));
        assertEquals(5, got.size());
        assertEquals(List.of(1, 1, 1, 1, 2), got.values().stream().sorted().toList());
    }

    @Test
    void otherServicesDecideWhereTheExtraReplicaGoes() {
        List<Node> ns = build(node("n1"), node("n2"), node("n3"), node("n4"), node("n5"));
        List<Task> tasks = new ArrayList<>();
        // every node but n4 runs something else
        for (String n : List.of("n1", "n2", "n3", "n5")) {
            tasks.add(running(task("db-" + n, "db", 1), n).build());
        }
        tasks.addAll(replicas("web", 6, t -> t));
        Scheduler s = new Scheduler();
        s.load(ns, tasks);
        assertEquals(Map.of("n1", 1, "n2", 1, "n3", 1, "n4", 2, "n5", 1), perNode(s.tick(CORE)));
    }

    /** Replicas that arrive one round at a time (as after failures) never stack up while other nodes have fewer. */
    @Test
    void oneTaskPerRoundStillNeverThreeOnOneNode() {
        List<Node> ns = build(node("n1"), node("n2"), node("n3"), node("n4"), node("n5"));
        Scheduler s = new Scheduler();
        s.load(ns, List.of());
        Map<String, Integer> total = new TreeMap<>();
        for (int i = 1; i <= 6; i++) {
            assertTrue(s.taskChanged(task("web-" + i, "web", i).build()));
            total.putAll(perNodeMerged(total, s.tick(CORE)));
        }
        assertEquals(List.of(1, 1, 1, 1, 2), total.values().stream().sorted().toList());

        // the node with 2 goes down and its tasks are replaced: they go to two different nodes
        String busiest = total.entrySet().stream().filter(e -> e.getValue() == 2).findFirst().orElseThrow().getKey();
        assertTrue(s.nodeChanged(ns.stream().filter(n -> n.getId().equals(busiest)).findFirst().orElseThrow().toBuilder()
                .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.DOWN)).build()));
        int replaced = 0;
        for (String id : new ArrayList<>(List.of("web-1", "web-2", "web-3", "web-4", "web-5", "web-6"))) {
            Task placed = s.node(busiest).task(id);
            if (placed != null) {
                s.taskChanged(placed.toBuilder().setDesiredState(TaskState.SHUTDOWN).build());
                s.taskChanged(task(id + "-r", "web", placed.getSlot()).build());
                replaced++;
            }
        }
        assertEquals(2, replaced);
        Map<String, Integer> moved = perNode(s.tick(CORE));
        assertEquals(2, moved.size(), "one replacement on each of two nodes: " + moved);
        assertFalse(moved.containsKey(busiest));
        for (String n : List.of("n1", "n2", "n3", "n4", "n5")) {
            if (!n.equals(busiest)) {
                assertTrue(s.node(n).count("web") <= 2, n + " has " + s.node(n).count("web"));
            }
        }
    }

    private static Map<String, Integer> perNodeMerged(Map<String, Integer> into, List<Scheduler.Decision> ds) {
        Map<String, Integer> out = new TreeMap<>(into);
        perNode(ds).forEach((k, v) -> out.merge(k, v, Integer::sum));
        return out;
    }
}
