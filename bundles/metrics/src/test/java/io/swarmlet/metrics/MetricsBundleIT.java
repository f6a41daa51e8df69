package io.swarmlet.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.metrics.Metrics;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.jar.JarFile;
import io.swarmlet.api.testing.BareFelix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The built bundle in a bare Felix with SCR: it resolves with nothing but the framework, SCR, Log4j and
 * the api (exported by the system bundle here; Micrometer and the Prometheus client are private, nothing
 * is exported), registers {@link Metrics} without a store (a worker: JVM meters only), and serves the
 * cluster's series once a {@link Store} is there.
 */
class MetricsBundleIT {

    @TempDir
    Path tmp;

    /** A store with nothing in it. */
    private static Store emptyStore() {
        ReadTx tx = (ReadTx) Proxy.newProxyInstance(MetricsBundleIT.class.getClassLoader(), new Class<?>[] {ReadTx.class},
                (p, m, a) -> switch (m.getName()) {
                    case "find", "all" -> List.of();
                    case "index" -> 1L;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        return (Store) Proxy.newProxyInstance(MetricsBundleIT.class.getClassLoader(), new Class<?>[] {Store.class},
                (p, m, a) -> {
                    if (m.getName().equals("view")) {
                        @SuppressWarnings("unchecked")
                        Function<ReadTx, Object> reader = (Function<ReadTx, Object>) a[0];
                        return reader.apply(tx);
                    }
                    if (m.getDeclaringClass() == Object.class) {
                        return m.getName().equals("hashCode") ? System.identityHashCode(p)
                                : m.getName().equals("equals") ? p == a[0] : "empty Store";
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    @Test
    void registersMetricsWithMicrometerInside() throws Exception {
        String jar = System.getProperty("metrics.bundle");
        assertNotNull(jar, "metrics.bundle (set by failsafe)");
        try (JarFile j = new JarFile(jar)) {
            assertNull(j.getManifest().getMainAttributes().getValue(Constants.EXPORT_PACKAGE), "exports nothing");
        }
        // boot delegation as the launcher's conf/framework.properties
        try (BareFelix felix = BareFelix.start(tmp.resolve("felix-cache"), Map.of(Constants.FRAMEWORK_BOOTDELEGATION, "sun.*,com.sun.*"))) {
            BundleContext system = felix.system();
            Bundle bundle = felix.start(jar);
            assertEquals(Bundle.ACTIVE, bundle.getState());

            ServiceTracker<Metrics, Metrics> tracker = new ServiceTracker<>(system, Metrics.class, null);
            tracker.open();
            Metrics metrics = tracker.waitForService(TimeUnit.SECONDS.toMillis(20));
            assertNotNull(metrics, "Metrics registered");
            metrics.counter("swarmlet_test_events_total", "Test events", "kind", "a").increment(3);
            String text = metrics.scrape();
            assertTrue(text.contains("# TYPE swarmlet_test_events_total counter\n"), text);
            assertTrue(text.contains("swarmlet_test_events_total{kind=\"a\"} 3.0\n"), text);
            assertTrue(text.contains("# TYPE jvm_memory_used_bytes gauge\n"), "JVM meters");
            assertTrue(text.contains("# TYPE jvm_gc_"), "GC meters (com.sun.management through boot delegation)");
            assertTrue(!text.contains("swarmlet_nodes"), "no store, no cluster series");

            ServiceRegistration<Store> reg = system.registerService(Store.class, emptyStore(), null);
            text = metrics.scrape();
            assertTrue(text.contains("swarmlet_nodes{availability=\"active\",role=\"manager\",status=\"ready\"} 0.0\n"), text);
            reg.unregister();
            assertTrue(!metrics.scrape().contains("swarmlet_nodes"), "gone with the store");
            assertTrue(metrics.scrape().contains("swarmlet_test_events_total{kind=\"a\"} 3.0\n"),
                    "the store's going does not restart the component");
            tracker.close();
        }
    }
}
