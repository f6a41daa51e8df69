package io.swarmlet.agent.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.dispatcher.Assignments;
import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.dispatcher.LogProvider;
import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.ClusterSpec;
import io.swarmlet.api.types.DispatcherConfig;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.PortConfig.PublishMode;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import io.swarmlet.dispatcher.internal.DispatcherImpl;
import io.swarmlet.spi.executor.LogSource;
import io.swarmlet.store.internal.SingleNodeStore;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent wired to a real dispatcher on a real one-member store, running tasks on a {@link FakeExecutor}. */
class AgentTest {

    static final String NODE = "node0000000000000000000001";
    static final Duration LONG = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private SingleNodeStore running;
    private Store store;
    private DispatcherImpl dispatcher;
    private final FakeExecutor fake = new FakeExecutor();
    private final List<Agent> agents = new ArrayList<>();
    private final List<DispatcherImpl> dispatchers = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeEach
    void setUp() throws Exception {
        running = SingleNodeStore.start(dir, "manager0000000000000000001");
        store = running.store();
        store.update(tx -> {
            tx.create(Kind.CLUSTER, Cluster.newBuilder().setId(SingleNodeStore.CLUSTER_ID)
                    .setSpec(ClusterSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("default"))
                            .setDispatcher(DispatcherConfig.newBuilder().setHeartbeatPeriodMs(5_000)))
                    .build());
            tx.create(Kind.NODE, Node.newBuilder().setId(NODE)
                    .setDescription(NodeDescription.newBuilder().setHostname("this-host"))
                    .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.READY).setAddr("10.0.0.1"))
                    .build());
        });
        dispatcher = startDispatcher();
    }

    @AfterEach
    void tearDown() throws Exception {
        pool.shutdownNow();
        for (Agent a : agents) {
            a.deactivate();
        }
        dispatchers.forEach(DispatcherImpl::stop);
        running.close();
    }

    private DispatcherImpl startDispatcher() {
        DispatcherImpl d = new DispatcherImpl(store);
        dispatchers.add(d);
        d.start();
        return d;
    }

    private Agent startAgent(Dispatcher d) {
        return startAgent(d, config());
    }

    private Agent startAgent(Dispatcher d, Agent.Config config) {
        Agent a = new Agent(new TestNode(NODE), fake);
        a.activate(null, config);
        agents.add(a);
        if (d != null) {
            a.bindDispatcher(d);
        }
        return a;
    }

    private void stopAgent(Agent a) throws InterruptedException {
        agents.remove(a);
        a.deactivate();
    }

    // ------------------------------------------------------------ the lifecycle

    @Test
    void anAssignedTaskRunsAndCompletesWithExitZero() throws Exception {
        try (Watch<Void> history = store.watch(tx -> null)) {
            startAgent(dispatcher);
            createTask("t1");
            TaskStatus running = awaitState("t1", TaskState.RUNNING);
            assertEquals("started", running.getMessage());
            assertEquals(fake.containerId("t1"), running.getContainerStatus().getContainerId());
            assertEquals(1, fake.starts("t1"));

            fake.exit("t1", 0);
            TaskStatus done = awaitState("t1", TaskState.COMPLETE);
            assertEquals("finished", done.getMessage());
            assertEquals("", done.getErr());
            assertEquals(0, done.getContainerStatus().getExitCode());
            assertTrue(done.getTimestamp() >= running.getTimestamp());

            List<TaskState> states = states(history, "t1");
            assertEquals(TaskState.ASSIGNED, states.get(0));
            assertTrue(states.contains(TaskState.RUNNING), states.toString());
            assertEquals(TaskState.COMPLETE, states.get(states.size() - 1));
            for (int i = 1; i < states.size(); i++) {
                assertTrue(states.get(i).getNumber() >= states.get(i - 1).getNumber(), "never backwards: " + states);
            }
        }
    }

    @Test
    void aTaskWaitingOutARestartDelayIsPreparedOnlyOnceItMayRun() throws Exception {
        startAgent(dispatcher);
        store.update(tx -> tx.create(Kind.TASK, newTask("t1").toBuilder().setDesiredState(TaskState.READY).build()));
        awaitState("t1", TaskState.ACCEPTED);
        // a second, runnable task proves the agent went on working meanwhile
        createTask("t2");
        awaitState("t2", TaskState.RUNNING);
        assertEquals(TaskState.ACCEPTED, task("t1").getStatus().getState(), "prepared during the delay");
        assertEquals(1, fake.prepareCalls.get(), "only t2 was prepared");

        setDesired("t1", TaskState.RUNNING);
        awaitState("t1", TaskState.RUNNING);
        assertEquals(2, fake.prepareCalls.get());
    }

    @Test
    void aNonZeroExitFailsTheTask() throws Exception {
        startAgent(dispatcher);
        createTask("t1");
        awaitState("t1", TaskState.RUNNING);
        fake.exit("t1", 1);
        TaskStatus failed = awaitState("t1", TaskState.FAILED);
        assertEquals("task: non-zero exit (1)", failed.getErr());
        assertEquals(1, failed.getContainerStatus().getExitCode());
    }

    @Test
    void anUnhealthyContainerFailsTheTask() throws Exception {
        startAgent(dispatcher);
        createTask("t1");
        awaitState("t1", TaskState.RUNNING);
        fake.unhealthy("t1");
        assertEquals("unhealthy container", awaitState("t1", TaskState.FAILED).getErr());
    }

    @Test
    void aFatalPrepareErrorRejectsTheTaskAndOthersFailIt() throws Exception {
        fake.failPrepare("bad", "No such image: nope:latest", true);
        fake.failPrepare("flaky", "engine busy", false);
        startAgent(dispatcher);
        createTask("bad");
        createTask("flaky");
        TaskStatus rejected = awaitState("bad", TaskState.REJECTED);
        assertEquals("No such image: nope:latest", rejected.getErr());
        assertEquals("preparing", rejected.getMessage());
        assertEquals("engine busy", awaitState("flaky", TaskState.FAILED).getErr());
        assertFalse(fake.has("bad"));
        assertFalse(fake.has("flaky"));
    }

    @Test
    void desiredShutdownStopsTheContainerAndRemoveRemovesIt() throws Exception {
        startAgent(dispatcher);
        createTask("t1");
        awaitState("t1", TaskState.RUNNING);
        setDesired("t1", TaskState.SHUTDOWN);
        TaskStatus stopped = awaitState("t1", TaskState.SHUTDOWN);
        assertEquals("shutdown", stopped.getMessage());
        assertTrue(fake.shutdownCalls.contains("t1"));
        assertFalse(fake.running("t1"));
        assertTrue(fake.has("t1"), "a stopped task keeps its container until it is removed");

        setDesired("t1", TaskState.REMOVE);
        await("container removed", () -> fake.removed.contains("t1"));
        assertEquals(TaskState.SHUTDOWN, task("t1").getStatus().getState(), "removal is no state of its own");
    }

    @Test
    void desiredShutdownInterruptsAHangingPrepare() throws Exception {
        fake.hangPrepare("t1");
        startAgent(dispatcher);
        createTask("t1");
        awaitState("t1", TaskState.PREPARING);
        await("prepare called", () -> fake.prepareCalls.get() == 1);
        setDesired("t1", TaskState.SHUTDOWN);
        awaitState("t1", TaskState.SHUTDOWN);
        assertEquals(0, fake.starts("t1"));
    }

    @Test
    void aTaskNeverStartedIsShutDownWithoutTouchingTheExecutor() throws Exception {
        Task t = newTask("t1").toBuilder().setDesiredState(TaskState.SHUTDOWN).build();
        store.update(tx -> tx.create(Kind.TASK, t));
        startAgent(dispatcher);
        awaitState("t1", TaskState.SHUTDOWN);
        assertEquals(0, fake.prepareCalls.get());
    }

    @Test
    void aTaskDeletedFromTheStoreHasItsContainerRemoved() throws Exception {
        startAgent(dispatcher);
        createTask("t1");
        awaitState("t1", TaskState.RUNNING);
        store.update(tx -> tx.delete(Kind.TASK, "t1"));
        await("container removed", () -> fake.removed.contains("t1"));
        assertFalse(fake.has("t1"));
        assertTrue(fake.shutdownCalls.contains("t1"), "stopped gracefully first");
    }

    @Test
    void containersWhoseTaskIsGoneAreRemovedWhenTheAgentStarts() throws Exception {
        fake.leftRunning("ghost");
        createTask("t1");
        startAgent(dispatcher);
        awaitState("t1", TaskState.RUNNING);
        await("ghost removed", () -> fake.removed.contains("ghost"));
        assertTrue(fake.running("t1"));
    }

    // ------------------------------------------------------------ restarts and reconnections

    @Test
    void aRestartedAgentAdoptsTheRunningContainer() throws Exception {
        Agent first = startAgent(dispatcher);
        createTask("t1");
        awaitState("t1", TaskState.RUNNING);
        String container = fake.containerId("t1");
        stopAgent(first);
        assertTrue(fake.running("t1"), "deactivation leaves containers running");

        startAgent(dispatcher);
        await("node ready again", () -> node().getStatus().getState() == NodeStatus.State.READY);
        // only the new agent can tell that it ended: it waits on the container it adopted
        fake.exit("t1", 0);
        awaitState("t1", TaskState.COMPLETE);
        assertEquals(1, fake.starts("t1"), "no second start");
        assertEquals(container, task("t1").getStatus().getContainerStatus().getContainerId());
        assertEquals(1, fake.prepareCalls.get());
    }

    @Test
    void aRestartedAgentReportsHowAContainerEndedMeanwhile() throws Exception {
        Agent first = startAgent(dispatcher);
        createTask("t1");
        awaitState("t1", TaskState.RUNNING);
        stopAgent(first);
        fake.exit("t1", 3);
        startAgent(dispatcher);
        assertEquals("task: non-zero exit (3)", awaitState("t1", TaskState.FAILED).getErr());
        assertEquals(1, fake.starts("t1"));
    }

    @Test
    void aRunningTaskWhoseContainerVanishedFails() throws Exception {
        Agent first = startAgent(dispatcher);
        createTask("t1");
        awaitState("t1", TaskState.RUNNING);
        stopAgent(first);
        fake.removeTask("t1");
        startAgent(dispatcher);
        assertEquals(TaskWorker.NOT_FOUND, awaitState("t1", TaskState.FAILED).getErr());
    }

    @Test
    void tasksKeepRunningWithoutADispatcherAndStatusCatchesUpWithTheNextOne() throws Exception {
        Agent agent = startAgent(dispatcher);
        createTask("t1");
        awaitState("t1", TaskState.RUNNING);

        // leadership moves: the dispatcher goes away
        agent.unbindDispatcher(dispatcher);
        dispatcher.stop();
        fake.exit("t1", 0);
        await("the worker saw it", () -> agentReported(agent, "t1", TaskState.COMPLETE));
        assertEquals(TaskState.RUNNING, task("t1").getStatus().getState(), "nobody wrote it yet");

        DispatcherImpl next = startDispatcher();
        agent.bindDispatcher(next);
        awaitState("t1", TaskState.COMPLETE);
    }

    @Test
    void theAgentHeartbeatsAtTheSessionsPeriod() throws Exception {
        AtomicInteger beats = new AtomicInteger();
        Dispatcher counting = new Dispatcher() {
            @Override
            public Session open(String nodeId, NodeDescription description) {
                Session s = dispatcher.open(nodeId, description);
                return new Session() {
                    @Override public String nodeId() { return s.nodeId(); }
                    @Override public Assignments assignments(long after, Duration timeout) throws InterruptedException {
                        return s.assignments(after, timeout);
                    }
                    @Override public void updateTaskStatus(Map<String, TaskStatus> statuses) { s.updateTaskStatus(statuses); }
                    @Override public void heartbeat() {
                        beats.incrementAndGet();
                        s.heartbeat();
                    }
                    @Override public Duration heartbeatPeriod() { return Duration.ofMillis(20); }
                    @Override public void setLogProvider(LogProvider provider) { s.setLogProvider(provider); }
                    @Override public void close() { s.close(); }
                };
            }

            @Override
            public void logs(String nodeId, String taskId, int tail, boolean follow, Consumer<LogSource.LogLine> sink)
                    throws InterruptedException {
                dispatcher.logs(nodeId, taskId, tail, follow, sink);
            }
        };
        startAgent(counting);
        await("heartbeats", () -> beats.get() >= 5);
        assertEquals(NodeStatus.State.READY, node().getStatus().getState());
        assertEquals("fake-1.0", node().getDescription().getEngine().getEngineVersion(), "the executor's description");
        assertEquals("this-host", node().getDescription().getHostname(), "the node is named by --hostname, not by the engine");
    }

    @Test
    void stoppingTheAgentClosesItsSessionAndTheNodeGoesDown() throws Exception {
        Agent a = startAgent(dispatcher);
        await("session", () -> node().getDescription().getEngine().getEngineVersion().equals("fake-1.0"));
        stopAgent(a);
        await("node down", () -> node().getStatus().getState() == NodeStatus.State.DOWN);
    }

    // ------------------------------------------------------------ logs

    @Test
    void logsFlowFromTheExecutorThroughTheDispatcher() throws Exception {
        startAgent(dispatcher);
        createTask("t1");
        awaitState("t1", TaskState.RUNNING);
        fake.log("t1", false, "one");
        fake.log("t1", true, "two");
        fake.log("t1", false, "three");

        List<String> tail = new CopyOnWriteArrayList<>();
        dispatcher.logs(NODE, "t1", 2, false, l -> tail.add((l.stderr() ? "err:" : "out:") + l.line()));
        assertEquals(List.of("err:two", "out:three"), tail);

        List<String> followed = new CopyOnWriteArrayList<>();
        Future<?> follow = pool.submit(() -> {
            dispatcher.logs(NODE, "t1", -1, true, l -> followed.add(l.line()));
            return null;
        });
        await("what was there", () -> followed.size() >= 3);
        fake.log("t1", false, "four");
        await("followed line", () -> followed.contains("four"));
        assertFalse(follow.isDone(), "following until the task ends");
        fake.exit("t1", 0);
        follow.get(30, TimeUnit.SECONDS); // following ends with the task
        assertEquals(List.of("one", "two", "three", "four"), followed);

        assertThrows(IllegalArgumentException.class, () -> dispatcher.logs(NODE, "nope", -1, false, l -> { }));
    }

    // ------------------------------------------------------------ published ports

    static final PortConfig WEB = port("web", 80, 30080, PublishMode.INGRESS);

    @Test
    void theRunningStatusCarriesThePublishedPorts() throws Exception {
        PortConfig onNode = WEB.toBuilder().setPublishedPort(49153).build();
        PortConfig host = port("admin", 8080, 18090, PublishMode.HOST);
        fake.publish("t1", onNode, host);
        startAgent(dispatcher);
        createTask("t1", WEB, host);
        TaskStatus running = awaitState("t1", TaskState.RUNNING);
        assertEquals(List.of(onNode, host), running.getPortStatus().getPortsList());

        fake.exit("t1", 0);
        assertFalse(awaitState("t1", TaskState.COMPLETE).hasPortStatus(), "a task that ended publishes nothing");
    }

    @Test
    void aTaskWhosePortsCannotBeReadIsReportedRunningWithoutThem() throws Exception {
        fake.publish("t1", WEB.toBuilder().setPublishedPort(49153).build());
        fake.failPorts("t1");
        startAgent(dispatcher);
        createTask("t1", WEB);
        TaskStatus running = awaitState("t1", TaskState.RUNNING);
        assertFalse(running.hasPortStatus());
        assertEquals("started", running.getMessage());
        assertTrue(fake.running("t1"));
    }

    @Test
    void anAdoptedTaskReportsItsPortsAgain() throws Exception {
        Agent first = startAgent(dispatcher);
        createTask("t1", WEB);
        awaitState("t1", TaskState.RUNNING);
        assertFalse(task("t1").getStatus().hasPortStatus(), "the container published nothing yet");
        stopAgent(first);

        PortConfig onNode = WEB.toBuilder().setPublishedPort(49160).build();
        fake.publish("t1", onNode);
        startAgent(dispatcher);
        await("ports re-reported", () -> task("t1").getStatus().getPortStatus().getPortsList().equals(List.of(onNode)));
        TaskStatus s = task("t1").getStatus();
        assertEquals(TaskState.RUNNING, s.getState());
        assertEquals("started", s.getMessage());
        assertEquals(fake.containerId("t1"), s.getContainerStatus().getContainerId());
        assertEquals(1, fake.starts("t1"), "adopted, not started again");
    }

    // ------------------------------------------------------------ mesh drain before stop

    @Test
    void aRunningIngressTaskIsStoppedOnlyAfterTheDrainDelayWithoutHoldingUpOthers() throws Exception {
        long delayMs = 5_000;
        // 3 workers: a and b hold one each while they run; if waiting out the delay held a
        // worker too, only one of c and d could start until the delay is over
        startAgent(dispatcher, config(3, delayMs));
        createTask("a", WEB);
        createTask("b", WEB);
        awaitState("a", TaskState.RUNNING);
        awaitState("b", TaskState.RUNNING);

        long asked = System.nanoTime();
        store.update(tx -> {
            for (String id : List.of("a", "b")) {
                tx.update(Kind.TASK, tx.get(Kind.TASK, id).orElseThrow().toBuilder()
                        .setDesiredState(TaskState.SHUTDOWN).build());
            }
        });
        createTask("c");
        createTask("d");
        awaitState("c", TaskState.RUNNING);
        awaitState("d", TaskState.RUNNING);
        assertTrue(fake.running("a") && fake.running("b"), "still draining while other tasks started");
        assertFalse(fake.shutdownCalls.contains("a") || fake.shutdownCalls.contains("b"));

        awaitState("a", TaskState.SHUTDOWN);
        awaitState("b", TaskState.SHUTDOWN);
        for (String id : List.of("a", "b")) {
            long waited = TimeUnit.NANOSECONDS.toMillis(fake.shutdownAt.get(id) - asked);
            assertTrue(waited >= delayMs, id + " stopped after " + waited + " ms");
        }
        assertFalse(fake.running("a"));
        assertTrue(fake.running("c") && fake.running("d"));
    }

    @Test
    void tasksWithoutAnIngressPortAreStoppedAtOnce() throws Exception {
        startAgent(dispatcher, config(16, 600_000));
        createTask("plain");
        createTask("host", port("admin", 8080, 18090, PublishMode.HOST));
        createTask("unpublished", port("web", 80, 0, PublishMode.INGRESS));
        for (String id : List.of("plain", "host", "unpublished")) {
            awaitState(id, TaskState.RUNNING);
            setDesired(id, TaskState.SHUTDOWN);
        }
        for (String id : List.of("plain", "host", "unpublished")) {
            awaitStateWithin(id, TaskState.SHUTDOWN, Duration.ofSeconds(20));
        }
    }

    @Test
    void noDrainDelayStopsAnIngressTaskAtOnce() throws Exception {
        startAgent(dispatcher, config(16, 0));
        createTask("t1", WEB);
        awaitState("t1", TaskState.RUNNING);
        setDesired("t1", TaskState.SHUTDOWN);
        awaitStateWithin("t1", TaskState.SHUTDOWN, Duration.ofSeconds(20));
        assertFalse(fake.running("t1"));
    }

    @Test
    void anIngressTaskWhoseContainerAlreadyExitedIsNotDelayed() throws Exception {
        Agent first = startAgent(dispatcher, config(16, 600_000));
        createTask("t1", WEB);
        awaitState("t1", TaskState.RUNNING);
        stopAgent(first);
        fake.exit("t1", 0); // while no agent watched: the store still says RUNNING
        setDesired("t1", TaskState.SHUTDOWN);
        startAgent(dispatcher, config(16, 600_000));
        awaitStateWithin("t1", TaskState.SHUTDOWN, Duration.ofSeconds(20));
    }

    @Test
    void aDeletedRunningIngressTaskIsDrainedToo() throws Exception {
        long delayMs = 1_000;
        startAgent(dispatcher, config(16, delayMs));
        createTask("t1", WEB);
        awaitState("t1", TaskState.RUNNING);
        long asked = System.nanoTime();
        store.update(tx -> tx.delete(Kind.TASK, "t1"));
        await("container removed", () -> fake.removed.contains("t1"));
        long waited = TimeUnit.NANOSECONDS.toMillis(fake.shutdownAt.get("t1") - asked);
        assertTrue(waited >= delayMs, "stopped after " + waited + " ms");
    }

    @Test
    void onlyTasksWithAPublishedIngressPortAreDrained() {
        assertTrue(TaskWorker.publishesIngress(withPorts(newTask("t"), WEB)));
        Task specOnly = newTask("t").toBuilder().setEndpoint(Endpoint.newBuilder().setSpec(
                EndpointSpec.newBuilder().addPorts(WEB))).build();
        assertTrue(TaskWorker.publishesIngress(specOnly), "a task made before allocation: its spec's ports");
        assertFalse(TaskWorker.publishesIngress(newTask("t")));
        assertFalse(TaskWorker.publishesIngress(withPorts(newTask("t"), port("", 80, 18090, PublishMode.HOST))));
        assertFalse(TaskWorker.publishesIngress(withPorts(newTask("t"), port("", 80, 0, PublishMode.INGRESS))));
    }

    // ------------------------------------------------------------ helpers

    static PortConfig port(String name, int target, int published, PublishMode mode) {
        return PortConfig.newBuilder().setName(name).setTargetPort(target).setPublishedPort(published)
                .setPublishMode(mode).build();
    }

    static Task withPorts(Task t, PortConfig... ports) {
        return t.toBuilder().setEndpoint(Endpoint.newBuilder().addAllPorts(List.of(ports))).build();
    }

    private void createTask(String id, PortConfig... ports) {
        store.update(tx -> tx.create(Kind.TASK, withPorts(newTask(id), ports)));
    }

    private TaskStatus awaitStateWithin(String id, TaskState state, Duration within) throws InterruptedException {
        await("task " + id + " " + state + " within " + within.toSeconds() + " s",
                () -> task(id).getStatus().getState() == state, within);
        return task(id).getStatus();
    }

    private static boolean agentReported(Agent agent, String taskId, TaskState state) {
        TaskWorker w = agent.worker(taskId);
        return w != null && w.reported() != null && w.reported().getState() == state;
    }

    static Task newTask(String id) {
        return Task.newBuilder().setId(id).setServiceId("svc").setSlot(1).setNodeId(NODE)
                .setAnnotations(Annotations.newBuilder().setName("web.1"))
                .setDesiredState(TaskState.RUNNING)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.ASSIGNED).setTimestamp(1).setMessage("scheduler assigned task to node"))
                .build();
    }

    private void setDesired(String id, TaskState desired) {
        store.update(tx -> tx.update(Kind.TASK, tx.get(Kind.TASK, id).orElseThrow().toBuilder().setDesiredState(desired).build()));
    }

    private Task task(String id) {
        return store.view(tx -> tx.get(Kind.TASK, id).orElseThrow());
    }

    private Node node() {
        return store.view(tx -> tx.get(Kind.NODE, NODE).orElseThrow());
    }

    private TaskStatus awaitState(String id, TaskState state) throws InterruptedException {
        await("task " + id + " " + state, () -> task(id).getStatus().getState() == state);
        return task(id).getStatus();
    }

    /** The states a task had in the store, in order, from a watch opened before it was created. */
    private static List<TaskState> states(Watch<Void> watch, String id) throws InterruptedException {
        List<TaskState> states = new ArrayList<>();
        StoreEvent e;
        while ((e = watch.poll(Duration.ofMillis(200))) != null) {
            Task t = e.objectAs(Kind.TASK);
            if (t != null && t.getId().equals(id) && e.action() != StoreEvent.Action.REMOVE) {
                states.add(t.getStatus().getState());
            }
        }
        return states;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        await(what, condition, LONG);
    }

    private static void await(String what, BooleanSupplier condition, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    static Agent.Config config() {
        return config(16, 1_000);
    }

    static Agent.Config config(int maxWorkers, long drainDelayMs) {
        return new Agent.Config() {
            @Override public Class<? extends Annotation> annotationType() { return Agent.Config.class; }
            @Override public String executor_target() { return "(swarmlet.executor.type=fake)"; }
            @Override public int maxWorkers() { return maxWorkers; }
            @Override public long meshDrainDelayMs() { return drainDelayMs; }
        };
    }

    record TestNode(String nodeId) implements LocalNode {
        @Override public String clusterId() { return SingleNodeStore.CLUSTER_ID; }
        @Override public boolean bootstrapped() { return true; }
        @Override public String hostname() { return "this-host"; }
        @Override public Path stateDir() { return Path.of("/nonexistent"); }
        @Override public Path controlSocket() { return Path.of("/nonexistent/control.sock"); }
        @Override public String remoteApiAddr() { return "127.0.0.1:4242"; }
        @Override public String advertiseAddr() { return "127.0.0.1:4242"; }
        @Override public String raftAddr() { return "127.0.0.1:4243"; }
        @Override public boolean manager() { return true; }
    }
}
