package io.swarmlet.api.store;

import com.google.protobuf.Message;

/**
 * A write transaction: reads see the transaction's own writes; nothing is
 * visible to anyone else until the whole transaction has been committed
 * through Raft and applied. The store sets {@code meta} (version, times).
 */
@org.osgi.annotation.versioning.ProviderType
public interface WriteTx extends ReadTx {

    /** Adds a new object; fails the transaction if the ID or (for named kinds) the name is taken. */
    <T extends Message> void create(Kind<T> kind, T object);

    /**
     * Replaces an object. {@code object.meta.version} must be the version that
     * was read: if someone else changed it meanwhile the transaction fails with
     * {@link StoreException.Reason#SEQUENCE_CONFLICT}.
     */
    <T extends Message> void update(Kind<T> kind, T object);

    /** Removes an object; fails the transaction if there is none with that ID. */
    <T extends Message> void delete(Kind<T> kind, String id);
}
