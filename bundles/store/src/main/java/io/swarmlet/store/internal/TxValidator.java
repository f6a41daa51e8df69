package io.swarmlet.store.internal;

import com.google.protobuf.Message;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.StoreException.Reason;
import io.swarmlet.api.types.StoreAction;
import io.swarmlet.api.types.StoreObject;
import io.swarmlet.api.types.StoreTransaction;
import java.util.HashSet;
import java.util.Set;

/**
 * The checks a transaction must pass before it is logged: they need nothing but
 * the transaction itself (the checks against the store's state happen at apply
 * time, see {@link MemoryStore#apply}). Run by the proposer before it sends a
 * transaction and again by {@link StoreStateMachine#startTransaction} on the
 * leader, so that nothing malformed ever reaches the Raft log.
 */
final class TxValidator {

    static final int MAX_ID_LENGTH = 256;

    private TxValidator() {}

    /** Fails with {@link Reason#INVALID} and a message that names the offending action. */
    static void validate(StoreTransaction tx) {
        if (tx.getActionsCount() == 0) {
            throw invalid("empty transaction (no actions)");
        }
        if (tx.getProposedAt() <= 0) {
            throw invalid("transaction has no proposed_at time");
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < tx.getActionsCount(); i++) {
            StoreAction action = tx.getActions(i);
            String where = "action " + (i + 1) + " (" + action.getKind() + ")";
            if (action.getKind() == StoreAction.Kind.UNRECOGNIZED) {
                throw invalid(where + " has an unknown action kind " + action.getKindValue());
            }
            if (!action.hasObject() || action.getObject().getObjectCase() == StoreObject.ObjectCase.OBJECT_NOT_SET) {
                throw invalid(where + " carries no object");
            }
            Kind<?> kind = Kind.of(action.getObject());
            Message object = Kind.unwrap(action.getObject());
            String id = idOf(kind, object);
            checkId(kind, id, where);
            if (!seen.add(kind.name() + '/' + id)) {
                throw invalid(kind + " " + id + " appears more than once in one transaction");
            }
            if (action.getKind() != StoreAction.Kind.REMOVE && kind.uniqueNames() && nameOf(kind, object).isEmpty()) {
                throw invalid(kind + " " + id + " has no name");
            }
            if (action.getKind() != StoreAction.Kind.CREATE && versionOf(kind, object) == 0) {
                throw invalid(where + " on " + kind + " " + id
                        + " carries no meta.version (read the object first and change what was read)");
            }
        }
    }

    static void checkId(Kind<?> kind, String id, String where) {
        if (id.isEmpty()) {
            throw invalid(where + ": " + kind + " with an empty ID");
        }
        if (id.length() > MAX_ID_LENGTH) {
            throw invalid(where + ": " + kind + " ID longer than " + MAX_ID_LENGTH + " characters");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw invalid(where + ": " + kind + " ID \"" + id + "\" contains white space or control characters");
            }
        }
    }

    static StoreException invalid(String message) {
        return new StoreException(Reason.INVALID, message);
    }

    @SuppressWarnings("unchecked")
    static String idOf(Kind<?> kind, Message object) {
        return ((Kind<Message>) kind).id(object);
    }

    @SuppressWarnings("unchecked")
    static String nameOf(Kind<?> kind, Message object) {
        return ((Kind<Message>) kind).objectName(object);
    }

    @SuppressWarnings("unchecked")
    static long versionOf(Kind<?> kind, Message object) {
        return ((Kind<Message>) kind).meta(object).getVersion();
    }
}
