package io.swarmlet.api.metrics;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A {@link Metrics} that keeps what it is given in memory (counter sums, timer records,
 * live gauges) and scrapes to nothing: for tests of the bundles that record, and for tools
 * that read numbers without the metrics bundle. Thread-safe.
 *
 * @since 1.0
 */
public final class MemoryMetrics implements Metrics {

    private final Map<String, Double> counters = new ConcurrentHashMap<>();
    private final Map<String, List<Long>> timers = new ConcurrentHashMap<>();
    private final Map<String, Supplier<? extends Number>> gauges = new ConcurrentHashMap<>();

    private static String key(String name, String... tags) {
        return tags.length == 0 ? name : name + List.of(tags);
    }

    @Override
    public Counter counter(String name, String help, String... tags) {
        String k = key(name, tags);
        counters.putIfAbsent(k, 0.0);
        return amount -> counters.merge(k, amount, Double::sum);
    }

    @Override
    public Timer timer(String name, String help, String... tags) {
        List<Long> records = timers.computeIfAbsent(key(name, tags), k -> new CopyOnWriteArrayList<>());
        return records::add;
    }

    @Override
    public Registration gauge(String name, String help, Supplier<? extends Number> value, String... tags) {
        String k = key(name, tags);
        gauges.put(k, value);
        return () -> gauges.remove(k, value);
    }

    /** A counter's sum, or null if it was never asked for. */
    public Double counterValue(String name, String... tags) {
        return counters.get(key(name, tags));
    }

    /** A timer's records in nanoseconds (empty if none). */
    public List<Long> timerRecords(String name, String... tags) {
        return List.copyOf(timers.getOrDefault(key(name, tags), List.of()));
    }

    /** A gauge's value now, or null if none is registered. */
    public Double gaugeValue(String name, String... tags) {
        Supplier<? extends Number> s = gauges.get(key(name, tags));
        return s == null ? null : s.get().doubleValue();
    }

    /** Whether a gauge is registered under that name and tags. */
    public boolean hasGauge(String name, String... tags) {
        return gauges.containsKey(key(name, tags));
    }

    @Override
    public String scrape() {
        return "";
    }
}
