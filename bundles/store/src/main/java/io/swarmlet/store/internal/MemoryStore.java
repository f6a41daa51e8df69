package io.swarmlet.store.internal;

import com.google.protobuf.Message;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.StoreException.Reason;
import io.swarmlet.api.types.Meta;
import io.swarmlet.api.types.StoreAction;
import io.swarmlet.api.types.StoreObject;
import io.swarmlet.api.types.StoreTransaction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The local copy of the store: one map per kind, sorted by ID, of immutable
 * protobuf messages, a name index for the kinds with unique names, the Raft
 * index and term of the last applied log entry, and the watchers.
 *
 * <p>One {@link ReentrantReadWriteLock} guards it all. Readers ({@code view},
 * writers building a transaction, watch registration, snapshots) hold the read
 * lock; the Raft apply thread holds the write lock while it checks and applies
 * one transaction, advances the applied index and queues the transaction's
 * events for every watcher, so a reader sees a transaction either entirely or
 * not at all, and a watcher registered under the read lock gets every later
 * transaction exactly once.
 *
 * <p>Written only by {@link StoreStateMachine} (apply, snapshot load); read by
 * {@link ReplicatedStore}.
 */
final class MemoryStore {

    private static final Logger LOG = LogManager.getLogger(MemoryStore.class);

    /** Marks a removed object or a freed name in the overlay of {@link #check}. */
    private static final String FREED = new String("freed");
    private static final Message GONE = Meta.getDefaultInstance();

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<Kind<?>, TreeMap<String, Message>> byId = new IdentityHashMap<>();
    private final Map<Kind<?>, HashMap<String, String>> idByName = new IdentityHashMap<>();
    private final CopyOnWriteArrayList<WatchImpl<?>> watchers = new CopyOnWriteArrayList<>();
    private final int watchCapacity;
    private final View view = new View();

    private volatile long index;
    private volatile long term;

    private final Object appliedMonitor = new Object();
    private final AtomicInteger appliedWaiters = new AtomicInteger();

    MemoryStore(int watchCapacity) {
        this.watchCapacity = watchCapacity;
        for (Kind<?> k : Kind.ALL) {
            byId.put(k, new TreeMap<>());
            if (k.uniqueNames()) {
                idByName.put(k, new HashMap<>());
            }
        }
    }

    // ------------------------------------------------------------------ reads

