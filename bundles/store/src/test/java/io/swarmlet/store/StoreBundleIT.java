package io.swarmlet.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.security.DataKey;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.testing.FreePorts;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.Task;
import io.swarmlet.store.internal.TestCerts;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import io.swarmlet.api.testing.BareFelix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The built bundle in a real Felix with SCR: it resolves (only private Ratis,
 * nothing exported), its component starts the embedded Raft server and
 * registers the Store, writes go through, stopping the bundle leaves no
 * thread of it behind, and starting it again recovers the store. The API, protobuf, slf4j and Log4j come from the class
 * path through the system bundle, as the launcher provides the latter two.
 */
class StoreBundleIT {

    @TempDir
    Path tmp;

    @Test
    void bundleStartsTheStoreAndStopsCleanly() throws Exception {
        String storeBundle = System.getProperty("store.bundle");
        assertNotNull(storeBundle, "store.bundle (set by failsafe)");

        Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
        try (BareFelix felix = BareFelix.start(tmp.resolve("felix-cache"), Map.of())) {
            BundleContext system = felix.system();
            Bundle store = felix.system().installBundle(new File(storeBundle).toURI().toString());
            assertNull(store.getHeaders().get(Constants.EXPORT_PACKAGE), "the store bundle exports nothing");
            store.start();

            int port = FreePorts.next();
            Node node = new Node(tmp.resolve("state"), "127.0.0.1:" + port);
            system.registerService(LocalNode.class, node, null);
            // the store runs on managers only, with their certificates on the raft transport
            TestCerts.Identity id = TestCerts.issue(TestCerts.newCa("it root"), node.nodeId(), node.clusterId(),
                    NodeRole.MANAGER);
            system.registerService(NodeCredentials.class, TestCerts.credentials(id, node.nodeId(), node.clusterId()),
                    new Hashtable<>(Map.of(NodeCredentials.ROLE, "manager")));
            // and only while unlocked: the secrets bundle registers the cluster's data key then
            system.registerService(DataKey.class, new UnlockedKey(), null);

            ServiceTracker<Store, Store> tracker = new ServiceTracker<>(system, Store.class, null);
            tracker.open();
            Store s = tracker.waitForService(TimeUnit.SECONDS.toMillis(60));
            assertNotNull(s, "the Store service is registered once the store is ready");
            assertTrue(s.isLeader());
            long index = s.update(tx -> tx.create(Kind.TASK, Task.newBuilder().setId("t1").setServiceId("s").build()));
            assertEquals(index, (long) s.view(r -> r.get(Kind.TASK, "t1").orElseThrow().getMeta().getVersion()));
            tracker.close();

            store.stop();
            assertEquals(Bundle.RESOLVED, store.getState());
            List<String> left = leftovers(before);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!left.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
                left = leftovers(before);
            }
            assertEquals(List.of(), left, "threads left behind by the stopped store bundle");

            // started again (same class loader): the store recovers what it had
            store.start();
            tracker = new ServiceTracker<>(system, Store.class, null);
            tracker.open();
            Store again = tracker.waitForService(TimeUnit.SECONDS.toMillis(60));
            assertNotNull(again, "the Store service is back after a bundle restart");
            assertEquals(index, (long) again.view(r -> r.get(Kind.TASK, "t1").orElseThrow().getMeta().getVersion()));
            again.update(tx -> tx.create(Kind.TASK, Task.newBuilder().setId("t2").setServiceId("s").build()));
            tracker.close();
        }
        assertTrue(Files.isDirectory(tmp.resolve("state").resolve("raft")));
    }

    /** New threads other than Felix' and SCR's own. */
    private static List<String> leftovers(Set<Thread> before) {
        List<String> names = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String n = t.getName();
            if (!before.contains(t) && t.isAlive() && !n.startsWith("FelixFrameworkWiring") && !n.startsWith("FelixResolver")
                    && !n.startsWith("FelixStartLevel") && !n.startsWith("FelixDispatchQueue")
                    && !n.startsWith("SCR Component Actor") && !n.startsWith("Attach Listener")) {
                names.add(n);
            }
        }
        return names;
    }

    /** What the secrets bundle registers on an unlocked manager; the store only needs it to be there. */
    private static final class UnlockedKey implements DataKey {
        @Override public byte[] seal(byte[] plain, byte[] associatedData) { throw new UnsupportedOperationException(); }
        @Override public byte[] open(byte[] sealed, byte[] associatedData) { throw new UnsupportedOperationException(); }
        @Override public byte[] export() { throw new UnsupportedOperationException(); }
    }

    /** What the node bundle provides; just enough for the store. */
    private record Node(Path stateDir, String raftAddr) implements LocalNode {
        @Override public String nodeId() { return "itnode00000000000000000001"; }
        @Override public String clusterId() { return "itcluster0000000000000001"; }
        @Override public boolean bootstrapped() { return true; }
        @Override public String hostname() { return "localhost"; }
        @Override public Path controlSocket() { return stateDir.resolve("control.sock"); }
        @Override public String remoteApiAddr() { return raftAddr; }
        @Override public String advertiseAddr() { return raftAddr; }
        @Override public boolean manager() { return true; }
    }
}
