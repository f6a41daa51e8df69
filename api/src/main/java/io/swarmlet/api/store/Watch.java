package io.swarmlet.api.store;

import java.time.Duration;

/**
 * A consistent snapshot plus every change committed after it, in order
 * (SwarmKit's ViewAndWatch). Close it when done; a watcher that falls too far
 * behind is closed by the store and sees {@link #isClosed()}.
 *
 * @param <R> what was read from the snapshot
 */
@org.osgi.annotation.versioning.ProviderType
public interface Watch<R> extends AutoCloseable {

    /** What the snapshot reader returned. */
    R initial();

    /** The next event, waiting at most {@code timeout}; null on time-out or when closed. */
    StoreEvent poll(Duration timeout) throws InterruptedException;

    boolean isClosed();

    @Override
    void close();
}
