package io.swarmlet.spi.executor;

/** An executor failure; {@link #fatal()} ones reject the task instead of retrying. */
public class ExecutorException extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean fatal;

    public ExecutorException(String message, boolean fatal) {
        super(message);
        this.fatal = fatal;
    }

    public ExecutorException(String message, boolean fatal, Throwable cause) {
        super(message, cause);
        this.fatal = fatal;
    }

    /** True when retrying cannot help (an image that is not there, an invalid spec). */
    public boolean fatal() { return fatal; }
}
