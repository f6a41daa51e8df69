package io.swarmlet.remote.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.swarmlet.api.dispatcher.Assignments;
import io.swarmlet.api.dispatcher.LogProvider;
import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.grpc.NodeCAGrpc;
import io.swarmlet.api.grpc.NodeDispatcherGrpc;
import io.swarmlet.api.grpc.NodeLogsGrpc;
import io.swarmlet.api.remote.GetRootCACertificateRequest;
import io.swarmlet.api.remote.GetRootCACertificateResponse;
import io.swarmlet.api.remote.HeartbeatRequest;
import io.swarmlet.api.remote.MeshRoutesRequest;
import io.swarmlet.api.remote.MeshRoutesResponse;
import io.swarmlet.api.remote.OpenSessionRequest;
import io.swarmlet.api.remote.RemoteManager;
import io.swarmlet.api.remote.ReportMeshRequest;
import io.swarmlet.api.remote.TaskLogsRequest;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.RaftMembership;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.ClusterSpec;
import io.swarmlet.api.types.DispatcherConfig;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.MeshBackend;
import io.swarmlet.api.types.MeshPortStats;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.MeshStatus;
import io.swarmlet.api.types.ManagerStatus;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.PortStatus;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import io.swarmlet.dispatcher.internal.DispatcherImpl;
import io.swarmlet.grpc.Transports;
import io.swarmlet.spi.executor.LogSource;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The remote API over real gRPC and real mutual TLS on loopback: a worker's
 * {@link RemoteDispatcher} against the {@link NodeDispatcherService} of two
 * managers sharing one real store (one of them leads, with a real
 * {@link DispatcherImpl}), and every node's {@link NodeLogsService}.
 */
class RemoteTest {

    static final String LEADER = "leader0000000000000000001";
    static final String OTHER = "manager000000000000000002";
    static final String WORKER = "worker0000000000000000003";
    static final long HEARTBEAT_MS = 300;
    static final Duration LONG = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private SingleNodeStore running;
    private Store store;
    private TestPki pki;
    private TestPki.Credentials leaderCreds;
    private TestPki.Credentials otherCreds;
    private TestPki.Credentials workerCreds;
    private final FakeRaft raft = new FakeRaft();
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    private DispatcherImpl dispatcher;
    private RemoteServer leaderServer;
    private RemoteServer otherServer;
    private RemoteServer workerServer;
    private RemoteDispatcher workerClient;
    private String leaderAddr;
    private String otherAddr;
    private String workerAddr;
    private Path workerState;

