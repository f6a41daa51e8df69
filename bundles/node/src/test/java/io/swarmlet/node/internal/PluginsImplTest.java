package io.swarmlet.node.internal;

import io.swarmlet.api.control.PluginJars;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.InstallPluginRequest;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.Plugin;
import io.swarmlet.api.types.PluginSet;
import io.swarmlet.api.types.PluginSpec;
import io.swarmlet.api.types.PluginStatus;
import io.swarmlet.api.types.RemovePluginRequest;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Plugins installed into a real Felix with SCR: a local plugin runs and is
 * installed again after a restart; cluster plugins come from a (fake)
 * dispatcher, are installed, reported and uninstalled; a bundle that does
 * not resolve and one whose component throws in activate are FAILED with
 * their reason and leave nothing installed.
 */
class PluginsImplTest {

    @TempDir
    Path dir;

    private Framework felix;
    private BundleContext system;
    private ServiceTracker<ServiceComponentRuntime, ServiceComponentRuntime> scr;
    private PluginsImpl plugins;
    private final FakeDispatcher dispatcher = new FakeDispatcher();

    record Local(Path stateDir) implements LocalNode {
        @Override public String nodeId() { return "node0000000000000000000001"; }
        @Override public String clusterId() { return "cluster"; }
        @Override public boolean bootstrapped() { return false; }
        @Override public String hostname() { return "work-01"; }
        @Override public Path controlSocket() { return stateDir.resolve("s.sock"); }
        @Override public String remoteApiAddr() { return "127.0.0.1:4242"; }
        @Override public String advertiseAddr() { return "127.0.0.1:4242"; }
        @Override public String raftAddr() { return "127.0.0.1:4243"; }
        @Override public boolean manager() { return false; }
    }

