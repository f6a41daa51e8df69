package io.swarmlet.dispatcher.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.MeshBackend;
import io.swarmlet.api.types.MeshConfig;
import io.swarmlet.api.types.MeshPortStats;
import io.swarmlet.api.types.MeshRoute;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.MeshStatus;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.PortStatus;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The routing mesh's table and the meshes' counters, against a real one-member store. */
class MeshRoutesTest {

    static final String A = DispatcherImplTest.A;
    static final String B = DispatcherImplTest.B;
    static final Duration LONG = DispatcherImplTest.LONG;
    static final PortConfig WEB = PortConfig.newBuilder().setName("web").setProtocol(PortConfig.Protocol.TCP)
            .setTargetPort(80).setPublishedPort(18080).setPublishMode(PortConfig.PublishMode.INGRESS).build();

    @TempDir
    Path dir;

    private SingleNodeStore running;
    private Store store;
    private DispatcherImpl dispatcher;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeEach
    void setUp() throws Exception {
        running = SingleNodeStore.start(dir, "manager0000000000000000001");
        store = running.store();
        store.update(tx -> {
            tx.create(Kind.CLUSTER, DispatcherImplTest.cluster(0));
            tx.create(Kind.NODE, node(A, "10.0.0.1:4242"));
            tx.create(Kind.NODE, node(B, "[fd00::2]:4242"));
        });
        dispatcher = new DispatcherImpl(store);
        dispatcher.start();
    }

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
        dispatcher.stop();
        running.close();
    }

    @Test
    void anIngressPortLeadsToTheRunningTasksOfItsService() throws Exception {
        PortConfig host = PortConfig.newBuilder().setProtocol(PortConfig.Protocol.TCP).setTargetPort(443)
                .setPublishedPort(8443).setPublishMode(PortConfig.PublishMode.HOST).build();
        store.update(tx -> {
            tx.create(Kind.SERVICE, service("svc", "web", "", WEB, host));
            tx.create(Kind.TASK, task("t2", "svc", B, TaskState.ASSIGNED));
            tx.create(Kind.TASK, task("t1", "svc", A, TaskState.ASSIGNED));
        });
        MeshRoutes first = awaitRoutes(r -> r.getRoutesCount() == 1);
        assertTrue(first.getVersion() > 0);
        MeshRoute route = first.getRoutes(0);
        assertEquals("svc", route.getServiceId());
        assertEquals("web", route.getServiceName());
        assertEquals(WEB, route.getPort(), "only the ingress port, as allocated");
        assertEquals(MeshTable.DEFAULT_STRATEGY, route.getLbStrategy());
        assertEquals(0, route.getBackendsCount(), "no task runs yet");

        // a long poll returns when tasks start, with them in task ID order
        Future<MeshRoutes> next = pool.submit(() -> dispatcher.meshRoutes(first.getVersion(), LONG));
        setRunning("t2", 31002);
        setRunning("t1", 31001);
        MeshRoutes running = awaitRoutes(r -> r.getRoutes(0).getBackendsCount() == 2);
        assertTrue(next.get(30, TimeUnit.SECONDS).getVersion() > first.getVersion());
        assertEquals(List.of(backend("t1", A, "10.0.0.1", 31001), backend("t2", B, "fd00::2", 31002)),
                running.getRoutes(0).getBackendsList());
        assertNull(dispatcher.meshRoutes(running.getVersion(), Duration.ofMillis(100)), "nothing new");
    }

    @Test
    void aTaskToBeStoppedLeavesTheTableAtOnceAndWakesTheWaiters() throws Exception {
        store.update(tx -> {
            tx.create(Kind.SERVICE, service("svc", "web", "", WEB));
            tx.create(Kind.TASK, task("t1", "svc", A, TaskState.ASSIGNED));
            tx.create(Kind.TASK, task("t2", "svc", B, TaskState.ASSIGNED));
        });
        setRunning("t1", 31001);
        setRunning("t2", 31002);
        MeshRoutes before = awaitRoutes(r -> r.getRoutesCount() == 1 && r.getRoutes(0).getBackendsCount() == 2);

        Future<MeshRoutes> waiting = pool.submit(() -> dispatcher.meshRoutes(before.getVersion(), LONG));
        Thread.sleep(100);
        // the orchestrator scales down: desired SHUTDOWN while the task still runs
        updateTask("t1", t -> t.toBuilder().setDesiredState(TaskState.SHUTDOWN).build());
        long t0 = System.nanoTime();
        MeshRoutes after = waiting.get(30, TimeUnit.SECONDS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms < 200, "the waiter woke " + ms + " ms after the commit");
        assertEquals(List.of("t2"), after.getRoutes(0).getBackendsList().stream().map(MeshBackend::getTaskId).toList());
        assertTrue(after.getVersion() > before.getVersion());

        // its later status changes do not change the table again
        updateTask("t1", t -> t.toBuilder().setStatus(status(TaskState.SHUTDOWN, List.of())).build());
        assertNull(dispatcher.meshRoutes(after.getVersion(), Duration.ofMillis(200)));
    }

    @Test
    void backendsNeedAReadyNodeAndAPublishedPortForTheTarget() throws Exception {
        PortConfig dns = PortConfig.newBuilder().setProtocol(PortConfig.Protocol.UDP).setTargetPort(53)
                .setPublishedPort(53).setPublishMode(PortConfig.PublishMode.INGRESS).build();
        store.update(tx -> {
            tx.create(Kind.SERVICE, service("svc", "web", "", WEB, dns));
            tx.create(Kind.TASK, task("t1", "svc", A, TaskState.ASSIGNED));
            tx.create(Kind.TASK, task("t2", "svc", B, TaskState.ASSIGNED));
            tx.create(Kind.TASK, task("t3", "svc", A, TaskState.ASSIGNED));
        });
        setRunning("t1", 31001);
        setRunning("t2", 31002);
        // RUNNING without a port status (an executor that does not publish): not a backend
        updateTask("t3", t -> t.toBuilder().setStatus(status(TaskState.RUNNING, List.of())).build());
        MeshRoutes table = awaitRoutes(r -> r.getRoutesCount() == 2 && r.getRoutes(0).getBackendsCount() == 2);
        // by protocol then published port: TCP 18080 before UDP 53
        assertEquals(PortConfig.Protocol.TCP, table.getRoutes(0).getPort().getProtocol());
        assertEquals(PortConfig.Protocol.UDP, table.getRoutes(1).getPort().getProtocol());
        assertEquals(0, table.getRoutes(1).getBackendsCount(), "no task published 53/udp");
        assertEquals(List.of("t1", "t2"), taskIds(table.getRoutes(0)));

        // node B goes down: its task is no backend any more; back up, it is again
        setNode(B, n -> n.toBuilder().setStatus(n.getStatus().toBuilder().setState(NodeStatus.State.DOWN)).build());
        assertEquals(List.of("t1"), taskIds(awaitRoutes(r -> r.getRoutes(0).getBackendsCount() == 1).getRoutes(0)));
        setNode(B, n -> n.toBuilder().setStatus(n.getStatus().toBuilder().setState(NodeStatus.State.READY)).build());
        awaitRoutes(r -> r.getRoutes(0).getBackendsCount() == 2);

        // a node's new address is the backends' new address
        setNode(A, n -> n.toBuilder().setStatus(n.getStatus().toBuilder().setAddr("10.0.0.9:4242")).build());
        MeshRoutes moved = awaitRoutes(r -> r.getRoutes(0).getBackends(0).getAddr().equals("10.0.0.9"));
        // a change the table does not depend on (the node's description) leaves the version alone
        setNode(A, n -> n.toBuilder().setDescription(n.getDescription().toBuilder().setHostname("renamed")).build());
        assertNull(dispatcher.meshRoutes(moved.getVersion(), Duration.ofMillis(200)));

        // the task exits: gone
        updateTask("t1", t -> t.toBuilder().setStatus(status(TaskState.FAILED, List.of())).build());
        assertEquals(List.of("t2"), taskIds(awaitRoutes(r -> r.getRoutes(0).getBackendsCount() == 1).getRoutes(0)));

        // the service's ports are removed: no route
        store.update(tx -> tx.update(Kind.SERVICE, tx.get(Kind.SERVICE, "svc").orElseThrow().toBuilder()
                .setEndpoint(Endpoint.getDefaultInstance()).build()));
        awaitRoutes(r -> r.getRoutesCount() == 0);
    }

    @Test
    void theBalancingStrategyIsTheServicesElseTheClustersElseRoundRobin() throws Exception {
        store.update(tx -> {
            tx.create(Kind.SERVICE, service("s1", "one", "least-connections", WEB));
            tx.create(Kind.SERVICE, service("s2", "two", "", WEB.toBuilder().setPublishedPort(18081).build()));
        });
        awaitRoutes(r -> r.getRoutesCount() == 2 && r.getRoutes(0).getLbStrategy().equals("least-connections")
                && r.getRoutes(1).getLbStrategy().equals("round-robin"));

        store.update(tx -> {
            Cluster c = tx.all(Kind.CLUSTER).get(0);
            tx.update(Kind.CLUSTER, c.toBuilder().setSpec(c.getSpec().toBuilder()
                    .setMesh(MeshConfig.newBuilder().setDefaultLbStrategy("source-hash"))).build());
        });
        MeshRoutes t = awaitRoutes(r -> r.getRoutes(1).getLbStrategy().equals("source-hash"));
        assertEquals("least-connections", t.getRoutes(0).getLbStrategy(), "the service's own strategy wins");

        // the service's strategy through the allocator's copy of its endpoint spec counts as well
        store.update(tx -> tx.update(Kind.SERVICE, tx.get(Kind.SERVICE, "s2").orElseThrow().toBuilder()
                .setEndpoint(Endpoint.newBuilder().setSpec(EndpointSpec.newBuilder().setLbStrategy("power-of-two"))
                        .addPorts(WEB.toBuilder().setPublishedPort(18081))).build()));
        awaitRoutes(r -> r.getRoutes(1).getLbStrategy().equals("power-of-two"));

        // a label names it when the endpoint spec does not (compose files' deploy.labels)
        store.update(tx -> {
            Service s1 = tx.get(Kind.SERVICE, "s1").orElseThrow();
            ServiceSpec.Builder spec = s1.getSpec().toBuilder();
            spec.getEndpointBuilder().setLbStrategy("");
            spec.getAnnotationsBuilder().putLabels(MeshTable.STRATEGY_LABEL, "power-of-two");
            tx.update(Kind.SERVICE, s1.toBuilder().setSpec(spec).build());
        });
        awaitRoutes(r -> r.getRoutes(0).getLbStrategy().equals("power-of-two"));
    }

    @Test
    void aNewDispatcherGivesTheSameTableTheSameVersion() throws Exception {
        store.update(tx -> {
            tx.create(Kind.SERVICE, service("svc", "web", "", WEB));
            tx.create(Kind.TASK, task("t1", "svc", A, TaskState.ASSIGNED));
        });
        setRunning("t1", 31001);
        MeshRoutes table = awaitRoutes(r -> r.getRoutesCount() == 1 && r.getRoutes(0).getBackendsCount() == 1);
        dispatcher.stop();
        assertThrows(IllegalStateException.class, () -> dispatcher.meshRoutes(0, LONG), "stopped with leadership");

        dispatcher = new DispatcherImpl(store);
        dispatcher.start();
        MeshRoutes again = dispatcher.meshRoutes(0, LONG);
        assertEquals(table.getRoutesList(), again.getRoutesList());
        assertNull(dispatcher.meshRoutes(table.getVersion(), Duration.ofMillis(100)),
                "the mesh that knows the table is not sent it again");
    }

    @Test
    void stoppingTheDispatcherEndsTheWaits() throws Exception {
        MeshRoutes first = dispatcher.meshRoutes(0, LONG);
        assertNotNull(first);
        Future<MeshRoutes> waiting = pool.submit(() -> dispatcher.meshRoutes(first.getVersion(), LONG));
        Thread.sleep(100);
        dispatcher.stop();
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IllegalStateException, e.toString());
    }

    // ------------------------------------------------------------ counters

    @Test
    void meshCountersLandInTheNodeInBatches() throws Exception {
        MeshStatus one = counters(1, 10);
        dispatcher.reportMesh(A, one);
        dispatcher.reportMesh("nope", one); // unknown: ignored
        await("counters written", () -> node(A).getMesh().equals(one));
        long written = System.nanoTime();

        // within the interval, the latest of several reports is held back, then written once
        MeshStatus two = counters(2, 20);
        MeshStatus three = counters(3, 30);
        dispatcher.reportMesh(A, two);
        dispatcher.reportMesh(A, three);
        Thread.sleep(300);
        assertEquals(one, node(A).getMesh(), "not yet");
        await("latest written", () -> node(A).getMesh().equals(three));
        long gap = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - written);
        assertTrue(gap >= StatusWriter.MESH_INTERVAL_MS - 100, "written after " + gap + " ms");

        // the same counters with a new timestamp are not written
        long index = store.view(tx -> tx.index());
        dispatcher.reportMesh(A, three.toBuilder().setTimestamp(4).build());
        Thread.sleep(StatusWriter.MESH_INTERVAL_MS + 300);
        assertEquals(three, node(A).getMesh());
        assertEquals(index, (long) store.view(tx -> tx.index()), "no transaction");
        assertTrue(store.view(tx -> tx.get(Kind.NODE, "nope")).isEmpty());
    }

    @Test
    void countersDoNotDisturbSessionsOrTheNodesStatus() throws Exception {
        Session s = dispatcher.open(A, DispatcherImplTest.describe("host-a"));
        await("ready", () -> node(A).getDescription().getHostname().equals("host-a"));
        MeshStatus c = counters(1, 5);
        dispatcher.reportMesh(A, c);
        await("counters written", () -> node(A).getMesh().equals(c));
        assertEquals(NodeStatus.State.READY, node(A).getStatus().getState());
        assertEquals("host-a", node(A).getDescription().getHostname());
        s.close();
        await("down", () -> node(A).getStatus().getState() == NodeStatus.State.DOWN);
        assertEquals(c, node(A).getMesh(), "a status change keeps the counters");
    }

    @Test
    void theHostOfAnAddress() {
        assertEquals("10.0.0.1", MeshTable.host("10.0.0.1:4242"));
        assertEquals("fd00::2", MeshTable.host("[fd00::2]:4242"));
        assertEquals("fd00::2", MeshTable.host("fd00::2"));
        assertEquals("node-1.example", MeshTable.host("node-1.example"));
        assertEquals("", MeshTable.host(""));
    }

    // ------------------------------------------------------------ helpers

    /** The table once it satisfies {@code condition} (each poll waits for the next version). */
    private MeshRoutes awaitRoutes(java.util.function.Predicate<MeshRoutes> condition) throws InterruptedException {
        long deadline = System.nanoTime() + LONG.toNanos();
        MeshRoutes r = dispatcher.meshRoutes(0, LONG);
        while (!condition.test(r)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("timed out; the table is " + r);
            }
            MeshRoutes next = dispatcher.meshRoutes(r.getVersion(), Duration.ofNanos(left));
            r = next == null ? r : next;
        }
        return r;
    }

    private void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + LONG.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private void setRunning(String taskId, int nodePort) {
        updateTask(taskId, t -> t.toBuilder().setStatus(status(TaskState.RUNNING,
                List.of(WEB.toBuilder().setPublishedPort(nodePort).build()))).build());
    }

    private void updateTask(String id, UnaryOperator<Task> change) {
        store.update(tx -> tx.update(Kind.TASK, change.apply(tx.get(Kind.TASK, id).orElseThrow())));
    }

    private void setNode(String id, UnaryOperator<Node> change) {
        store.update(tx -> tx.update(Kind.NODE, change.apply(tx.get(Kind.NODE, id).orElseThrow())));
    }

    private Node node(String id) {
        return store.view(tx -> tx.get(Kind.NODE, id).orElseThrow());
    }

    private static List<String> taskIds(MeshRoute r) {
        return r.getBackendsList().stream().map(MeshBackend::getTaskId).toList();
    }

    static Node node(String id, String addr) {
        return DispatcherImplTest.node(id, NodeStatus.State.READY).toBuilder()
                .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.READY).setAddr(addr)).build();
    }

    static Service service(String id, String name, String lbStrategy, PortConfig... ports) {
        return Service.newBuilder().setId(id)
                .setSpec(ServiceSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName(name))
                        .setEndpoint(EndpointSpec.newBuilder().setLbStrategy(lbStrategy).addAllPorts(List.of(ports))))
                .setEndpoint(Endpoint.newBuilder().setSpec(EndpointSpec.newBuilder().addAllPorts(List.of(ports)))
                        .addAllPorts(List.of(ports)))
                .build();
    }

    static Task task(String id, String serviceId, String nodeId, TaskState state) {
        return DispatcherImplTest.task(id, nodeId, state).toBuilder().setServiceId(serviceId).build();
    }

    static TaskStatus status(TaskState state, List<PortConfig> published) {
        TaskStatus.Builder b = DispatcherImplTest.status(state, System.currentTimeMillis()).toBuilder();
        if (!published.isEmpty()) {
            b.setPortStatus(PortStatus.newBuilder().addAllPorts(published));
        }
        return b.build();
    }

    static MeshBackend backend(String taskId, String nodeId, String addr, int port) {
        return MeshBackend.newBuilder().setTaskId(taskId).setNodeId(nodeId).setAddr(addr).setPort(port).build();
    }

    static MeshStatus counters(long timestamp, long connections) {
        return MeshStatus.newBuilder().setTimestamp(timestamp).addPorts(MeshPortStats.newBuilder().setServiceId("svc")
                .setProtocol(PortConfig.Protocol.TCP).setPublishedPort(18080).setConnectionsTotal(connections)).build();
    }
}
