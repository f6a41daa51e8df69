package io.swarmlet.store.internal;

import static io.swarmlet.store.internal.TestSupport.node;
import static io.swarmlet.store.internal.TestSupport.task;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.testing.FreePorts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a test: a quick look at write throughput and latency (fsync on), 1 and 64
 * writers. Runs only when asked:
 * {@code mvn -pl bundles/store test -Dtest=WriteProbeTest -Dstore.probe=true
 * [-Dstore.probe.viaClient=true]}. Asserts nothing. Prints, from the same run, a
 * baseline: one writer appending records of the same size to a file in the
 * same directory with an fsync each (the floor for any durable write here).
 */
@EnabledIfSystemProperty(named = "store.probe", matches = "true")
class WriteProbeTest {

    @TempDir
    Path dir;

    @Test
    void probe() throws Exception {
        boolean viaClient = Boolean.getBoolean("store.probe.viaClient");
        int size = io.swarmlet.api.types.StoreTransaction.newBuilder().addActions(io.swarmlet.api.types.StoreAction.newBuilder()
                .setObject(Kind.TASK.wrap(task("t-64-63-99", "s")))).build().getSerializedSize();
        long[] base = new long[2000];
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve("baseline.log"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer rec = java.nio.ByteBuffer.allocate(size);
            long bstart = System.nanoTime();
            for (int i = 0; i < base.length; i++) {
                long t = System.nanoTime();
                rec.clear();
                ch.write(rec);
                ch.force(false);
                base[i] = System.nanoTime() - t;
            }
            long belapsed = System.nanoTime() - bstart;
            Arrays.sort(base);
            System.out.printf("baseline (fsync'd %d-byte appends, 1 writer): %.0f writes/s, p50 %.2f ms, p99 %.2f ms%n",
                    size, base.length / (belapsed / 1e9), base[base.length / 2] / 1e6, base[(int) (base.length * 0.99)] / 1e6);
        }
        ReplicatedStore store = new ReplicatedStore(node(dir, FreePorts.next()),
                StoreConfig.DEFAULTS.withLocalSubmit(!viaClient), null);
        store.start();
        try {
            for (int writers : new int[] {1, 64}) {
                int each = writers == 1 ? 2000 : 100;
                for (int i = 0; i < 200; i++) { // warm-up
                    String id = "warm-" + writers + "-" + i;
                    store.update(tx -> tx.create(Kind.TASK, task(id, "s")));
                }
                long[] latency = new long[writers * each];
                ExecutorService pool = Executors.newFixedThreadPool(writers);
                long start = System.nanoTime();
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    int writer = w;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < each; i++) {
                            String id = "t-" + writers + "-" + writer + "-" + i;
                            long t = System.nanoTime();
                            store.update(tx -> tx.create(Kind.TASK, task(id, "s")));
                            latency[writer * each + i] = System.nanoTime() - t;
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
                long elapsed = System.nanoTime() - start;
                pool.shutdown();
                Arrays.sort(latency);
                System.out.printf("store write probe (%s): %d writers, %d tx: %.0f tx/s, p50 %.2f ms, p99 %.2f ms%n",
                        viaClient ? "via raft client" : "local submit", writers, latency.length,
                        latency.length / (elapsed / 1e9), latency[latency.length / 2] / 1e6,
                        latency[(int) (latency.length * 0.99)] / 1e6);
            }
        } finally {
            store.close();
        }
    }
}
