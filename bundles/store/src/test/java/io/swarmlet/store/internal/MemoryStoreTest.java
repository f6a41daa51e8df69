package io.swarmlet.store.internal;

import static io.swarmlet.store.internal.TestSupport.service;
import static io.swarmlet.store.internal.TestSupport.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.StoreEvent.Action;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.StoreException.Reason;
import io.swarmlet.api.types.Meta;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.StoreAction;
import io.swarmlet.api.types.StoreTransaction;
import io.swarmlet.api.types.Task;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The apply rules and watch delivery of the in-memory store, without Raft. */
class MemoryStoreTest {

    private final MemoryStore store = new MemoryStore(1000);
    private long index;

    /** Builds a transaction with a WriteTx, as the proposer does, and applies it at the next index. */
    private ApplyResult write(long proposedAt, Consumer<WriteTxImpl> writer) {
        WriteTxImpl tx = new WriteTxImpl(store);
        writer.accept(tx);
        return applyRaw(tx.toTransaction(proposedAt));
    }

    private ApplyResult applyRaw(StoreTransaction tx) {
        long i = ++index;
        return store.apply(tx, 1, i, () -> { });
    }

    private Service getService(String id) {
        return store.read(r -> r.get(Kind.SERVICE, id).orElse(null));
    }

    @Test
    void createUpdateDeleteSetMeta() {
        assertTrue(write(1000, tx -> tx.create(Kind.SERVICE, service("s1", "web"))).ok());
        Service s = getService("s1");
        assertEquals(Meta.newBuilder().setVersion(1).setCreatedAt(1000).setUpdatedAt(1000).build(), s.getMeta());
        assertEquals(1, store.index());

        assertTrue(write(2000, tx -> tx.update(Kind.SERVICE, s.toBuilder().setSpecVersion(7).build())).ok());
        Service u = getService("s1");
        assertEquals(7, u.getSpecVersion());
        assertEquals(Meta.newBuilder().setVersion(2).setCreatedAt(1000).setUpdatedAt(2000).build(), u.getMeta());

        assertTrue(write(3000, tx -> tx.delete(Kind.SERVICE, "s1")).ok());
        assertNull(getService("s1"));
        assertEquals(3, store.index());
    }

    @Test
    void versionConflictRefusesTheWholeTransaction() {
        assertTrue(write(1, tx -> {
            tx.create(Kind.SERVICE, service("s1", "a"));
            tx.create(Kind.SERVICE, service("s2", "b"));
        }).ok());
        Service s1 = getService("s1");
        Service s2 = getService("s2");
        assertTrue(write(2, tx -> tx.update(Kind.SERVICE, s2.toBuilder().setSpecVersion(1).build())).ok());

        // a transaction built on the old s2: the change to s1 must not be applied either
        StoreTransaction stale = StoreTransaction.newBuilder().setProposedAt(3)
                .addActions(action(StoreAction.Kind.UPDATE, Kind.SERVICE, s1.toBuilder().setSpecVersion(9).build()))
                .addActions(action(StoreAction.Kind.UPDATE, Kind.SERVICE, s2.toBuilder().setSpecVersion(9).build()))
                .build();
        ApplyResult r = applyRaw(stale);
        assertEquals(Reason.SEQUENCE_CONFLICT, r.reason());
        assertTrue(r.message().contains("s2"), r.message());
        assertEquals(0, getService("s1").getSpecVersion());
        assertEquals(1, getService("s2").getSpecVersion());
        assertEquals(3, store.index(), "a refused entry still advances the applied index");
    }

    @Test
    void missingObjectsAreNotFound() {
        StoreTransaction tx = StoreTransaction.newBuilder().setProposedAt(1)
                .addActions(action(StoreAction.Kind.REMOVE, Kind.TASK,
                        task("t1", "s").toBuilder().setMeta(Meta.newBuilder().setVersion(4)).build()))
                .build();
        assertEquals(Reason.NOT_FOUND, applyRaw(tx).reason());
    }