    private static String jarOnClassPath(String prefix) {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (new File(entry).getName().startsWith(prefix) && entry.endsWith(".jar")) {
                return new File(entry).toURI().toString();
            }
        }
        throw new AssertionError("no " + prefix + "*.jar on the class path");
    }

    @BeforeEach
    void startFelix() throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, dir.resolve("felix-cache").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        // SCR's API from the class path, so that this test and SCR share ServiceComponentRuntime
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, String.join(",",
                "org.osgi.service.component;version=1.5.1", "org.osgi.service.component.runtime;version=1.5.1",
                "org.osgi.service.component.runtime.dto;version=1.5.1", "org.osgi.util.promise;version=1.3.0",
                "org.osgi.util.function;version=1.2.0"));
        felix = new FrameworkFactory().newFramework(config);
        felix.start();
        system = felix.getBundleContext();
        system.installBundle(jarOnClassPath("org.apache.felix.scr-")).start();
        scr = new ServiceTracker<>(system, ServiceComponentRuntime.class, null);
        scr.open();
        assertNotNull(scr.waitForService(10_000), "SCR runs");
    }

    @AfterEach
    void stopFelix() throws Exception {
        if (plugins != null) {
            plugins.deactivate();
        }
        scr.close();
        felix.stop();
        felix.waitForStop(10_000);
    }

    private PluginsImpl start() {
        PluginsImpl p = new PluginsImpl(new Local(dir));
        p.bindDispatcher(dispatcher);
        p.start(new PluginInstaller(system, scr::getService), dir);
        return p;
    }

    // ------------------------------------------------------------ test bundles

    static byte[] bundle(String bsn, Map<String, String> headers, Map<String, byte[]> entries) throws IOException {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", "1.2.3");
        headers.forEach(a::putValue);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream j = new JarOutputStream(out, m)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                j.putNextEntry(new ZipEntry(e.getKey()));
                j.write(e.getValue());
                j.closeEntry();
            }
        }
        return out.toByteArray();
    }

    static byte[] good(String bsn) throws IOException {
        return bundle(bsn, Map.of(), Map.of());
    }

    static byte[] unresolved() throws IOException {
        return bundle("io.example.unresolved", Map.of("Import-Package", "com.example.missing"), Map.of());
    }

    /** A bundle with a DS component whose activate method throws. */
    byte[] throwing() throws IOException {
        Path src = Files.createDirectories(dir.resolve("src/boom"));
        Files.writeString(src.resolve("Boom.java"), "package boom; public class Boom { public Boom() {}"
                + " public void activate() { throw new IllegalStateException(\"boom in activate\"); } }");
        Path classes = Files.createDirectories(dir.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertEquals(0, javac.run(null, null, null, "-d", classes.toString(), src.resolve("Boom.java").toString()));
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"boom\" immediate=\"true\""
                + " activate=\"activate\"><implementation class=\"boom.Boom\"/></scr:component>";
        return bundle("io.example.throwing", Map.of("Service-Component", "OSGI-INF/boom.xml"),
                Map.of("boom/Boom.class", Files.readAllBytes(classes.resolve("boom/Boom.class")),
                        "OSGI-INF/boom.xml", xml.getBytes(StandardCharsets.UTF_8)));
    }

    static InstallPluginRequest local(byte[] jar, String name) {
        InstallPluginRequest.Builder q = InstallPluginRequest.newBuilder().setJar(ByteString.copyFrom(jar))
                .setSha256(PluginJars.sha256(jar));
        if (name != null) {
            q.setName(name);
        }
        return q.build();
    }

    private Bundle bundleNamed(String bsn) {
        for (Bundle b : system.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        return null;
    }

    // ------------------------------------------------------------ local plugins

    @Test
    void aLocalPluginRunsIsReportedAndIsInstalledAgainAfterARestart() throws Exception {
        plugins = start();
        var r = plugins.install(local(good("io.example.good"), null));
        assertEquals("io.example.good", r.getPlugin().getName());
        assertEquals(PluginStatus.State.ACTIVE, r.getPlugin().getState());
        Bundle b = bundleNamed("io.example.good");
        assertEquals(Bundle.ACTIVE, b.getState());
        assertTrue(b.getLocation().startsWith(PluginInstaller.LOCATION_PREFIX + "local:"), b.getLocation());
        assertTrue(Files.isRegularFile(dir.resolve("plugins/local/io.example.good.jar")));
        await("reported", () -> dispatcher.lastReport().stream().anyMatch(s -> s.getName().equals("io.example.good")
                && s.getState() == PluginStatus.State.ACTIVE && !s.getCluster()));
        var listed = plugins.list().getPlugins(0);
        assertEquals("work-01", listed.getNodeHostname());
        assertEquals("1.2.3", listed.getStatus().getVersion());

        ControlException taken = assertThrows(ControlException.class, () -> plugins.install(local(good("io.example.other"),
                "io.example.good")));
        assertEquals(ControlException.Code.ALREADY_EXISTS, taken.code());

        // the daemon restarts: a new framework (its cache cleaned), the plugin comes back from the state dir
        plugins.deactivate();
        plugins = null;
        stopFelix();
        startFelix();
        assertNull(bundleNamed("io.example.good"));
        plugins = start();
        assertEquals(Bundle.ACTIVE, bundleNamed("io.example.good").getState());
        assertEquals(PluginStatus.State.ACTIVE, plugins.statuses().get(0).getState());

        plugins.remove(RemovePluginRequest.newBuilder().setName("io.example.good").build());
        assertNull(bundleNamed("io.example.good"), "uninstalled");
        assertTrue(Files.notExists(dir.resolve("plugins/local/io.example.good.jar")));
        ControlException gone = assertThrows(ControlException.class,
                () -> plugins.remove(RemovePluginRequest.newBuilder().setName("io.example.good").build()));
        assertEquals("No such plugin: io.example.good", gone.getMessage());
    }

    @Test
    void aLocalPluginThatDoesNotResolveOrThrowsInActivateIsRefusedAndNothingStays() throws Exception {
        plugins = start();
        ControlException e = assertThrows(ControlException.class, () -> plugins.install(local(unresolved(), null)));
        assertEquals(ControlException.Code.FAILED_PRECONDITION, e.code());
        assertEquals("plugin io.example.unresolved does not resolve: missing package com.example.missing;"
                + " nothing was installed", e.getMessage());
        assertNull(bundleNamed("io.example.unresolved"));

        ControlException boom = assertThrows(ControlException.class, () -> plugins.install(local(throwing(), "boom")));
        assertTrue(boom.getMessage().contains("component boom failed to activate")
                && boom.getMessage().contains("boom in activate"), boom.getMessage());
        assertNull(bundleNamed("io.example.throwing"));
        assertTrue(plugins.statuses().isEmpty());
        assertTrue(Files.notExists(dir.resolve("plugins/local/boom.jar")));

        ControlException notBundle = assertThrows(ControlException.class,
                () -> plugins.install(local("hello".getBytes(StandardCharsets.UTF_8), "x")));
        assertEquals("the jar is not an OSGi bundle: its manifest has no Bundle-SymbolicName", notBundle.getMessage());
        ControlException digest = assertThrows(ControlException.class, () -> plugins.install(
                local(good("io.example.d"), null).toBuilder().setSha256("00").build()));
        assertTrue(digest.getMessage().contains("damaged on the way"), digest.getMessage());
    }

    // ------------------------------------------------------------ cluster plugins

    @Test
    void clusterPluginsAreInstalledFromTheSetReportedAndUninstalledWhenTheyLeaveIt() throws Exception {
        dispatcher.put(plugin("p1", "maintenance", good("io.example.maintenance")));
        dispatcher.put(plugin("p2", "broken", unresolved()));
        plugins = start();
        await("both handled", () -> {
            List<PluginStatus> r = dispatcher.lastReport();
            return r.size() == 2 && r.stream().noneMatch(s -> s.getState() == PluginStatus.State.PENDING);
        });
        Map<String, PluginStatus> byName = new HashMap<>();
        dispatcher.lastReport().forEach(s -> byName.put(s.getName(), s));
        assertEquals(PluginStatus.State.ACTIVE, byName.get("maintenance").getState());
        assertTrue(byName.get("maintenance").getCluster());
        assertEquals("p1", byName.get("maintenance").getPluginId());
        assertEquals(PluginStatus.State.FAILED, byName.get("broken").getState());
        assertEquals("does not resolve: missing package com.example.missing", byName.get("broken").getError());
        assertEquals(Bundle.ACTIVE, bundleNamed("io.example.maintenance").getState());
        assertNull(bundleNamed("io.example.unresolved"), "a failed plugin is uninstalled");
        assertTrue(Files.isRegularFile(dir.resolve("plugins/cluster/p1.jar")));

        dispatcher.remove("p1");
        await("uninstalled", () -> bundleNamed("io.example.maintenance") == null);
        await("reported", () -> dispatcher.lastReport().stream().noneMatch(s -> s.getName().equals("maintenance")));
        assertTrue(Files.notExists(dir.resolve("plugins/cluster/p1.jar")));
    }

    @Test
    void aJarWhoseDigestDoesNotMatchTheStoreIsNotInstalled() throws Exception {
        Plugin p = plugin("p1", "maintenance", good("io.example.maintenance")).toBuilder().setSha256("abc").build();
        dispatcher.put(p);
        plugins = start();
        await("failed", () -> dispatcher.lastReport().stream().anyMatch(s -> s.getState() == PluginStatus.State.FAILED
                && s.getError().contains("SHA-256")));
        assertNull(bundleNamed("io.example.maintenance"));
    }

    static Plugin plugin(String id, String name, byte[] jar) {
        return Plugin.newBuilder().setId(id)
                .setSpec(PluginSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName(name)))
                .setJar(ByteString.copyFrom(jar)).setSha256(PluginJars.sha256(jar)).setSize(jar.length).build();
    }

    /** The leader's dispatcher as a node sees it: the plugin set (versions count up), jars, reports. */
    static final class FakeDispatcher implements Dispatcher {
        private final Map<String, Plugin> plugins = new ConcurrentHashMap<>();
        private final List<List<PluginStatus>> reports = new CopyOnWriteArrayList<>();
        private long version = 1;

        synchronized void put(Plugin p) {
            plugins.put(p.getId(), p);
            version++;
            notifyAll();
        }

        synchronized void remove(String id) {
            plugins.remove(id);
            version++;
            notifyAll();
        }

        List<PluginStatus> lastReport() {
            return reports.isEmpty() ? List.of() : reports.get(reports.size() - 1);
        }

        @Override
        public synchronized PluginSet plugins(long afterVersion, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (version == afterVersion) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            PluginSet.Builder b = PluginSet.newBuilder().setVersion(version);
            plugins.values().forEach(p -> b.addPlugins(p.toBuilder().clearJar()));
            return b.build();
        }

        @Override
        public Plugin pluginJar(String pluginId) {
            return plugins.get(pluginId);
        }

        @Override
        public void reportPlugins(String nodeId, List<PluginStatus> list) {
            reports.add(List.copyOf(list));
        }

        @Override
        public Session open(String nodeId, NodeDescription description) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void logs(String nodeId, String taskId, int tail, boolean follow,
                java.util.function.Consumer<io.swarmlet.spi.executor.LogSource.LogLine> sink) {
            throw new UnsupportedOperationException();
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
