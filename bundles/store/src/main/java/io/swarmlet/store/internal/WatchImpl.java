package io.swarmlet.store.internal;

import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.Watch;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One watcher: what its snapshot reader returned, and a bounded queue of the
 * events committed after it. {@link MemoryStore} fills the queue while it holds
 * its write lock, so events arrive in log order; it never blocks on a slow
 * watcher: one whose queue is full is closed instead (it must watch again).
 */
final class WatchImpl<R> implements Watch<R> {

    /** Put in the queue to wake pollers when the watch closes; never handed out. */
    private static final StoreEvent CLOSED = new StoreEvent(StoreEvent.Action.COMMIT, null, null, null, -1);

    private final LinkedBlockingQueue<StoreEvent> queue;
    private final Consumer<WatchImpl<?>> onClose;
    private volatile R initial;
    private final AtomicBoolean closed = new AtomicBoolean();

    WatchImpl(int capacity, Consumer<WatchImpl<?>> onClose) {
        // one extra slot so that the CLOSED marker always fits
        this.queue = new LinkedBlockingQueue<>(capacity + 1);
        this.onClose = onClose;
    }

    void setInitial(R initial) {
        this.initial = initial;
    }

    @Override
    public R initial() {
        return initial;
    }

    /**
     * Queues the events of one committed transaction. Returns false (and queues
     * nothing more) when the queue is full: the caller closes the watch then.
     */
    boolean offer(List<StoreEvent> events) {
        if (closed.get()) {
            return true;
        }
        for (StoreEvent e : events) {
            if (queue.remainingCapacity() <= 1 || !queue.offer(e)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public StoreEvent poll(Duration timeout) throws InterruptedException {
        if (closed.get()) {
            return null;
        }
        StoreEvent e = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (e == CLOSED) {
            queue.offer(CLOSED); // for any other poller
            return null;
        }
        return closed.get() ? null : e;
    }

    @Override
    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (markClosed()) {
            onClose.accept(this);
        }
    }

    /** Closes without telling the store (the store itself closes it). */
    boolean markClosed() {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        queue.clear();
        queue.offer(CLOSED);
        return true;
    }

    int pending() {
        return queue.size();
    }
}
