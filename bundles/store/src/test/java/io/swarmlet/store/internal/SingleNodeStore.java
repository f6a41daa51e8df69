package io.swarmlet.store.internal;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.store.LeadershipListener;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.testing.FreePorts;
import io.swarmlet.api.types.Ids;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Test helper for the bundles whose components meet in the store: a real
 * one-member replicated store (Ratis over loopback) in a temporary directory,
 * with the store's own leadership notifier. Shipped in the store's test-jar;
 * it lives in the store's package because the store's classes are internal
 * to its bundle.
 */
public final class SingleNodeStore implements AutoCloseable {

    public static final String CLUSTER_ID = "cluster0000000000000000001";

    private final LeadershipNotifier notifier = new LeadershipNotifier();
    private final ReplicatedStore store;

    private SingleNodeStore(LocalNode node) {
        StoreConfig config = StoreConfig.DEFAULTS.withSnapshotThreshold(1_000_000).withSnapshotOnStop(false)
                .withStartTimeout(Duration.ofSeconds(60));
        this.store = new ReplicatedStore(node, config, notifier);
    }

    /** Starts a store whose only member is {@code nodeId}, and waits until it leads. */
    public static SingleNodeStore start(Path stateDir, String nodeId) throws Exception {
        return start(new TestNode(nodeId, CLUSTER_ID, stateDir, "127.0.0.1:" + FreePorts.next()));
    }

    /**
     * Starts a store with IDs of its own, so that the stores of several tests in
     * one JVM do not share Ratis' JMX names.
     */
    public static SingleNodeStore start(Path stateDir) throws Exception {
        return start(new TestNode(Ids.newId(), Ids.newId(), stateDir, "127.0.0.1:" + FreePorts.next()));
    }

    private static SingleNodeStore start(LocalNode node) throws Exception {
        SingleNodeStore s = new SingleNodeStore(node);
        try {
            s.store.start();
        } catch (Exception | Error e) {
            s.close();
            throw e;
        }
        return s;
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
     * those of a test's simulated agents must).
     */
    public void simulateLeadership(boolean leader) {
        notifier.leadershipChanged(leader);
    }

    @Override
    public void close() {
        store.close();
        notifier.close();
    }

    private record TestNode(String nodeId, String clusterId, Path stateDir, String raftAddr) implements LocalNode {
        @Override public boolean bootstrapped() { return true; }
        @Override public String hostname() { return "localhost"; }
        @Override public Path controlSocket() { return stateDir.resolve("control.sock"); }
        @Override public String remoteApiAddr() { return raftAddr; }
        @Override public String advertiseAddr() { return raftAddr; }
        @Override public boolean manager() { return true; }
    }
}
