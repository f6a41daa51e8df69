package io.swarmlet.spi.executor;

import java.util.Optional;

/**
 * Drives one task's runtime object, a container for instance
 * (SwarmKit's agent/exec.Controller). Every method is idempotent: the agent
 * calls them again after a restart, and a controller for a task whose
 * container already exists adopts it rather than making a second one. The
 * agent decides the order and reports the task's state; the controller only
 * does and tells.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface Controller extends AutoCloseable {

    /** Makes everything ready to start (image present, container created). */
    void prepare() throws ExecutorException;

    /** Starts it (no-op if it is already running). */
    void start() throws ExecutorException;

    /**
     * Waits until the task's process has started successfully: running, and
     * healthy if it has a health check. Returns at once without a health check.
     *
     * @throws ExecutorException if it exited or became unhealthy first
     */
    void waitReady() throws ExecutorException, InterruptedException;

    /**
     * Waits until it exits, or becomes unhealthy (then stops it), and says how it ended.
     */
    ExitStatus waitExit() throws ExecutorException, InterruptedException;

    /** What is there now, if anything (used to adopt after a restart). */
    Optional<RuntimeStatus> inspect() throws ExecutorException;

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

    /**
     * The runtime object as it is.
     *
     * @param containerId the runtime's ID for it
     * @param running whether its process runs
     * @param exitCode the exit code once it has stopped
     * @param pid its main process, 0 if not running
     * @param health "", "starting", "healthy" or "unhealthy"
     */
    record RuntimeStatus(String containerId, boolean running, int exitCode, int pid, String health) {}
}
