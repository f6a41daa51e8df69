package io.swarmlet.api.testing;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import org.apache.felix.framework.FrameworkFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;

/**
 * A bare Felix with SCR, as the launcher starts one, for the bundle ITs: the system
 * bundle exports what the launcher exports (the Log4j API, slf4j, protobuf) and the api
 * bundle's packages at the versions its jar on the class path declares, so no test lists
 * package versions by hand. Bundles come from the class path by file-name prefix or from
 * a path (the bundle under test, set by failsafe). Shipped in the api module's test-jar.
 */
public final class BareFelix implements AutoCloseable {

    /** The SCR runtime and what it needs, installed and started first. */
    static final List<String> SCR = List.of("org.osgi.util.function-", "org.osgi.util.promise-",
            "org.osgi.service.component-1", "org.apache.felix.scr-");

    private static final String LAUNCHER_PACKAGES = String.join(",",
            "org.slf4j;version=2.0.17", "org.slf4j.spi;version=2.0.17", "org.slf4j.helpers;version=2.0.17",
            "org.slf4j.event;version=2.0.17",
            "org.apache.logging.log4j;version=2.26.1", "org.apache.logging.log4j.message;version=2.26.1",
            "org.apache.logging.log4j.spi;version=2.26.1", "org.apache.logging.log4j.util;version=2.26.1",
            "com.google.protobuf;version=4.36.2");

    private final Framework framework;

    private BareFelix(Framework framework) {
        this.framework = framework;
    }

    /**
     * Starts a framework whose cache is {@code storage}, with {@code properties} added to its
     * configuration (framework properties the bundles read, boot delegation...), and SCR.
     */
    public static BareFelix start(Path storage, Map<String, String> properties) throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA,
                LAUNCHER_PACKAGES + "," + exports(jarOnClassPath("io.swarmlet.api-")));
        config.putAll(properties);
        Framework f = new FrameworkFactory().newFramework(config);
        f.start();
        BareFelix felix = new BareFelix(f);
        try {
            felix.startAll(SCR.stream().map(BareFelix::jarOnClassPath).toArray(String[]::new));
        } catch (Exception | Error e) {
            felix.close();
            throw e;
        }
        return felix;
    }

    public BundleContext system() {
        return framework.getBundleContext();
    }

    /** Installs the given jars (paths), then starts them all; returns them in that order. */
    public List<Bundle> startAll(String... jars) throws Exception {
        List<Bundle> bundles = new ArrayList<>();
        for (String jar : jars) {
            bundles.add(system().installBundle(new File(jar).toURI().toString()));
        }
        for (Bundle b : bundles) {
            b.start();
        }
        return bundles;
    }

    /** Installs and starts one jar. */
    public Bundle start(String jar) throws Exception {
        return startAll(jar).get(0);
    }

    /** The jar on the test class path whose file name starts with {@code prefix} (test-jars are not bundles). */
    public static String jarOnClassPath(String prefix) {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (new File(entry).getName().startsWith(prefix) && entry.endsWith(".jar") && !entry.endsWith("-tests.jar")) {
                return entry;
            }
        }
        throw new AssertionError("no " + prefix + "*.jar on the class path");
    }

    /** A jar's Export-Package header (null when it exports nothing). */
    public static String exports(String jar) throws Exception {
        try (JarFile j = new JarFile(jar)) {
            return j.getManifest().getMainAttributes().getValue(Constants.EXPORT_PACKAGE);
        }
    }

    @Override
    public void close() throws Exception {
        framework.stop();
        framework.waitForStop(30_000);
    }
}
