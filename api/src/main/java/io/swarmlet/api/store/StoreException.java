package io.swarmlet.api.store;

/** A store transaction that did not happen; nothing of it was applied. */
public class StoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** An object was changed by someone else since it was read. */
        SEQUENCE_CONFLICT,
        /** The ID or name is already taken. */
        EXISTS,
        /** No such object. */
        NOT_FOUND,
        /** The object is not valid (checked before it is logged). */
        INVALID,
        /** No Raft leader reachable: the managers have lost quorum, or this one is not a member. */
        NO_QUORUM,
        /** Anything else: an I/O or Raft failure. */
        INTERNAL
    }

    private final Reason reason;

    public StoreException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public StoreException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() { return reason; }
}