    @BeforeEach
    void setUp() throws Exception {
        running = SingleNodeStore.start(dir.resolve("store"), "store0000000000000000000001");
        store = running.store();
        pki = new TestPki(SingleNodeStore.CLUSTER_ID);
        leaderCreds = pki.node(LEADER, NodeRole.MANAGER);
        otherCreds = pki.node(OTHER, NodeRole.MANAGER);
        workerCreds = pki.node(WORKER, NodeRole.WORKER);

        leaderServer = server(LEADER, leaderCreds, store, raft);
        otherServer = server(OTHER, otherCreds, store, raft);
        workerServer = server(WORKER, workerCreds, null, null);
        leaderAddr = "127.0.0.1:" + leaderServer.port();
        otherAddr = "127.0.0.1:" + otherServer.port();
        workerAddr = "127.0.0.1:" + workerServer.port();

        store.update(tx -> {
            tx.create(Kind.CLUSTER, Cluster.newBuilder().setId(SingleNodeStore.CLUSTER_ID)
                    .setSpec(ClusterSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("default"))
                            .setDispatcher(DispatcherConfig.newBuilder().setHeartbeatPeriodMs(HEARTBEAT_MS)))
                    .build());
            tx.create(Kind.NODE, manager(LEADER, leaderAddr));
            tx.create(Kind.NODE, manager(OTHER, otherAddr));
            tx.create(Kind.NODE, Node.newBuilder().setId(WORKER).setRole(NodeRole.WORKER)
                    .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.UNKNOWN).setAddr(workerAddr)).build());
        });
        raft.leader = LEADER;
        dispatcher = new DispatcherImpl(store, () -> VAULT);
        dispatcher.start();
        leaderServer.setLocalDispatcher(dispatcher);

        // the worker only knows the manager that does not lead, as if it had joined through it
        workerState = Files.createDirectories(dir.resolve("worker"));
        Files.writeString(workerState.resolve(Managers.FILE), OTHER + " " + otherAddr + " 127.0.0.1:1\n");
        workerClient = new RemoteDispatcher(workerState, workerAddr, workerCreds, null, null);
        cleanup.add(workerClient::deactivate);
        workerServer.setRemoteDispatcher(workerClient);
    }

    @AfterEach
    void tearDown() throws Exception {
        pool.shutdownNow();
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        dispatcher.stop();
        running.close();
    }

    private RemoteServer server(String nodeId, TestPki.Credentials creds, Store s, RaftMembership r) {
        RemoteServer server = new RemoteServer(nodeId, "127.0.0.1:0", creds, s, r);
        server.start();
        cleanup.add(server::deactivate);
        assertTrue(server.port() > 0, "serving");
        return server;
    }

    private static Node manager(String id, String addr) {
        return Node.newBuilder().setId(id).setRole(NodeRole.MANAGER)
                .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.READY).setAddr(addr))
                .setManagerStatus(ManagerStatus.newBuilder().setRaftId(id).setAddr("127.0.0.1:" + (id.equals(LEADER) ? 1 : 2)))
                .build();
    }

    // ------------------------------------------------------------ sessions

    @Test
    void aWorkerFindsTheLeaderThroughAnotherManagerAndRunsItsSessionOverTls() throws Exception {
        Session s = workerClient.open(WORKER, describe("work-01"));
        assertEquals(leaderAddr, ((RemoteSession) s).addr(), "followed the leader hint");
        await("worker ready", () -> node(WORKER).getStatus().getState() == NodeStatus.State.READY);
        assertEquals("work-01", node(WORKER).getDescription().getHostname());
        assertEquals(Duration.ofMillis(HEARTBEAT_MS), s.heartbeatPeriod());

        // the managers' list of the response replaced the one written at join
        List<RemoteManager> managers = Managers.read(workerState.resolve(Managers.FILE));
        assertEquals(List.of(LEADER, OTHER), managers.stream().map(RemoteManager::getNodeId).toList());
        assertEquals(leaderAddr, managers.get(0).getRemoteAddr());
        assertEquals("127.0.0.1:1", managers.get(0).getRaftAddr());

        Assignments first = s.assignments(0, LONG);
        assertNotNull(first);
        assertTrue(first.tasks().isEmpty());
        assertNull(s.assignments(first.version(), Duration.ofMillis(100)), "nothing new");

        // a long poll returns as soon as a task is assigned, not at its timeout
        Future<Assignments> next = pool.submit(() -> s.assignments(first.version(), LONG));
        Thread.sleep(100);
        long t0 = System.nanoTime();
        store.update(tx -> tx.create(Kind.TASK, task("task1", WORKER)));
        Assignments a = next.get(LONG.toSeconds(), TimeUnit.SECONDS);
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "the poll woke at the commit");
        assertEquals(List.of("task1"), a.tasks().stream().map(Task::getId).toList());
        assertEquals(TaskState.RUNNING, a.tasks().get(0).getDesiredState());

        s.updateTaskStatus(Map.of("task1", TaskStatus.newBuilder().setState(TaskState.RUNNING).setTimestamp(5)
                .setMessage("started").build()));
        await("status written", () -> task("task1").getStatus().getState() == TaskState.RUNNING);

        // heartbeats keep the node up past 3 periods
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5 * HEARTBEAT_MS);
        while (System.nanoTime() < end) {
            s.heartbeat();
            Thread.sleep(HEARTBEAT_MS / 2);
        }
        assertEquals(NodeStatus.State.READY, node(WORKER).getStatus().getState());
        assertEquals(0, workerCreds.renewals.get(), "the role did not change");

        s.close();
        await("worker down", () -> node(WORKER).getStatus().getState() == NodeStatus.State.DOWN);
        assertEquals("session closed", node(WORKER).getStatus().getMessage());
        assertThrows(IllegalStateException.class, s::heartbeat);
    }

    /** "Seals" by reversing the bytes. */
    static final io.swarmlet.api.security.SecretVault VAULT = new io.swarmlet.api.security.SecretVault() {
        @Override
        public byte[] seal(String driver, String secretId, long version, byte[] plain) {
            return reversed(plain);
        }

        @Override
        public byte[] open(String driver, String secretId, long version, byte[] sealed) {
            return reversed(sealed);
        }
    };

    static byte[] reversed(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }

    @Test
    void theSecretsAndConfigsOfAWorkersTasksReachItOverTlsWithTheAssignments() throws Exception {
        String secretId = "secret0000000000000000001";
        String configId = "config0000000000000000001";
        store.update(tx -> {
            tx.create(Kind.SECRET, io.swarmlet.api.types.Secret.newBuilder().setId(secretId)
                    .setSpec(io.swarmlet.api.types.SecretSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("db_pass")))
                    .addVersions(io.swarmlet.api.types.SecretVersion.newBuilder().setVersion(1)
                            .setSealed(com.google.protobuf.ByteString.copyFrom(reversed("leak-canary-s3cr3t-remote".getBytes()))))
                    .build());
            tx.create(Kind.CONFIG, io.swarmlet.api.types.Config.newBuilder().setId(configId)
                    .setSpec(io.swarmlet.api.types.ConfigSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("app.conf")))
                    .addVersions(io.swarmlet.api.types.ConfigVersion.newBuilder().setVersion(1)
                            .setData(com.google.protobuf.ByteString.copyFromUtf8("listen=80")))
                    .build());
            tx.create(Kind.TASK, task("task1", WORKER).toBuilder()
                    .setSpec(io.swarmlet.api.types.TaskSpec.newBuilder().setContainer(io.swarmlet.api.types.ContainerSpec.newBuilder()
                            .addSecrets(io.swarmlet.api.types.SecretReference.newBuilder().setSecretId(secretId)
                                    .setSecretName("db_pass").setVersion(1).setTarget("/run/secrets/db_pass"))
                            .addConfigs(io.swarmlet.api.types.ConfigReference.newBuilder().setConfigId(configId)
                                    .setConfigName("app.conf").setVersion(1).setTarget("/etc/app.conf"))))
                    .build());
            // a task of the other manager references the secret too: none of the worker's business
            tx.create(Kind.TASK, task("task2", OTHER).toBuilder().setSpec(tx.get(Kind.TASK, "task1").orElseThrow().getSpec())
                    .build());
        });
        Session s = workerClient.open(WORKER, describe("work-01"));
        Assignments a = s.assignments(0, LONG);
        assertEquals(List.of("task1"), a.tasks().stream().map(Task::getId).toList());
        assertEquals(1, a.secrets().size());
        assertEquals(secretId, a.secrets().get(0).getId());
        assertEquals("db_pass", a.secrets().get(0).getName());
        assertEquals(1, a.secrets().get(0).getVersion());
        assertEquals("leak-canary-s3cr3t-remote", a.secrets().get(0).getData().toStringUtf8());
        assertEquals(List.of("app.conf=listen=80"), a.configs().stream()
                .map(c -> c.getName() + "=" + c.getData().toStringUtf8()).toList());

        // the task goes: so do its values
        store.update(tx -> tx.delete(Kind.TASK, "task1"));
        Assignments b = s.assignments(a.version(), LONG);
        assertTrue(b.tasks().isEmpty());
        assertTrue(b.secrets().isEmpty());
        assertTrue(b.configs().isEmpty());
        s.close();
    }

    @Test
    void aWorkerThatStopsBeatingGoesDown() throws Exception {
        Session s = workerClient.open(WORKER, describe("work-01"));
        await("worker ready", () -> node(WORKER).getStatus().getState() == NodeStatus.State.READY);
        long t0 = System.nanoTime();
        await("worker down", () -> node(WORKER).getStatus().getState() == NodeStatus.State.DOWN);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals("heartbeat failure", node(WORKER).getStatus().getMessage());
        assertTrue(ms < 3 * HEARTBEAT_MS + 1_000, "down after about 3 periods, took " + ms + " ms");
        s.heartbeat();
        await("worker back", () -> node(WORKER).getStatus().getState() == NodeStatus.State.READY);
    }

    @Test
    void aManagerThatDoesNotLeadAnswersFailedPreconditionWithTheLeadersAddress() throws Exception {
        ManagedChannel ch = channel(otherAddr, workerCreds, Channels.MANAGER);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> NodeDispatcherGrpc.newBlockingStub(ch)
                .openSession(OpenSessionRequest.newBuilder().setDescription(describe("w")).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertEquals(NodeDispatcherService.NOT_LEADER, e.getStatus().getDescription());
        Metadata trailers = Status.trailersFromThrowable(e);
        assertEquals(leaderAddr, trailers.get(NodeDispatcherService.LEADER_ADDR_KEY));
        assertEquals(LEADER, trailers.get(NodeDispatcherService.LEADER_ID_KEY));

        // the leader does not know a made-up session
        ManagedChannel toLeader = channel(leaderAddr, workerCreds, Channels.MANAGER);
        StatusRuntimeException nf = assertThrows(StatusRuntimeException.class, () -> NodeDispatcherGrpc.newBlockingStub(toLeader)
                .heartbeat(HeartbeatRequest.newBuilder().setSessionId("nope").build()));
        assertEquals(Status.Code.NOT_FOUND, nf.getStatus().getCode());
        assertEquals("session nope is not open (the leader changed?)", nf.getStatus().getDescription());
    }

    @Test
    void whenLeadershipMovesTheSessionDiesAndTheNextOneFindsTheNewLeader() throws Exception {
        Session s = workerClient.open(WORKER, describe("work-01"));
        assertEquals(leaderAddr, ((RemoteSession) s).addr());
        Assignments first = s.assignments(0, LONG);
        Future<Object> poll = pool.submit(() -> s.assignments(first.version(), LONG));
        Thread.sleep(100);

        // the leader loses leadership: its dispatcher stops and is unregistered; the other manager leads
        raft.leader = OTHER;
        leaderServer.setLocalDispatcher(null);
        dispatcher.stop();
        DispatcherImpl next = new DispatcherImpl(store);
        next.start();
        cleanup.add(next::stop);
        otherServer.setLocalDispatcher(next);

        long t0 = System.nanoTime();
        java.util.concurrent.ExecutionException ee = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> poll.get(LONG.toSeconds(), TimeUnit.SECONDS));
        assertTrue(ee.getCause() instanceof IllegalStateException, ee.getCause().toString());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "the poll ended at once");
        assertThrows(IllegalStateException.class, s::heartbeat);
        assertThrows(IllegalStateException.class, () -> s.assignments(0, LONG), "dead for good");
        s.close();

        // the old leader is asked first (it took the last session) and points to the new one
        Session s2 = workerClient.open(WORKER, describe("work-01"));
        assertEquals(otherAddr, ((RemoteSession) s2).addr());
        assertNotNull(s2.assignments(0, LONG));
        s2.heartbeat();
        s2.close();
    }

    @Test
    void openGivesUpWhenNoManagerAnswers() throws Exception {
        Files.writeString(workerState.resolve(Managers.FILE), "127.0.0.1:1\n");
        RemoteDispatcher lost = new RemoteDispatcher(workerState, workerAddr, workerCreds, null, null);
        cleanup.add(lost::deactivate);
        long t0 = System.nanoTime();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> lost.open(WORKER, describe("w")));
        assertTrue(e.getMessage().startsWith("no manager answered"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3), "at once when nobody answers");
    }

    @Test
    void managersDoNotOpenRemoteSessionsWithThemselves() throws Exception {
        Path state = Files.createDirectories(dir.resolve("leader"));
        RemoteDispatcher own = new RemoteDispatcher(state, leaderAddr, leaderCreds, store, raft);
        cleanup.add(own::deactivate);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> own.open(LEADER, describe("l")));
        assertTrue(e.getMessage().contains("leads the cluster"), e.getMessage());

        // a manager that does not lead finds the leader through its store
        Path otherState = Files.createDirectories(dir.resolve("other"));
        RemoteDispatcher viaStore = new RemoteDispatcher(otherState, otherAddr, otherCreds, store, raft);
        cleanup.add(viaStore::deactivate);
        Session s = viaStore.open(OTHER, describe("o"));
        assertEquals(leaderAddr, ((RemoteSession) s).addr());
        s.close();
    }

    @Test
    void aRoleChangeInTheStoreRenewsTheCertificate() throws Exception {
        Session s = workerClient.open(WORKER, describe("work-01"));
        updateNode(WORKER, n -> n.toBuilder().setRole(NodeRole.MANAGER).build());
        s.heartbeat();
        await("renewed", () -> workerCreds.renewals.get() == 1);
        s.close();
    }

    // ------------------------------------------------------------ security

    @Test
    void aCallerWithoutACertificateCannotOpenASession() throws Exception {
        ManagedChannel ch = Transports.tlsChannel(leaderAddr, null, workerCreds.trustManager(), Channels.MANAGER);
        cleanup.add(ch::shutdownNow);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> NodeDispatcherGrpc.newBlockingStub(ch)
                .openSession(OpenSessionRequest.newBuilder().setDescription(describe("w")).build()));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    }

    @Test
    void aCertificateOfAnotherCaIsRefusedAtTheHandshake() throws Exception {
        TestPki foreign = new TestPki("cluster-elsewhere");
        TestPki.Credentials intruder = foreign.node(WORKER, NodeRole.MANAGER);
        // it trusts our root, so only the server's check of its certificate can stop it
        ManagedChannel ch = Transports.tlsChannel(leaderAddr, intruder.keyManager(), workerCreds.trustManager(), Channels.MANAGER);
        cleanup.add(ch::shutdownNow);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> NodeDispatcherGrpc.newBlockingStub(ch)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .openSession(OpenSessionRequest.newBuilder().setDescription(describe("w")).build()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
        assertEquals(NodeStatus.State.UNKNOWN, node(WORKER).getStatus().getState(), "no session was opened");
    }

    @Test
    void aWorkerCertificateCannotReadTaskLogs() throws Exception {
        workerClient.open(WORKER, describe("w")).setLogProvider(new FakeLogs());
        ManagedChannel ch = channel(workerAddr, otherWorker(), WORKER);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> NodeLogsGrpc.newBlockingStub(ch).taskLogs(TaskLogsRequest.newBuilder().setTaskId("task1").build()).next());
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    }

    private TestPki.Credentials otherWorker() throws Exception {
        return pki.node("worker0000000000000000009", NodeRole.WORKER);
    }

    // ------------------------------------------------------------ logs

    @Test
    void theLeaderReadsTaskLogsFromTheNodeThatRunsTheTask() throws Exception {
        FakeLogs logs = new FakeLogs();
        Session s = workerClient.open(WORKER, describe("w"));
        s.setLogProvider(logs);

        // through the leader's dispatcher: the session's provider is a NodeLogs client of the worker
        List<LogSource.LogLine> got = new CopyOnWriteArrayList<>();
        dispatcher.logs(WORKER, "task1", -1, false, got::add);
        assertEquals(List.of("one", "two", "three"), got.stream().map(LogSource.LogLine::line).toList());
        assertEquals(1_000L, got.get(0).timestamp());
        assertTrue(got.get(1).stderr());

        IllegalArgumentException nf = assertThrows(IllegalArgumentException.class,
                () -> dispatcher.logs(WORKER, "nope", -1, false, l -> {}));
        assertEquals("task nope is not on node " + WORKER, nf.getMessage());

        // a manager that does not lead dials the node itself (its address from the store)
        Path otherState = Files.createDirectories(dir.resolve("other"));
        RemoteDispatcher onOther = new RemoteDispatcher(otherState, otherAddr, otherCreds, store, raft);
        cleanup.add(onOther::deactivate);
        List<String> direct = new CopyOnWriteArrayList<>();
        onOther.logs(WORKER, "task1", 2, false, l -> direct.add(l.line()));
        assertEquals(List.of("two", "three"), direct);
        s.close();
    }

    @Test
    void theLeadersOwnTasksAreReadThroughItsLocalDispatcher() throws Exception {
        // the leader's agent has its session with the local dispatcher, not through the remote API
        Session own = dispatcher.open(LEADER, describe("lead"));
        own.setLogProvider(new FakeLogs());
        Path otherState = Files.createDirectories(dir.resolve("other"));
        RemoteDispatcher onOther = new RemoteDispatcher(otherState, otherAddr, otherCreds, store, raft);
        cleanup.add(onOther::deactivate);
        List<String> lines = new CopyOnWriteArrayList<>();
        onOther.logs(LEADER, "task1", -1, false, l -> lines.add(l.line()));
        assertEquals(List.of("one", "two", "three"), lines);
        own.close();
    }

    @Test
    void aReaderThatGoesAwayStopsTheNodesProducer() throws Exception {
        FakeLogs logs = new FakeLogs();
        Session s = workerClient.open(WORKER, describe("w"));
        s.setLogProvider(logs);
        CountDownLatch firstLine = new CountDownLatch(1);
        Future<?> reader = pool.submit(() -> {
            dispatcher.logs(WORKER, "task1", 0, true, l -> firstLine.countDown());
            return null;
        });
        assertTrue(firstLine.await(LONG.toSeconds(), TimeUnit.SECONDS), "following");
        reader.cancel(true); // interrupts the reader: the call is cancelled, the node's producer interrupted
        await("producer interrupted", logs.interrupted::get);
        s.close();
    }

    // ------------------------------------------------------------ routing mesh

    static final PortConfig WEB = PortConfig.newBuilder().setProtocol(PortConfig.Protocol.TCP).setTargetPort(80)
            .setPublishedPort(18080).setPublishMode(PortConfig.PublishMode.INGRESS).build();

    @Test
    void aWorkerLongPollsTheMeshRoutesOfTheLeaderWithoutASession() throws Exception {
        // backends need a READY node: the leader's own agent keeps its session (the others' nodes go down)
        Session own = dispatcher.open(LEADER, describe("lead"));
        pool.submit(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                own.heartbeat();
                Thread.sleep(HEARTBEAT_MS / 3);
            }
            return null;
        });
        store.update(tx -> {
            tx.create(Kind.SERVICE, Service.newBuilder().setId("svc")
                    .setSpec(ServiceSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("web")))
                    .setEndpoint(Endpoint.newBuilder().addPorts(WEB)).build());
            tx.create(Kind.TASK, running(task("task1", LEADER), 31001));
            tx.create(Kind.TASK, running(task("task2", LEADER), 31002));
        });
        // the worker knows only the manager that does not lead: the call follows its hint
        MeshRoutes first = awaitRoutes(workerClient, r -> r.getRoutesCount() == 1 && r.getRoutes(0).getBackendsCount() == 2);
        assertEquals(List.of(MeshBackend.newBuilder().setTaskId("task1").setNodeId(LEADER).setAddr("127.0.0.1")
                .setPort(31001).build(), MeshBackend.newBuilder().setTaskId("task2").setNodeId(LEADER).setAddr("127.0.0.1")
                .setPort(31002).build()), first.getRoutes(0).getBackendsList());
        assertEquals("round-robin", first.getRoutes(0).getLbStrategy());

        // nothing new: changed=false at the timeout, which the client returns as null
        long t0 = System.nanoTime();
        assertNull(workerClient.meshRoutes(first.getVersion(), Duration.ofMillis(300)));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(250), "waited for the timeout");

        // a task to be stopped leaves the table at once: a waiting poll returns within milliseconds
        Future<MeshRoutes> waiting = pool.submit(() -> workerClient.meshRoutes(first.getVersion(), LONG));
        Thread.sleep(200);
        store.update(tx -> tx.update(Kind.TASK, task("task1").toBuilder().setDesiredState(TaskState.SHUTDOWN).build()));
        t0 = System.nanoTime();
        MeshRoutes next = waiting.get(LONG.toSeconds(), TimeUnit.SECONDS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms < 200, "woke " + ms + " ms after the commit");
        assertEquals(List.of("task2"), next.getRoutes(0).getBackendsList().stream().map(MeshBackend::getTaskId).toList());

        // over raw gRPC: the manager that does not lead says where the leader is, like for sessions
        ManagedChannel ch = channel(otherAddr, workerCreds, Channels.MANAGER);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> NodeDispatcherGrpc.newBlockingStub(ch)
                .meshRoutes(MeshRoutesRequest.newBuilder().setTimeoutMs(10).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertEquals(leaderAddr, Status.trailersFromThrowable(e).get(NodeDispatcherService.LEADER_ADDR_KEY));
        // the leader answers a caller that knows the table with changed=false
        ManagedChannel toLeader = channel(leaderAddr, workerCreds, Channels.MANAGER);
        MeshRoutesResponse same = NodeDispatcherGrpc.newBlockingStub(toLeader).meshRoutes(MeshRoutesRequest.newBuilder()
                .setAfterVersion(next.getVersion()).setTimeoutMs(50).build());
        assertTrue(!same.getChanged() && !same.hasRoutes(), same.toString());
    }

    @Test
    void aMeshPollInProgressFollowsTheLeaderWhenItMoves() throws Exception {
        MeshRoutes first = workerClient.meshRoutes(0, LONG);
        assertNotNull(first);
        Future<MeshRoutes> poll = pool.submit(() -> workerClient.meshRoutes(first.getVersion(), LONG));
        Thread.sleep(200);

        // the new leader's dispatcher is up before raft names it, so the poll always finds someone to wait at
        // (in between, a real cluster's callers get "no leader" and retry: the mesh's control loop does)
        DispatcherImpl next = new DispatcherImpl(store);
        next.start();
        cleanup.add(next::stop);
        otherServer.setLocalDispatcher(next);
        raft.leader = OTHER;
        leaderServer.setLocalDispatcher(null);
        dispatcher.stop();

        // the same table has the same version at the new leader: the poll waits there for a change
        Thread.sleep(300);
        assertTrue(!poll.isDone(), () -> "still waiting, but: " + outcome(poll));
        store.update(tx -> tx.create(Kind.SERVICE, Service.newBuilder().setId("svc")
                .setSpec(ServiceSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("web")))
                .setEndpoint(Endpoint.newBuilder().addPorts(WEB)).build()));
        MeshRoutes changed = poll.get(LONG.toSeconds(), TimeUnit.SECONDS);
        assertEquals(1, changed.getRoutesCount());
        assertTrue(changed.getVersion() > first.getVersion());
    }

    private static String outcome(Future<?> f) {
        try {
            return "returned " + f.get();
        } catch (Exception e) {
            return "failed with " + e;
        }
    }

    @Test
    void meshCountersFromANodeCertificateLandInThatNodesObject() throws Exception {
        MeshStatus counters = MeshStatus.newBuilder().setTimestamp(1234).addPorts(MeshPortStats.newBuilder()
                .setServiceId("svc").setPublishedPort(18080).setConnectionsTotal(7).setBytesIn(100)).build();
        // fire and forget, to the manager the worker knows first (not the leader: that report is lost, and its
        // answer says where the leader is), then to the leader: the mesh reports every few seconds like this
        long deadline = System.nanoTime() + LONG.toNanos();
        while (!node(WORKER).getMesh().equals(counters)) {
            assertTrue(System.nanoTime() < deadline, "timed out");
            workerClient.reportMesh(WORKER, counters);
            Thread.sleep(100);
        }
        assertEquals(MeshStatus.getDefaultInstance(), node(OTHER).getMesh());

        // whatever node the request names, the certificate's is the one written
        ManagedChannel ch = channel(leaderAddr, otherCreds, Channels.MANAGER);
        NodeDispatcherGrpc.newBlockingStub(ch).reportMesh(ReportMeshRequest.newBuilder().setStatus(counters).build());
        await("other's counters", () -> node(OTHER).getMesh().equals(counters));

        // only the leader takes them; a caller without a certificate is refused
        ManagedChannel toOther = channel(otherAddr, workerCreds, Channels.MANAGER);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> NodeDispatcherGrpc.newBlockingStub(toOther)
                .reportMesh(ReportMeshRequest.newBuilder().setStatus(counters).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertEquals(LEADER, Status.trailersFromThrowable(e).get(NodeDispatcherService.LEADER_ID_KEY));
        ManagedChannel anonymous = Transports.tlsChannel(leaderAddr, null, workerCreds.trustManager(), Channels.MANAGER);
        cleanup.add(anonymous::shutdownNow);
        StatusRuntimeException u = assertThrows(StatusRuntimeException.class, () -> NodeDispatcherGrpc.newBlockingStub(anonymous)
                .reportMesh(ReportMeshRequest.newBuilder().setStatus(counters).build()));
        assertEquals(Status.Code.UNAUTHENTICATED, u.getStatus().getCode());
    }

    // ------------------------------------------------------------ cluster plugins

    @Test
    void aWorkerPollsTheClusterPluginsFetchesAFourMegabyteJarAndReportsItsStatesOverTls() throws Exception {
        // the worker knows only the manager that does not lead: every call follows its hint
        io.swarmlet.api.types.PluginSet empty = workerClient.plugins(0, LONG);
        assertNotNull(empty);
        assertEquals(0, empty.getPluginsCount());
        Future<io.swarmlet.api.types.PluginSet> waiting = pool.submit(() -> workerClient.plugins(empty.getVersion(), LONG));

        byte[] jar = new byte[(int) io.swarmlet.api.control.ControlApi.MAX_PLUGIN_BYTES];
        new java.util.Random(7).nextBytes(jar);
        store.update(tx -> tx.create(Kind.PLUGIN, io.swarmlet.api.types.Plugin.newBuilder().setId("plugin1")
                .setSpec(io.swarmlet.api.types.PluginSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("big")))
                .setJar(com.google.protobuf.ByteString.copyFrom(jar)).setSize(jar.length).setSha256("abc").build()));
        io.swarmlet.api.types.PluginSet one = waiting.get(LONG.toSeconds(), TimeUnit.SECONDS);
        assertEquals(1, one.getPluginsCount());
        assertTrue(one.getPlugins(0).getJar().isEmpty(), "the set carries no jar");
        assertNull(workerClient.plugins(one.getVersion(), Duration.ofMillis(200)), "nothing new");

        io.swarmlet.api.types.Plugin fetched = workerClient.pluginJar("plugin1");
        assertEquals(com.google.protobuf.ByteString.copyFrom(jar), fetched.getJar(), "4 MiB over the remote API");
        assertNull(workerClient.pluginJar("nosuchplugin"), "NOT_FOUND is no plugin");

        io.swarmlet.api.types.PluginStatus state = io.swarmlet.api.types.PluginStatus.newBuilder().setPluginId("plugin1")
                .setName("big").setCluster(true).setState(io.swarmlet.api.types.PluginStatus.State.FAILED)
                .setError("not a bundle").build();
        workerClient.reportPlugins(WORKER, List.of(state));
        await("the worker's plugin states", () -> node(WORKER).getPluginsList().equals(List.of(state)));

        // with no leader anywhere, the calls fail with why (the caller retries)
        leaderServer.setLocalDispatcher(null);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> workerClient.plugins(0, LONG));
        assertTrue(e.getMessage().startsWith("cannot get the cluster plugins"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> workerClient.reportPlugins(WORKER, List.of()));
    }

    /** The table once it satisfies {@code condition}, through {@code client}. */
    private static MeshRoutes awaitRoutes(RemoteDispatcher client, java.util.function.Predicate<MeshRoutes> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + LONG.toNanos();
        MeshRoutes r = client.meshRoutes(0, LONG);
        while (!condition.test(r)) {
            assertTrue(System.nanoTime() < deadline, "timed out; the table is " + r);
            MeshRoutes next = client.meshRoutes(r.getVersion(), Duration.ofSeconds(5));
            r = next == null ? r : next;
        }
        return r;
    }

    /** The task RUNNING, its target port published on {@code nodePort}. */
    private static Task running(Task t, int nodePort) {
        return t.toBuilder().setEndpoint(Endpoint.newBuilder().addPorts(WEB))
                .setStatus(TaskStatus.newBuilder().setState(TaskState.RUNNING).setTimestamp(2)
                        .setPortStatus(PortStatus.newBuilder().addPorts(WEB.toBuilder().setPublishedPort(nodePort))))
                .build();
    }

    // ------------------------------------------------------------ the server

    @Test
    void servicesOfOtherBundlesAreServedAndMayComeAndGo() throws Exception {
        RemoteServer server = server(WORKER, workerCreds, null, null);
        int before = server.port();
        FakeCa ca = new FakeCa("first");
        server.addService(ca);
        await("rebuilt with the new service", () -> server.port() > 0 && server.port() != before);
        ManagedChannel ch = channel("127.0.0.1:" + server.port(), otherCreds, WORKER);
        assertEquals("first", NodeCAGrpc.newBlockingStub(ch).getRootCACertificate(GetRootCACertificateRequest.getDefaultInstance())
                .getCertificate());

        // gone: the stand-in answers UNAVAILABLE, the server keeps running (same port, no restart)
        int port = server.port();
        server.removeService(ca);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> NodeCAGrpc.newBlockingStub(ch)
                .getRootCACertificate(GetRootCACertificateRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        // a new registration of the same service is served at once
        server.addService(new FakeCa("second"));
        assertEquals("second", NodeCAGrpc.newBlockingStub(ch).getRootCACertificate(GetRootCACertificateRequest.getDefaultInstance())
                .getCertificate());
        Thread.sleep(RemoteServer.REBUILD_DELAY_MS * 2);
        assertEquals(port, server.port(), "no rebuild for a service already served");
    }

    // ------------------------------------------------------------ helpers

    private ManagedChannel channel(String addr, TestPki.Credentials creds, String authority) {
        ManagedChannel ch = Transports.tlsChannel(addr, creds.keyManager(), creds.trustManager(), authority);
        cleanup.add(ch::shutdownNow);
        return ch;
    }

    /** Updates a node, again if the dispatcher wrote it meanwhile. */
    private void updateNode(String id, java.util.function.UnaryOperator<Node> change) {
        for (int attempt = 0; ; attempt++) {
            try {
                store.update(tx -> tx.update(Kind.NODE, change.apply(tx.get(Kind.NODE, id).orElseThrow())));
                return;
            } catch (io.swarmlet.api.store.StoreException e) {
                if (e.reason() != io.swarmlet.api.store.StoreException.Reason.SEQUENCE_CONFLICT || attempt > 20) {
                    throw e;
                }
            }
        }
    }

    private Node node(String id) {
        return store.view(tx -> tx.get(Kind.NODE, id).orElseThrow());
    }

    private Task task(String id) {
        return store.view(tx -> tx.get(Kind.TASK, id).orElseThrow());
    }

    static Task task(String id, String nodeId) {
        return Task.newBuilder().setId(id).setServiceId("svc").setNodeId(nodeId)
                .setAnnotations(Annotations.newBuilder().setName("web." + id))
                .setDesiredState(TaskState.RUNNING)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.ASSIGNED).setTimestamp(1).setMessage("assigned"))
                .build();
    }

    static NodeDescription describe(String hostname) {
        return NodeDescription.newBuilder().setHostname(hostname).build();
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + LONG.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** An agent's log provider: task1 has three lines, then (when followed) one line every 20 ms. */
    static final class FakeLogs implements LogProvider {
        final AtomicBoolean interrupted = new AtomicBoolean();

        @Override
        public void logs(String taskId, int tail, boolean follow, Consumer<LogSource.LogLine> sink) throws InterruptedException {
            if (!taskId.equals("task1")) {
                throw new IllegalArgumentException("task " + taskId + " is not on node " + WORKER);
            }
            List<LogSource.LogLine> lines = List.of(new LogSource.LogLine(1_000, false, "one"),
                    new LogSource.LogLine(2_000, true, "two"), new LogSource.LogLine(3_000, false, "three"));
            int from = tail < 0 ? 0 : Math.max(0, lines.size() - tail);
            lines.subList(from, lines.size()).forEach(sink);
            try {
                for (int i = 0; follow; i++) {
                    sink.accept(new LogSource.LogLine(4_000 + i, false, "more " + i));
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                interrupted.set(true);
                throw e;
            } catch (RuntimeException e) {
                interrupted.set(Thread.currentThread().isInterrupted());
                throw e;
            }
        }
    }

    /** Another bundle's service on the remote API. */
    static final class FakeCa extends NodeCAGrpc.NodeCAImplBase {
        private final String cert;

        FakeCa(String cert) {
            this.cert = cert;
        }

        @Override
        public void getRootCACertificate(GetRootCACertificateRequest request, StreamObserver<GetRootCACertificateResponse> out) {
            out.onNext(GetRootCACertificateResponse.newBuilder().setCertificate(cert).build());
            out.onCompleted();
        }
    }

    /** The Raft group as a manager sees it: only the leader matters here. */
    static final class FakeRaft implements RaftMembership {
        volatile String leader;

        @Override
        public List<Member> members() {
            return List.of();
        }

        @Override
        public String leaderId() {
            return leader;
        }

        @Override
        public void removeMember(String nodeId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void transferLeadership(String toNodeId) {
            throw new UnsupportedOperationException();
        }
    }
}
