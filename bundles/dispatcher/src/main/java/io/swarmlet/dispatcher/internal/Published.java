package io.swarmlet.dispatcher.internal;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * The versioned value a table publishes for long polls (the mesh's routes,
 * the cluster's plugins): {@link #await} returns it as soon as its version
 * differs from the caller's, and {@link #close} ends every wait when the
 * dispatcher stops. Versions are store indexes and only grow
 * ({@link #nextVersion}). Its own monitor: a table publishes under its lock,
 * waiters hold only this one.
 *
 * @param <T> the published message
 */
final class Published<T> {

    private final ToLongFunction<T> version;
    private T value;
    private boolean loaded;
    private boolean closed;

    Published(T initial, ToLongFunction<T> version) {
        this.value = initial;
        this.version = version;
    }

    /** The version of a value published at store index {@code index}: never 0, never back. */
    synchronized long nextVersion(long index) {
        return Math.max(Math.max(1, index), version.applyAsLong(value) + 1);
    }

    /** Makes {@code v} the value and wakes every wait. */
    synchronized void publish(T v) {
        value = v;
        loaded = true;
        notifyAll();
    }

    /** Whether anything was published yet. */
    synchronized boolean loaded() {
        return loaded;
    }

    synchronized T current() {
        return value;
    }

    /**
     * The value as soon as its version differs from {@code after}, or null after {@code timeout}.
     *
     * @throws IllegalStateException once closed (the dispatcher stopped)
     */
    synchronized T await(long after, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            if (closed) {
                throw new IllegalStateException("the dispatcher is not running");
            }
            if (loaded && version.applyAsLong(value) != after) {
                return value;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Ends every wait (the dispatcher stopped). */
    synchronized void close() {
        closed = true;
        notifyAll();
    }
}
