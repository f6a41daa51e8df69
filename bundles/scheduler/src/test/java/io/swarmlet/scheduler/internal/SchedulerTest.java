package io.swarmlet.scheduler.internal;

import static io.swarmlet.scheduler.internal.TestObjects.GB;
import static io.swarmlet.scheduler.internal.TestObjects.availability;
import static io.swarmlet.scheduler.internal.TestObjects.await;
import static io.swarmlet.scheduler.internal.TestObjects.constraint;
import static io.swarmlet.scheduler.internal.TestObjects.hostPort;
import static io.swarmlet.scheduler.internal.TestObjects.label;
import static io.swarmlet.scheduler.internal.TestObjects.node;
import static io.swarmlet.scheduler.internal.TestObjects.reserve;
import static io.swarmlet.scheduler.internal.TestObjects.running;
import static io.swarmlet.scheduler.internal.TestObjects.task;
import static io.swarmlet.scheduler.internal.TestObjects.withMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.Platform;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.NodeInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The scheduler component end to end: its loop over a fake store, with the core filters bound as SCR would. */
class SchedulerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String NO_NODE = "no suitable node";

    private final FakeStore store = new FakeStore();
    private SchedulerComponent scheduler;

    @BeforeEach
    void start() {
        scheduler = new SchedulerComponent(store, new SchedulerLoop.Settings(500, 1 << 20, Duration.ofMillis(5),
                Duration.ofMillis(200), CoreFilters.NAMES));
        SchedulerHarness.bindCore(scheduler);
        scheduler.leadershipChanged(true);
    }

    @AfterEach
    void stop() throws InterruptedException {
        scheduler.deactivate();
    }

    // ------------------------------------------------------------------ helpers

    private void nodes(Node.Builder... nodes) {
        store.update(tx -> {
            for (Node.Builder n : nodes) {
                tx.create(Kind.NODE, n.build());
            }
        });
    }

    private long updateNode(String id, java.util.function.UnaryOperator<Node.Builder> change) {
        return store.update(tx -> tx.update(Kind.NODE, change.apply(tx.get(Kind.NODE, id).orElseThrow().toBuilder()).build()));
    }

    private long tasks(Task.Builder... tasks) {
        return store.update(tx -> {
            for (Task.Builder t : tasks) {
                tx.create(Kind.TASK, t.build());
            }
        });
    }

    private List<Task.Builder> replicas(String service, int n, java.util.function.UnaryOperator<Task.Builder> shape) {
        List<Task.Builder> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(shape.apply(task(service + "-t" + i, service, i)));
        }
        return out;
    }

    private Task get(String id) {
        return store.view(tx -> tx.get(Kind.TASK, id).orElseThrow());
    }

    private List<Task> all(Predicate<Task> p) {
        return store.view(tx -> tx.find(Kind.TASK, p));
    }

    private static boolean isAssigned(Task t) {
        return t.getStatus().getState() == TaskState.ASSIGNED;
    }

    private void awaitAssigned(int n) throws InterruptedException {
        await(n + " tasks assigned", WAIT, () -> all(SchedulerTest::isAssigned).size() == n);
    }

    private void awaitErr(String taskId, String err) throws InterruptedException {
        await("task " + taskId + " to say " + err, WAIT, () -> get(taskId).getStatus().getErr().equals(err));
    }

    /** Waits until a scheduling round has seen the store as of that index. */
    private void awaitRound(long index) throws InterruptedException {
        await("a scheduling round through index " + index, WAIT,
                () -> scheduler.loop() != null && scheduler.loop().roundedThrough() >= index);
    }

    private Map<String, Integer> perNode() {
        Map<String, Integer> out = new TreeMap<>();
        for (Task t : all(SchedulerTest::isAssigned)) {
            out.merge(t.getNodeId(), 1, Integer::sum);
        }
        return out;
    }

    // ------------------------------------------------------------------ tests

    @Test
    void sixReplicasOnThreeNodesGoTwoPerNode() throws Exception {
        nodes(node("n1"), node("n2"), node("n3"));
        tasks(replicas("web", 6, t -> t).toArray(Task.Builder[]::new));

        awaitAssigned(6);
        assertEquals(Map.of("n1", 2, "n2", 2, "n3", 2), perNode());
        Task t = get("web-t1");
        assertEquals(TaskFacts.ASSIGNED_MESSAGE, t.getStatus().getMessage());
        assertEquals("", t.getStatus().getErr());
        assertTrue(t.getStatus().getTimestamp() > 0);
    }

    @Test
    void sixReplicasOnFiveNodesNeverThreeOnOne() throws Exception {
        nodes(node("n1"), node("n2"), node("n3"), node("n4"), node("n5"));
        tasks(replicas("web", 6, t -> t).toArray(Task.Builder[]::new));

        awaitAssigned(6);
        assertEquals(List.of(1, 1, 1, 1, 2), perNode().values().stream().sorted().toList(), perNode().toString());
    }

    @Test
    void spreadPreferenceOverZonesThroughTheStore() throws Exception {
        nodes(label(node("a1"), "zone", "a"), label(node("a2"), "zone", "a"), label(node("a3"), "zone", "a"),
                label(node("b1"), "zone", "b"), node("x1"));
        tasks(replicas("web", 6, t -> {
            t.getSpecBuilder().getPlacementBuilder().addPreferences(
                    io.swarmlet.api.types.PlacementPreference.newBuilder().setSpread("node.labels.zone"));
            return t;
        }).toArray(Task.Builder[]::new));

        awaitAssigned(6);
        Map<String, Integer> byNode = perNode();
        // 2 per zone value, nodes without the label being a value of their own
        assertEquals(2, byNode.get("b1"), byNode.toString());
        assertEquals(2, byNode.get("x1"), byNode.toString());
        assertEquals(2, byNode.getOrDefault("a1", 0) + byNode.getOrDefault("a2", 0) + byNode.getOrDefault("a3", 0));
    }

    @Test
    void spreadsOneServiceFirstThenTotalsThenNodeId() throws Exception {
        nodes(node("n1"), node("n2"), node("n3"));
        // n1 runs two tasks of another service, n3 one of "web"
        tasks(running(task("db-1", "db", 1), "n1"), running(task("db-2", "db", 2), "n1"),
                running(task("web-old", "web", 9), "n3"));
        tasks(task("web-a", "web", 1));
        await("web-a assigned", WAIT, () -> isAssigned(get("web-a")));
        assertEquals("n2", get("web-a").getNodeId(), "no web task and no task at all");
        tasks(task("web-b", "web", 2));
        await("web-b assigned", WAIT, () -> isAssigned(get("web-b")));
        assertEquals("n1", get("web-b").getNodeId(), "every node has one web task but n1: fewest of the service wins");
        tasks(task("web-c", "web", 3));
        await("web-c assigned", WAIT, () -> isAssigned(get("web-c")));
        // n1: 1 web, 3 total; n2: 1 web, 1 total; n3: 1 web, 1 total -> fewest total, then node ID
        assertEquals("n2", get("web-c").getNodeId());
    }

    @Test
    void drainedPausedAndDownNodesGetNothing() throws Exception {
        nodes(node("a-ok"),
                availability(node("b-drain"), NodeSpec.Availability.DRAIN),
                availability(node("c-pause"), NodeSpec.Availability.PAUSE),
                node("d-down").setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.DOWN)));
        tasks(replicas("web", 4, t -> t).toArray(Task.Builder[]::new));

        awaitAssigned(4);
        assertEquals(Map.of("a-ok", 4), perNode());

        // with the good node drained too, nothing fits and the task says why, in pipeline order
        updateNode("a-ok", n -> availability(n, NodeSpec.Availability.DRAIN));
        tasks(task("late", "web", 5));
        awaitErr("late", NO_NODE + " (1 node not ready; 3 nodes not available for new tasks)");
        assertEquals(TaskState.PENDING, get("late").getStatus().getState());
        assertEquals("", get("late").getNodeId());
        assertEquals("pending task scheduling", get("late").getStatus().getMessage());
    }

    @Test
    void explainsEveryRejectionInPipelineOrder() throws Exception {
        nodes(label(availability(node("n1").setRole(NodeRole.MANAGER), NodeSpec.Availability.DRAIN), "x", "y"),
                withMemory(node("n2").setRole(NodeRole.MANAGER), GB / 2),
                withMemory(node("n3").setRole(NodeRole.MANAGER), GB / 2),
                node("n4"));
        tasks(constraint(reserve(task("t1", "db", 1), 0, GB), "node.role==manager"));

        awaitErr("t1", "no suitable node (1 node not available for new tasks; 2 nodes lack memory;"
                + " 1 node fails constraint node.role==manager)");
    }

    @Test
    void reservationsBeyondCapacityWaitForABiggerNode() throws Exception {
        nodes(withMemory(node("small"), 2 * GB));
        tasks(reserve(task("big-1", "big", 1), 0, 4 * GB), reserve(task("fits", "small", 1), 0, GB));

        await("fits assigned", WAIT, () -> isAssigned(get("fits")));
        awaitErr("big-1", "no suitable node (1 node lacks memory)");
        assertEquals(TaskState.PENDING, get("big-1").getStatus().getState());

        // a change that does not change the explanation is not written again
        long version = get("big-1").getMeta().getVersion();
        long idx = updateNode("small", n -> label(n, "touched", "yes"));
        awaitRound(idx);
        assertEquals(version, get("big-1").getMeta().getVersion(), "same explanation: no write");

        // a new node that is too small changes the explanation
        nodes(withMemory(node("small2"), GB));
        awaitErr("big-1", "no suitable node (2 nodes lack memory)");

        nodes(withMemory(node("large"), 16 * GB));
        await("big-1 assigned", WAIT, () -> isAssigned(get("big-1")));
        assertEquals("large", get("big-1").getNodeId());
        assertEquals("", get("big-1").getStatus().getErr());
    }

    @Test
    void reservationsCountWhatIsAlreadyOnTheNode() throws Exception {
        nodes(withMemory(node("n1"), 4 * GB));
        tasks(reserve(running(task("old", "db", 1), "n1"), 0, 3 * GB));
        tasks(reserve(task("new", "web", 1), 0, 2 * GB));
        awaitErr("new", "no suitable node (1 node lacks memory)");

        // the old task finishes: its reservation is released and the waiting task goes there
        store.update(tx -> {
            Task old = tx.get(Kind.TASK, "old").orElseThrow();
            tx.update(Kind.TASK, old.toBuilder().setStatus(old.getStatus().toBuilder().setState(TaskState.SHUTDOWN)).build());
        });
        await("new assigned", WAIT, () -> isAssigned(get("new")));
        assertEquals("n1", get("new").getNodeId());
    }

    @Test
    void cpuAndMemoryAreBothChecked() throws Exception {
        nodes(node("n1")); // 4 CPUs, 8 GB
        tasks(reserve(task("cpu", "a", 1), 8 * TestObjects.CPU, 0),
                reserve(task("both", "b", 1), 8 * TestObjects.CPU, 16 * GB));
        awaitErr("cpu", "no suitable node (1 node lacks CPU)");
        awaitErr("both", "no suitable node (1 node lacks CPU and memory)");
    }

    @Test
    void batchOfReservingTasksStopsWhenNodesAreFull() throws Exception {
        nodes(withMemory(node("n1"), 2 * GB), withMemory(node("n2"), 2 * GB));
        tasks(replicas("web", 5, t -> reserve(t, 0, GB)).toArray(Task.Builder[]::new));

        awaitAssigned(4);
        assertEquals(Map.of("n1", 2, "n2", 2), perNode());
        Task left = all(t -> !isAssigned(t)).get(0);
        awaitErr(left.getId(), "no suitable node (2 nodes lack memory)");
    }

    @Test
    void constraintsOnRoleAndLabels() throws Exception {
        nodes(node("w1"), label(node("w2"), "x", "y"), node("m1").setRole(NodeRole.MANAGER));
        tasks(replicas("mgr", 3, t -> constraint(t, "node.role==manager")).toArray(Task.Builder[]::new));
        tasks(replicas("lbl", 3, t -> constraint(t, "node.labels.x==y")).toArray(Task.Builder[]::new));
        tasks(constraint(task("none", "none", 1), "node.role==manager", "node.labels.x==y"));

        awaitAssigned(6);
        for (Task t : all(SchedulerTest::isAssigned)) {
            assertEquals(t.getServiceId().equals("mgr") ? "m1" : "w2", t.getNodeId(), t.getId());
        }
        awaitErr("none", "no suitable node (1 node fails constraint node.labels.x==y;"
                + " 2 nodes fail constraint node.role==manager)");
    }

    @Test
    void aHostPortIsPublishedOncePerNode() throws Exception {
        nodes(node("n1"), node("n2"));
        tasks(replicas("web", 3, t -> hostPort(t, 8080, 80)).toArray(Task.Builder[]::new));

        awaitAssigned(2);
        assertEquals(Map.of("n1", 1, "n2", 1), perNode());
        Task left = all(t -> !isAssigned(t)).get(0);
        awaitErr(left.getId(), "no suitable node (host-mode port already in use on 2 nodes)");

        // another port does not conflict
        tasks(hostPort(task("other", "other", 1), 9090, 80));
        await("other assigned", WAIT, () -> isAssigned(get("other")));
    }

    @Test
    void maxReplicasPerNode() throws Exception {
        nodes(node("n1"), node("n2"));
        tasks(replicas("web", 5, t -> {
            t.getSpecBuilder().getPlacementBuilder().setMaxReplicas(2);
            return t;
        }).toArray(Task.Builder[]::new));

        awaitAssigned(4);
        assertEquals(Map.of("n1", 2, "n2", 2), perNode());
        Task left = all(t -> !isAssigned(t)).get(0);
        awaitErr(left.getId(), "no suitable node (max replicas per node limit exceed on 2 nodes)");

        // a third node takes it
        nodes(node("n3"));
        await(left.getId() + " assigned", WAIT, () -> isAssigned(get(left.getId())));
        assertEquals("n3", get(left.getId()).getNodeId());
    }

    @Test
    void platformFromTheImage() throws Exception {
        Node.Builder arm = node("arm");
        arm.getDescriptionBuilder().setPlatform(Platform.newBuilder().setOs("linux").setArchitecture("aarch64"));
        nodes(node("amd"), arm);
        Task.Builder t = task("arm-only", "a", 1);
        t.getSpecBuilder().getPlacementBuilder().addPlatforms(Platform.newBuilder().setOs("linux").setArchitecture("arm64"));
        tasks(t, task("any", "b", 1));

        await("both assigned", WAIT, () -> isAssigned(get("arm-only")) && isAssigned(get("any")));
        assertEquals("arm", get("arm-only").getNodeId());
    }

    @Test
    void globalTaskIsOnlyCheckedOnItsNode() throws Exception {
        nodes(withMemory(node("small"), GB), node("big"));
        tasks(reserve(task("g-small", "g", 0).setNodeId("small"), 0, 2 * GB),
                reserve(task("g-big", "g", 0).setNodeId("big"), 0, 2 * GB));

        await("g-big assigned", WAIT, () -> isAssigned(get("g-big")));
        assertEquals("big", get("g-big").getNodeId());
        awaitErr("g-small", "no suitable node (1 node lacks memory)");
        Task stuck = get("g-small");
        assertEquals(TaskState.PENDING, stuck.getStatus().getState());
        assertEquals("small", stuck.getNodeId(), "a preset node is never changed");

        // the node grows: the task is confirmed there
        updateNode("small", n -> withMemory(n, 4 * GB));
        await("g-small assigned", WAIT, () -> isAssigned(get("g-small")));
        assertEquals("small", get("g-small").getNodeId());
    }

    /** A plugin filter: refuses nodes labelled gpu=none, says so in its own words. */
    private static final class NoGpuFilter implements NodeFilter {
        @Override public String name() { return "gpu"; }
        @Override public boolean appliesTo(Task task) { return task.getServiceId().startsWith("ml"); }
        @Override public boolean accepts(Task task, NodeInfo node) {
            return !"none".equals(node.node().getSpec().getAnnotations().getLabelsMap().get("gpu"));
        }
        @Override public String explain(int nodes) { return nodes + " without a GPU"; }
    }

    @Test
    void pluginFilterRegisteredAtRunTimeIsUsed() throws Exception {
        nodes(label(node("n1"), "gpu", "none"), node("n2"));
        NodeFilter gpu = new NoGpuFilter();
        scheduler.addFilter(gpu, Map.of(FilterRegistry.SERVICE_RANKING, 0, FilterRegistry.SERVICE_ID, 100L));

        tasks(replicas("ml", 4, t -> t).toArray(Task.Builder[]::new));
        awaitAssigned(4);
        assertEquals(Map.of("n2", 4), perNode());

        // it explains itself alongside the core filters
        updateNode("n2", n -> availability(n, NodeSpec.Availability.DRAIN));
        tasks(task("ml-late", "ml", 5));
        awaitErr("ml-late", "no suitable node (1 node not available for new tasks; 1 without a GPU)");

        // unregistered: waiting tasks are tried again without it
        scheduler.removeFilter(gpu);
        await("ml-late assigned", WAIT, () -> isAssigned(get("ml-late")));
        assertEquals("n1", get("ml-late").getNodeId());
    }

    private static Task.Builder strategy(Task.Builder t, String name) {
        t.getSpecBuilder().getPlacementBuilder().setStrategy(name);
        return t;
    }

    @Test
    void aStrategyRegisteredAtRunTimeIsUsedAndSpreadWhenItGoes() throws Exception {
        nodes(node("n1"), node("n2"), node("n3"));
        StrategyTest.Binpack binpack = new StrategyTest.Binpack();
        scheduler.addStrategy(binpack, Map.of(io.swarmlet.spi.placement.PlacementStrategy.NAME, "binpack",
                FilterRegistry.SERVICE_ID, 200L));

        // 8 GB nodes, 1 GB tasks: the first node is filled, then the next
        tasks(replicas("web", 10, t -> reserve(strategy(t, "binpack"), 0, GB)).toArray(Task.Builder[]::new));
        awaitAssigned(10);
        assertEquals(Map.of("n1", 8, "n2", 2), perNode());

        // the plugin goes away: services that name it are spread
        scheduler.removeStrategy(binpack);
        tasks(replicas("api", 3, t -> strategy(t, "binpack")).toArray(Task.Builder[]::new));
        awaitAssigned(13);
        assertEquals(List.of("n1", "n2", "n3"), all(t -> t.getServiceId().equals("api") && isAssigned(t)).stream()
                .map(Task::getNodeId).sorted().toList());
    }

    @Test
    void theClustersDefaultStrategyIsFollowedAsItChanges() throws Exception {
        nodes(node("n1"), node("n2"));
        scheduler.addStrategy(new StrategyTest.Binpack(), Map.of(io.swarmlet.spi.placement.PlacementStrategy.NAME,
                "binpack"));
        store.update(tx -> tx.create(Kind.CLUSTER, io.swarmlet.api.types.Cluster.newBuilder().setId("c1")
                .setSpec(io.swarmlet.api.types.ClusterSpec.newBuilder()
                        .setAnnotations(io.swarmlet.api.types.Annotations.newBuilder().setName("default"))
                        .setOrchestration(io.swarmlet.api.types.OrchestrationConfig.newBuilder()
                                .setDefaultPlacementStrategy("binpack")))
                .build()));
        tasks(replicas("web", 4, t -> t).toArray(Task.Builder[]::new));
        awaitAssigned(4);
        assertEquals(Map.of("n1", 4), perNode(), "binpack, the cluster's default");

        store.update(tx -> {
            io.swarmlet.api.types.Cluster c = tx.get(Kind.CLUSTER, "c1").orElseThrow();
            io.swarmlet.api.types.Cluster.Builder b = c.toBuilder();
            b.getSpecBuilder().getOrchestrationBuilder().setDefaultPlacementStrategy("");
            tx.update(Kind.CLUSTER, b.build());
        });
        await("the default to be spread again", WAIT,
                () -> scheduler.loop() != null && scheduler.loop().defaultStrategy().isEmpty());
        tasks(replicas("api", 2, t -> t).toArray(Task.Builder[]::new));
        awaitAssigned(6);
        assertEquals(List.of("n1", "n2"), all(t -> t.getServiceId().equals("api") && isAssigned(t)).stream()
                .map(Task::getNodeId).sorted().toList(), "spread again");
    }

    @Test
    void runtimesAreFilteredAndExplained() throws Exception {
        Node.Builder both = node("both");
        both.getDescriptionBuilder().addRuntimes("container").addRuntimes("process");
        nodes(node("n1"), node("n2"), both);
        Task.Builder p = task("proc-1", "proc", 1);
        p.getSpecBuilder().setRuntime("process");
        Task.Builder w = task("wasm-1", "wasm", 1);
        w.getSpecBuilder().setRuntime("wasm");
        tasks(p, w);
        await("proc-1 assigned", WAIT, () -> isAssigned(get("proc-1")));
        assertEquals("both", get("proc-1").getNodeId());
        awaitErr("wasm-1", "no suitable node (3 nodes lack runtime wasm)");
    }

    @Test
    void nothingIsPlacedUntilTheCoreFiltersAreThere() throws Exception {
        scheduler.deactivate();
        scheduler = new SchedulerComponent(store, new SchedulerLoop.Settings(500, 1 << 20, Duration.ofMillis(5),
                Duration.ofMillis(200), CoreFilters.NAMES));
        scheduler.leadershipChanged(true);
        nodes(node("n1"), availability(node("n2"), NodeSpec.Availability.DRAIN));
        long idx = tasks(replicas("web", 2, t -> t).toArray(Task.Builder[]::new));
        await("the loop to hold back a round", WAIT,
                () -> scheduler.loop() != null && scheduler.loop().missingFilters().equals(CoreFilters.NAMES));
        assertEquals(0, SchedulerHarness.assigned(store));
        assertEquals(-1, scheduler.loop().roundedThrough(), "no round without the core filters");

        SchedulerHarness.bindCore(scheduler);
        awaitAssigned(2);
        awaitRound(idx);
        assertEquals(Map.of("n1", 2), perNode(), "the availability filter was there for the first round");
    }

    @Test
    void stopsOnLosingLeadershipAndStartsAgainFromTheStore() throws Exception {
        nodes(node("n1"));
        tasks(task("a", "web", 1));
        await("a assigned", WAIT, () -> isAssigned(get("a")));

        scheduler.leadershipChanged(false);
        assertNull(scheduler.loop());
        await("the watch closed", WAIT, () -> store.watchers() == 0);
        tasks(task("b", "web", 2));

        scheduler.leadershipChanged(true);
        assertNotNull(scheduler.loop());
        await("b assigned", WAIT, () -> isAssigned(get("b")));
        assertEquals("n1", get("b").getNodeId());
    }

    @Test
    void aClosedWatchIsOpenedAgainFromANewSnapshot() throws Exception {
        nodes(node("n1"), node("n2"));
        tasks(task("a", "web", 1));
        await("a assigned", WAIT, () -> isAssigned(get("a")));

        store.closeWatches();
        tasks(task("b", "web", 2), task("c", "web", 3), task("d", "web", 4));
        awaitAssigned(4);
        assertEquals(Map.of("n1", 2, "n2", 2), perNode(), "the new model counted a, which was placed before");
        assertEquals(1, store.watchers());
    }

    @Test
    void failedWritesAreTriedAgain() throws Exception {
        nodes(node("n1"), node("n2"));
        store.failNext(2, StoreException.Reason.SEQUENCE_CONFLICT); // retried at once within the round
        store.failNext(1, StoreException.Reason.NO_QUORUM);         // the round gives up, the next one retries
        tasks(replicas("web", 4, t -> t).toArray(Task.Builder[]::new));

        awaitAssigned(4);
        assertEquals(Map.of("n1", 2, "n2", 2), perNode(), "decisions undone after the failure were not counted twice");
    }

    @Test
    void tasksNotWaitingForANodeAreLeftAlone() throws Exception {
        nodes(node("n1"));
        tasks(task("shut", "web", 1).setDesiredState(TaskState.SHUTDOWN),
                task("ready", "web", 2).setDesiredState(TaskState.READY),
                task("new", "web", 3).setStatus(io.swarmlet.api.types.TaskStatus.newBuilder().setState(TaskState.NEW)));
        long idx = tasks(task("run", "web", 4));
        await("ready, new and run assigned", WAIT,
                () -> isAssigned(get("ready")) && isAssigned(get("new")) && isAssigned(get("run")));
        awaitRound(idx);
        Task shut = get("shut");
        assertEquals(TaskState.PENDING, shut.getStatus().getState());
        assertEquals("", shut.getNodeId());
        assertEquals("", shut.getStatus().getErr());
    }

    @Test
    void manyTasksAreWrittenInBatches() throws Exception {
        scheduler.deactivate();
        scheduler = new SchedulerComponent(store, new SchedulerLoop.Settings(7, 1 << 20, Duration.ofMillis(5),
                Duration.ofMillis(200), CoreFilters.NAMES));
        SchedulerHarness.bindCore(scheduler);
        nodes(node("n1"), node("n2"), node("n3"));
        long before = store.view(tx -> tx.index());
        tasks(replicas("web", 30, t -> t).toArray(Task.Builder[]::new));
        scheduler.leadershipChanged(true);
        awaitAssigned(30);
        assertEquals(Map.of("n1", 10, "n2", 10, "n3", 10), perNode());
        long txs = store.view(tx -> tx.index()) - before - 1;
        assertEquals(5, txs, "30 assignments in transactions of at most 7");
        Map<Long, Long> perTx = all(SchedulerTest::isAssigned).stream()
                .collect(Collectors.groupingBy(t -> t.getMeta().getVersion(), Collectors.counting()));
        assertTrue(perTx.values().stream().allMatch(n -> n <= 7), perTx.toString());
    }
}
