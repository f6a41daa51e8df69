package io.swarmlet.store.internal;

import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.StoreException.Reason;
import java.nio.charset.StandardCharsets;

/**
 * What applying one transaction came to: OK, or the reason it was refused. It
 * travels back to the proposer as the Raft reply message, as UTF-8 text:
 * {@code OK}, or the {@link Reason} name, a space and the message.
 *
 * @param reason null when the transaction was applied
 * @param message why it was refused ("" when applied)
 */
record ApplyResult(Reason reason, String message) {

    static final ApplyResult OK = new ApplyResult(null, "");
    private static final String OK_TEXT = "OK";

    static ApplyResult refused(Reason reason, String message) {
        return new ApplyResult(reason, message);
    }

    boolean ok() {
        return reason == null;
    }

    StoreException toException() {
        return new StoreException(reason, message);
    }

    byte[] encode() {
        String text = ok() ? OK_TEXT : reason.name() + ' ' + message;
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static ApplyResult decode(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.equals(OK_TEXT)) {
            return OK;
        }
        int space = text.indexOf(' ');
        String name = space < 0 ? text : text.substring(0, space);
        String message = space < 0 ? "" : text.substring(space + 1);
        try {
            return refused(Reason.valueOf(name), message);
        } catch (IllegalArgumentException e) {
            return refused(Reason.INTERNAL, "unexpected reply from the store's state machine: " + text);
        }
    }
}
