package io.swarmlet.store.internal;

import static io.swarmlet.store.internal.TestSupport.await;
import static io.swarmlet.store.internal.TestSupport.config;
import static io.swarmlet.store.internal.TestSupport.node;
import static io.swarmlet.store.internal.TestSupport.service;
import static io.swarmlet.store.internal.TestSupport.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.LeadershipListener;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.StoreEvent.Action;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.StoreException.Reason;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.testing.FreePorts;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.StoreTransaction;
import io.swarmlet.api.types.Task;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The store on a real one-member Raft group over loopback. */
class ReplicatedStoreTest {

    @TempDir
    Path stateDir;

    private final List<ReplicatedStore> open = new ArrayList<>();

    private ReplicatedStore start(StoreConfig config, LeadershipNotifier notifier) throws Exception {
        ReplicatedStore store = new ReplicatedStore(node(stateDir, FreePorts.next()), config, notifier);
        open.add(store);
        store.start();
        return store;
    }

    static long idx(ReplicatedStore store) {
        return store.view(r -> r.index());
    }

    @AfterEach
    void closeAll() {
        open.forEach(ReplicatedStore::close);
    }

    /** Both write paths: in process to the local leader, and through the Raft client's gRPC connection. */
    @ParameterizedTest(name = "localSubmit={0}")
    @ValueSource(booleans = {true, false})
    void writesAreAppliedAndReadBack(boolean localSubmit) throws Exception {
        ReplicatedStore store = start(config().withLocalSubmit(localSubmit), null);
        assertTrue(store.isLeader());
        long before = idx(store);

        long i1 = store.update(tx -> tx.create(Kind.SERVICE, service("s1", "web")));
        assertTrue(i1 > before);
        Service s1 = store.view(r -> r.get(Kind.SERVICE, "s1").orElseThrow());
        assertEquals(i1, s1.getMeta().getVersion(), "version is the log index");
        assertTrue(s1.getMeta().getCreatedAt() > 0);
        assertTrue(idx(store) >= i1, "update returns once applied here");

        long i2 = store.update(tx -> tx.update(Kind.SERVICE, s1.toBuilder().setSpecVersion(2).build()));
        Service s1b = store.view(r -> r.byName(Kind.SERVICE, "web").orElseThrow());
        assertEquals(i2, s1b.getMeta().getVersion());
        assertEquals(s1.getMeta().getCreatedAt(), s1b.getMeta().getCreatedAt());

        // a stale update: nothing of its transaction is applied
        StoreException conflict = assertThrows(StoreException.class, () -> store.update(tx -> {
            tx.create(Kind.TASK, task("t1", "s1"));
            tx.update(Kind.SERVICE, s1.toBuilder().setSpecVersion(3).build());
        }));
        assertEquals(Reason.SEQUENCE_CONFLICT, conflict.reason());
        assertTrue(store.view(r -> r.get(Kind.TASK, "t1")).isEmpty());

        assertEquals(Reason.EXISTS, assertThrows(StoreException.class,
                () -> store.update(tx -> tx.create(Kind.SERVICE, service("s2", "web")))).reason());

        store.update(tx -> tx.delete(Kind.SERVICE, "s1"));
        assertTrue(store.view(r -> r.get(Kind.SERVICE, "s1")).isEmpty());
        long now = idx(store);
        assertEquals(now, store.update(tx -> { }), "a writer that writes nothing proposes nothing");
        assertEquals(now, idx(store));
        assertEquals(Reason.NOT_FOUND, assertThrows(StoreException.class,
                () -> store.update(tx -> tx.delete(Kind.SERVICE, "s1"))).reason());
    }

    @ParameterizedTest(name = "localSubmit={0}")
    @ValueSource(booleans = {true, false})
    void conflictsFoundOnlyAtApplyTimeAreRefusedThere(boolean localSubmit) throws Exception {
        ReplicatedStore store = start(config().withLocalSubmit(localSubmit), null);
        store.update(tx -> tx.create(Kind.SERVICE, service("s1", "web")));
        Service read = store.view(r -> r.get(Kind.SERVICE, "s1").orElseThrow());
        store.update(tx -> tx.update(Kind.SERVICE, read.toBuilder().setSpecVersion(1).build()));
        // bypass the writer's early checks: the state machine refuses it, deterministically
        StoreTransaction tx = StoreTransaction.newBuilder().setProposedAt(1)
                .addActions(io.swarmlet.api.types.StoreAction.newBuilder()
                        .setKind(io.swarmlet.api.types.StoreAction.Kind.UPDATE)
                        .setObject(Kind.SERVICE.wrap(read.toBuilder().setSpecVersion(9).build())))
                .build();
        StoreException e = assertThrows(StoreException.class, () -> store.commit(tx));
        assertEquals(Reason.SEQUENCE_CONFLICT, e.reason());
        assertEquals(1L, (long) store.view(r -> r.get(Kind.SERVICE, "s1").orElseThrow().getSpecVersion()));

        // malformed transactions are refused by startTransaction, before they are logged (the
        // store's index does not count the leader's commit-index entries: it stays where it is)
        long index = idx(store);
        StoreException invalid = assertThrows(StoreException.class,
                () -> store.commit(StoreTransaction.newBuilder().setProposedAt(1).build()));
        assertEquals(Reason.INVALID, invalid.reason());
        assertTrue(invalid.getMessage().contains("empty transaction"), invalid.getMessage());
        assertEquals(index, idx(store), "nothing was logged");
    }

