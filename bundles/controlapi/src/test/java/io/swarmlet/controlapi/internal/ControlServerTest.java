package io.swarmlet.controlapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.node.DaemonState;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.node.NodeMembership;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.types.ListNodesRequest;
import io.swarmlet.api.types.ListNodesResponse;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.VersionRequest;
import io.swarmlet.api.types.VersionResponse;
import io.swarmlet.grpc.RemoteControlApi;
import io.swarmlet.grpc.Transports;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.Version;

/**
 * The control socket on workers and managers: what it serves with and without
 * a manager API, LeaveSwarm through the node's membership, and when it tells
 * the launcher the daemon is ready. The component runs outside OSGi with a
 * minimal bundle context that records service registrations.
 */
class ControlServerTest {

    private Path dir;
    private Path socket;
    private final List<Map<String, Object>> registered = new ArrayList<>();
    private final List<ControlServer> servers = new ArrayList<>();
    private final List<RemoteControlApi> clients = new ArrayList<>();

    /** Netty warns that unix sockets have no SO_KEEPALIVE; the CLI silences it the same way. */
    private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

    @BeforeAll
    static void needsUnixSockets() {
        assumeTrue(Transports.unixSocketsAvailable(), "unix sockets need Linux with epoll");
        GRPC_LOG.setLevel(java.util.logging.Level.SEVERE);
    }

    @BeforeEach
    void setUp() throws IOException {
        // unix socket paths are limited to ~107 bytes: keep it short, under /tmp
        dir = Files.createTempDirectory(Path.of("/tmp"), "swctl");
        socket = dir.resolve("c.sock");
    }

