package io.swarmlet.scheduler.internal;

import com.google.protobuf.Message;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.store.WriteTx;
import io.swarmlet.api.types.Meta;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A fake {@link Store} for tests and the benchmark: one process, no Raft, the
 * same contract as the real one where the scheduler depends on it: a
 * transaction applies all or nothing, {@code update} of an object read at an
 * older version fails with SEQUENCE_CONFLICT, meta.version is the index of the
 * object's last change, and a watch gets a consistent snapshot plus every
 * later change (one event per object, then COMMIT), in order. Failures can be
 * injected for the next transactions.
 */
final class FakeStore implements Store {

    private static final Message GONE = Meta.getDefaultInstance();

    private final Object lock = new Object();
    private final Map<Kind<?>, TreeMap<String, Message>> data = new IdentityHashMap<>();
    private final CopyOnWriteArrayList<FakeWatch<?>> watchers = new CopyOnWriteArrayList<>();
    private final ArrayDeque<StoreException.Reason> failures = new ArrayDeque<>();
    private long index;
    private volatile boolean leader = true;

    FakeStore() {
        for (Kind<?> k : Kind.ALL) {
            data.put(k, new TreeMap<>());
        }
    }

    /** The next {@code times} transactions that update or remove something fail with that reason, applying nothing. */
    void failNext(int times, StoreException.Reason reason) {
        synchronized (lock) {
            for (int i = 0; i < times; i++) {
                failures.add(reason);
            }
        }
    }

    void setLeader(boolean leader) {
        this.leader = leader;
    }

    int watchers() {
        return watchers.size();
    }

    /** Closes every watch, as the real store does with a watcher that fell behind or on a snapshot reload. */
    void closeWatches() {
        synchronized (lock) {
            for (FakeWatch<?> w : watchers) {
                w.close();
            }
        }
    }

    @Override
    public <R> R view(Function<ReadTx, R> reader) {
        synchronized (lock) {
            return reader.apply(new Tx());
        }
    }

    @Override
    public long update(Consumer<WriteTx> writer) {
        synchronized (lock) {
            Tx tx = new Tx();
            writer.accept(tx);
            if (tx.actions.isEmpty()) {
                return index;
            }
            boolean changes = tx.actions.stream().anyMatch(a -> a.action() != StoreEvent.Action.CREATE);
            StoreException.Reason fail = changes ? failures.poll() : null;
            if (fail != null) {
                throw new StoreException(fail, "injected failure: " + fail);
            }
            return commit(tx);
        }
    }

    @Override
    public <R> Watch<R> watch(Function<ReadTx, R> snapshotReader) {
        synchronized (lock) {
            FakeWatch<R> w = new FakeWatch<>(snapshotReader.apply(new Tx()));
            watchers.add(w);
            return w;
        }
    }

    @Override
    public boolean isLeader() {
        return leader;
    }

    private record Action(StoreEvent.Action action, Kind<?> kind, String id, Message object) {}

    private long commit(Tx tx) {
        // check against the committed state, as the real store does when it applies
        Map<String, Message> overlay = new HashMap<>();
        for (Action a : tx.actions) {
            String key = a.kind().name() + "/" + a.id();
            Message current = overlay.containsKey(key) ? overlay.get(key) : data.get(a.kind()).get(a.id());
            if (current == GONE) {
                current = null;
            }
            switch (a.action()) {
                case CREATE -> {
                    if (current != null) {
                        throw new StoreException(StoreException.Reason.EXISTS, a.kind() + " " + a.id() + " exists");
                    }
                }
                case UPDATE, REMOVE -> {
                    if (current == null) {
                        throw new StoreException(StoreException.Reason.NOT_FOUND, a.kind() + " " + a.id());
                    }
                    if (a.action() == StoreEvent.Action.UPDATE
                            && meta(a.kind(), a.object()).getVersion() != meta(a.kind(), current).getVersion()) {
                        throw new StoreException(StoreException.Reason.SEQUENCE_CONFLICT,
                                a.kind() + " " + a.id() + " was changed since it was read");
                    }
                }
                default -> throw new IllegalStateException();
            }
            overlay.put(key, a.action() == StoreEvent.Action.REMOVE ? GONE : a.object());
        }
        long at = ++index;
        long now = System.currentTimeMillis();
        List<StoreEvent> events = new ArrayList<>(tx.actions.size() + 1);
        for (Action a : tx.actions) {
            TreeMap<String, Message> map = data.get(a.kind());
            switch (a.action()) {
                case CREATE -> {
                    Message stored = withMeta(a.kind(), a.object(),
                            Meta.newBuilder().setVersion(at).setCreatedAt(now).setUpdatedAt(now).build());
                    map.put(a.id(), stored);
                    events.add(new StoreEvent(StoreEvent.Action.CREATE, a.kind(), stored, null, at));
                }
                case UPDATE -> {
                    Message old = map.get(a.id());
                    Message stored = withMeta(a.kind(), a.object(), Meta.newBuilder().setVersion(at)
                            .setCreatedAt(meta(a.kind(), old).getCreatedAt()).setUpdatedAt(now).build());
                    map.put(a.id(), stored);
                    events.add(new StoreEvent(StoreEvent.Action.UPDATE, a.kind(), stored, old, at));
                }
                case REMOVE -> {
                    Message old = map.remove(a.id());
                    events.add(new StoreEvent(StoreEvent.Action.REMOVE, a.kind(), old, null, at));
                }
                default -> throw new IllegalStateException();
            }
        }
        events.add(new StoreEvent(StoreEvent.Action.COMMIT, null, null, null, at));
        for (FakeWatch<?> w : watchers) {
            w.queue.addAll(events);
        }
        return at;
    }

