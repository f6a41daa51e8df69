package io.swarmlet.store.internal;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Message;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.StoreException.Reason;
import io.swarmlet.api.store.WriteTx;
import io.swarmlet.api.types.Meta;
import io.swarmlet.api.types.StoreAction;
import io.swarmlet.api.types.StoreTransaction;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A write transaction being built: the writer's changes are buffered here, in
 * the order first made, and its reads see them on top of the committed state
 * (the caller holds the store's read lock for the whole writer). At most one
 * change per object is kept: an update of an object created in this
 * transaction stays a create, a delete of such an object drops it, and so on.
 * The changes then become one {@link StoreTransaction}.
 *
 * <p>The checks made here (ID and name free, version still current, object
 * exists) fail the writer early; the same checks are made again,
 * deterministically, when the transaction is applied.
 */
final class WriteTxImpl implements WriteTx {

    private record Key(Kind<?> kind, String id) {}

    /**
     * One buffered change.
     *
     * @param action CREATE, UPDATE or REMOVE
     * @param object the object as the writer wrote it (null for REMOVE)
     * @param baseVersion the version of the committed object it replaces (0 for CREATE)
     */
    private record Change(StoreAction.Kind action, Message object, long baseVersion) {}

    private final MemoryStore store;
    private final Map<Key, Change> changes = new LinkedHashMap<>();

    WriteTxImpl(MemoryStore store) {
        this.store = store;
    }

    boolean isEmpty() {
        return changes.isEmpty();
    }

    // ------------------------------------------------------------------ reads

    @Override
    public <T extends Message> Optional<T> get(Kind<T> kind, String id) {
        return Optional.ofNullable(kind.cast(lookup(kind, id)));
    }

    private Message lookup(Kind<?> kind, String id) {
        Change c = changes.get(new Key(kind, id));
        if (c != null) {
            return c.object(); // null when removed
        }
        return store.current(kind, id);
    }

    @Override
    public <T extends Message> List<T> find(Kind<T> kind, Predicate<? super T> filter) {
        Map<String, Message> merged = store.objects(kind);
        if (hasChangesOf(kind)) {
            TreeMap<String, Message> copy = new TreeMap<>(merged);
            for (Map.Entry<Key, Change> e : changes.entrySet()) {
                if (e.getKey().kind() == kind) {
                    if (e.getValue().object() == null) {
                        copy.remove(e.getKey().id());
                    } else {
                        copy.put(e.getKey().id(), e.getValue().object());
                    }
                }
            }
            merged = copy;
        }
        List<T> out = new ArrayList<>();
        for (Message m : merged.values()) {
            T t = kind.cast(m);
            if (filter.test(t)) {
                out.add(t);
            }
        }
        return out;
    }

    private boolean hasChangesOf(Kind<?> kind) {
        for (Key k : changes.keySet()) {
            if (k.kind() == kind) {
                return true;
            }
        }
        return false;
    }

    @Override
    public <T extends Message> Optional<T> byName(Kind<T> kind, String name) {
        MemoryStore.requireUniqueNames(kind);
        String id = nameHolder(kind, name);
        return id == null ? Optional.empty() : get(kind, id);
    }

    /** The ID of the object that has this name as this transaction sees it, or null. */
    private String nameHolder(Kind<?> kind, String name) {
        for (Map.Entry<Key, Change> e : changes.entrySet()) {
            Message m = e.getValue().object();
            if (e.getKey().kind() == kind && m != null && TxValidator.nameOf(kind, m).equals(name)) {
                return e.getKey().id();
            }
        }
        String id = store.idOfName(kind, name);
        if (id != null && changes.containsKey(new Key(kind, id))) {
            return null; // renamed or removed in this transaction (a same-name hit was found above)
        }
        return id;
    }

    @Override
    public long index() {
        return store.index();
    }

    // ------------------------------------------------------------------ writes

    @Override
    public <T extends Message> void create(Kind<T> kind, T object) {
        Objects.requireNonNull(object, "object");
        String id = kind.id(object);
        TxValidator.checkId(kind, id, "create");
        Key key = new Key(kind, id);
        Change prior = changes.get(key);
        if (prior != null && prior.action() == StoreAction.Kind.REMOVE) {
            throw new StoreException(Reason.INVALID,
                    kind + " " + id + " is removed and created again in one transaction: use update instead");
        }
        if (lookup(kind, id) != null) {
            throw new StoreException(Reason.EXISTS, kind + " " + id + " already exists");
        }
        if (kind.uniqueNames()) {
            String name = kind.objectName(object);
            if (name.isEmpty()) {
                throw new StoreException(Reason.INVALID, kind + " " + id + " has no name");
            }
            String holder = nameHolder(kind, name);
            if (holder != null) {
                throw new StoreException(Reason.EXISTS,
                        "a " + kind + " named \"" + name + "\" already exists (" + holder + ")");
            }
        }
        changes.put(key, new Change(StoreAction.Kind.CREATE, object, 0));
    }

    @Override
    public <T extends Message> void update(Kind<T> kind, T object) {
        Objects.requireNonNull(object, "object");
        String id = kind.id(object);
        Key key = new Key(kind, id);
        Change prior = changes.get(key);
        Message current = lookup(kind, id);
        if (current == null) {
            throw new StoreException(Reason.NOT_FOUND, kind + " " + id + " does not exist");
        }
        long read = kind.meta(object).getVersion();
        long now = prior != null ? prior.baseVersion() : kind.meta(kind.cast(current)).getVersion();
        if (read != now) {
            throw new StoreException(Reason.SEQUENCE_CONFLICT, kind + " " + id
                    + " was changed since it was read (read at version " + read + ", now at " + now + ")");
        }
        if (kind.uniqueNames()) {
            String name = kind.objectName(object);
            if (name.isEmpty()) {
                throw new StoreException(Reason.INVALID, kind + " " + id + " has no name");
            }
            String holder = nameHolder(kind, name);
            if (holder != null && !holder.equals(id)) {
                throw new StoreException(Reason.EXISTS,
                        "a " + kind + " named \"" + name + "\" already exists (" + holder + ")");
            }
        }
        if (prior != null && prior.action() == StoreAction.Kind.CREATE) {
            changes.put(key, new Change(StoreAction.Kind.CREATE, object, 0));
        } else {
            changes.put(key, new Change(StoreAction.Kind.UPDATE, object, now));
        }
    }

    @Override
    public <T extends Message> void delete(Kind<T> kind, String id) {
        Key key = new Key(kind, id);
        Change prior = changes.get(key);
        Message current = lookup(kind, id);
        if (current == null) {
            throw new StoreException(Reason.NOT_FOUND, kind + " " + id + " does not exist");
        }
        if (prior != null && prior.action() == StoreAction.Kind.CREATE) {
            changes.remove(key);
            return;
        }
        long base = prior != null ? prior.baseVersion() : kind.meta(kind.cast(current)).getVersion();
        changes.put(key, new Change(StoreAction.Kind.REMOVE, null, base));
    }

    // ------------------------------------------------------------------ the transaction

    /** The buffered changes as one transaction, proposed at {@code nowMillis}. */
    StoreTransaction toTransaction(long nowMillis) {
        StoreTransaction.Builder tx = StoreTransaction.newBuilder().setProposedAt(nowMillis);
        for (Map.Entry<Key, Change> e : changes.entrySet()) {
            Kind<?> kind = e.getKey().kind();
            Change c = e.getValue();
            Message object = switch (c.action()) {
                case CREATE -> c.object();
                case UPDATE -> MemoryStore.withMeta(kind, c.object(),
                        Meta.newBuilder().setVersion(c.baseVersion()).build());
                case REMOVE -> idAndVersion(kind, e.getKey().id(), c.baseVersion());
                default -> throw new IllegalStateException(c.action().toString());
            };
            tx.addActions(StoreAction.newBuilder().setKind(c.action()).setObject(MemoryStore.wrap(kind, object)));
        }
        return tx.build();
    }

    /** The smallest object that names what a REMOVE removes: its ID and the version read. */
    private static Message idAndVersion(Kind<?> kind, String id, long version) {
        Message.Builder b = DEFAULTS.get(kind).newBuilderForType();
        Descriptor d = b.getDescriptorForType();
        return b.setField(d.findFieldByName("id"), id)
                .setField(d.findFieldByName("meta"), Meta.newBuilder().setVersion(version).build())
                .build();
    }

    private static final Map<Kind<?>, Message> DEFAULTS = defaults();

    private static Map<Kind<?>, Message> defaults() {
        Map<Kind<?>, Message> m = new IdentityHashMap<>();
        for (Kind<?> k : Kind.ALL) {
            try {
                m.put(k, (Message) k.type().getMethod("getDefaultInstance").invoke(null));
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
        return m;
    }
}
