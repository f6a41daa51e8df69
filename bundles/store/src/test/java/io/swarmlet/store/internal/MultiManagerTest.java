package io.swarmlet.store.internal;

import static io.swarmlet.store.internal.TestSupport.await;
import static io.swarmlet.store.internal.TestSupport.service;
import static io.swarmlet.store.internal.TestSupport.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.RaftMembership.Member;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.StoreException.Reason;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several managers in one Raft group over loopback: join, forwarding, failover, lost quorum, membership. */
class MultiManagerTest {

    private static final Logger LOG = LogManager.getLogger(MultiManagerTest.class);

    @TempDir
    Path dir;

    private final List<TestCluster> clusters = new ArrayList<>();

    static StoreConfig config() {
        return TestSupport.config().withStartTimeout(Duration.ofSeconds(30)).withLeaderWaitTimeout(Duration.ofSeconds(2));
    }

    private TestCluster cluster(StoreConfig config) {
        TestCluster c = new TestCluster(dir, config);
        clusters.add(c);
        return c;
    }

    @AfterEach
    void closeAll() {
        clusters.forEach(TestCluster::close);
    }

    private static boolean has(TestCluster.Member m, String serviceId) {
        return m.store.view(r -> r.get(Kind.SERVICE, serviceId)).isPresent();
    }

    private static Set<String> memberIds(TestCluster.Member m) {
        return m.store.membership().members().stream().map(Member::nodeId).collect(Collectors.toSet());
    }

    @Test
    void managersJoinByRequestAndFollowersForwardWrites() throws Exception {
        TestCluster c = cluster(config());
        List<TestCluster.Member> ms = c.form(3);
        Set<String> all = ms.stream().map(m -> m.nodeId).collect(Collectors.toSet());
        for (TestCluster.Member m : ms) {
            assertFalse(Files.exists(m.stateDir.resolve(RaftDirs.JOIN_FILE)), "join request deleted once a member");
            await("3 members seen by " + m, Duration.ofSeconds(10), () -> memberIds(m).equals(all));
        }
        // one leader, known to all (the bootstrap manager handed leadership over when the second one
        // joined: leaders of a group of several managers log their commit index)
        TestCluster.Member leader = c.awaitLeader(Duration.ofSeconds(10));
        for (TestCluster.Member m : ms) {
            await("the leader known to " + m, Duration.ofSeconds(10),
                    () -> leader.nodeId.equals(m.store.membership().leaderId()));
        }
        await("the leader hears from both followers", Duration.ofSeconds(10),
                () -> leader.store.membership().members().stream().allMatch(Member::reachable));

        // a follower's write goes through the leader and is applied everywhere
        TestCluster.Member follower = ms.stream().filter(m -> m != leader).findFirst().orElseThrow();
        assertFalse(follower.store.isLeader());
        long index = follower.store.update(tx -> tx.create(Kind.SERVICE, service("s1", "web")));
        assertTrue(has(follower, "s1"), "applied on the proposing follower once update returns");
        for (TestCluster.Member m : ms) {
            await("s1 on " + m, Duration.ofSeconds(10), () -> has(m, "s1"));
            assertEquals(index, (long) m.store.view(r -> r.get(Kind.SERVICE, "s1").orElseThrow().getMeta().getVersion()));
        }
        // and refusals come back to the follower as they are
        StoreException exists = assertThrows(StoreException.class,
                () -> ms.get(1).store.update(tx -> tx.create(Kind.SERVICE, service("s2", "web"))));
        assertEquals(Reason.EXISTS, exists.reason());
    }

    @Test
    void aNewLeaderTakesOverAndARestartedManagerCatchesUp() throws Exception {
        TestCluster c = cluster(config());
        List<TestCluster.Member> ms = c.form(3);
        TestCluster.Member oldLeader = c.awaitLeader(Duration.ofSeconds(10));
        TestCluster.Member other = ms.stream().filter(m -> m != oldLeader).findFirst().orElseThrow();
        other.store.update(tx -> tx.create(Kind.SERVICE, service("before", "before")));

        long t0 = System.nanoTime();
        oldLeader.close();
        // writes through a remaining manager succeed once a new leader is elected (the client retries meanwhile)
        other.store.update(tx -> tx.create(Kind.SERVICE, service("after", "after")));
        LOG.info("write accepted {} ms after the leader was closed", (System.nanoTime() - t0) / 1_000_000);
        TestCluster.Member newLeader = c.awaitLeader(Duration.ofSeconds(10));
        assertNotEquals(oldLeader, newLeader);
        assertEquals(newLeader.nodeId, other.store.membership().leaderId());

        // the old leader comes back as a follower; its store is registered only once it has caught up
        // (given time to find the leader: after 2 s without one it would serve its local copy, which a
        // loaded machine running the other test fork can take)
        oldLeader.start(config().withLeaderWaitTimeout(Duration.ofSeconds(20)));
        assertTrue(has(oldLeader, "after"), "a restarted manager serves once caught up with the leader");
        assertFalse(oldLeader.store.isLeader());
        oldLeader.store.update(tx -> tx.create(Kind.SERVICE, service("later", "later")));
        for (TestCluster.Member m : c.running()) {
            await("later on " + m, Duration.ofSeconds(10), () -> has(m, "later"));
        }
    }

