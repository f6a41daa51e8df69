package io.swarmlet.api.dispatcher;

import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.spi.executor.LogSource;
import java.util.function.Consumer;

/**
 * The manager side of the agent protocol. Implemented by the dispatcher
 * bundle (leader only; it writes node and task status to the store in
 * batches); called by agents.
 */
@org.osgi.annotation.versioning.ProviderType
public interface Dispatcher {

    /**
     * Opens a session for a node: marks it READY with that description (and
     * DOWN again when the session closes or misses heartbeats).
     */
    Session open(String nodeId, NodeDescription description);

    /**
     * Streams a task's output from the node that runs it: the last
     * {@code tail} lines (negative = all), then, if {@code follow}, new lines
     * until the task ends or the calling thread is interrupted.
     *
     * @throws IllegalStateException if that node has no open session
     */
    void logs(String nodeId, String taskId, int tail, boolean follow, Consumer<LogSource.LogLine> sink)
            throws InterruptedException;
}