    @AfterEach
    void tearDown() throws IOException {
        clients.forEach(RemoteControlApi::close);
        servers.forEach(ControlServer::deactivate);
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    record Local(Path controlSocket, boolean manager) implements LocalNode {
        @Override public String nodeId() { return "node000000000000000000001"; }
        @Override public String clusterId() { return "cluster0000000000000000001"; }
        @Override public boolean bootstrapped() { return false; }
        @Override public String hostname() { return "work-01"; }
        @Override public Path stateDir() { return controlSocket.getParent(); }
        @Override public String remoteApiAddr() { return "127.0.0.1:4242"; }
        @Override public String advertiseAddr() { return "127.0.0.1:4242"; }
        @Override public String raftAddr() { return "127.0.0.1:4243"; }
    }

    private BundleContext context() {
        Bundle bundle = (Bundle) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Bundle.class},
                (p, m, a) -> m.getName().equals("getVersion") ? new Version(1, 2, 3) : null);
        ServiceRegistration<?> reg = (ServiceRegistration<?>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ServiceRegistration.class}, (p, m, a) -> null);
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (p, m, a) -> {
                    switch (m.getName()) {
                        case "getBundle":
                            return bundle;
                        case "registerService":
                            assertEquals(DaemonState.class.getName(), a[0]);
                            Map<String, Object> props = new HashMap<>();
                            Dictionary<?, ?> d = (Dictionary<?, ?>) a[2];
                            for (var keys = d.keys(); keys.hasMoreElements(); ) {
                                Object k = keys.nextElement();
                                props.put(k.toString(), d.get(k));
                            }
                            synchronized (registered) {
                                registered.add(props);
                            }
                            return reg;
                        default:
                            throw new UnsupportedOperationException(m.getName());
                    }
                });
    }

    private ControlServer server(boolean manager) throws Exception {
        ControlServer s = new ControlServer();
        set(s, "local", new Local(socket, manager));
        servers.add(s);
        return s;
    }

    private static void set(Object target, String field, Object value) throws Exception {
        Field f = target.getClass().getDeclaredField(field);
        f.setAccessible(true);
        f.set(target, value);
    }

    private RemoteControlApi client() {
        RemoteControlApi c = RemoteControlApi.unix(socket, 10_000);
        clients.add(c);
        return c;
    }

    /** A manager API that only lists one node. */
    private static ControlApi managerApi() {
        return (ControlApi) Proxy.newProxyInstance(ControlServerTest.class.getClassLoader(), new Class<?>[] {ControlApi.class},
                (p, m, a) -> {
                    if (m.getName().equals("listNodes")) {
                        return ListNodesResponse.newBuilder().addNodes(Node.newBuilder().setId("n1")).build();
                    }
                    if (m.getName().equals("version")) {
                        return VersionResponse.newBuilder().setVersion("manager").setLeader(true).build();
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    private static void assertRefused(ControlException.Code code, String message, Runnable call) {
        ControlException e = assertThrows(ControlException.class, call::run);
        assertEquals(code, e.code(), e.getMessage());
        assertEquals(message, e.getMessage());
    }

    private Map<String, Object> onlyRegistration() {
        synchronized (registered) {
            assertEquals(1, registered.size(), registered.toString());
            return registered.get(0);
        }
    }

    @Test
    void aWorkerServesVersionAndRefusesClusterCallsWithDockersText() throws Exception {
        ControlServer s = server(false);
        s.activate(context());
        Map<String, Object> ready = onlyRegistration();
        assertEquals(DaemonState.READY, ready.get(DaemonState.STATE), "a worker is ready once the socket is served");
        assertEquals("node000000000000000000001", ready.get("swarmlet.node.id"));
        assertEquals(socket.toString(), ready.get("swarmlet.control.socket"));

        RemoteControlApi c = client();
        VersionResponse v = c.version(VersionRequest.getDefaultInstance());
        assertEquals("1.2.3", v.getVersion());
        assertEquals("node000000000000000000001", v.getNodeId());
        assertEquals("cluster0000000000000000001", v.getClusterId());
        assertFalse(v.getLeader());
        assertRefused(ControlException.Code.FAILED_PRECONDITION,
                "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state."
                        + " Please run this command on a manager node or promote the current node to a manager.",
                () -> c.listNodes(ListNodesRequest.getDefaultInstance()));
    }

    @Test
    void promotionAndDemotionSwitchWhatTheSameSocketServes() throws Exception {
        ControlServer s = server(false);
        s.activate(context());
        RemoteControlApi c = client();
        assertThrows(ControlException.class, () -> c.listNodes(ListNodesRequest.getDefaultInstance()));

        ControlApi manager = managerApi();
        s.bindApi(manager);
        assertEquals("n1", c.listNodes(ListNodesRequest.getDefaultInstance()).getNodes(0).getId());
        assertTrue(c.version(VersionRequest.getDefaultInstance()).getLeader());

        s.unbindApi(manager);
        assertRefused(ControlException.Code.FAILED_PRECONDITION, WorkerControlApi.NOT_A_MANAGER,
                () -> c.listNodes(ListNodesRequest.getDefaultInstance()));
        assertEquals(1, registered.size(), "ready is said once");
    }

    @Test
    void aWatchStreamsOverTheSocketUntilTheClientStopsAndAWorkerRefusesIt() throws Exception {
        java.util.concurrent.CountDownLatch serverEnded = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean serverInterrupted = new java.util.concurrent.atomic.AtomicBoolean();
        ControlApi watching = (ControlApi) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ControlApi.class},
                (p, m, a) -> {
                    if (!m.getName().equals("watch")) {
                        throw new UnsupportedOperationException(m.getName());
                    }
                    assertEquals(List.of("service"), ((io.swarmlet.api.types.WatchRequest) a[0]).getKindsList());
                    @SuppressWarnings("unchecked")
                    java.util.function.Consumer<io.swarmlet.api.types.WatchEvent> sink =
                            (java.util.function.Consumer<io.swarmlet.api.types.WatchEvent>) a[1];
                    try {
                        for (String name : List.of("web", "db")) {
                            sink.accept(io.swarmlet.api.types.WatchEvent.newBuilder().setKind("service").setAction("create")
                                    .setName(name).putAttributes("replicas.new", "3").build());
                        }
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException e) {
                        serverInterrupted.set(true);
                    } finally {
                        serverEnded.countDown();
                    }
                    return null;
                });
        ControlServer s = server(false);
        s.activate(context());
        RemoteControlApi c = client();
        assertRefused(ControlException.Code.FAILED_PRECONDITION, WorkerControlApi.NOT_A_MANAGER,
                () -> {
                    try {
                        c.watch(io.swarmlet.api.types.WatchRequest.getDefaultInstance(), e -> { });
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
        s.bindApi(watching);
        List<io.swarmlet.api.types.WatchEvent> got = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread client = new Thread(() -> {
            try {
                c.watch(io.swarmlet.api.types.WatchRequest.newBuilder().addKinds("service").build(), got::add);
            } catch (InterruptedException e) {
                // stopped
            }
        });
        client.start();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (got.size() < 2 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(List.of("web", "db"), got.stream().map(io.swarmlet.api.types.WatchEvent::getName).toList());
        assertEquals("3", got.get(0).getAttributesMap().get("replicas.new"));
        client.interrupt();
        assertTrue(serverEnded.await(10, java.util.concurrent.TimeUnit.SECONDS), "the client stopping ends the server's call");
        assertTrue(serverInterrupted.get(), "by an interrupt");
        client.join(10_000);
        assertFalse(client.isAlive());
    }

    @Test
    void aManagerIsReadyOnlyOnceItsApiIsUp() throws Exception {
        ControlServer s = server(true);
        s.activate(context());
        assertTrue(registered.isEmpty(), "no ready before the store: " + registered);
        // the socket is served meanwhile: Version, and "not ready yet" (not "not a manager") for the rest
        assertEquals("1.2.3", client().version(VersionRequest.getDefaultInstance()).getVersion());
        assertRefused(ControlException.Code.UNAVAILABLE, WorkerControlApi.STORE_STARTING,
                () -> client().listNodes(ListNodesRequest.getDefaultInstance()));

        s.bindApi(managerApi());
        assertEquals(DaemonState.READY, onlyRegistration().get(DaemonState.STATE));
    }

    @Test
    void theCertificateRoleDecidesWhetherToWaitForTheStore() throws Exception {
        ControlServer s = server(true);
        NodeCredentials creds = (NodeCredentials) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {NodeCredentials.class}, (p, m, a) -> null);
        s.bindCredentials(creds, Map.of(NodeCredentials.ROLE, "manager"));
        s.activate(context());
        assertTrue(registered.isEmpty());
        // demoted before the store came up: a worker now
        s.updatedCredentials(creds, Map.of(NodeCredentials.ROLE, "worker"));
        assertEquals(DaemonState.READY, onlyRegistration().get(DaemonState.STATE));
    }

    @Test
    void leaveSwarmGoesToTheNodesMembershipAndPassesItsRefusalsOn() throws Exception {
        ControlServer s = server(false);
        s.activate(context());
        RemoteControlApi c = client();
        assertRefused(ControlException.Code.UNAVAILABLE,
                "this daemon cannot leave the swarm right now: its node component is not running (see its log)",
                () -> c.leaveSwarm(false));

        List<Boolean> asked = new ArrayList<>();
        set(s, "membership", (NodeMembership) force -> {
            asked.add(force);
            if (!force) {
                throw new IllegalStateException("You are attempting to leave the swarm on a node that is participating"
                        + " as a manager. Removing the last manager erases all current state of the swarm."
                        + " Use `--force` to ignore this message.");
            }
            return "Node left the swarm.";
        });
        assertRefused(ControlException.Code.FAILED_PRECONDITION,
                "You are attempting to leave the swarm on a node that is participating as a manager. Removing the last"
                        + " manager erases all current state of the swarm. Use `--force` to ignore this message.",
                () -> c.leaveSwarm(false));
        assertEquals("Node left the swarm.", c.leaveSwarm(true));
        assertEquals(List.of(false, true), asked);
    }

    @Test
    void aSocketThatCannotBeBoundIsReportedAsFailed() throws Exception {
        Files.createDirectory(socket);
        ControlServer s = server(false);
        s.activate(context());
        Map<String, Object> failed = onlyRegistration();
        assertEquals(DaemonState.FAILED, failed.get(DaemonState.STATE));
        assertEquals("control socket " + socket + " is a directory", failed.get(DaemonState.MESSAGE));
        s.bindApi(managerApi());
        assertEquals(1, registered.size(), "no ready after failed");
    }

    /** A keyring locked until given {@code key}; a wrong key changes nothing. */
    static final class TestKeyring implements io.swarmlet.api.security.Keyring {
        private final String key;
        volatile boolean locked = true;
        int attempts;

        TestKeyring(String key) {
            this.key = key;
        }

        @Override public boolean locked() { return locked; }

        @Override
        public synchronized void unlock(String unlockKey) {
            attempts++;
            if (!locked) {
                throw new IllegalStateException("not locked");
            }
            io.swarmlet.api.security.UnlockKeys.parse(unlockKey);
            if (!key.equals(unlockKey.strip())) {
                throw new IllegalArgumentException("invalid unlock key: it does not open this manager's data key");
            }
            locked = false;
        }
    }

    @Test
    void aLockedManagerIsReadyServesVersionAndUnlockOnlyAndTakesTheKey() throws Exception {
        String key = io.swarmlet.api.security.UnlockKeys.format(io.swarmlet.api.security.UnlockKeys.generate());
        String wrong = io.swarmlet.api.security.UnlockKeys.format(io.swarmlet.api.security.UnlockKeys.generate());
        TestKeyring keyring = new TestKeyring(key);
        ControlServer s = server(true);
        s.bindKeyring(keyring);
        s.activate(context());
        Map<String, Object> ready = onlyRegistration();
        assertEquals(DaemonState.READY, ready.get(DaemonState.STATE), "locked counts as ready: only the key moves it on");
        assertEquals("locked", ready.get(DaemonState.MESSAGE));

        RemoteControlApi c = client();
        assertEquals("1.2.3", c.version(VersionRequest.getDefaultInstance()).getVersion());
        assertRefused(ControlException.Code.FAILED_PRECONDITION, io.swarmlet.api.security.Keyring.LOCKED_MESSAGE,
                () -> c.listNodes(ListNodesRequest.getDefaultInstance()));
        assertRefused(ControlException.Code.FAILED_PRECONDITION, io.swarmlet.api.security.Keyring.LOCKED_MESSAGE,
                () -> c.listSecrets(io.swarmlet.api.types.ListSecretsRequest.getDefaultInstance()));
        ControlException bad = assertThrows(ControlException.class, () -> c.unlockSwarm(
                io.swarmlet.api.types.UnlockSwarmRequest.newBuilder().setUnlockKey(wrong).build()));
        assertEquals(ControlException.Code.INVALID_ARGUMENT, bad.code());
        assertEquals("invalid unlock key: it does not open this manager's data key", bad.getMessage());
        assertFalse(bad.getMessage().contains(wrong.substring(9)), "the key is not echoed");
        assertRefused(ControlException.Code.INVALID_ARGUMENT, "invalid unlock key: it must start with SWMKEY-1-",
                () -> c.unlockSwarm(io.swarmlet.api.types.UnlockSwarmRequest.newBuilder().setUnlockKey("nonsense").build()));
        assertTrue(keyring.locked(), "a wrong key changes nothing");

        c.unlockSwarm(io.swarmlet.api.types.UnlockSwarmRequest.newBuilder().setUnlockKey(key).build());
        assertFalse(keyring.locked());
        // unlocked, the store not up yet: "not ready yet"; then the manager API takes the socket
        assertRefused(ControlException.Code.UNAVAILABLE, WorkerControlApi.STORE_STARTING,
                () -> c.listNodes(ListNodesRequest.getDefaultInstance()));
        s.bindApi(managerApi());
        assertEquals("n1", c.listNodes(ListNodesRequest.getDefaultInstance()).getNodes(0).getId());
        assertEquals(1, registered.size(), "ready is said once");
    }

    @Test
    void theLockedApiRefusesEverythingButVersionAndUnlock() {
        LockedControlApi locked = new LockedControlApi(new Local(socket, true), "1.2.3", () -> null);
        assertEquals("1.2.3", locked.version(VersionRequest.getDefaultInstance()).getVersion());
        assertRefused(ControlException.Code.FAILED_PRECONDITION, "swarm is not locked",
                () -> locked.unlockSwarm(io.swarmlet.api.types.UnlockSwarmRequest.getDefaultInstance()));
        assertRefused(ControlException.Code.FAILED_PRECONDITION, io.swarmlet.api.security.Keyring.LOCKED_MESSAGE,
                () -> locked.getUnlockKey(io.swarmlet.api.types.GetUnlockKeyRequest.getDefaultInstance()));
        assertRefused(ControlException.Code.FAILED_PRECONDITION, io.swarmlet.api.security.Keyring.LOCKED_MESSAGE,
                () -> locked.createSecret(io.swarmlet.api.types.CreateSecretRequest.getDefaultInstance()));
        assertRefused(ControlException.Code.FAILED_PRECONDITION, io.swarmlet.api.security.Keyring.LOCKED_MESSAGE,
                () -> locked.listPlugins(io.swarmlet.api.types.ListPluginsRequest.getDefaultInstance()));
    }

    @Test
    void aWorkerRefusesSecretCallsAsANonManager() throws Exception {
        ControlServer s = server(false);
        s.activate(context());
        assertRefused(ControlException.Code.FAILED_PRECONDITION, WorkerControlApi.NOT_A_MANAGER,
                () -> client().createSecret(io.swarmlet.api.types.CreateSecretRequest.getDefaultInstance()));
    }
}
