package io.swarmlet.store.internal;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.store.LeadershipListener;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.Ids;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real store for other bundles' tests: a one-member Raft group over
 * loopback in a temporary directory, with the store's own leadership
 * notifier. Lives in the store's package because the store's classes are
 * internal to its bundle; only tests use it.
 */
public final class StoreFixture implements AutoCloseable {

    private record TestNode(String nodeId, String clusterId, Path stateDir, String raftAddr) implements LocalNode {
        @Override public boolean bootstrapped() { return true; }
        @Override public String hostname() { return "localhost"; }
        @Override public Path controlSocket() { return stateDir.resolve("control.sock"); }
        @Override public String remoteApiAddr() { return raftAddr; }
        @Override public String advertiseAddr() { return raftAddr; }
        @Override public boolean manager() { return true; }
    }

    private final LeadershipNotifier notifier = new LeadershipNotifier();
    private final ReplicatedStore store;

    private StoreFixture(Path stateDir, int port) {
        StoreConfig config = StoreConfig.DEFAULTS.withSnapshotOnStop(false).withStartTimeout(Duration.ofSeconds(60));
        // IDs of its own for each store, so that stores of several tests in one JVM do not share Ratis' JMX names
        this.store = new ReplicatedStore(new TestNode(Ids.newId(), Ids.newId(), stateDir, "127.0.0.1:" + port),
                config, notifier);
    }

    /** Starts a store in {@code stateDir} and waits until it leads its group. */
    public static StoreFixture start(Path stateDir) throws Exception {
        StoreFixture f = new StoreFixture(stateDir, freePort());
        try {
            f.store.start();
        } catch (Exception | Error e) {
            f.close();
            throw e;
        }
        return f;
    }

    public Store store() {
        return store;
    }

    /** Registers a leadership listener, as the store's whiteboard does; it is told the current state. */
    public void addListener(LeadershipListener listener) {
        notifier.add(listener);
    }

    /**
     * Tells listeners (and {@link Store#isLeader()}) that this manager gained or
     * lost leadership. Raft itself keeps leading, so writes still commit (as
     * those of the test's simulated agents must).
     */
    public void simulateLeadership(boolean leader) {
        notifier.leadershipChanged(leader);
    }

    @Override
    public void close() {
        store.close();
        notifier.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
