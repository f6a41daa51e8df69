package io.swarmlet.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.itests.ClusterIT.Member;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cluster-wide plugins on a real cluster: a manager and a worker (a second
 * worker joins later), each its own swarmletd on its own loopback address
 * (127.0.0.11, .12, .13) and its own deploy directory. {@code plugin install
 * --cluster} of the maintenance sample goes through the replicated store and
 * runs on every node, also the node that joins afterwards; a bundle that does
 * not resolve is reported failed per node while every daemon keeps serving;
 * {@code plugin rm} uninstalls it everywhere. Tests run in order on one
 * cluster; waits poll with deadlines.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PluginClusterIT {

    static final Path SAMPLE = Paths.get(System.getProperty("swarmlet.sample.plugin",
            "../plugins-sample/maintenance/target/io.swarmlet.sample.maintenance-0.1.0-SNAPSHOT.jar")).toAbsolutePath().normalize();
    static final String SAMPLE_NAME = "io.swarmlet.sample.maintenance";

    static Path root;
    static final Map<String, Member> nodes = new LinkedHashMap<>();
    static final Map<String, String> figures = new TreeMap<>();

    @RegisterExtension
    static final AnyFailed FAILED = new AnyFailed();

    @BeforeAll
    static void formCluster() throws Exception {
        assertTrue(Files.isExecutable(Dist.HOME.resolve("bin/swarmletd")), "build the distribution first: " + Dist.HOME);
        assertTrue(Files.isRegularFile(SAMPLE), "build plugins-sample first: " + SAMPLE);
        root = Files.createTempDirectory(Path.of("/tmp"), "swl-plugins-");
        nodes.put("m1", new Member(root, "plug-m1", "127.0.0.11").withOwnDeployDir());
        nodes.put("w1", new Member(root, "plug-w1", "127.0.0.12").withOwnDeployDir());
        nodes.put("w2", new Member(root, "plug-w2", "127.0.0.13").withOwnDeployDir());
        Member m1 = nodes.get("m1");
        m1.start();
        m1.awaitReady();
        join(nodes.get("w1"));
        awaitNodeIds(2);
    }

    static void join(Member w) throws Exception {
        Member m1 = nodes.get("m1");
        String workerToken = m1.ok("swarm", "join-token", "-q", "worker").out().trim();
        w.start("--join-addr", m1.remote(), "--join-token", workerToken);
        w.awaitReady();
    }

    static void awaitNodeIds(int n) throws Exception {
        Map<String, String[]> rows = ClusterIT.awaitNodes(nodes.get("m1"), n + " nodes Ready",
                r -> r.size() == n && r.values().stream().allMatch(f -> f[3].equals("Ready")));
        for (Member m : nodes.values()) {
            rows.entrySet().stream().filter(e -> e.getValue()[2].equals(m.name)).findFirst()
                    .ifPresent(e -> m.nodeId = e.getKey());
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        ClusterIT.stopAndClean("PluginClusterIT", root, nodes.values(), FAILED.get(), figures);
    }

    // ------------------------------------------------------------ helpers

    /** One row of {@code plugin ls}: ID NAME VERSION SCOPE NODE STATUS [ERROR]. */
    record Row(String id, String name, String version, String scope, String node, String status, String error) {}

    static List<Row> pluginRows(Member on) throws Exception {
        Dist.Result r = on.ok("plugin", "ls", "--no-trunc");
        List<Row> rows = new ArrayList<>();
        List<String> lines = r.out().lines().toList();
        assertTrue(!lines.isEmpty() && lines.get(0).startsWith("ID "), r.out());
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.trim().split("\\s+", 7);
            rows.add(new Row(f[0], f[1], f[2], f[3], f[4], f[5], f.length > 6 ? f[6] : ""));
        }
        return rows;
    }

    static List<Row> awaitPlugins(Member on, String what, java.util.function.Predicate<List<Row>> done) throws Exception {
        return ClusterIT.await(what + " (plugin ls on " + on.name + ")", 60, () -> pluginRows(on), done);
    }

    static boolean statusOn(List<Row> rows, String name, String node, String status) {
        return rows.stream().anyMatch(r -> r.name().equals(name) && r.node().equals(node) && r.status().equals(status));
    }

    /** Whether the node runs a bundle of that symbolic name (module ls on its own socket). */
    static boolean runsBundle(Member m, String bsn) throws Exception {
        return m.ok("module", "ls").out().lines().anyMatch(l -> l.matches("\\d+\\s+" + java.util.regex.Pattern.quote(bsn)
                + "\\s+\\S+\\s+ACTIVE.*"));
    }

    static boolean hasBundle(Member m, String bsn) throws Exception {
        return m.ok("module", "ls", "-q").out().lines().anyMatch(l -> l.trim().equals(bsn));
    }

    /** A bundle that cannot resolve: it imports a package nobody exports. */
    static Path unresolvedJar() throws IOException {
        return bundleJar("io.swarmlet.itest.unresolved", "com.example.nosuchpackage");
    }

    /** A bundle of nothing but its manifest (importing {@code importPackage} unless null). */
    static Path bundleJar(String bsn, String importPackage) throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", "1.0.0");
        if (importPackage != null) {
            a.putValue("Import-Package", importPackage);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream j = new JarOutputStream(out, mf)) {
            j.flush();
        }
        Path f = root.resolve(bsn + ".jar");
        Files.write(f, out.toByteArray());
        return f;
    }

    // ------------------------------------------------------------ tests

    @Test
    @Order(1)
    void aClusterPluginRunsOnEveryNode() throws Exception {
        Member m1 = nodes.get("m1");
        Member w1 = nodes.get("w1");
        long t0 = System.nanoTime();
        Dist.Result r = m1.ok("plugin", "install", "--cluster", SAMPLE.toString());
        assertEquals(SAMPLE_NAME, r.out().trim());
        assertTrue(r.err().contains("installing on every node; see 'swarmlet plugin ls'"), r.err());
        List<Row> rows = awaitPlugins(m1, "the sample active on both nodes",
                l -> statusOn(l, SAMPLE_NAME, m1.name, "active") && statusOn(l, SAMPLE_NAME, w1.name, "active"));
        figures.put("plugin install --cluster -> active on 2 nodes (ms)",
                String.valueOf((System.nanoTime() - t0) / 1_000_000));
        Row row = rows.stream().filter(x -> x.name().equals(SAMPLE_NAME)).findFirst().orElseThrow();
        assertEquals("cluster", row.scope());
        assertEquals(25, row.id().length(), "--no-trunc: the full ID");
        assertTrue(runsBundle(m1, SAMPLE_NAME), "the manager runs the bundle");
        assertTrue(runsBundle(w1, SAMPLE_NAME), "the worker runs the bundle");

        // a worker lists its own plugins
        List<Row> own = pluginRows(w1);
        assertEquals(1, own.size(), own.toString());
        assertEquals(w1.name, own.get(0).node());

        // the name is taken; a worker cannot install cluster plugins
        Dist.Result again = m1.cli("plugin", "install", "--cluster", SAMPLE.toString());
        assertNotEquals(0, again.exit());
        assertTrue(again.err().contains("plugin " + SAMPLE_NAME + " already exists"), again.err());
        Dist.Result onWorker = w1.cli("plugin", "install", "--cluster", SAMPLE.toString());
        assertNotEquals(0, onWorker.exit());
        assertTrue(onWorker.err().startsWith("Error: This node is not a swarm manager."), onWorker.err());
    }

    @Test
    @Order(2)
    void aNodeThatJoinsLaterInstallsIt() throws Exception {
        Member w2 = nodes.get("w2");
        long t0 = System.nanoTime();
        join(w2);
        awaitNodeIds(3);
        awaitPlugins(nodes.get("m1"), "the sample active on the new node",
                l -> statusOn(l, SAMPLE_NAME, w2.name, "active"));
        figures.put("third node: daemon started -> plugin active (ms)", String.valueOf((System.nanoTime() - t0) / 1_000_000));
        assertTrue(runsBundle(w2, SAMPLE_NAME));
    }

    @Test
    @Order(3)
    void aBundleThatDoesNotResolveIsReportedFailedPerNodeAndTheDaemonsKeepServing() throws Exception {
        Member m1 = nodes.get("m1");
        Path jar = unresolvedJar();
        Dist.Result r = m1.ok("plugin", "install", "--cluster", "--name", "broken", jar.toString());
        assertEquals("broken", r.out().trim());
        List<Row> rows = awaitPlugins(m1, "broken failed on all 3 nodes",
                l -> nodes.values().stream().allMatch(m -> statusOn(l, "broken", m.name, "failed")));
        for (Row row : rows) {
            if (row.name().equals("broken")) {
                assertTrue(row.error().contains("does not resolve: missing package com.example.nosuchpackage"), row.toString());
            }
        }
        for (Member m : nodes.values()) {
            assertTrue(m.process.isAlive(), m.name + " still runs");
            assertTrue(!hasBundle(m, "io.swarmlet.itest.unresolved"), "nothing left installed on " + m.name);
            assertTrue(runsBundle(m, SAMPLE_NAME), "the other plugin still runs on " + m.name);
        }
        m1.ok("node", "ls");
        nodes.get("w2").ok("version");

        // not a bundle at all: refused before anything is stored
        Path plain = root.resolve("plain.jar");
        Files.write(plain, "not a jar".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Dist.Result refused = m1.cli("plugin", "install", "--cluster", plain.toString());
        assertEquals("Error: " + plain + " is not an OSGi bundle: its manifest has no Bundle-SymbolicName", refused.err().trim());
    }

    @Test
    @Order(4)
    void aLocalPluginRunsOnItsNodeOnly() throws Exception {
        Member m1 = nodes.get("m1");
        Member w1 = nodes.get("w1");
        Path localJar = bundleJar("io.swarmlet.itest.local", null);
        assertEquals("only-here", w1.ok("plugin", "install", "--name", "only-here", localJar.toString()).out().trim());
        assertTrue(runsBundle(w1, "io.swarmlet.itest.local"));
        assertTrue(!hasBundle(m1, "io.swarmlet.itest.local"), "on that node only");
        // the sample runs already (a cluster plugin): a second copy of the same bundle is refused, and says why
        Dist.Result dup = w1.cli("plugin", "install", "--name", "dup", SAMPLE.toString());
        assertNotEquals(0, dup.exit());
        assertTrue(dup.err().startsWith("Error: plugin dup cannot be installed: ") && dup.err().contains("nothing was installed"),
                dup.err());
        awaitPlugins(m1, "the local plugin seen from the manager", l -> l.stream().anyMatch(x -> x.name().equals("only-here")
                && x.scope().equals("local") && x.node().equals(w1.name) && x.id().equals("-")));
        w1.ok("plugin", "rm", "only-here");
        assertTrue(!hasBundle(w1, "io.swarmlet.itest.local"), "uninstalled");
        Dist.Result none = w1.cli("plugin", "rm", "only-here");
        assertEquals("Error: No such plugin: only-here", none.err().trim());
    }

    @Test
    @Order(5)
    void removingAClusterPluginUninstallsItEverywhere() throws Exception {
        Member m1 = nodes.get("m1");
        m1.ok("plugin", "rm", SAMPLE_NAME, "broken");
        awaitPlugins(m1, "no plugin left on any node", List::isEmpty);
        for (Member m : nodes.values()) {
            ClusterIT.await(SAMPLE_NAME + " uninstalled on " + m.name, 30, () -> hasBundle(m, SAMPLE_NAME), has -> !has);
        }
        Dist.Result none = m1.cli("plugin", "rm", SAMPLE_NAME);
        assertEquals("Error: No such plugin: " + SAMPLE_NAME, none.err().trim());
    }
}
