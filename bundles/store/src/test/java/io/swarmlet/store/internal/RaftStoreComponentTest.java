package io.swarmlet.store.internal;

import static io.swarmlet.store.internal.TestSupport.await;
import static io.swarmlet.store.internal.TestSupport.freePort;
import static io.swarmlet.store.internal.TestSupport.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.node.DaemonState;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.LeadershipListener;
import io.swarmlet.api.store.Store;
import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/** The DS component's glue, with a BundleContext that only records registrations. */
class RaftStoreComponentTest {

    @TempDir
    Path stateDir;

    /** Registered services: the object and its properties, until unregistered. */
    private final Map<Object, Dictionary<String, ?>> registered = new ConcurrentHashMap<>();

    private BundleContext context() {
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> {
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

    private static RaftStore component(LocalNode node) throws Exception {
        RaftStore c = new RaftStore();
        Field f = RaftStore.class.getDeclaredField("node");
        f.setAccessible(true);
        f.set(c, node);
        return c;
    }

    private Store registeredStore() {
        return (Store) registered.keySet().stream().filter(o -> o instanceof Store).findFirst().orElse(null);
    }

    @Test
    void registersTheStoreOnceLeaderAndUnregistersOnDeactivate() throws Exception {
        RaftStore c = component(node(stateDir, freePort()));
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

        c.deactivate();
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
            c.deactivate();
            assertTrue(registered.isEmpty());
        }
    }
}
