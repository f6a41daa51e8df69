package io.swarmlet.launcher;

/** Why {@code swarmletd} cannot start; the message is printed as one line after {@code swarmletd: error: }. */
public final class StartupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StartupException(String message) {
        super(message);
    }

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
