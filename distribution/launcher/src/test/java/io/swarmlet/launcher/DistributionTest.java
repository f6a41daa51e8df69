package io.swarmlet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DistributionTest {

    @TempDir
    Path tmp;

    private Path home(String name, String properties, String... jars) throws IOException {
        Path home = Files.createDirectories(tmp.resolve(name));
        Files.createDirectories(home.resolve("bundle"));
        Files.createDirectories(home.resolve("conf"));
        for (String jar : jars) {
            Files.writeString(home.resolve("bundle").resolve(jar), "");
        }
        if (properties != null) {
            Files.writeString(home.resolve(Distribution.PROPERTIES), properties);
            Files.writeString(home.resolve(Distribution.FEATURES), FeaturesTest.XML);
        }
        return home;
    }

    private static List<String> names(Distribution d) {
        return d.jars().stream().map(j -> j.path().getFileName().toString()).toList();
    }

    @Test
    void withoutAFeatureListEveryJarOfBundleBootsSortedByName() throws IOException {
        Distribution d = Distribution.read(home("old", null, "b.jar", "a.jar", "notes.txt"));
        assertEquals(List.of("a.jar", "b.jar"), names(d));
        assertEquals("swarmlet", d.name());
        assertFalse(d.workerOnly());
        assertTrue(d.features().isEmpty());
    }

    @Test
    void theBootFeaturesSayWhichJarsBootInFeatureOrder() throws IOException {
        Distribution d = Distribution.read(home("full", "name=swarmlet\nfeatures=manager, worker\n",
                "org.apache.felix.scr-2.2.18.jar", "io.swarmlet.api-1.0.jar", "io.swarmlet.store-1.0.jar",
                "io.swarmlet.agent-1.0.jar", "io.swarmlet.extra-1.0-linux.jar", "stray-1.0.jar"));
        assertEquals(List.of("osgi", "core", "manager", "worker"), d.features());
        assertEquals(List.of("org.apache.felix.scr-2.2.18.jar", "io.swarmlet.api-1.0.jar", "io.swarmlet.store-1.0.jar",
                "io.swarmlet.agent-1.0.jar", "io.swarmlet.extra-1.0-linux.jar"), names(d));
        assertFalse(d.jars().get(4).start());
        assertFalse(d.workerOnly());
        assertEquals(List.of("stray-1.0.jar"), d.unused(), "a jar of no boot feature is not installed");
    }

    @Test
    void withoutTheManagerFeatureTheDistributionIsWorkerOnly() throws IOException {
        Distribution d = Distribution.read(home("w", "name=swarmlet-worker\nfeatures=worker\n",
                "org.apache.felix.scr-2.2.18.jar", "io.swarmlet.api-1.0.jar", "io.swarmlet.agent-1.0.jar",
                "io.swarmlet.extra-1.0-linux.jar"));
        assertTrue(d.workerOnly());
        assertEquals("this is the worker-only distribution (swarmlet-worker): it cannot create a swarm; join one with"
                + " --join-addr and --join-token (swarmlet swarm join-token worker)", d.cannotCreateSwarm());
    }

    @Test
    void aFeatureNamingAMissingJarIsAClearStartupError() throws IOException {
        Path home = home("broken", "name=swarmlet-worker\nfeatures=worker\n", "org.apache.felix.scr-2.2.18.jar",
                "io.swarmlet.api-1.0.jar", "io.swarmlet.extra-1.0-linux.jar");
        StartupException e = assertThrows(StartupException.class, () -> Distribution.read(home));
        assertEquals("feature worker of the distribution swarmlet-worker names mvn:io.swarmlet/io.swarmlet.agent/1.0, but "
                + home.resolve("bundle") + " has no io.swarmlet.agent-1.0.jar; the distribution is incomplete: unpack it"
                + " again", e.getMessage());
    }

    @Test
    void anUnknownBootFeatureOrNoneIsAnError() throws IOException {
        assertEquals("no feature web in the features file (it has: osgi, core, manager, worker)",
                assertThrows(StartupException.class, () -> Distribution.read(home("web", "features=worker,web\n",
                        "io.swarmlet.agent-1.0.jar"))).getMessage());
        Path none = home("none", "name=x\n");
        assertEquals(none.resolve(Distribution.PROPERTIES) + " names no boot features (features=feature1,feature2,...)",
                assertThrows(StartupException.class, () -> Distribution.read(none)).getMessage());
    }

    /** The daemon refuses before it touches the state directory. */
    @Test
    void theWorkerOnlyDaemonRefusesToCreateASwarm() throws IOException {
        Path home = home("wd", "name=swarmlet-worker\nfeatures=worker\n", "org.apache.felix.scr-2.2.18.jar",
                "io.swarmlet.api-1.0.jar", "io.swarmlet.agent-1.0.jar", "io.swarmlet.extra-1.0-linux.jar");
        String previous = System.getProperty("swarmlet.home");
        System.setProperty("swarmlet.home", home.toString());
        try {
            Path state = tmp.resolve("state");
            StringWriter err = new StringWriter();
            Settings s = new Settings(state, tmp.resolve("s.sock"), HostPort.parse("127.0.0.1:0"),
                    HostPort.parse("127.0.0.1:0"), null, "h1", "info", null, null);
            assertEquals(1, new Daemon(s, new PrintWriter(err, true), 5, false).run());
            assertEquals("swarmletd: error: this is the worker-only distribution (swarmlet-worker): it cannot create a"
                    + " swarm; join one with --join-addr and --join-token (swarmlet swarm join-token worker)",
                    err.toString().trim());
            assertFalse(Files.exists(state), "nothing is written");

            // a node that is a manager cannot run on it either
            Files.createDirectories(state);
            Files.writeString(state.resolve("node.properties"), "node.id=n1\ncluster.id=c1\nrole=manager\n");
            StringWriter err2 = new StringWriter();
            assertEquals(1, new Daemon(s, new PrintWriter(err2, true), 5, false).run());
            assertTrue(err2.toString().contains("the node in " + state + " is a manager; this is the worker-only"
                    + " distribution (swarmlet-worker) and cannot run it"), err2.toString());
        } finally {
            if (previous == null) {
                System.clearProperty("swarmlet.home");
            } else {
                System.setProperty("swarmlet.home", previous);
            }
        }
    }
}
