package io.swarmlet.spi.executor;

import java.util.function.Consumer;

/**
 * A controller that can read its task's output (SwarmKit's ControllerLogs).
 */
@org.osgi.annotation.versioning.ConsumerType
public interface LogSource {

    /**
     * One line of output.
     *
     * @param timestamp unix millis
     * @param stderr whether it came from stderr
     * @param line the text, without the newline
     */
    record LogLine(long timestamp, boolean stderr, String line) {}

    /**
     * Sends the task's output to {@code sink}: the last {@code tail} lines
     * (negative = all), then, if {@code follow}, new lines until the task ends
     * or the thread is interrupted.
     */
    void logs(int tail, boolean follow, Consumer<LogLine> sink) throws ExecutorException, InterruptedException;
}
