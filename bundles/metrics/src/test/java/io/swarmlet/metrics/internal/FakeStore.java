package io.swarmlet.metrics.internal;

import com.google.protobuf.Message;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.store.WriteTx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/** A store that only reads: objects put by the test, by kind and ID. */
final class FakeStore implements Store {

    private final Map<Kind<?>, Map<String, Message>> objects = new ConcurrentHashMap<>();

    <T extends Message> void put(Kind<T> kind, String id, T object) {
        objects.computeIfAbsent(kind, k -> new TreeMap<>()).put(id, object);
    }

    void remove(Kind<?> kind, String id) {
        objects.getOrDefault(kind, new TreeMap<>()).remove(id);
    }

    @Override
    public synchronized <R> R view(Function<ReadTx, R> reader) {
        return reader.apply(new FakeReadTx());
    }

    @Override
    public long update(Consumer<WriteTx> writer) {
        throw new UnsupportedOperationException();
    }

    @Override
    public <R> Watch<R> watch(Function<ReadTx, R> snapshotReader) {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean isLeader() {
        return true;
    }

    private final class FakeReadTx implements ReadTx {
        @Override
        @SuppressWarnings("unchecked")
        public <T extends Message> Optional<T> get(Kind<T> kind, String id) {
            return Optional.ofNullable((T) objects.getOrDefault(kind, Map.of()).get(id));
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T extends Message> List<T> find(Kind<T> kind, Predicate<? super T> filter) {
            List<T> out = new ArrayList<>();
            for (Message m : objects.getOrDefault(kind, Map.of()).values()) {
                if (filter.test((T) m)) {
                    out.add((T) m);
                }
            }
            return out;
        }

        @Override
        public <T extends Message> Optional<T> byName(Kind<T> kind, String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long index() {
            return 1;
        }
    }
}