    @Test
    void lostQuorumRefusesWritesKeepsReadsAndForceNewClusterRecovers() throws Exception {
        StoreConfig config = config().withCommitTimeout(Duration.ofSeconds(3));
        TestCluster c = cluster(config);
        List<TestCluster.Member> ms = c.form(3);
        // the survivor is a follower: the leader and the other follower go
        TestCluster.Member leader = c.awaitLeader(Duration.ofSeconds(10));
        TestCluster.Member survivor = ms.stream().filter(m -> m != leader).findFirst().orElseThrow();
        List<String> acknowledged = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String id = "s" + i;
            ms.get(i % 3).store.update(tx -> tx.create(Kind.SERVICE, service(id, id)));
            acknowledged.add(id);
            if (i == 9) {
                // half of it in the survivor's snapshot, half in its log after the snapshot
                await(id + " on the survivor", Duration.ofSeconds(10), () -> has(survivor, id));
                assertTrue(survivor.store.snapshotNow() > 0);
            }
        }
        for (String id : acknowledged) {
            await(id + " on the survivor", Duration.ofSeconds(10), () -> has(survivor, id));
        }
        long lastIndex = survivor.store.view(r -> r.index());
        ms.parallelStream().filter(m -> m != survivor).forEach(TestCluster.Member::close);

        long t0 = System.nanoTime();
        StoreException e = assertThrows(StoreException.class,
                () -> survivor.store.update(tx -> tx.create(Kind.SERVICE, service("lost", "lost"))));
        long refusedMs = (System.nanoTime() - t0) / 1_000_000;
        LOG.info("write refused after {} ms: {}", refusedMs, e.getMessage());
        assertEquals(Reason.NO_QUORUM, e.reason(), e.getMessage());
        assertTrue(e.getMessage().startsWith("the managers have lost quorum (raft leader unknown; 1 of 3 managers"
                + " reachable): writes are refused until a majority of the managers is back. To recover with this"
                + " manager alone, restart it with --force-new-cluster"), e.getMessage());
        assertTrue(refusedMs < config.commitTimeout().toMillis() + 3_000, "refused within the commit timeout: "
                + refusedMs + " ms");
        assertNull(survivor.store.membership().leaderId());
        assertEquals(acknowledged.size(), survivor.store.view(r -> r.all(Kind.SERVICE)).size(), "reads still work");

        // restarted while the quorum is still lost, it serves its copy after leaderWaitTimeout
        survivor.close();
        survivor.start();
        assertEquals(acknowledged.size(), survivor.store.view(r -> r.all(Kind.SERVICE)).size());
        assertFalse(survivor.store.isLeader());

        // --force-new-cluster: a one-manager cluster with every acknowledged write
        survivor.close();
        survivor.start(config.withForceNewCluster(true));
        assertTrue(survivor.store.isLeader());
        assertEquals(List.of(survivor.nodeId),
                survivor.store.membership().members().stream().map(Member::nodeId).toList());
        for (String id : acknowledged) {
            assertTrue(has(survivor, id), id + " kept");
        }
        long index = survivor.store.update(tx -> tx.create(Kind.SERVICE, service("new", "new")));
        assertTrue(index > lastIndex, "log indexes (object versions) keep growing: " + index + " > " + lastIndex);
        Service s0 = survivor.store.view(r -> r.get(Kind.SERVICE, "s0").orElseThrow());
        survivor.store.update(tx -> tx.update(Kind.SERVICE, s0.toBuilder().setSpecVersion(7).build()));
        try (Stream<Path> old = Files.list(survivor.stateDir)) {
            assertEquals(1, old.filter(p -> p.getFileName().toString().startsWith("raft-old-")).count(),
                    "the old raft state is kept aside");
        }

