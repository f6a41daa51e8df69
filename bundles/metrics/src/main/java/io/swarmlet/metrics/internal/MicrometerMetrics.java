package io.swarmlet.metrics.internal;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.swarmlet.api.metrics.Metrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@link Metrics} over Micrometer's {@link PrometheusMeterRegistry}.
 *
 * <p>Names are given as they appear in the text format, and come out unchanged: Micrometer's
 * Prometheus naming convention adds {@code _seconds} to a timer only when the name does not end with
 * it already, adds a unit only when a base unit is given (none is), and the Prometheus client strips
 * {@code _total} from a counter's name and writes it back. So {@code swarmlet_raft_commit_seconds}
 * gives {@code swarmlet_raft_commit_seconds_count}, {@code _sum} and {@code _max}, and
 * {@code swarmlet_dispatcher_heartbeat_misses_total} stays itself. A gauge whose name ends with
 * {@code _total} is a value read at scrape time that only grows (a node's reported counter): it is
 * registered as a function counter, since the client would strip {@code _total} from a gauge.
 *
 * <p>Gauges: a second registration of the same name and tags takes over the meter (its supplier is
 * read from then on), so a component that is re-activated before its previous instance closed its
 * registration is still read; closing the older registration then leaves the meter alone. Gauges are
 * held strongly (Micrometer's default is a weak reference, which would lose a lambda; the slots of
 * function counters are held in this class's map).
 */
final class MicrometerMetrics implements Metrics {

    private final PrometheusMeterRegistry registry;
    private final Map<Meter.Id, Slot> gauges = new HashMap<>();

    MicrometerMetrics() {
        this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    MicrometerMetrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public Counter counter(String name, String help, String... tags) {
        io.micrometer.core.instrument.Counter c = io.micrometer.core.instrument.Counter.builder(name)
                .description(help).tags(tags(tags)).register(registry);
        return c::increment;
    }

    @Override
    public Timer timer(String name, String help, String... tags) {
        io.micrometer.core.instrument.Timer t = io.micrometer.core.instrument.Timer.builder(name)
                .description(help).tags(tags(tags)).register(registry);
        return nanos -> t.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public Registration gauge(String name, String help, Supplier<? extends Number> value, String... tags) {
        Tags t = tags(tags);
        Slot slot;
        synchronized (gauges) {
            Meter.Id key = new Meter.Id(name, t, null, null, Meter.Type.GAUGE);
            slot = gauges.get(key);
            if (slot == null) {
                slot = new Slot(key, value);
                slot.meter = name.endsWith("_total")
                        ? FunctionCounter.builder(name, slot, Slot::read).description(help).tags(t).register(registry)
                        : Gauge.builder(name, slot, Slot::read).description(help).tags(t)
                                .strongReference(true).register(registry);
                gauges.put(key, slot);
            } else {
                slot.supplier = value;
            }
        }
        Slot mine = slot;
        return () -> {
            synchronized (gauges) {
                if (mine.supplier == value && gauges.get(mine.key) == mine) {
                    gauges.remove(mine.key);
                    registry.remove(mine.meter);
                }
            }
        };
    }

    @Override
    public String scrape() {
        return registry.scrape();
    }

    void close() {
        synchronized (gauges) {
            gauges.clear();
        }
        registry.close();
    }

    /** Name, value pairs as Micrometer tags (a null value is empty). */
    static Tags tags(String... pairs) {
        if (pairs == null || pairs.length == 0) {
            return Tags.empty();
        }
        if (pairs.length % 2 != 0) {
            throw new IllegalArgumentException("tags are name, value pairs; got an odd number: " + List.of(pairs));
        }
        List<Tag> list = new ArrayList<>(pairs.length / 2);
        for (int i = 0; i < pairs.length; i += 2) {
            list.add(Tag.of(pairs[i], pairs[i + 1] == null ? "" : pairs[i + 1]));
        }
        return Tags.of(list);
    }

    /** A gauge's current supplier; a failing or null supplier reads as NaN, never failing the scrape. */
    private static final class Slot {
        final Meter.Id key;
        volatile Supplier<? extends Number> supplier;
        Meter meter;

        Slot(Meter.Id key, Supplier<? extends Number> supplier) {
            this.key = key;
            this.supplier = supplier;
        }

        double read() {
            try {
                Number n = supplier.get();
                return n == null ? Double.NaN : n.doubleValue();
            } catch (RuntimeException e) {
                return Double.NaN;
            }
        }
    }
}
