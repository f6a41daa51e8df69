package io.swarmlet.store.internal;

import static io.swarmlet.store.internal.TestSupport.await;
import static io.swarmlet.store.internal.TestSupport.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.types.Task;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Managers closed and restarted at random while a client keeps writing through
 * whichever manager is up: in the end every acknowledged write is on every
 * manager, and all managers hold the same objects.
 */
class StressTest {

    private static final Logger LOG = LogManager.getLogger(StressTest.class);

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedWriteSurvivesManagersBeingClosedAndRestarted() throws Exception {
        Random random = new Random();
        try (TestCluster c = new TestCluster(dir, MultiManagerTest.config())) {
            List<TestCluster.Member> ms = c.form(3);
            Map<String, Long> acknowledged = new ConcurrentHashMap<>();
            AtomicLong refused = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = new Thread(() -> {
                Random r = new Random();
                for (int n = 0; !stop.get(); n++) {
                    ReplicatedStore s = ms.get(r.nextInt(ms.size())).store;
                    if (s == null) {
                        Thread.onSpinWait();
                        continue;
                    }
                    String id = "w" + n;
                    try {
                        long index = s.update(tx -> tx.create(Kind.TASK, task(id, "s")));
                        acknowledged.put(id, index);
                    } catch (StoreException | IllegalStateException e) {
                        refused.incrementAndGet(); // the manager was stopping, starting or had no leader
                    }
                }
            }, "stress-writer");
            writer.start();
            try {
                for (int round = 0; round < 4; round++) {
                    TestCluster.Member victim = ms.get(random.nextInt(ms.size()));
                    boolean wasLeader = victim.store.isLeader();
                    victim.close();
                    int before = acknowledged.size();
                    await("writes while " + victim + " is down", Duration.ofSeconds(30),
                            () -> acknowledged.size() > before + 5);
                    victim.start();
                    int after = acknowledged.size();
                    await("writes after " + victim + " is back", Duration.ofSeconds(30),
                            () -> acknowledged.size() > after + 5);
                    LOG.info("round {}: closed and restarted {} (leader: {}); {} writes acknowledged, {} refused",
                            round, victim, wasLeader, acknowledged.size(), refused.get());
                }
            } finally {
                stop.set(true);
                writer.join(30_000);
            }
            assertTrue(acknowledged.size() > 50, "writes went on: " + acknowledged.size());
            long last = acknowledged.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            for (TestCluster.Member m : ms) {
                await(m + " applied index " + last, Duration.ofSeconds(30), () -> m.store.memory().index() >= last);
            }
            Map<String, Set<String>> tasks = new TreeMap<>();
            for (TestCluster.Member m : ms) {
                Set<String> ids = m.store.view(r -> r.all(Kind.TASK)).stream().map(Task::getId)
                        .collect(Collectors.toSet());
                tasks.put(m.nodeId, ids);
                for (String id : acknowledged.keySet()) {
                    assertTrue(ids.contains(id), "acknowledged " + id + " missing on " + m);
                }
            }
            // the same state everywhere (writes whose wait failed may have been committed, on all alike)
            await("the same applied index on all managers", Duration.ofSeconds(30), () -> ms.stream()
                    .map(m -> m.store.memory().index()).distinct().count() == 1);
            Set<String> first = ms.get(0).store.view(r -> r.all(Kind.TASK)).stream().map(Task::getId)
                    .collect(Collectors.toSet());
            for (TestCluster.Member m : ms) {
                assertEquals(first, m.store.view(r -> r.all(Kind.TASK)).stream().map(Task::getId)
                        .collect(Collectors.toSet()), "same tasks on " + m);
            }
            LOG.info("{} acknowledged writes on all {} managers ({} refused while managers were down)",
                    acknowledged.size(), ms.size(), refused.get());
        }
    }
}
