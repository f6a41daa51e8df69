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
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import io.swarmlet.dispatcher.internal.DispatcherImpl;
import io.swarmlet.spi.executor.Executor;
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
        Agent a = new Agent(new TestNode(NODE, dir.resolve("agent-state")), fake);
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

    // ------------------------------------------------------------ several executors, by runtime

    /** A second executor, for tasks of runtime "process". */
    private final FakeExecutor proc = new FakeExecutor("process-1.0");

    static Map<String, Object> props(String type, String runtime) {
        return runtime == null ? Map.of(Executor.TYPE, type) : Map.of(Executor.TYPE, type, Executor.RUNTIME, runtime);
    }

    /** An agent without executors, bound to the dispatcher. */
    private Agent startBareAgent(Agent.Config config) {
        Agent a = new Agent(new TestNode(NODE, dir.resolve("agent-state")));
        a.activate(null, config);
        agents.add(a);
        a.bindDispatcher(dispatcher);
        return a;
    }

    private void createProcessTask(String id) {
        store.update(tx -> tx.create(Kind.TASK, newTask(id).toBuilder()
                .setSpec(TaskSpec.newBuilder().setRuntime("process")).build()));
    }

    /** The node's states in the store from a watch opened earlier. */
    private static List<NodeStatus.State> nodeStates(Watch<Void> watch) throws InterruptedException {
        List<NodeStatus.State> states = new ArrayList<>();
        StoreEvent e;
        while ((e = watch.poll(Duration.ofMillis(200))) != null) {
            Node n = e.objectAs(Kind.NODE);
            if (n != null && n.getId().equals(NODE)) {
                states.add(n.getStatus().getState());
            }
        }
        return states;
    }

    @Test
    void eachTaskRunsOnTheExecutorOfItsRuntime() throws Exception {
        Agent a = startAgent(dispatcher);
        a.addExecutor(proc, props("process", "process"));
        createTask("c1");
        createProcessTask("p1");
        awaitState("c1", TaskState.RUNNING);
        awaitState("p1", TaskState.RUNNING);
        assertTrue(fake.running("c1") && !proc.has("c1"));
        assertTrue(proc.running("p1") && !fake.has("p1"));
        assertEquals(proc.containerId("p1"), task("p1").getStatus().getContainerStatus().getContainerId());

        await("both runtimes advertised", () -> node().getDescription().getRuntimesList()
                .equals(List.of("container", "process")));
        assertEquals("fake-1.0", node().getDescription().getEngine().getEngineVersion(), "executor.target describes");

        proc.exit("p1", 2);
        assertEquals("task: non-zero exit (2)", awaitState("p1", TaskState.FAILED).getErr());
        assertTrue(fake.running("c1"));
    }

    @Test
    void aNodeWithOnlyAProcessExecutorRegistersAndRunsProcessTasks() throws Exception {
        Agent a = startBareAgent(config());
        a.addExecutor(proc, props("process", "process"));
        await("node described", () -> node().getDescription().getRuntimesList().equals(List.of("process")));
        assertEquals("process-1.0", node().getDescription().getEngine().getEngineVersion(),
                "no executor.target executor: another one describes the node");
        assertEquals("this-host", node().getDescription().getHostname());
        assertEquals(NodeStatus.State.READY, node().getStatus().getState());
        createProcessTask("p1");
        awaitState("p1", TaskState.RUNNING);
        proc.exit("p1", 0);
        awaitState("p1", TaskState.COMPLETE);
    }

    @Test
    void theNodeIsDescribedAgainWhenExecutorsComeAndGoWithoutGoingDown() throws Exception {
        try (Watch<Void> history = store.watch(tx -> null)) {
            Agent a = startBareAgent(config());
            a.addExecutor(proc, props("process", "process"));
            await("process only", () -> node().getDescription().getRuntimesList().equals(List.of("process")));
            createProcessTask("p1");
            awaitState("p1", TaskState.RUNNING);

            a.addExecutor(fake, props("fake", null)); // dropped in
            await("both", () -> node().getDescription().getRuntimesList().equals(List.of("container", "process")));
            assertEquals("fake-1.0", node().getDescription().getEngine().getEngineVersion());

            a.removeExecutor(proc); // removed
            await("container only", () -> node().getDescription().getRuntimesList().equals(List.of("container")));
            assertEquals(TaskState.RUNNING, task("p1").getStatus().getState());

            List<NodeStatus.State> states = nodeStates(history);
            assertFalse(states.isEmpty());
            assertFalse(states.contains(NodeStatus.State.DOWN), "never down: " + states);
            assertEquals(1, proc.starts("p1"));
            assertTrue(proc.running("p1"), "its task was left running");
        }
    }

    /**
     * A module update of the executor refreshes its bundle while the agent's threads
     * may still call the old instance: those calls fail with LinkageErrors
     * (NoClassDefFoundError), which must not kill the session loop or the task
     * workers. Found by bench/modules.sh: five quick executor-docker updates left
     * the node DOWN for good.
     */
    @Test
    void anExecutorWhoseCodeIsGoneFailsCallsWithoutKillingTheAgent() throws Exception {
        try (Watch<Void> history = store.watch(tx -> null)) {
            Agent a = startBareAgent(config());
            a.addExecutor(proc, props("process", "process"));
            createProcessTask("p1");
            awaitState("p1", TaskState.RUNNING);

            proc.codeGone(true); // its bundle refreshed: its classes are gone
            a.removeExecutor(proc);
            a.addExecutor(proc, props("process", "process")); // the agent calls the stale instance
            await("stale calls failing", () -> proc.linkageErrors.get() >= 1);
            proc.codeGone(false); // the new revision answers
            a.removeExecutor(proc);
            a.addExecutor(proc, props("process", "process"));

            await("the session goes on", a::connected);
            proc.exit("p1", 0); // only a live worker with a working controller can tell
            awaitState("p1", TaskState.COMPLETE);
            assertEquals(1, proc.starts("p1"), "adopted, not started again");
            createProcessTask("p2");
            awaitState("p2", TaskState.RUNNING);
            assertFalse(nodeStates(history).contains(NodeStatus.State.DOWN), "never down");
        }
    }

    @Test
    void aTaskWhoseRuntimeHasNoExecutorHereIsRejected() throws Exception {
        startAgent(dispatcher, config(16, 1_000, 0));
        createProcessTask("p1");
        TaskStatus rejected = awaitState("p1", TaskState.REJECTED);
        assertEquals("no executor for runtime 'process' on this node", rejected.getErr());
        assertFalse(fake.has("p1"), "never run on another runtime's executor");
        assertEquals(0, fake.prepareCalls.get());
    }

    @Test
    void aTaskWaitsForItsRuntimesExecutorWhileTheAgentJustStarted() throws Exception {
        Agent a = startAgent(dispatcher, config(16, 1_000, 600_000));
        createProcessTask("p1");
        createTask("c1");
        awaitState("c1", TaskState.RUNNING); // the agent got both
        assertTrue(task("p1").getStatus().getState().getNumber() < TaskState.PREPARING_VALUE);
        a.addExecutor(proc, props("process", "process"));
        awaitState("p1", TaskState.RUNNING);
        assertTrue(proc.running("p1"));
    }

    @Test
    void anExecutorGoingAwayLeavesItsTasksAndTheNextOneAdoptsThem() throws Exception {
        Agent a = startAgent(dispatcher);
        a.addExecutor(proc, props("process", "process"));
        createTask("c1");
        createProcessTask("p1");
        createProcessTask("p2");
        awaitState("c1", TaskState.RUNNING);
        awaitState("p1", TaskState.RUNNING);
        awaitState("p2", TaskState.RUNNING);
        String container = proc.containerId("p1");

        a.removeExecutor(proc); // the plugin is updated: its old version goes away
        await("process runtime gone", () -> node().getDescription().getRuntimesList().equals(List.of("container")));
        proc.exit("p2", 0); // ends while no executor watches it
        setDesired("c1", TaskState.SHUTDOWN); // the other runtime goes on working
        awaitState("c1", TaskState.SHUTDOWN);
        assertEquals(TaskState.RUNNING, task("p1").getStatus().getState(), "not failed");
        assertEquals(TaskState.RUNNING, task("p2").getStatus().getState(), "nobody can tell yet");
        assertFalse(proc.shutdownCalls.contains("p1"), "not stopped");
        assertTrue(proc.running("p1"));

        a.addExecutor(proc, props("process", "process")); // its new version comes
        awaitState("p2", TaskState.COMPLETE);
        await("process runtime back", () -> node().getDescription().getRuntimesList()
                .equals(List.of("container", "process")));
        proc.exit("p1", 0); // only the adopting controller can tell
        awaitState("p1", TaskState.COMPLETE);
        assertEquals(1, proc.starts("p1"), "adopted, not started again");
        assertEquals(container, task("p1").getStatus().getContainerStatus().getContainerId());
        assertEquals(NodeStatus.State.READY, node().getStatus().getState());
    }

    @Test
    void eachExecutorRemovesOnlyItsOwnLeftoversIncludingOneThatComesBack() throws Exception {
        fake.leftRunning("ghost-c");
        proc.leftRunning("ghost-p");
        Agent a = startAgent(dispatcher);
        a.addExecutor(proc, props("process", "process"));
        createTask("c1");
        createProcessTask("p1");
        awaitState("c1", TaskState.RUNNING);
        awaitState("p1", TaskState.RUNNING);
        await("ghosts removed", () -> fake.removed.contains("ghost-c") && proc.removed.contains("ghost-p"));
        assertFalse(fake.removed.contains("ghost-p") || proc.removed.contains("ghost-c"));

        a.removeExecutor(proc);
        await("process runtime gone", () -> node().getDescription().getRuntimesList().equals(List.of("container")));
        store.update(tx -> tx.delete(Kind.TASK, "p1")); // deleted while its executor is away
        await("worker dropped", () -> a.worker("p1") == null);
        assertTrue(proc.has("p1"), "nothing to remove it with");
        a.addExecutor(proc, props("process", "process"));
        await("removed once its executor is back", () -> proc.removed.contains("p1"));
        assertTrue(fake.running("c1"));
        assertFalse(fake.removed.contains("c1"));
    }

    @Test
    void withoutAnyExecutorTheAgentWaitsAndTheNextExecutorAdoptsWithoutTheNodeGoingDown() throws Exception {
        AtomicInteger opens = new AtomicInteger();
        Dispatcher counting = new Dispatcher() {
            @Override
            public Session open(String nodeId, NodeDescription description) {
                opens.incrementAndGet();
                return dispatcher.open(nodeId, description);
            }

            @Override
            public void logs(String nodeId, String taskId, int tail, boolean follow, Consumer<LogSource.LogLine> sink)
                    throws InterruptedException {
                dispatcher.logs(nodeId, taskId, tail, follow, sink);
            }
        };
        try (Watch<Void> history = store.watch(tx -> null)) {
            Agent a = startAgent(counting);
            createTask("t1");
            awaitState("t1", TaskState.RUNNING);
            assertEquals(1, opens.get());

            a.removeExecutor(fake); // executor-docker updated on a node that has no other executor
            await("session let go", () -> !a.connected());
            assertTrue(fake.running("t1"));
            a.addExecutor(fake, props("fake", null));
            await("a new session", () -> opens.get() == 2);
            fake.exit("t1", 0); // only an adopting controller can tell
            awaitState("t1", TaskState.COMPLETE);
            assertEquals(1, fake.starts("t1"), "adopted, not started again");
            assertFalse(fake.shutdownCalls.contains("t1"));
            assertFalse(nodeStates(history).contains(NodeStatus.State.DOWN));
        }
    }

    @Test
    void theTargetExecutorIsPreferredForItsRuntimeAndAnotherDescribesTheNodeWhenItCannot() throws Exception {
        FakeExecutor other = new FakeExecutor("other-1.0");
        Agent a = startBareAgent(config());
        a.addExecutor(other, Map.of(Executor.TYPE, "docker", "service.id", 5L));
        a.addExecutor(fake, Map.of(Executor.TYPE, "fake", "service.id", 9L)); // executor.target: (type=fake)
        createTask("c1");
        awaitState("c1", TaskState.RUNNING);
        assertTrue(fake.running("c1") && !other.has("c1"));
        await("described by the target", () -> node().getDescription().getEngine().getEngineVersion().equals("fake-1.0"));

        fake.failDescribe(true);
        a.addExecutor(proc, props("process", "process"));
        await("described by another", () -> node().getDescription().getRuntimesList()
                .equals(List.of("container", "process")));
        assertEquals("process-1.0", node().getDescription().getEngine().getEngineVersion());
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
        return config(maxWorkers, drainDelayMs, 10_000);
    }

    static Agent.Config config(int maxWorkers, long drainDelayMs, long executorWaitMs) {
        return new Agent.Config() {
            @Override public Class<? extends Annotation> annotationType() { return Agent.Config.class; }
            @Override public String executor_target() { return "(swarmlet.executor.type=fake)"; }
            @Override public int maxWorkers() { return maxWorkers; }
            @Override public long meshDrainDelayMs() { return drainDelayMs; }
            @Override public long executorWaitMs() { return executorWaitMs; }
        };
    }

    record TestNode(String nodeId, Path stateDir) implements LocalNode {
        @Override public String clusterId() { return SingleNodeStore.CLUSTER_ID; }
        @Override public boolean bootstrapped() { return true; }
        @Override public String hostname() { return "this-host"; }
        @Override public Path controlSocket() { return Path.of("/nonexistent/control.sock"); }
        @Override public String remoteApiAddr() { return "127.0.0.1:4242"; }
        @Override public String advertiseAddr() { return "127.0.0.1:4242"; }
        @Override public String raftAddr() { return "127.0.0.1:4243"; }
        @Override public boolean manager() { return true; }
    }
}
