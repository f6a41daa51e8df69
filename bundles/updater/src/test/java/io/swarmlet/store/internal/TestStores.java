package io.swarmlet.store.internal;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.store.Store;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;

/**
 * A real one-member replicated store (Ratis over loopback) in a temporary
 * directory, for the updater's tests. Lives in the store's package because the
 * store's classes are package-private; it uses nothing but their constructors.
 */
public final class TestStores {

    private TestStores() {}

    /** A started store; close it with {@link #close(Store)}. */
    public static Store start(Path stateDir) throws Exception {
        ReplicatedStore store = new ReplicatedStore(new Node(stateDir, "127.0.0.1:" + freePort()),
                StoreConfig.DEFAULTS.withSnapshotThreshold(1_000_000).withSnapshotOnStop(false), null);
        store.start();
        return store;
    }

    public static void close(Store store) {
        ((ReplicatedStore) store).close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private record Node(Path stateDir, String raftAddr) implements LocalNode {
        @Override public String nodeId() { return "node0000000000000000000001"; }
        @Override public String clusterId() { return "cluster0000000000000000001"; }
        @Override public boolean bootstrapped() { return true; }
        @Override public String hostname() { return "localhost"; }
        @Override public Path controlSocket() { return stateDir.resolve("control.sock"); }
        @Override public String remoteApiAddr() { return raftAddr; }
        @Override public String advertiseAddr() { return raftAddr; }
        @Override public boolean manager() { return true; }
    }

}
