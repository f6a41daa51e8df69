package io.swarmlet.api.metrics;

import java.util.function.Supplier;

/**
 * The node's metrics registry. Names are Prometheus-style and carry their unit
 * ({@code swarmlet_raft_commit_seconds}, {@code swarmlet_dispatcher_heartbeat_misses_total});
 * tags are given as name, value pairs ({@code "service", "web"}). Asking twice for the same
 * name and tags gives the same meter, so a bundle that is updated keeps counting where
 * its previous instance stopped. Implementations are thread-safe and never block.
 */
@org.osgi.annotation.versioning.ProviderType
public interface Metrics {

    /** A monotonic counter. */
    Counter counter(String name, String help, String... tags);

    /** A distribution of durations (count, sum, max in the text format). */
    Timer timer(String name, String help, String... tags);

    /**
     * A value read at each scrape. Close the registration when the supplier's owner goes
     * (a component deactivating), so that no meter keeps a stopped bundle's objects.
     */
    Registration gauge(String name, String help, Supplier<? extends Number> value, String... tags);

    /** Every meter in Prometheus' text exposition format (version 0.0.4). */
    String scrape();

    /** Content type of {@link #scrape()}. */
    String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    interface Counter {
        void increment(double amount);

        default void increment() {
            increment(1);
        }
    }

    interface Timer {
        void record(long nanos);
    }

    interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
