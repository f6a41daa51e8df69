package io.swarmlet.executor.docker.internal;

import com.github.dockerjava.api.model.Frame;
import io.swarmlet.spi.executor.ExecutorException;
import io.swarmlet.spi.executor.LogSource.LogLine;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Carries a {@code docker logs} stream (requested with timestamps) to the
 * caller's thread as {@link LogLine}s: docker-java's reader thread splits the
 * demultiplexed stdout and stderr into lines and queues them (blocking when
 * the caller is slow, which slows the stream down); {@link #drain} hands them
 * to the sink on the calling thread until the stream ends or it is
 * interrupted.
 */
final class LogPump extends StreamCallback<Frame> {

    private static final Object END = new Object();

    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(4096);
    private final Lines stdout = new Lines(false);
    private final Lines stderr = new Lines(true);
    private final AtomicBoolean ended = new AtomicBoolean();

    @Override
    public void onNext(Frame frame) {
        switch (frame.getStreamType()) {
            case STDOUT, RAW -> stdout.feed(frame.getPayload());
            case STDERR -> stderr.feed(frame.getPayload());
            default -> { } // stdin is never requested
        }
    }

    @Override
    protected void finished() {
        if (ended.compareAndSet(false, true)) {
            stdout.flush();
            stderr.flush();
            put(END);
        }
    }

    /**
     * Sends every line to {@code sink} until the stream ends.
     *
     * @throws ExecutorException if the stream failed
     * @throws InterruptedException if interrupted (the caller closes the stream)
     */
    void drain(Consumer<LogLine> sink, String what, String host) throws ExecutorException, InterruptedException {
        while (true) {
            Object o = queue.take();
            if (o == END) {
                Throwable error = error();
                if (error != null) {
                    throw new ExecutorException(what + ": " + DockerErrors.reason(error, host), false);
                }
                return;
            }
            sink.accept((LogLine) o);
        }
    }

    private void put(Object o) {
        try {
            while (!isClosed()) {
                if (queue.offer(o, 100, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** "2024-05-01T10:00:00.123456789Z text" to a LogLine; a line without a timestamp gets now. */
    static LogLine parse(String line, boolean stderr) {
        String s = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        int sp = s.indexOf(' ');
        if (sp > 0) {
            try {
                long ts = Instant.parse(s.substring(0, sp)).toEpochMilli();
                return new LogLine(ts, stderr, s.substring(sp + 1));
            } catch (DateTimeParseException e) {
                // not a timestamp: keep the whole line
            }
        }
        return new LogLine(System.currentTimeMillis(), stderr, s);
    }

    /** One stream's bytes, cut at newlines (a frame may hold part of a line or several lines). */
    private final class Lines {

        private final boolean stderr;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        Lines(boolean stderr) {
            this.stderr = stderr;
        }

        void feed(byte[] bytes) {
            int from = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    pending.write(bytes, from, i - from);
                    emit();
                    from = i + 1;
                }
            }
            pending.write(bytes, from, bytes.length - from);
        }

        void flush() {
            if (pending.size() > 0) {
                emit();
            }
        }

        private void emit() {
            String line = pending.toString(StandardCharsets.UTF_8);
            pending.reset();
            put(parse(line, stderr));
        }
    }
}
