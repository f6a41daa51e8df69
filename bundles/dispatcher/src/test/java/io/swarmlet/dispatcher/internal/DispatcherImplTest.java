package io.swarmlet.dispatcher.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.dispatcher.Assignments;
import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.ClusterSpec;
import io.swarmlet.api.types.DispatcherConfig;
import io.swarmlet.api.types.EngineDescription;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import io.swarmlet.spi.executor.LogSource;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dispatcher against a real one-member store. */
class DispatcherImplTest {

    static final String A = "node-a";
    static final String B = "node-b";
    static final Duration LONG = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private SingleNodeStore running;
    private Store store;
    private final List<DispatcherImpl> dispatchers = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeEach
    void setUp() throws Exception {
        running = SingleNodeStore.start(dir, "manager0000000000000000001");
        store = running.store();
        store.update(tx -> {
            tx.create(Kind.CLUSTER, cluster(0));
            tx.create(Kind.NODE, node(A, NodeStatus.State.READY));
            tx.create(Kind.NODE, node(B, NodeStatus.State.READY));
        });
    }

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
        dispatchers.forEach(DispatcherImpl::stop);
        running.close();
    }

    private DispatcherImpl start() {
        DispatcherImpl d = new DispatcherImpl(store);
        dispatchers.add(d);
        d.start();
        return d;
    }

    // ------------------------------------------------------------ sessions and nodes

    @Test
    void openNeedsAKnownNode() {
        DispatcherImpl d = start();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.open("nope", describe("x")));
        assertEquals("unknown node nope", e.getMessage());
    }

    @Test
    void openMarksTheNodeReadyWithItsDescriptionAndCloseMarksItDown() throws Exception {
        setNodeState(A, NodeStatus.State.DOWN, "was down");
        DispatcherImpl d = start();
        Session s = d.open(A, describe("worker-a"));
        await("node ready", () -> node(A).getStatus().getState() == NodeStatus.State.READY);
        Node n = node(A);
        assertEquals("worker-a", n.getDescription().getHostname());
        assertEquals("fake-1", n.getDescription().getEngine().getEngineVersion());
        assertEquals("", n.getStatus().getMessage());
        assertEquals("10.0.0.1", n.getStatus().getAddr(), "the address is kept");

        s.close();
        await("node down", () -> node(A).getStatus().getState() == NodeStatus.State.DOWN);
        assertEquals(DispatcherImpl.SESSION_CLOSED, node(A).getStatus().getMessage());
        assertThrows(IllegalStateException.class, () -> s.assignments(0, Duration.ZERO));
        assertThrows(IllegalStateException.class, s::heartbeat);
    }

    @Test
    void aNodeThatMissesHeartbeatsGoesDownAndComesBackWhenTheyResume() throws Exception {
        store.update(tx -> tx.update(Kind.CLUSTER, tx.all(Kind.CLUSTER).get(0).toBuilder()
                .setSpec(cluster(100).getSpec()).build()));
        DispatcherImpl d = start();
        Session s = d.open(A, describe("a"));
        assertEquals(Duration.ofMillis(100), s.heartbeatPeriod());
        // no heartbeats: after three periods the node is down
        await("node down", () -> node(A).getStatus().getState() == NodeStatus.State.DOWN);
        assertEquals(DispatcherImpl.HEARTBEAT_FAILURE, node(A).getStatus().getMessage());
        // the session is still good: a heartbeat brings the node back
        s.heartbeat();
        await("node ready", () -> node(A).getStatus().getState() == NodeStatus.State.READY);
        assertEquals("", node(A).getStatus().getMessage());
        assertNotNull(s.assignments(0, LONG));
    }

    @Test
    void heartbeatPeriodFollowsTheClusterSpec() throws Exception {
        DispatcherImpl d = start();
        Session s = d.open(A, describe("a"));
        assertEquals(Duration.ofMillis(DispatcherImpl.DEFAULT_HEARTBEAT_MS), s.heartbeatPeriod());
        store.update(tx -> tx.update(Kind.CLUSTER, tx.all(Kind.CLUSTER).get(0).toBuilder()
                .setSpec(cluster(750).getSpec()).build()));
        await("new period", () -> s.heartbeatPeriod().equals(Duration.ofMillis(750)));
    }

    @Test
    void nodesThatWereUpButNeverConnectGoDownAfterTheGracePeriod() throws Exception {
        store.update(tx -> tx.update(Kind.CLUSTER, tx.all(Kind.CLUSTER).get(0).toBuilder()
                .setSpec(cluster(100).getSpec()).build()));
        DispatcherImpl d = start();
        Session a = d.open(A, describe("a"));
        await("node b down", () -> node(B).getStatus().getState() == NodeStatus.State.DOWN);
        assertEquals(DispatcherImpl.HEARTBEAT_FAILURE, node(B).getStatus().getMessage());
        a.heartbeat();
        // said to be up by someone else, still without a session: down again after the grace period
        setNodeState(B, NodeStatus.State.READY, "");
        await("node b down again", () -> node(B).getStatus().getState() == NodeStatus.State.DOWN);
        assertEquals(DispatcherImpl.HEARTBEAT_FAILURE, node(B).getStatus().getMessage());
    }

    @Test
    void aNewSessionReplacesTheOldOneWithoutMarkingTheNodeDown() throws Exception {
        DispatcherImpl d = start();
        Session first = d.open(A, describe("a"));
        Session second = d.open(A, describe("a"));
        assertThrows(IllegalStateException.class, () -> first.assignments(0, LONG));
        first.close(); // not the node's session any more: nothing to mark

        createTask(task("t1", A, TaskState.ASSIGNED));
        second.updateTaskStatus(Map.of("t1", status(TaskState.ACCEPTED, 1)));
        await("report written", () -> task("t1").getStatus().getState() == TaskState.ACCEPTED);
        assertEquals(NodeStatus.State.READY, node(A).getStatus().getState());
    }

    @Test
    void stopEndsEverySession() throws Exception {
        DispatcherImpl d = start();
        Session s = d.open(A, describe("a"));
        Future<Assignments> waiting = pool.submit(() -> {
            Assignments first = s.assignments(0, LONG);
            return s.assignments(first.version(), LONG);
        });
        d.stop();
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> waiting.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IllegalStateException, e.toString());
        assertThrows(IllegalStateException.class, s::heartbeat);
        assertThrows(IllegalStateException.class, () -> d.open(A, describe("a")));
    }

    // ------------------------------------------------------------ assignments

    @Test
    void assignmentsAreTheNodesTasksAndReturnAsSoonAsTheyChange() throws Exception {
        createTask(task("t1", A, TaskState.ASSIGNED));
        createTask(task("t2", B, TaskState.ASSIGNED));
        createTask(task("t3", "", TaskState.PENDING));
        DispatcherImpl d = start();
        Session a = d.open(A, describe("a"));
        Session b = d.open(B, describe("b"));

        Assignments first = a.assignments(0, LONG);
        assertEquals(List.of("t1"), ids(first));
        assertTrue(first.version() > 0);
        assertNull(a.assignments(first.version(), Duration.ofMillis(50)), "nothing changed");

        // a blocked call returns with the new set
        Future<Assignments> next = pool.submit(() -> a.assignments(first.version(), LONG));
        createTask(task("t0", A, TaskState.ASSIGNED));
        Assignments second = next.get(30, TimeUnit.SECONDS);
        assertEquals(List.of("t0", "t1"), ids(second), "in ID order");
        assertTrue(second.version() > first.version());

        // every task, whatever its desired state: the agent needs SHUTDOWN and REMOVE to stop them
        store.update(tx -> tx.update(Kind.TASK, tx.get(Kind.TASK, "t1").orElseThrow().toBuilder()
                .setDesiredState(TaskState.SHUTDOWN).build()));
        Assignments third = a.assignments(second.version(), LONG);
        assertEquals(TaskState.SHUTDOWN, third.tasks().stream().filter(t -> t.getId().equals("t1")).findFirst()
                .orElseThrow().getDesiredState());

        // a change of another node's tasks does not concern this one
        Assignments b1 = b.assignments(0, LONG);
        createTask(task("t4", B, TaskState.ASSIGNED));
        Assignments b2 = b.assignments(b1.version(), LONG);
        assertEquals(List.of("t2", "t4"), ids(b2));
        assertNull(a.assignments(third.version(), Duration.ofMillis(50)));

        // a deleted task leaves the set: its container is to be removed
        store.update(tx -> tx.delete(Kind.TASK, "t1"));
        Assignments fourth = a.assignments(third.version(), LONG);
        assertEquals(List.of("t0"), ids(fourth));

        // a task scheduled to the node joins it
        store.update(tx -> tx.update(Kind.TASK, tx.get(Kind.TASK, "t3").orElseThrow().toBuilder()
                .setNodeId(A).setStatus(status(TaskState.ASSIGNED, 1)).build()));
        assertEquals(List.of("t0", "t3"), ids(a.assignments(fourth.version(), LONG)));
    }

    @Test
    void aNewSessionGetsTheWholeSetAtOnce() throws Exception {
        createTask(task("t1", A, TaskState.ASSIGNED));
        DispatcherImpl d = start();
        Session s = d.open(A, describe("a"));
        Assignments first = s.assignments(0, LONG);
        s.close();
        // a new dispatcher (leader change): the agent starts over from 0
        d.stop();
        DispatcherImpl d2 = start();
        Session s2 = d2.open(A, describe("a"));
        Assignments again = s2.assignments(0, LONG);
        assertEquals(ids(first), ids(again));
    }

    // ------------------------------------------------------------ task status

    @Test
    void statusOnlyMovesForwardAndStaleOrForeignReportsAreIgnored() throws Exception {
        createTask(task("t1", A, TaskState.ASSIGNED));
        createTask(task("t2", A, TaskState.ASSIGNED));
        createTask(task("tb", B, TaskState.ASSIGNED));
        DispatcherImpl d = start();
        Session a = d.open(A, describe("a"));

        a.updateTaskStatus(Map.of("t1", status(TaskState.RUNNING, 100)));
        await("running", () -> task("t1").getStatus().getState() == TaskState.RUNNING);
        a.updateTaskStatus(Map.of("t1", status(TaskState.COMPLETE, 200)));
        await("complete", () -> task("t1").getStatus().getState() == TaskState.COMPLETE);

        // in one batch: a late RUNNING, a report for another node's task, one for a task that is gone,
        // and a good one that tells us the batch was written
        Map<String, TaskStatus> batch = new HashMap<>();
        batch.put("t1", status(TaskState.RUNNING, 300));
        batch.put("tb", status(TaskState.RUNNING, 300));
        batch.put("gone", status(TaskState.RUNNING, 300));
        batch.put("t2", status(TaskState.PREPARING, 300));
        a.updateTaskStatus(batch);
        await("t2 preparing", () -> task("t2").getStatus().getState() == TaskState.PREPARING);
        assertEquals(TaskState.COMPLETE, task("t1").getStatus().getState(), "never backwards");
        assertEquals(TaskState.ASSIGNED, task("tb").getStatus().getState(), "not this node's task");
        assertTrue(store.view(tx -> tx.get(Kind.TASK, "gone")).isEmpty());

        // the same state with an older timestamp is stale too; a newer one (a new message) is taken
        TaskStatus older = status(TaskState.PREPARING, 250).toBuilder().setMessage("older").build();
        TaskStatus newer = status(TaskState.PREPARING, 400).toBuilder().setMessage("newer").build();
        a.updateTaskStatus(Map.of("t2", older));
        a.updateTaskStatus(Map.of("t2", newer));
        await("newer message", () -> task("t2").getStatus().getMessage().equals("newer"));
        a.updateTaskStatus(Map.of("t2", older));
        a.updateTaskStatus(Map.of("t1", status(TaskState.REMOVE, 500)));
        await("t1 flushed", () -> task("t1").getStatus().getState() == TaskState.REMOVE);
        assertEquals("newer", task("t2").getStatus().getMessage());
    }

    @Test
    void reportsFromManySessionsAreWrittenInFewTransactions() throws Exception {
        int perNode = 100;
        List<String> nodes = List.of("n1", "n2", "n3");
        store.update(tx -> {
            for (String n : nodes) {
                tx.create(Kind.NODE, node(n, NodeStatus.State.READY));
                for (int i = 0; i < perNode; i++) {
                    tx.create(Kind.TASK, task(n + "-t" + i, n, TaskState.ASSIGNED));
                }
            }
        });
        DispatcherImpl d = start();
        Map<String, Session> sessions = new HashMap<>();
        for (String n : nodes) {
            sessions.put(n, d.open(n, describe(n)));
        }
        await("descriptions written", () -> nodes.stream().allMatch(n -> node(n).getDescription().getHostname().equals(n)));
        long before = store.view(tx -> tx.index());

        List<Future<?>> senders = new ArrayList<>();
        for (String n : nodes) {
            Map<String, TaskStatus> reports = new HashMap<>();
            for (int i = 0; i < perNode; i++) {
                reports.put(n + "-t" + i, status(TaskState.RUNNING, 10));
            }
            senders.add(pool.submit(() -> sessions.get(n).updateTaskStatus(reports)));
        }
        for (Future<?> f : senders) {
            f.get(30, TimeUnit.SECONDS);
        }
        await("all running", () -> store.view(tx -> tx.find(Kind.TASK, t -> t.getStatus().getState() == TaskState.RUNNING)).size()
                == nodes.size() * perNode);
        long transactions = store.view(tx -> tx.index()) - before;
        assertTrue(transactions <= nodes.size(), nodes.size() * perNode + " reports took " + transactions + " transactions");
    }

    // ------------------------------------------------------------ logs

    @Test
    void logsComeFromTheNodesLogProvider() throws Exception {
        DispatcherImpl d = start();
        Session a = d.open(A, describe("a"));
        a.setLogProvider((taskId, tail, follow, sink) -> {
            if (!taskId.equals("t1")) {
                throw new IllegalArgumentException("no task " + taskId);
            }
            sink.accept(new LogSource.LogLine(1, false, "hello " + tail));
            sink.accept(new LogSource.LogLine(2, true, "oops"));
        });
        List<LogSource.LogLine> lines = new CopyOnWriteArrayList<>();
        d.logs(A, "t1", 7, false, lines::add);
        assertEquals(List.of(new LogSource.LogLine(1, false, "hello 7"), new LogSource.LogLine(2, true, "oops")), lines);
        assertThrows(IllegalArgumentException.class, () -> d.logs(A, "t9", -1, false, lines::add));

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.logs(B, "t1", -1, false, lines::add));
        assertEquals("node node-b is not connected", e.getMessage());
        d.open(B, describe("b")); // connected, but without a log provider
        assertThrows(IllegalStateException.class, () -> d.logs(B, "t1", -1, false, lines::add));
        a.close();
        assertThrows(IllegalStateException.class, () -> d.logs(A, "t1", -1, false, lines::add));
    }

    // ------------------------------------------------------------ leadership

    @Test
    void theServiceIsRegisteredOnlyWhileThisManagerLeads() throws Exception {
        List<Dispatcher> registered = new CopyOnWriteArrayList<>();
        DispatcherComponent component = new DispatcherComponent(store, disp -> {
            registered.add(disp);
            return () -> registered.remove(disp);
        });
        try {
            component.leadershipChanged(true);
            await("registered", () -> registered.size() == 1);
            Session s = registered.get(0).open(A, describe("a"));
            component.leadershipChanged(true); // told again: still one
            component.leadershipChanged(false);
            await("unregistered", registered::isEmpty);
            assertThrows(IllegalStateException.class, () -> s.assignments(0, LONG), "sessions end with leadership");
            component.leadershipChanged(true);
            await("registered again", () -> registered.size() == 1);
        } finally {
            component.deactivate();
        }
        assertTrue(registered.isEmpty(), "deactivation unregisters");
    }

    // ------------------------------------------------------------ helpers

    private void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + LONG.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private Node node(String id) {
        return store.view(tx -> tx.get(Kind.NODE, id).orElseThrow());
    }

    private Task task(String id) {
        return store.view(tx -> tx.get(Kind.TASK, id).orElseThrow());
    }

    private void createTask(Task t) {
        store.update(tx -> tx.create(Kind.TASK, t));
    }

    private void setNodeState(String id, NodeStatus.State state, String message) {
        store.update(tx -> {
            Node n = tx.get(Kind.NODE, id).orElseThrow();
            tx.update(Kind.NODE, n.toBuilder().setStatus(n.getStatus().toBuilder().setState(state).setMessage(message)).build());
        });
    }

    private static List<String> ids(Assignments a) {
        return a.tasks().stream().map(Task::getId).collect(Collectors.toList());
    }

    static Cluster cluster(long heartbeatMs) {
        return Cluster.newBuilder().setId(SingleNodeStore.CLUSTER_ID)
                .setSpec(ClusterSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("default"))
                        .setDispatcher(DispatcherConfig.newBuilder().setHeartbeatPeriodMs(heartbeatMs)))
                .build();
    }

    static Node node(String id, NodeStatus.State state) {
        return Node.newBuilder().setId(id)
                .setDescription(NodeDescription.newBuilder().setHostname("host-" + id))
                .setStatus(NodeStatus.newBuilder().setState(state).setAddr("10.0.0.1"))
                .build();
    }

    static NodeDescription describe(String hostname) {
        return NodeDescription.newBuilder().setHostname(hostname)
                .setEngine(EngineDescription.newBuilder().setEngineVersion("fake-1")).build();
    }

    static Task task(String id, String nodeId, TaskState state) {
        return Task.newBuilder().setId(id).setServiceId("svc").setNodeId(nodeId)
                .setAnnotations(Annotations.newBuilder().setName("web." + id))
                .setDesiredState(TaskState.RUNNING)
                .setStatus(status(state, 1))
                .build();
    }

    static TaskStatus status(TaskState state, long timestamp) {
        return TaskStatus.newBuilder().setState(state).setTimestamp(timestamp).setMessage(state.name().toLowerCase()).build();
    }
}
