package io.swarmlet.api.store;

import com.google.protobuf.Message;

/**
 * One change seen by a {@link Watch}: an object created, updated or removed,
 * or the end of a committed transaction ({@link Action#COMMIT}, object null).
 *
 * @param action what happened
 * @param kind the kind of object (null for COMMIT)
 * @param object the object after the change (before it, for REMOVE)
 * @param old the object before an UPDATE, else null
 * @param index the Raft index of the transaction
 */
public record StoreEvent(Action action, Kind<?> kind, Message object, Message old, long index) {

    public enum Action { CREATE, UPDATE, REMOVE, COMMIT }

    /** The object, typed, if this event is about that kind; else null. */
    public <T extends Message> T objectAs(Kind<T> k) {
        return k == kind ? k.cast(object) : null;
    }
}