    @SuppressWarnings("unchecked")
    private static Meta meta(Kind<?> kind, Message m) {
        return ((Kind<Message>) kind).meta(m);
    }

    @SuppressWarnings("unchecked")
    private static Message withMeta(Kind<?> kind, Message m, Meta meta) {
        return ((Kind<Message>) kind).withMeta(m, meta);
    }

    /** Reads the committed state plus this transaction's own writes. */
    private final class Tx implements WriteTx {
        final List<Action> actions = new ArrayList<>();
        final Map<Kind<?>, Map<String, Message>> staged = new IdentityHashMap<>();

        private Message lookup(Kind<?> kind, String id) {
            Map<String, Message> s = staged.get(kind);
            if (s != null && s.containsKey(id)) {
                Message m = s.get(id);
                return m == GONE ? null : m;
            }
            return data.get(kind).get(id);
        }

        @Override
        public <T extends Message> Optional<T> get(Kind<T> kind, String id) {
            return Optional.ofNullable(kind.cast(lookup(kind, id)));
        }

        @Override
        public <T extends Message> List<T> find(Kind<T> kind, Predicate<? super T> filter) {
            TreeMap<String, Message> all = new TreeMap<>(data.get(kind));
            Map<String, Message> s = staged.get(kind);
            if (s != null) {
                for (Map.Entry<String, Message> e : s.entrySet()) {
                    if (e.getValue() == GONE) {
                        all.remove(e.getKey());
                    } else {
                        all.put(e.getKey(), e.getValue());
                    }
                }
            }
            List<T> out = new ArrayList<>();
            for (Message m : all.values()) {
                T t = kind.cast(m);
                if (filter.test(t)) {
                    out.add(t);
                }
            }
            return out;
        }

        @Override
        public <T extends Message> Optional<T> byName(Kind<T> kind, String name) {
            return find(kind, o -> kind.objectName(o).equals(name)).stream().findFirst();
        }

        @Override
        public long index() {
            return index;
        }

        @Override
        public <T extends Message> void create(Kind<T> kind, T object) {
            stage(StoreEvent.Action.CREATE, kind, kind.id(object), object);
        }

        @Override
        public <T extends Message> void update(Kind<T> kind, T object) {
            stage(StoreEvent.Action.UPDATE, kind, kind.id(object), object);
        }

        @Override
        public <T extends Message> void delete(Kind<T> kind, String id) {
            Message current = lookup(kind, id);
            if (current == null) {
                throw new StoreException(StoreException.Reason.NOT_FOUND, kind + " " + id);
            }
            stage(StoreEvent.Action.REMOVE, kind, id, current);
        }

        private void stage(StoreEvent.Action action, Kind<?> kind, String id, Message object) {
            actions.add(new Action(action, kind, id, object));
            staged.computeIfAbsent(kind, k -> new HashMap<>()).put(id, action == StoreEvent.Action.REMOVE ? GONE : object);
        }
    }

    private final class FakeWatch<R> implements Watch<R> {
        private final R initial;
        final LinkedBlockingQueue<StoreEvent> queue = new LinkedBlockingQueue<>();
        private final AtomicBoolean closed = new AtomicBoolean();

        FakeWatch(R initial) {
            this.initial = initial;
        }

        @Override
        public R initial() {
            return initial;
        }

        @Override
        public StoreEvent poll(Duration timeout) throws InterruptedException {
            if (closed.get()) {
                return null;
            }
            return queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        public boolean isClosed() {
            return closed.get();
        }

        @Override
        public void close() {
            closed.set(true);
            watchers.remove(this);
        }
    }
}
