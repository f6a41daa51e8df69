package io.swarmlet.store.internal;

/**
 * The store cannot start. The message is one line that says what is wrong and
 * what to do; it is what the launcher prints (through {@code DaemonState}).
 */
final class StartupException extends Exception {

    private static final long serialVersionUID = 1L;

    StartupException(String oneLine) {
        super(oneLine);
    }

    StartupException(String oneLine, Throwable cause) {
        super(oneLine, cause);
    }
}