    @Test
    void createNeedsAFreshIdAndAFreeName() {
        assertTrue(write(1, tx -> tx.create(Kind.SERVICE, service("s1", "web"))).ok());
        StoreTransaction sameId = StoreTransaction.newBuilder().setProposedAt(2)
                .addActions(action(StoreAction.Kind.CREATE, Kind.SERVICE, service("s1", "other"))).build();
        assertEquals(Reason.EXISTS, applyRaw(sameId).reason());
        StoreTransaction sameName = StoreTransaction.newBuilder().setProposedAt(2)
                .addActions(action(StoreAction.Kind.CREATE, Kind.SERVICE, service("s2", "web"))).build();
        ApplyResult r = applyRaw(sameName);
        assertEquals(Reason.EXISTS, r.reason());
        assertTrue(r.message().contains("\"web\""), r.message());

        // tasks have no unique names
        assertTrue(write(3, tx -> {
            tx.create(Kind.TASK, task("t1", "s1").toBuilder().setAnnotations(
                    io.swarmlet.api.types.Annotations.newBuilder().setName("x")).build());
            tx.create(Kind.TASK, task("t2", "s1").toBuilder().setAnnotations(
                    io.swarmlet.api.types.Annotations.newBuilder().setName("x")).build());
        }).ok());

        // a name freed in the same transaction may be taken again; by name lookups follow
        Service web = getService("s1");
        assertTrue(write(4, tx -> {
            tx.delete(Kind.SERVICE, "s1");
            tx.create(Kind.SERVICE, service("s3", "web"));
        }).ok());
        assertEquals("s3", store.read(r2 -> r2.byName(Kind.SERVICE, "web").orElseThrow().getId()));
        assertEquals(1, web.getMeta().getVersion());

        // renaming onto a taken name is refused
        assertTrue(write(5, tx -> tx.create(Kind.SERVICE, service("s4", "db"))).ok());
        Service s4 = getService("s4");
        StoreTransaction rename = StoreTransaction.newBuilder().setProposedAt(6)
                .addActions(action(StoreAction.Kind.UPDATE, Kind.SERVICE, s4.toBuilder()
                        .setSpec(s4.getSpec().toBuilder().setAnnotations(
                                io.swarmlet.api.types.Annotations.newBuilder().setName("web"))).build()))
                .build();
        assertEquals(Reason.EXISTS, applyRaw(rename).reason());
    }

    @Test
    void writeTxReadsItsOwnWritesAndFailsEarly() {
        assertTrue(write(1, tx -> tx.create(Kind.SERVICE, service("s1", "web"))).ok());
        WriteTxImpl tx = new WriteTxImpl(store);
        tx.create(Kind.SERVICE, service("s2", "api"));
        assertEquals("api", tx.get(Kind.SERVICE, "s2").orElseThrow().getSpec().getAnnotations().getName());
        assertEquals(List.of("s1", "s2"), tx.all(Kind.SERVICE).stream().map(Service::getId).toList());
        assertEquals("s2", tx.byName(Kind.SERVICE, "api").orElseThrow().getId());
        StoreException e = assertThrows(StoreException.class, () -> tx.create(Kind.SERVICE, service("s3", "web")));
        assertEquals(Reason.EXISTS, e.reason());
        tx.delete(Kind.SERVICE, "s1");
        assertTrue(tx.get(Kind.SERVICE, "s1").isEmpty());
        assertTrue(tx.byName(Kind.SERVICE, "web").isEmpty());
        tx.create(Kind.SERVICE, service("s3", "web")); // the name is free now
        // create then update stays one create; create then delete is nothing at all
        tx.update(Kind.SERVICE, tx.get(Kind.SERVICE, "s2").orElseThrow().toBuilder().setSpecVersion(5).build());
        tx.create(Kind.TASK, task("t1", "s2"));
        tx.delete(Kind.TASK, "t1");
        StoreTransaction t = tx.toTransaction(7);
        assertEquals(List.of(StoreAction.Kind.CREATE, StoreAction.Kind.REMOVE, StoreAction.Kind.CREATE),
                t.getActionsList().stream().map(StoreAction::getKind).toList());
        assertEquals(5, t.getActions(0).getObject().getService().getSpecVersion());
        assertEquals(1, t.getActions(1).getObject().getService().getMeta().getVersion());
        assertEquals("", t.getActions(1).getObject().getService().getSpec().getAnnotations().getName(),
                "a REMOVE carries only the ID and the version read");
        assertTrue(store.apply(t, 1, ++index, () -> { }).ok());

        Service s2 = getService("s2");
        StoreException conflict = assertThrows(StoreException.class, () -> new WriteTxImpl(store)
                .update(Kind.SERVICE, s2.toBuilder().setMeta(Meta.newBuilder().setVersion(1)).build()));
        assertEquals(Reason.SEQUENCE_CONFLICT, conflict.reason());
        assertEquals(Reason.NOT_FOUND, assertThrows(StoreException.class,
                () -> new WriteTxImpl(store).delete(Kind.TASK, "nope")).reason());
    }

