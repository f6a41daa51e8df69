package io.swarmlet.remote.internal;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.swarmlet.api.grpc.NodeLogsGrpc;
import io.swarmlet.api.remote.TaskLogLine;
import io.swarmlet.api.remote.TaskLogsRequest;
import io.swarmlet.spi.executor.LogSource;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * Reads a task's output from the node that runs it (its NodeLogs service), on
 * the caller's thread: lines are handed to the sink as they come, with gRPC
 * flow control (a slow sink slows the node down instead of filling memory).
 * Interrupting the caller cancels the call.
 */
final class LogsClient {

    /** Lines asked for ahead of the sink. */
    private static final int WINDOW = 64;

    private LogsClient() {}

    private record End(Throwable error) {}

    /** The node did not answer (its channel is worth dialing afresh). */
    static final class UnreachableException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        UnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * As {@link io.swarmlet.api.dispatcher.Dispatcher#logs}.
     *
     * @throws IllegalArgumentException the node does not have that task
     * @throws IllegalStateException the node could not be reached or refused
     */
    static void stream(ManagedChannel channel, String nodeId, String taskId, int tail, boolean follow,
            Consumer<LogSource.LogLine> sink) throws InterruptedException {
        BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        ClientCallStreamObserver<TaskLogsRequest>[] call = new ClientCallStreamObserver[1];
        NodeLogsGrpc.newStub(channel).taskLogs(TaskLogsRequest.newBuilder().setTaskId(taskId).setTail(tail)
                .setFollow(follow).build(), new ClientResponseObserver<TaskLogsRequest, TaskLogLine>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<TaskLogsRequest> requestStream) {
                        call[0] = requestStream;
                        requestStream.disableAutoRequestWithInitial(WINDOW);
                    }

                    @Override
                    public void onNext(TaskLogLine line) {
                        queue.add(line);
                    }

                    @Override
                    public void onError(Throwable t) {
                        queue.add(new End(t));
                    }

                    @Override
                    public void onCompleted() {
                        queue.add(new End(null));
                    }
                });
        boolean done = false;
        try {
            while (true) {
                Object o = queue.take();
                if (o instanceof End end) {
                    done = true;
                    if (end.error() != null) {
                        throw translate(nodeId, taskId, end.error());
                    }
                    return;
                }
                TaskLogLine l = (TaskLogLine) o;
                sink.accept(new LogSource.LogLine(l.getTimestampNanos() / 1_000_000, l.getStderr(),
                        l.getLine().toString(StandardCharsets.UTF_8)));
                call[0].request(1);
            }
        } finally {
            if (!done) { // interrupted, or the sink threw
                call[0].cancel("the reader went away", null);
            }
        }
    }

    static TaskLogLine toProto(LogSource.LogLine line) {
        return TaskLogLine.newBuilder().setTimestampNanos(line.timestamp() * 1_000_000).setStderr(line.stderr())
                .setLine(ByteString.copyFromUtf8(line.line())).build();
    }

    private static RuntimeException translate(String nodeId, String taskId, Throwable t) {
        Status s = Status.fromThrowable(t);
        String why = s.getDescription() != null ? s.getDescription() : s.getCode().toString();
        if (s.getCode() == Status.Code.NOT_FOUND) {
            return new IllegalArgumentException(why);
        }
        if (s.getCode() == Status.Code.UNAVAILABLE) {
            return new UnreachableException("node " + nodeId + " cannot be reached: " + why, t);
        }
        return new IllegalStateException("node " + nodeId + ": " + why,
                t instanceof StatusRuntimeException ? t : new StatusRuntimeException(s));
    }
}
