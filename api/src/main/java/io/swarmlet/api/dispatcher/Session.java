package io.swarmlet.api.dispatcher;

import io.swarmlet.api.types.TaskStatus;
import java.time.Duration;
import java.util.Map;

/**
 * One agent's session with the dispatcher.
 */
@org.osgi.annotation.versioning.ProviderType
public interface Session extends AutoCloseable {

    String nodeId();

    /**
     * The complete set of tasks assigned to this node (desired state and spec
     * as the managers want them), as soon as it differs from the set the agent
     * saw at {@code afterVersion} (0 = none yet), or null after {@code timeout}.
     */
    Assignments assignments(long afterVersion, Duration timeout) throws InterruptedException;

    /** Reports observed task states; the dispatcher only lets them move forward. */
    void updateTaskStatus(Map<String, TaskStatus> statusByTaskId);

    /** Keeps the node READY; agents call it at the cluster's heartbeat period. */
    void heartbeat();

    /**
     * The period agents should call {@link #heartbeat()} at: the cluster's
     * {@code dispatcher.heartbeat_period_ms} (read it again before each beat,
     * it follows cluster updates). A session that misses several periods
     * marks its node DOWN.
     *
     * @since 1.1
     */
    default Duration heartbeatPeriod() {
        return Duration.ofSeconds(5);
    }

    /** Where the managers read this node's task output from (the agent's executor). */
    void setLogProvider(LogProvider provider);

    @Override
    void close();
}
