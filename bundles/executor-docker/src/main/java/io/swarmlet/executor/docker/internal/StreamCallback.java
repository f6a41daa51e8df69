package io.swarmlet.executor.docker.internal;

import com.github.dockerjava.api.async.ResultCallback;
import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The end of a docker-java stream (pull, events, wait, logs): remembers the
 * first error and lets a caller wait for the end with a timeout. Unlike
 * docker-java's own ResultCallback.Adapter it logs nothing: the caller turns
 * an error into an ExecutorException.
 */
abstract class StreamCallback<T> implements ResultCallback<T> {

    private final CountDownLatch done = new CountDownLatch(1);
    private volatile Closeable stream;
    private volatile Throwable error;
    private volatile boolean closed;

    @Override
    public void onStart(Closeable s) {
        this.stream = s;
        if (closed) {
            closeQuietly(s);
        }
    }

    @Override
    public void onError(Throwable t) {
        if (error == null && !closed) {
            error = t;
        }
        finished();
        done.countDown();
        closeQuietly(stream);
    }

    @Override
    public void onComplete() {
        finished();
        done.countDown();
        closeQuietly(stream);
    }

    /** Called once the stream has ended, normally or not, before waiters are released. */
    protected void finished() {}

    /** Waits up to {@code timeoutMs} for the end; true if it ended. */
    boolean await(long timeoutMs) throws InterruptedException {
        return done.await(timeoutMs, TimeUnit.MILLISECONDS);
    }

    boolean isDone() {
        return done.getCount() == 0;
    }

    /** The first error, or null; errors after {@link #close()} are not kept. */
    Throwable error() {
        return error;
    }

    boolean isClosed() {
        return closed;
    }

    /** Ends the stream (the request is aborted); idempotent. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(stream);
        done.countDown();
    }

    private static void closeQuietly(Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                // already broken: nothing to release
            }
        }
    }
}
