package io.swarmlet.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.metrics.Metrics;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import java.io.File;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.jar.JarFile;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.launch.Framework;
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

    private static String jarOnClassPath(String prefix) {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (new File(entry).getName().startsWith(prefix) && entry.endsWith(".jar")) {
                return entry;
            }
        }
        throw new AssertionError("no " + prefix + "*.jar on the class path");
    }

    private static String exports(String jar) throws Exception {
        try (JarFile j = new JarFile(jar)) {
            return j.getManifest().getMainAttributes().getValue("Export-Package");
        }
    }

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
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, tmp.resolve("felix-cache").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        // as the launcher's conf/framework.properties
        config.put(Constants.FRAMEWORK_BOOTDELEGATION, "sun.*,com.sun.*");
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, String.join(",",
                "org.apache.logging.log4j;version=2.26.1", "org.apache.logging.log4j.message;version=2.26.1",
                "org.apache.logging.log4j.spi;version=2.26.1", "org.apache.logging.log4j.util;version=2.26.1",
                "com.google.protobuf;version=4.36.2", exports(jarOnClassPath("io.swarmlet.api-"))));
        Framework framework = new FrameworkFactory().newFramework(config);
        framework.start();
        try {
            BundleContext system = framework.getBundleContext();
            List<Bundle> bundles = new ArrayList<>();
            for (String prefix : List.of("org.osgi.util.function-", "org.osgi.util.promise-",
                    "org.osgi.service.component-1", "org.apache.felix.scr-")) {
                bundles.add(system.installBundle(new File(jarOnClassPath(prefix)).toURI().toString()));
            }
            Bundle bundle = system.installBundle(Path.of(jar).toUri().toString());
            bundles.add(bundle);
            for (Bundle b : bundles) {
                b.start();
            }
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
        } finally {
            framework.stop();
            framework.waitForStop(10_000);
        }
    }
}
