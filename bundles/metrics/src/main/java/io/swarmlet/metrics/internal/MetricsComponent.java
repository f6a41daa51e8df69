package io.swarmlet.metrics.internal;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.swarmlet.api.metrics.Metrics;
import io.swarmlet.api.store.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The node's {@link Metrics}: Micrometer's Prometheus registry with the JVM's meters (memory, GC,
 * threads, processor, uptime), and on a manager (where the store is) the cluster's state
 * ({@link ClusterMetrics}) computed at each scrape. Immediate, so the meters live as long as the
 * bundle does and not only while some component holds the service.
 */
@Component(service = Metrics.class, immediate = true)
public class MetricsComponent implements Metrics {

    private static final Logger LOG = LogManager.getLogger(MetricsComponent.class);

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Store store;

    private final MicrometerMetrics metrics = new MicrometerMetrics();
    private final ClusterMetrics cluster = new ClusterMetrics(metrics.registry());
    private final List<AutoCloseable> binders = new ArrayList<>();

    public MetricsComponent() {
    }

    /** For tests outside OSGi. */
    MetricsComponent(Store store) {
        this.store = store;
    }

    @Activate
    void activate() {
        bind(JvmMemoryMetrics::new);
        bind(JvmGcMetrics::new);
        bind(JvmThreadMetrics::new);
        bind(ProcessorMetrics::new);
        bind(UptimeMetrics::new);
    }

    /** Binds one of Micrometer's JVM binders; one the JVM cannot serve is left out, with a warning. */
    private void bind(Supplier<? extends MeterBinder> binder) {
        try {
            MeterBinder b = binder.get();
            b.bindTo(metrics.registry());
            if (b instanceof AutoCloseable c) {
                binders.add(c);
            }
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("JVM metrics: {} left out: {}", binder, e.toString());
        }
    }

    @Deactivate
    void deactivate() {
        for (AutoCloseable c : binders) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing {}: {}", c, e.toString());
            }
        }
        binders.clear();
        metrics.close();
    }

    @Override
    public Counter counter(String name, String help, String... tags) {
        return metrics.counter(name, help, tags);
    }

    @Override
    public Timer timer(String name, String help, String... tags) {
        return metrics.timer(name, help, tags);
    }

    @Override
    public Registration gauge(String name, String help, Supplier<? extends Number> value, String... tags) {
        return metrics.gauge(name, help, value, tags);
    }

    /** Reads the cluster's state from the store (when this node has one), then writes every meter. */
    @Override
    public String scrape() {
        synchronized (cluster) {
            Store s = store;
            try {
                if (s != null) {
                    s.view(tx -> {
                        cluster.refresh(tx);
                        return null;
                    });
                } else {
                    cluster.clear();
                }
            } catch (RuntimeException e) {
                // the store going away mid-read: the cluster's series are left out of this scrape
                LOG.debug("cluster metrics: {}", e.toString());
                cluster.clear();
            }
            return metrics.scrape();
        }
    }
}