        // and restarts as that one-manager cluster (the flag again is a no-op)
        survivor.close();
        survivor.start(config.withForceNewCluster(true));
        assertEquals(7L, (long) survivor.store.view(r -> r.get(Kind.SERVICE, "s0").orElseThrow().getSpecVersion()));
        assertTrue(has(survivor, "new"));
        try (Stream<Path> old = Files.list(survivor.stateDir)) {
            assertEquals(1, old.filter(p -> p.getFileName().toString().startsWith("raft-old-")).count());
        }
    }

    @Test
    void membershipChangesGoThroughTheLeaderAndKeepAQuorum() throws Exception {
        TestCluster c = cluster(config());
        List<TestCluster.Member> ms = c.form(3);
        TestCluster.Member first = c.awaitLeader(Duration.ofSeconds(10));
        await("followers reachable", Duration.ofSeconds(10),
                () -> first.store.membership().members().stream().allMatch(Member::reachable));
        List<TestCluster.Member> followers = ms.stream().filter(m -> m != first).toList();
        // names: a leads, b and cc follow
        TestCluster.Member a = first;
        TestCluster.Member b = followers.get(0);
        TestCluster.Member cc = followers.get(1);

        // hand leadership to b, asked on cc (a follower)
        cc.store.membership().transferLeadership(b.nodeId);
        await("b leads", Duration.ofSeconds(10), () -> b.store.isLeader());
        assertFalse(a.store.isLeader());
        // to any other reachable manager
        b.store.membership().transferLeadership(null);
        TestCluster.Member next = c.awaitLeader(Duration.ofSeconds(10));
        assertNotEquals(b, next);
        assertEquals(Reason.INVALID, assertThrows(StoreException.class,
                () -> a.store.membership().transferLeadership("nosuchnode")).reason());

        // with c down: removing a reachable manager would leave 1 of 2 reachable; refused
        cc.close();
        TestCluster.Member leader = c.awaitLeader(Duration.ofSeconds(10));
        await("c unreachable on the leader", Duration.ofSeconds(10), () -> leader.store.membership().members()
                .stream().anyMatch(m -> m.nodeId().equals(cc.nodeId) && !m.reachable()));
        TestCluster.Member follower = leader == a ? b : a;
        StoreException refused = assertThrows(StoreException.class,
                () -> follower.store.membership().removeMember(leader.nodeId));
        assertEquals(Reason.INVALID, refused.reason());
        assertTrue(refused.getMessage().contains("would leave 2 managers of which only 1 is reachable"),
                refused.getMessage());

        // removing the unreachable one is fine, and asked on a follower it goes through the leader
        follower.store.membership().removeMember(cc.nodeId);
        Set<String> two = Set.of(a.nodeId, b.nodeId);
        await("2 members", Duration.ofSeconds(10), () -> memberIds(a).equals(two) && memberIds(b).equals(two));
        follower.store.membership().removeMember(cc.nodeId); // not a member any more: nothing to do
        a.store.update(tx -> tx.create(Kind.TASK, task("t1", "s")));

        // down to the last manager, which cannot be removed
        leader.store.membership().removeMember(follower.nodeId);
        await("1 member", Duration.ofSeconds(10), () -> memberIds(leader).equals(Set.of(leader.nodeId)));
        StoreException last = assertThrows(StoreException.class,
                () -> leader.store.membership().removeMember(leader.nodeId));
        assertEquals(Reason.INVALID, last.reason());
        assertTrue(last.getMessage().contains("only member"), last.getMessage());
        leader.store.update(tx -> tx.create(Kind.TASK, task("t2", "s")));
    }

    @Test
    void managersTalkMutualTlsAndRefuseCertificatesOfAnotherCaOrRole() throws Exception {
        TestCluster c = cluster(config()).withTls();
        List<TestCluster.Member> ms = c.form(3);
        ms.get(1).store.update(tx -> tx.create(Kind.SERVICE, service("s1", "web")));
        for (TestCluster.Member m : ms) {
            await("s1 on " + m, Duration.ofSeconds(10), () -> has(m, "s1"));
        }
        StoreConfig quick = config().withStartTimeout(Duration.ofSeconds(3));

        // a manager certificate of another CA, and a worker certificate of the right CA: the managers
        // talk to neither, so neither can join
        TestCluster.Member foreign = c.add();
        foreign.tls = TestCerts.issue(TestCerts.newCa("another root"), foreign.nodeId, c.clusterId, NodeRole.MANAGER)
                .tls();
        foreign.writeJoinRequest();
        TestCluster.Member worker = c.add();
        worker.tls = TestCerts.issue(c.ca(), worker.nodeId, c.clusterId, NodeRole.WORKER).tls();
        worker.writeJoinRequest();
        CompletableFuture<Void> workerStart = CompletableFuture.runAsync(() -> {
            StartupException refused = assertThrows(StartupException.class, () -> worker.start(quick));
            assertTrue(refused.getMessage().startsWith("could not join the managers' raft group"), refused.getMessage());
        });
        StartupException e = assertThrows(StartupException.class, () -> foreign.start(quick));
        assertTrue(e.getMessage().startsWith("could not join the managers' raft group"), e.getMessage());
        workerStart.get(30, TimeUnit.SECONDS);

        Set<String> three = ms.stream().map(m -> m.nodeId).collect(Collectors.toSet());
        assertEquals(three, memberIds(ms.get(0)));
        assertTrue(Files.exists(foreign.stateDir.resolve(RaftDirs.JOIN_FILE)), "the join request stays for a retry");
        ms.get(2).store.update(tx -> tx.create(Kind.SERVICE, service("s2", "api")));
        assertNotNull(ms.get(0).store.view(r -> r.get(Kind.SERVICE, "s1").orElse(null)));
    }
}
