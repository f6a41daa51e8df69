package io.swarmlet.dispatcher.internal;

import io.swarmlet.api.metrics.Metrics;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/** A metrics registry that keeps what it was given: counter sums, timer records, live gauges. */
final class FakeMetrics implements Metrics {

    final Map<String, Double> counters = new ConcurrentHashMap<>();
    final Map<String, List<Long>> timers = new ConcurrentHashMap<>();
    final Map<String, Supplier<? extends Number>> gauges = new ConcurrentHashMap<>();

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

    /** A gauge's value now, or null if none is registered. */
    Double gauge(String name, String... tags) {
        Supplier<? extends Number> s = gauges.get(key(name, tags));
        return s == null ? null : s.get().doubleValue();
    }

    @Override
    public String scrape() {
        return "";
    }
}
