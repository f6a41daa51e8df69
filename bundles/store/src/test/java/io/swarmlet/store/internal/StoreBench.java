package io.swarmlet.store.internal;

import static io.swarmlet.store.internal.TestSupport.task;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.StoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Figures, not checks (run with {@code -Dstore.bench=true -Dtest=StoreBench}):
 * failover time (leader closed -> a write through another manager succeeds),
 * and replicated write throughput and latency with 3 managers (mutual TLS),
 * 1 and 64 writers. Results are logged.
 */
@EnabledIfSystemProperty(named = "store.bench", matches = "true")
class StoreBench {

    private static final Logger LOG = LogManager.getLogger(StoreBench.class);

    @TempDir
    Path dir;

    private static StoreConfig config() {
        return StoreConfig.DEFAULTS.withSnapshotOnStop(false).withLeaderWaitTimeout(Duration.ofSeconds(2));
    }

    @Test
    void failover() throws Exception {
        int runs = Integer.getInteger("store.bench.runs", 5);
        List<Long> writable = new ArrayList<>();
        List<Long> elected = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            try (TestCluster c = new TestCluster(Files.createDirectories(dir.resolve("f" + run)), config()).withTls()) {
                c.form(3);
                for (int i = 0; i < 50; i++) {
                    int n = i;
                    c.members().get(i % 3).store.update(tx -> tx.create(Kind.TASK, task("warm" + n, "s")));
                }
                TestCluster.Member leader = c.awaitLeader(Duration.ofSeconds(10));
                TestCluster.Member other = c.running().stream().filter(m -> m != leader).findFirst().orElseThrow();
                // the leader's Raft server goes (its connections close, as a killed process's do)
                org.apache.ratis.server.RaftServer raft = leader.store.server();
                org.apache.ratis.server.RaftServer.Division division = leader.store.division();
                long t0 = System.nanoTime();
                Thread killer = new Thread(() -> {
                    try {
                        raft.close();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                killer.start();
                long[] electedAt = {0};
                Thread watcher = new Thread(() -> {
                    while (electedAt[0] == 0 && System.nanoTime() - t0 < 30_000_000_000L) {
                        for (TestCluster.Member m : c.members()) {
                            ReplicatedStore s = m.store;
                            if (m != leader && s != null && s.isLeader()) {
                                electedAt[0] = System.nanoTime();
                            }
                        }
                        Thread.onSpinWait();
                    }
                });
                watcher.start();
                // writes start once the old leader has stopped leading (a write sent before could still commit)
                long stopDeadline = System.nanoTime() + 5_000_000_000L;
                while (division.getInfo().isLeader() && division.getInfo().isAlive()
                        && System.nanoTime() - stopDeadline < 0) {
                    Thread.onSpinWait();
                }
                long done = 0;
                for (int attempt = 0; done == 0; attempt++) {
                    int a = attempt;
                    try {
                        other.store.update(tx -> tx.create(Kind.TASK, task("after" + a, "s")));
                        done = System.nanoTime();
                    } catch (StoreException e) {
                        LOG.info("attempt {} failed: {}", attempt, e.getMessage());
                    }
                }
                watcher.join();
                killer.join();
                leader.close();
                writable.add((done - t0) / 1_000_000);
                elected.add((electedAt[0] - t0) / 1_000_000);
                LOG.info("failover run {}: new leader after {} ms, write through a follower accepted after {} ms", run,
                        elected.get(run), writable.get(run));
            }
        }
        LOG.info("FAILOVER: leader elected after {} ms (median {}), writable after {} ms (median {})",
                elected, median(elected), writable, median(writable));
    }

    @Test
    void throughput() throws Exception {
        boolean tls = !Boolean.getBoolean("store.bench.plain");
        TestCluster c = new TestCluster(dir, config().withSnapshotThreshold(1_000_000));
        if (tls) {
            c.withTls();
        }
        try (c) {
            c.form(3);
            TestCluster.Member leader = c.awaitLeader(Duration.ofSeconds(10));
            TestCluster.Member follower = c.running().stream().filter(m -> m != leader).findFirst().orElseThrow();
            run(leader.store, 1, 3000, "warm-up");
            run(leader.store, 64, 200, "warm-up");
            run(leader.store, 1, 3000, "leader, 1 writer");
            run(follower.store, 1, 2000, "follower, 1 writer");
            run(leader.store, 64, 500, "leader, 64 writers");
            run(follower.store, 64, 300, "follower, 64 writers");
        }
    }

    private static final AtomicInteger IDS = new AtomicInteger();

    private static void run(ReplicatedStore store, int writers, int perWriter, String what) throws Exception {
        long[][] latencies = new long[writers][perWriter];
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    for (int n = 0; n < perWriter; n++) {
                        String id = "b" + IDS.incrementAndGet();
                        long s = System.nanoTime();
                        store.update(tx -> tx.create(Kind.TASK, task(id, "s")));
                        latencies[writer][n] = System.nanoTime() - s;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            t.start();
            threads.add(t);
        }
        long t0 = System.nanoTime();
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        long elapsed = System.nanoTime() - t0;
        long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
        LOG.info("THROUGHPUT {}: {} writes in {} ms = {} writes/s; latency p50 {} ms, p99 {} ms", what, all.length,
                elapsed / 1_000_000, String.format("%.0f", all.length / (elapsed / 1e9)),
                String.format("%.2f", all[all.length / 2] / 1e6), String.format("%.2f", all[all.length * 99 / 100] / 1e6));
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }
}