    /** Runs {@code reader} under the read lock. */
    <R> R read(Function<ReadTx, R> reader) {
        lock.readLock().lock();
        try {
            return reader.apply(view);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Runs {@code reader} and registers a watcher in one step, under the read lock. */
    <R> WatchImpl<R> watch(Function<ReadTx, R> reader) {
        WatchImpl<R> w = new WatchImpl<>(watchCapacity, watchers::remove);
        lock.readLock().lock();
        try {
            w.setInitial(reader.apply(view));
            watchers.add(w);
        } finally {
            lock.readLock().unlock();
        }
        return w;
    }

    ReentrantReadWriteLock lock() {
        return lock;
    }

    /** The index of the last applied log entry. */
    long index() {
        return index;
    }

    long term() {
        return term;
    }

    int watcherCount() {
        return watchers.size();
    }

    /** The stored object (caller holds a lock). */
    Message current(Kind<?> kind, String id) {
        return byId.get(kind).get(id);
    }

    /** The objects of one kind by ID (caller holds a lock; do not modify). */
    NavigableMap<String, Message> objects(Kind<?> kind) {
        return byId.get(kind);
    }

    /** The ID of the live object with that name (unique-name kinds; caller holds a lock). */
    String idOfName(Kind<?> kind, String name) {
        Map<String, String> names = idByName.get(kind);
        return names == null ? null : names.get(name);
    }

    /**
     * Waits until the entry at {@code target} has been applied here.
     *
     * @return false if it was not applied within the timeout
     */
    boolean awaitApplied(long target, long timeoutNanos) throws InterruptedException {
        if (index >= target) {
            return true;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        synchronized (appliedMonitor) {
            appliedWaiters.incrementAndGet();
            try {
                while (index < target) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(appliedMonitor, left);
                }
                return true;
            } finally {
                appliedWaiters.decrementAndGet();
            }
        }
    }

    private void wakeAppliedWaiters() {
        if (appliedWaiters.get() > 0) {
            synchronized (appliedMonitor) {
                appliedMonitor.notifyAll();
            }
        }
    }

    // ------------------------------------------------------------------ apply

    /**
     * Applies one committed transaction, all or nothing, as the entry at
     * {@code (term, index)}: checks it against the current state, changes the
     * maps if it passes, advances the applied index (and runs {@code advanced},
     * which records the same in Ratis) and queues the events, all under the
     * write lock. A refused transaction changes nothing but the applied index.
     * Deterministic: every replica comes to the same result.
     */
    ApplyResult apply(StoreTransaction tx, long term, long index, Runnable advanced) {
        ApplyResult result;
        lock.writeLock().lock();
        try {
            result = check(tx);
            List<StoreEvent> events = result.ok() ? mutate(tx, index) : null;
            this.term = term;
            this.index = index;
            advanced.run();
            if (events != null && !watchers.isEmpty()) {
                dispatch(events);
            }
        } finally {
            lock.writeLock().unlock();
        }
        wakeAppliedWaiters();
        return result;
    }

    /** Advances the applied index over a log entry that is not a transaction (configuration, no-op). */
    void advance(long term, long index, Runnable advanced) {
        lock.writeLock().lock();
        try {
            if (index > this.index) {
                this.term = term;
                this.index = index;
            }
            advanced.run();
        } finally {
            lock.writeLock().unlock();
        }
        wakeAppliedWaiters();
    }

    /** The checks against the current state, with an overlay for the transaction's own earlier actions. */
    private ApplyResult check(StoreTransaction tx) {
        Map<String, Message> objects = new HashMap<>();
        Map<String, String> names = new HashMap<>();
        for (StoreAction action : tx.getActionsList()) {
            if (action.getObject().getObjectCase() == StoreObject.ObjectCase.OBJECT_NOT_SET) {
                return ApplyResult.refused(Reason.INVALID, "action " + action.getKind() + " carries no object");
            }
            Kind<?> kind = Kind.of(action.getObject());
            Message obj = Kind.unwrap(action.getObject());
            String id = TxValidator.idOf(kind, obj);
            String key = kind.name() + '/' + id;
            Message current = objects.containsKey(key) ? objects.get(key) : byId.get(kind).get(id);
            if (current == GONE) {
                current = null;
            }
            switch (action.getKind()) {
                case CREATE -> {
                    if (current != null) {
                        return ApplyResult.refused(Reason.EXISTS, kind + " " + id + " already exists");
                    }
                    if (kind.uniqueNames()) {
                        String name = TxValidator.nameOf(kind, obj);
                        String holder = nameHolder(kind, name, names);
                        if (holder != null) {
                            return ApplyResult.refused(Reason.EXISTS,
                                    "a " + kind + " named \"" + name + "\" already exists (" + holder + ")");
                        }
                        names.put(kind.name() + '/' + name, id);
                    }
                    objects.put(key, obj);
                }
                case UPDATE, REMOVE -> {
                    if (current == null) {
                        return ApplyResult.refused(Reason.NOT_FOUND, kind + " " + id + " does not exist");
                    }
                    long read = TxValidator.versionOf(kind, obj);
                    long now = TxValidator.versionOf(kind, current);
                    if (read != now) {
                        return ApplyResult.refused(Reason.SEQUENCE_CONFLICT, kind + " " + id
                                + " was changed since it was read (read at version " + read + ", now at " + now + ")");
                    }
                    if (kind.uniqueNames()) {
                        String oldName = TxValidator.nameOf(kind, current);
                        if (action.getKind() == StoreAction.Kind.REMOVE) {
                            names.put(kind.name() + '/' + oldName, FREED);
                        } else {
                            String newName = TxValidator.nameOf(kind, obj);
                            if (!newName.equals(oldName)) {
                                String holder = nameHolder(kind, newName, names);
                                if (holder != null && !holder.equals(id)) {
                                    return ApplyResult.refused(Reason.EXISTS,
                                            "a " + kind + " named \"" + newName + "\" already exists (" + holder + ")");
                                }
                                names.put(kind.name() + '/' + oldName, FREED);
                                names.put(kind.name() + '/' + newName, id);
                            }
                        }
                    }
                    objects.put(key, action.getKind() == StoreAction.Kind.REMOVE ? GONE : obj);
                }
                default -> {
                    return ApplyResult.refused(Reason.INVALID, "unknown action kind " + action.getKindValue());
                }
            }
        }
        return ApplyResult.OK;
    }

    private String nameHolder(Kind<?> kind, String name, Map<String, String> overlay) {
        String key = kind.name() + '/' + name;
        if (overlay.containsKey(key)) {
            String id = overlay.get(key);
            return id == FREED ? null : id;
        }
        return idByName.get(kind).get(name);
    }

    /** Applies a checked transaction; returns its events (the last one the COMMIT). */
    private List<StoreEvent> mutate(StoreTransaction tx, long index) {
        long now = tx.getProposedAt();
        List<StoreEvent> events = new ArrayList<>(tx.getActionsCount() + 1);
        for (StoreAction action : tx.getActionsList()) {
            Kind<?> kind = Kind.of(action.getObject());
            Message obj = Kind.unwrap(action.getObject());
            String id = TxValidator.idOf(kind, obj);
            TreeMap<String, Message> map = byId.get(kind);
            switch (action.getKind()) {
                case CREATE -> {
                    Message stored = withMeta(kind, obj,
                            Meta.newBuilder().setVersion(index).setCreatedAt(now).setUpdatedAt(now).build());
                    map.put(id, stored);
                    indexName(kind, null, stored, id);
                    events.add(new StoreEvent(StoreEvent.Action.CREATE, kind, stored, null, index));
                }
                case UPDATE -> {
                    Message old = map.get(id);
                    Meta oldMeta = metaOf(kind, old);
                    Message stored = withMeta(kind, obj, Meta.newBuilder().setVersion(index)
                            .setCreatedAt(oldMeta.getCreatedAt()).setUpdatedAt(now).build());
                    map.put(id, stored);
                    indexName(kind, old, stored, id);
                    events.add(new StoreEvent(StoreEvent.Action.UPDATE, kind, stored, old, index));
                }
                case REMOVE -> {
                    Message old = map.remove(id);
                    indexName(kind, old, null, id);
                    events.add(new StoreEvent(StoreEvent.Action.REMOVE, kind, old, null, index));
                }
                default -> throw new IllegalStateException("unchecked action kind " + action.getKind());
            }
        }
        events.add(new StoreEvent(StoreEvent.Action.COMMIT, null, null, null, index));
        return events;
    }

    private void indexName(Kind<?> kind, Message old, Message now, String id) {
        Map<String, String> names = idByName.get(kind);
        if (names == null) {
            return;
        }
        if (old != null) {
            names.remove(TxValidator.nameOf(kind, old), id);
        }
        if (now != null) {
            String name = TxValidator.nameOf(kind, now);
            if (!name.isEmpty()) {
                names.put(name, id);
            }
        }
    }

    private void dispatch(List<StoreEvent> events) {
        for (WatchImpl<?> w : watchers) {
            if (!w.offer(events)) {
                w.markClosed();
                watchers.remove(w);
                LOG.warn("closed a store watcher that fell {} events behind (at index {}); it must watch again",
                        watchCapacity, events.get(events.size() - 1).index());
            }
        }
    }

    // ------------------------------------------------------------------ snapshots

    /** A consistent copy of the whole store, in {@link Kind#ALL} order, then by ID. */
    record Dump(long term, long index, List<StoreObject> objects) {}

    Dump dump() {
        List<Message> copy = new ArrayList<>();
        List<Kind<?>> kinds = new ArrayList<>();
        long t;
        long i;
        lock.readLock().lock();
        try {
            t = term;
            i = index;
            for (Kind<?> k : Kind.ALL) {
                for (Message m : byId.get(k).values()) {
                    copy.add(m);
                    kinds.add(k);
                }
            }
        } finally {
            lock.readLock().unlock();
        }
        List<StoreObject> wrapped = new ArrayList<>(copy.size());
        for (int n = 0; n < copy.size(); n++) {
            wrapped.add(wrap(kinds.get(n), copy.get(n)));
        }
        return new Dump(t, i, wrapped);
    }

    /**
     * Replaces the whole content (snapshot load). Watchers cannot follow such a
     * jump, so any are closed and must watch again.
     */
    void reset(long term, long index, List<StoreObject> objects) {
        lock.writeLock().lock();
        try {
            byId.values().forEach(Map::clear);
            idByName.values().forEach(Map::clear);
            for (StoreObject o : objects) {
                Kind<?> kind = Kind.of(o);
                Message m = Kind.unwrap(o);
                String id = TxValidator.idOf(kind, m);
                byId.get(kind).put(id, m);
                indexName(kind, null, m, id);
            }
            this.term = term;
            this.index = index;
            closeWatchersLocked("the store was reloaded from a snapshot");
        } finally {
            lock.writeLock().unlock();
        }
        wakeAppliedWaiters();
    }

    /** Closes every watcher (store shutting down or reloaded). */
    void closeWatchers(String why) {
        lock.writeLock().lock();
        try {
            closeWatchersLocked(why);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void closeWatchersLocked(String why) {
        if (watchers.isEmpty()) {
            return;
        }
        LOG.info("closing {} store watchers: {}", watchers.size(), why);
        for (WatchImpl<?> w : watchers) {
            w.markClosed();
        }
        watchers.clear();
    }

    // ------------------------------------------------------------------ helpers

    @SuppressWarnings("unchecked")
    static Message withMeta(Kind<?> kind, Message object, Meta meta) {
        return ((Kind<Message>) kind).withMeta(object, meta);
    }

    @SuppressWarnings("unchecked")
    static Meta metaOf(Kind<?> kind, Message object) {
        return ((Kind<Message>) kind).meta(object);
    }

    @SuppressWarnings("unchecked")
    static StoreObject wrap(Kind<?> kind, Message object) {
        return ((Kind<Message>) kind).wrap(object);
    }

    static void requireUniqueNames(Kind<?> kind) {
        if (!kind.uniqueNames()) {
            throw new IllegalArgumentException(kind + " names are not unique: use find() to look " + kind + "s up by name");
        }
    }

    /** The committed state, read under the caller's lock. */
    private final class View implements ReadTx {

        @Override
        public <T extends Message> Optional<T> get(Kind<T> kind, String id) {
            return Optional.ofNullable(kind.cast(byId.get(kind).get(id)));
        }

        @Override
        public <T extends Message> List<T> find(Kind<T> kind, Predicate<? super T> filter) {
            List<T> out = new ArrayList<>();
            for (Message m : byId.get(kind).values()) {
                T t = kind.cast(m);
                if (filter.test(t)) {
                    out.add(t);
                }
            }
            return out;
        }

        @Override
        public <T extends Message> Optional<T> byName(Kind<T> kind, String name) {
            requireUniqueNames(kind);
            String id = idByName.get(kind).get(name);
            return id == null ? Optional.empty() : get(kind, id);
        }

        @Override
        public long index() {
            return index;
        }
    }
}