    @Test
    void validatorRejectsMalformedTransactions() {
        assertEquals(Reason.INVALID, assertThrows(StoreException.class,
                () -> TxValidator.validate(StoreTransaction.newBuilder().setProposedAt(1).build())).reason());
        StoreTransaction noObject = StoreTransaction.newBuilder().setProposedAt(1)
                .addActions(StoreAction.newBuilder().setKind(StoreAction.Kind.CREATE)).build();
        assertTrue(assertThrows(StoreException.class, () -> TxValidator.validate(noObject)).getMessage()
                .contains("carries no object"));
        StoreTransaction noId = StoreTransaction.newBuilder().setProposedAt(1)
                .addActions(action(StoreAction.Kind.CREATE, Kind.TASK, task("", "s"))).build();
        assertTrue(assertThrows(StoreException.class, () -> TxValidator.validate(noId)).getMessage()
                .contains("empty ID"));
        StoreTransaction noName = StoreTransaction.newBuilder().setProposedAt(1)
                .addActions(action(StoreAction.Kind.CREATE, Kind.SERVICE, service("s1", ""))).build();
        assertTrue(assertThrows(StoreException.class, () -> TxValidator.validate(noName)).getMessage()
                .contains("has no name"));
        StoreTransaction noVersion = StoreTransaction.newBuilder().setProposedAt(1)
                .addActions(action(StoreAction.Kind.UPDATE, Kind.TASK, task("t1", "s"))).build();
        assertTrue(assertThrows(StoreException.class, () -> TxValidator.validate(noVersion)).getMessage()
                .contains("meta.version"));
    }

    @Test
    void watchGetsSnapshotThenEveryTransactionInOrder() throws Exception {
        assertTrue(write(1, tx -> tx.create(Kind.SERVICE, service("s1", "web"))).ok());
        WatchImpl<List<Service>> w = store.watch(r -> r.all(Kind.SERVICE));
        assertEquals(List.of("s1"), w.initial().stream().map(Service::getId).toList());

        assertTrue(write(2, tx -> {
            tx.create(Kind.TASK, task("t1", "s1"));
            tx.update(Kind.SERVICE, getService("s1").toBuilder().setSpecVersion(2).build());
        }).ok());
        assertTrue(write(4, tx -> tx.delete(Kind.TASK, "t1")).ok());

        List<StoreEvent> events = drain(w, 5);
        assertEquals(List.of(Action.CREATE, Action.UPDATE, Action.COMMIT, Action.REMOVE, Action.COMMIT),
                events.stream().map(StoreEvent::action).toList());
        assertEquals(2, events.get(0).index());
        assertSame(Kind.TASK, events.get(0).kind());
        assertEquals(1, ((Service) events.get(1).old()).getMeta().getVersion());
        assertEquals(2, ((Service) events.get(1).object()).getMeta().getVersion());
        assertEquals("t1", ((Task) events.get(3).object()).getId());
        assertEquals(events.get(3).index(), events.get(4).index());

        w.close();
        assertTrue(w.isClosed());
        assertEquals(0, store.watcherCount());
        assertNull(w.poll(Duration.ofMillis(1)));
    }

    @Test
    void watcherThatFallsBehindIsClosed() {
        MemoryStore small = new MemoryStore(3);
        WatchImpl<Void> w = small.watch(r -> null);
        WatchImpl<Void> ok = small.watch(r -> null);
        WriteTxImpl tx = new WriteTxImpl(small);
        tx.create(Kind.TASK, task("t1", "s"));
        tx.create(Kind.TASK, task("t2", "s"));
        assertTrue(small.apply(tx.toTransaction(1), 1, 1, () -> { }).ok()); // 3 events: fits
        assertFalse(w.isClosed());
        ok.close();
        WriteTxImpl tx2 = new WriteTxImpl(small);
        tx2.create(Kind.TASK, task("t3", "s"));
        assertTrue(small.apply(tx2.toTransaction(2), 1, 2, () -> { }).ok());
        assertTrue(w.isClosed());
        assertEquals(0, small.watcherCount());
    }

    private static List<StoreEvent> drain(WatchImpl<?> w, int n) throws InterruptedException {
        List<StoreEvent> out = new ArrayList<>();
        while (out.size() < n) {
            StoreEvent e = w.poll(Duration.ofSeconds(5));
            if (e == null) {
                throw new AssertionError("expected " + n + " events, got " + out);
            }
            out.add(e);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static <T extends Message> StoreAction action(StoreAction.Kind k, Kind<T> kind, Message object) {
        return StoreAction.newBuilder().setKind(k).setObject(kind.wrap((T) object)).build();
    }
}
