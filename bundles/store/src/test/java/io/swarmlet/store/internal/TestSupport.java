package io.swarmlet.store.internal;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Small helpers for the store tests: a LocalNode, objects, free ports, polling with a deadline. */
final class TestSupport {

    private TestSupport() {}

    /** A LocalNode with just what the store reads. */
    record TestNode(String nodeId, String clusterId, Path stateDir, String raftAddr) implements LocalNode {
        @Override public boolean bootstrapped() { return true; }
        @Override public String hostname() { return "localhost"; }
        @Override public Path controlSocket() { return stateDir.resolve("control.sock"); }
        @Override public String remoteApiAddr() { return raftAddr; }
        @Override public String advertiseAddr() { return raftAddr; }
        @Override public boolean manager() { return true; }
    }

    static TestNode node(Path stateDir, int port) {
        return new TestNode("node0000000000000000000001", "cluster0000000000000000001", stateDir, "127.0.0.1:" + port);
    }

    /** Test defaults: small snapshots threshold off, quick timeouts. */
    static StoreConfig config() {
        return StoreConfig.DEFAULTS.withSnapshotThreshold(1_000_000).withSnapshotOnStop(false)
                .withStartTimeout(Duration.ofSeconds(60));
    }

    static Service service(String id, String name) {
        return Service.newBuilder().setId(id)
                .setSpec(ServiceSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName(name)))
                .build();
    }

    static Task task(String id, String serviceId) {
        return Task.newBuilder().setId(id).setServiceId(serviceId).build();
    }

    /** Polls {@code condition} until it holds, failing after {@code timeout}. */
    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
