package io.swarmlet.metrics.internal;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * One metric family whose label sets come and go between scrapes (nodes by status, tasks by service):
 * {@link #update} sets this scrape's rows, registering a meter for each new label set and removing the
 * meters of rows that are gone, so a vanished service's series disappears from the next scrape. A
 * counter family ({@code ..._total}) is a function counter: its values are counters that nodes report.
 */
final class ScrapeTable {

    private final MeterRegistry registry;
    private final String name;
    private final String help;
    private final boolean counter;
    private final List<String> keys;
    private final Map<List<String>, Cell> cells = new HashMap<>();

    ScrapeTable(MeterRegistry registry, String name, String help, String... keys) {
        this.registry = registry;
        this.name = name;
        this.help = help;
        this.counter = name.endsWith("_total");
        this.keys = List.of(keys);
    }

    /** This scrape's rows: label values in the order of the keys, to the value. */
    synchronized void update(Map<List<String>, ? extends Number> rows) {
        for (Iterator<Map.Entry<List<String>, Cell>> it = cells.entrySet().iterator(); it.hasNext();) {
            Map.Entry<List<String>, Cell> e = it.next();
            if (!rows.containsKey(e.getKey())) {
                registry.remove(e.getValue().meter);
                it.remove();
            }
        }
        rows.forEach((labels, value) -> {
            Cell cell = cells.get(labels);
            if (cell == null) {
                cell = new Cell();
                cell.meter = register(labels, cell);
                cells.put(List.copyOf(labels), cell);
            }
            cell.value = value.doubleValue();
        });
    }

    /** Removes every row. */
    synchronized void clear() {
        update(Map.of());
    }

    private Meter register(List<String> labels, Cell cell) {
        if (labels.size() != keys.size()) {
            throw new IllegalArgumentException(name + ": " + labels + " for labels " + keys);
        }
        String[] pairs = new String[keys.size() * 2];
        for (int i = 0; i < keys.size(); i++) {
            pairs[2 * i] = keys.get(i);
            pairs[2 * i + 1] = labels.get(i);
        }
        Tags tags = MicrometerMetrics.tags(pairs);
        return counter
                ? FunctionCounter.builder(name, cell, c -> c.value).description(help).tags(tags).register(registry)
                : Gauge.builder(name, cell, c -> c.value).description(help).tags(tags)
                        .strongReference(true).register(registry);
    }

    private static final class Cell {
        volatile double value;
        Meter meter;
    }
}
