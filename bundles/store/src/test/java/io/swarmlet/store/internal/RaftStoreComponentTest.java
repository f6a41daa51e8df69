package io.swarmlet.store.internal;

import static io.swarmlet.store.internal.TestSupport.await;
import static io.swarmlet.store.internal.TestSupport.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.node.DaemonState;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.LeadershipListener;
import io.swarmlet.api.store.RaftMembership;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.testing.FreePorts;
import io.swarmlet.api.types.NodeRole;
import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;

/** The DS component's glue, with a BundleContext that only records registrations. */
class RaftStoreComponentTest {

    @TempDir
    Path stateDir;

    /** Registered services: the object and its properties, until unregistered. */
    private final Map<Object, Dictionary<String, ?>> registered = new ConcurrentHashMap<>();

    /** The swarmlet.role property of this node's NodeCredentials service; null: no such service. */
    private volatile String credentialsRole = "manager";

    private final Map<String, String> frameworkProperties = new ConcurrentHashMap<>();

    private BundleContext context() {
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getProperty")) {
                        return frameworkProperties.get((String) args[0]);
                    }
                    if (method.getName().equals("getServiceReferences") && args[0] instanceof String clazz
                            && clazz.equals(NodeCredentials.class.getName())) {
                        String role = credentialsRole;
                        if (role == null) {
                            return null;
                        }
                        ServiceReference<?> ref = (ServiceReference<?>) Proxy.newProxyInstance(
                                getClass().getClassLoader(), new Class<?>[] {ServiceReference.class},
                                (p, m, a) -> m.getName().equals("getProperty") && NodeCredentials.ROLE.equals(a[0])
                                        ? role : null);
                        return new ServiceReference<?>[] {ref};
                    }
                    if (method.getName().equals("registerService")) {
                        Object service = args[1];
                        @SuppressWarnings("unchecked")
                        Dictionary<String, ?> props = (Dictionary<String, ?>) args[2];
                        registered.put(service, props);
                        return Proxy.newProxyInstance(getClass().getClassLoader(),
                                new Class<?>[] {ServiceRegistration.class}, (p, m, a) -> {
                                    if (m.getName().equals("unregister")) {
                                        registered.remove(service);
                                    }
                                    return null;
                                });
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static RaftStore.Config config() {
        return (RaftStore.Config) Proxy.newProxyInstance(RaftStore.Config.class.getClassLoader(),
                new Class<?>[] {RaftStore.Config.class}, (proxy, method, args) -> {
                    Object value = method.getDefaultValue();
                    return method.getName().equals("snapshotOnStop") ? Boolean.FALSE : value;
                });
    }

    private static RaftStore component(TestSupport.TestNode node) throws Exception {
        RaftStore c = new RaftStore();
        Field f = RaftStore.class.getDeclaredField("node");
        f.setAccessible(true);
        f.set(c, node);
        TestCerts.Identity id = TestCerts.issue(TestCerts.newCa("root"), node.nodeId(), node.clusterId(),
                NodeRole.MANAGER);
        Field creds = RaftStore.class.getDeclaredField("credentials");
        creds.setAccessible(true);
        creds.set(c, TestCerts.credentials(id, node.nodeId(), node.clusterId()));
        return c;
    }

    private Store registeredStore() {
        return (Store) registered.keySet().stream().filter(o -> o instanceof Store).findFirst().orElse(null);
    }

    @Test
    void registersTheStoreOnceLeaderAndUnregistersOnDeactivate() throws Exception {
        TestSupport.TestNode node = node(stateDir, FreePorts.next());
        RaftStore c = component(node);
        List<Boolean> told = new CopyOnWriteArrayList<>();
        LeadershipListener listener = told::add;
        c.addLeadershipListener(listener);
        c.activate(context(), config());
        await("the Store service", Duration.ofSeconds(60), () -> registeredStore() != null);
        Store store = registeredStore();
        assertTrue(store.isLeader());
        store.update(tx -> tx.create(Kind.TASK, TestSupport.task("t1", "s")));
        assertTrue(store.view(r -> r.get(Kind.TASK, "t1")).isPresent());
        await("leadership told", Duration.ofSeconds(10), () -> told.contains(true));
        RaftMembership membership = (RaftMembership) registered.keySet().stream()
                .filter(o -> o instanceof RaftMembership).findFirst().orElseThrow();
        assertEquals(List.of(new RaftMembership.Member(node.nodeId(), node.raftAddr(), true, true)),
                membership.members());

        c.deactivate(BUNDLE_STOPPED);
        assertTrue(registered.isEmpty(), "nothing left registered");
        assertFalse(store.isLeader());
        await("leadership loss told", Duration.ofSeconds(10), () -> told.equals(List.of(false, true, false)));
    }

    @Test
    void aStoreThatCannotStartRegistersAFailedDaemonState() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            RaftStore c = component(node(stateDir, taken.getLocalPort()));
            c.activate(context(), config());
            await("a DaemonState", Duration.ofSeconds(60),
                    () -> registered.keySet().stream().anyMatch(o -> o instanceof DaemonState));
            Dictionary<String, ?> props = registered.values().iterator().next();
            assertEquals(DaemonState.FAILED, props.get(DaemonState.STATE));
            String message = (String) props.get(DaemonState.MESSAGE);
            assertTrue(message.startsWith("raft address 127.0.0.1:" + taken.getLocalPort() + " is already in use"),
                    message);
            assertEquals(1, registered.size(), "no Store service");
            c.deactivate(BUNDLE_STOPPED);
            assertTrue(registered.isEmpty());
        }
    }

    private static final int BUNDLE_STOPPED = 6; // ComponentConstants.DEACTIVATION_REASON_BUNDLE_STOPPED

    private Path groupDir(TestSupport.TestNode node) {
        return stateDir.resolve("raft").resolve(ReplicatedStore.groupId(node.clusterId()).toString());
    }

    private static long oldDirs(Path stateDir) throws Exception {
        try (Stream<Path> s = Files.list(stateDir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("raft-old-")).count();
        }
    }

    @Test
    void demotionDiscardsTheRaftStateButOtherStopsKeepIt() throws Exception {
        TestSupport.TestNode node = node(stateDir, FreePorts.next());
        RaftStore c = component(node);
        c.activate(context(), config());
        await("the Store service", Duration.ofSeconds(60), () -> registeredStore() != null);
        registeredStore().update(tx -> tx.create(Kind.TASK, TestSupport.task("t1", "s")));

        // the ca bundle went away (its service is gone): a reference is lost, the state stays
        credentialsRole = null;
        c.deactivate(RaftStore.DEACTIVATION_REASON_REFERENCE);
        assertTrue(Files.isDirectory(groupDir(node)));
        assertEquals(0, oldDirs(stateDir));

        // started again, then demoted: the credentials now say worker
        credentialsRole = "manager";
        RaftStore again = component(node);
        again.activate(context(), config());
        await("the Store service", Duration.ofSeconds(60), () -> registeredStore() != null);
        assertTrue(registeredStore().view(r -> r.get(Kind.TASK, "t1")).isPresent());
        credentialsRole = "worker";
        again.deactivate(RaftStore.DEACTIVATION_REASON_REFERENCE);
        assertTrue(registered.isEmpty());
        assertFalse(Files.exists(groupDir(node)), "the raft state is moved away");
        assertEquals(1, oldDirs(stateDir));
    }

    @Test
    void withTheForceNewClusterPropertyAManagerOfALostGroupStartsAloneWithItsData() throws Exception {
        // a group of two managers that wrote something, then lost its second manager for good
        TestSupport.TestNode node = node(stateDir, FreePorts.next());
        ReplicatedStore first = new ReplicatedStore(node, TestSupport.config(), null);
        TestSupport.TestNode second = new TestSupport.TestNode("node0000000000000000000002", node.clusterId(),
                stateDir.resolveSibling(stateDir.getFileName() + "-second"), "127.0.0.1:" + FreePorts.next());
        ReplicatedStore other = new ReplicatedStore(second, TestSupport.config(), null);
        try {
            first.start();
            RaftDirs.writeJoinRequest(second.stateDir(), Map.of(node.nodeId(), node.raftAddr()));
            other.start();
            other.update(tx -> tx.create(Kind.TASK, TestSupport.task("t1", "s")));
            await("t1 on the first manager", Duration.ofSeconds(10),
                    () -> first.view(r -> r.get(Kind.TASK, "t1")).isPresent());
        } finally {
            Thread t = new Thread(other::close);
            t.start();
            first.close();
            t.join();
        }

        frameworkProperties.put(RaftStore.FORCE_NEW_CLUSTER, "true");
        RaftStore c = component(node);
        c.activate(context(), config());
        await("the Store service", Duration.ofSeconds(60), () -> registeredStore() != null);
        Store store = registeredStore();
        assertTrue(store.isLeader());
        assertTrue(store.view(r -> r.get(Kind.TASK, "t1")).isPresent());
        RaftMembership membership = (RaftMembership) registered.keySet().stream()
                .filter(o -> o instanceof RaftMembership).findFirst().orElseThrow();
        assertEquals(List.of(node.nodeId()), membership.members().stream().map(RaftMembership.Member::nodeId).toList());
        store.update(tx -> tx.create(Kind.TASK, TestSupport.task("t2", "s")));
        c.deactivate(BUNDLE_STOPPED);
    }
}
