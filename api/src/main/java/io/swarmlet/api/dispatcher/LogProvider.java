package io.swarmlet.api.dispatcher;

import io.swarmlet.spi.executor.LogSource;
import java.util.function.Consumer;

/** An agent's way to read the output of the tasks it runs. Implemented by agents. */
@org.osgi.annotation.versioning.ConsumerType
public interface LogProvider {

    /** As {@link Dispatcher#logs}; throws IllegalArgumentException for a task this node does not have. */
    void logs(String taskId, int tail, boolean follow, Consumer<LogSource.LogLine> sink) throws InterruptedException;
}
