package io.swarmlet.store.internal;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.store.Store;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Test helper living in the store's package: a real one-member replicated
 * store (Ratis over loopback) in a temporary directory, for the tests of
 * components that meet in the store.
 */
public final class SingleNodeStore implements AutoCloseable {

    public static final String CLUSTER_ID = "cluster0000000000000000001";

    private final ReplicatedStore store;

    private SingleNodeStore(ReplicatedStore store) {
        this.store = store;
    }

    /** Starts a store whose only member is {@code nodeId}, and waits until it leads. */
    public static SingleNodeStore start(Path stateDir, String nodeId) throws Exception {
        String addr = "127.0.0.1:" + freePort();
        LocalNode node = new TestNode(nodeId, CLUSTER_ID, stateDir, addr);
        StoreConfig config = StoreConfig.DEFAULTS.withSnapshotThreshold(1_000_000).withSnapshotOnStop(false)
                .withStartTimeout(Duration.ofSeconds(60));
        ReplicatedStore store = new ReplicatedStore(node, config, null);
        try {
            store.start();
        } catch (Exception e) {
            store.close();
            throw e;
        }
        return new SingleNodeStore(store);
    }

    public Store store() {
        return store;
    }

    @Override
    public void close() {
        store.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
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
