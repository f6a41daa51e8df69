package io.swarmlet.ca.join;

import java.io.IOException;

/**
 * A join or renewal that did not happen. The message is one line that says
 * what went wrong and what to do; it never contains a token or a key.
 */
public class JoinException extends IOException {

    private static final long serialVersionUID = 1L;

    public JoinException(String message) {
        super(message);
    }

    public JoinException(String message, Throwable cause) {
        super(message, cause);
    }
}
