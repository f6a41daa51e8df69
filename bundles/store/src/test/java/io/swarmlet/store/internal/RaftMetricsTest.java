package io.swarmlet.store.internal;

import io.swarmlet.api.metrics.MemoryMetrics;
import static io.swarmlet.store.internal.TestSupport.config;
import static io.swarmlet.store.internal.TestSupport.node;
import static io.swarmlet.store.internal.TestSupport.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.testing.FreePorts;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's meters on a real one-member Raft group: commit latency, leader elections, the leader gauge. */
class RaftMetricsTest {

    @TempDir
    Path stateDir;

    @Test
    void commitLatencyAndLeadership() throws Exception {
        LeadershipNotifier notifier = new LeadershipNotifier();
        RaftMetrics raftMetrics = new RaftMetrics(notifier::isLeader);
        MemoryMetrics metrics = new MemoryMetrics();
        raftMetrics.bind(metrics);
        ReplicatedStore store = new ReplicatedStore(node(stateDir, FreePorts.next()), config(), notifier);
        store.setMetrics(raftMetrics);
        try {
            store.start();
            assertEquals(1.0, metrics.gaugeValue(RaftMetrics.LEADER), "this manager leads its one-member group");
            assertTrue(metrics.counterValue(RaftMetrics.LEADER_CHANGES) >= 1.0, "leader changes counted");

            int before = metrics.timerRecords(RaftMetrics.COMMIT).size();
            store.update(tx -> tx.create(Kind.SERVICE, service("s1", "web")));
            store.update(tx -> tx.create(Kind.SERVICE, service("s2", "db")));
            List<Long> commits = metrics.timerRecords(RaftMetrics.COMMIT);
            assertEquals(before + 2, commits.size());
            assertTrue(commits.stream().allMatch(n -> n > 0), commits.toString());

            // a write that changes nothing proposes nothing
            store.update(tx -> { });
            assertEquals(before + 2, commits.size());

            raftMetrics.unbind(metrics);
            assertNull(metrics.gaugeValue(RaftMetrics.LEADER), "the gauge goes with the registry");
            store.update(tx -> tx.create(Kind.SERVICE, service("s3", "cache")));
            assertEquals(before + 2, commits.size(), "nothing recorded without a registry");
        } finally {
            store.close();
            notifier.close();
        }
    }
}