    @Test
    void noLeaderWithinTheCommitTimeoutIsNoQuorum() throws Exception {
        ReplicatedStore store = start(config().withCommitTimeout(Duration.ofSeconds(2)), null);
        store.update(tx -> tx.create(Kind.SERVICE, service("s1", "web")));
        store.server().close(); // the only member is gone: nobody can commit
        await("leadership lost", Duration.ofSeconds(10), () -> !store.isLeader());
        StoreException e = assertThrows(StoreException.class,
                () -> store.update(tx -> tx.create(Kind.SERVICE, service("s2", "api"))));
        assertEquals(Reason.NO_QUORUM, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("the managers have lost quorum"), e.getMessage());
        assertTrue(store.view(r -> r.get(Kind.SERVICE, "s2")).isEmpty());
    }

    @Test
    void watchSeesSnapshotThenEveryTransactionOnceInLogOrder() throws Exception {
        ReplicatedStore store = start(config(), null);
        store.update(tx -> tx.create(Kind.SERVICE, service("s1", "web")));
        Watch<List<Task>> watch = store.watch(r -> r.all(Kind.TASK));
        assertTrue(watch.initial().isEmpty());

        int writers = 8;
        int perWriter = 40;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                futures.add(pool.submit(() -> {
                    for (int n = 0; n < perWriter; n++) {
                        String id = "t-" + writer + "-" + n;
                        store.update(tx -> {
                            tx.create(Kind.TASK, task(id, "s1"));
                            tx.create(Kind.TASK, task(id + "-b", "s1"));
                        });
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        int transactions = writers * perWriter;
        Set<String> created = new HashSet<>();
        long lastIndex = 0;
        int inTx = 0;
        for (int n = 0; n < transactions * 3; n++) {
            StoreEvent e = watch.poll(Duration.ofSeconds(30));
            assertNotNull(e, "event " + n + " of " + transactions * 3);
            if (e.action() == Action.COMMIT) {
                assertEquals(2, inTx, "two creates before each COMMIT");
                assertTrue(e.index() > lastIndex, "log order");
                lastIndex = e.index();
                inTx = 0;
            } else {
                assertEquals(Action.CREATE, e.action());
                assertTrue(e.index() > lastIndex);
                assertTrue(created.add(((Task) e.object()).getId()), "no duplicates");
                inTx++;
            }
        }
        assertEquals(transactions * 2, created.size());
        assertTrue(idx(store) >= lastIndex);
        assertEquals(null, watch.poll(Duration.ofMillis(50)));
        assertFalse(watch.isClosed());
        watch.close();
        assertTrue(watch.isClosed());
    }

    @Test
    void leadershipListenersAreToldOnRegistrationAndOnChange() throws Exception {
        LeadershipNotifier notifier = new LeadershipNotifier();
        List<Boolean> early = new CopyOnWriteArrayList<>();
        List<Boolean> late = new CopyOnWriteArrayList<>();
        LeadershipListener earlyListener = early::add;
        notifier.add(earlyListener);
        ReplicatedStore store = start(config(), notifier);
        await("early listener told of leadership", Duration.ofSeconds(10), () -> early.equals(List.of(false, true)));
        notifier.add(late::add);
        await("late listener told the current state", Duration.ofSeconds(10), () -> late.equals(List.of(true)));
        store.close();
        assertFalse(store.isLeader());
        await("listeners told leadership is lost", Duration.ofSeconds(10),
                () -> early.equals(List.of(false, true, false)) && late.equals(List.of(true, false)));
        notifier.close();
    }

    @Test
    void closeLeavesNoThreadBehind() throws Exception {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        // through the raft client, which schedules its request timeouts on Ratis' shared timers
        ReplicatedStore store = start(config().withLocalSubmit(false), null);
        store.update(tx -> tx.create(Kind.SERVICE, service("s1", "web")));
        store.close();
        awaitNoLeftovers(before, true);

        // what may be left is Ratis' process-wide timers, which the bundle activator ends on bundle stop
        assertTrue(RatisThreads.runningSharedTimers() > 0, "Ratis' shared timers are where RatisThreads looks");
        RatisThreads.stopSharedTimers();
        assertEquals(0, RatisThreads.runningSharedTimers());
        awaitNoLeftovers(before, false);

        // and Ratis makes new ones when used again in the same class loader (bundle stopped and started)
        ReplicatedStore again = start(config(), null);
        again.update(tx -> tx.create(Kind.SERVICE, service("s2", "api")));
        assertEquals(2, again.view(r -> r.all(Kind.SERVICE)).size());
    }

    private static void awaitNoLeftovers(Set<Thread> before, boolean exceptSharedTimers) throws InterruptedException {
        try {
            await("the store's threads to end", Duration.ofSeconds(30),
                    () -> leftovers(before, exceptSharedTimers).isEmpty());
        } catch (AssertionError e) {
            assertEquals(List.of(), leftovers(before, exceptSharedTimers), "threads left behind");
        }
    }

    /** Threads started since {@code before}, except the JVM's (and maybe Ratis' process-wide timers). */
    static List<String> leftovers(Set<Thread> before, boolean exceptSharedTimers) {
        List<String> names = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!before.contains(t) && t.isAlive() && !(exceptSharedTimers && RatisThreads.isSharedTimer(t))
                    && !t.getName().startsWith("process reaper") && !t.getName().startsWith("Attach Listener")) {
                names.add(t.getName());
            }
        }
        return names;
    }
}
