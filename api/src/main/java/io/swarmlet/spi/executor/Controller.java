package io.swarmlet.spi.executor;

/**
 * Drives one task's runtime object, a container for instance
 * (SwarmKit's agent/exec.Controller). Every method is idempotent: the agent
 * calls them again after a restart. The agent decides the order and reports
 * the task's state; the controller only does and tells.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface Controller extends AutoCloseable {

    /** Makes everything ready to start (image present, container created). */
    void prepare() throws ExecutorException;

    /** Starts it. */
    void start() throws ExecutorException;

    /** Waits until it exits or is healthy-and-running is no longer true; returns the exit status. */
    ExitStatus waitExit() throws ExecutorException, InterruptedException;

    /** Stops it gracefully (SIGTERM, then the grace period, then SIGKILL). */
    void shutdown() throws ExecutorException;

    /** Kills it at once. */
    void terminate() throws ExecutorException;

    /** Removes every trace of it. */
    void remove() throws ExecutorException;

    @Override
    default void close() {}

    /**
     * How a task's process ended.
     *
     * @param exitCode the process exit code
     * @param message a short reason ("unhealthy", "killed"...), or ""
     */
    record ExitStatus(int exitCode, String message) {}
}
