package io.swarmlet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.InstallPluginRequest;
import io.swarmlet.api.types.InstallPluginResponse;
import io.swarmlet.api.types.ListPluginsResponse;
import io.swarmlet.api.types.PluginEntry;
import io.swarmlet.api.types.PluginStatus;
import io.swarmlet.api.types.RemovePluginRequest;
import io.swarmlet.api.types.RemovePluginResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code swarmlet plugin install|ls|rm}: what is sent, checked and printed. */
class PluginCommandsTest {

    @TempDir
    Path dir;

    private final List<Object> calls = new ArrayList<>();
    private ListPluginsResponse listed = ListPluginsResponse.getDefaultInstance();

    /** Only the plugin calls; every other call fails the test. */
    private ControlApi api() {
        return (ControlApi) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ControlApi.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "installPlugin" -> {
                            InstallPluginRequest q = (InstallPluginRequest) args[0];
                            calls.add(q);
                            String name = q.getName().isEmpty() ? "io.example.maintenance" : q.getName();
                            return InstallPluginResponse.newBuilder().setPlugin(PluginStatus.newBuilder().setName(name)).build();
                        }
                        case "listPlugins" -> {
                            return listed;
                        }
                        case "removePlugin" -> {
                            RemovePluginRequest q = (RemovePluginRequest) args[0];
                            calls.add(q);
                            if (q.getName().equals("nope")) {
                                throw ControlException.notFound("No such plugin: nope");
                            }
                            return RemovePluginResponse.getDefaultInstance();
                        }
                        default -> throw new AssertionError("unexpected call " + method.getName());
                    }
                });
    }

    private record Result(int code, String out, String err) {}

    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ControlApi api = api();
        int code = Main.run(new Main(() -> api), new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    private Path bundle(String bsn, int padding) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (bsn != null) {
            m.getMainAttributes().putValue("Bundle-SymbolicName", bsn);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream j = new JarOutputStream(bytes, m)) {
            if (padding > 0) {
                j.setLevel(0);
                j.putNextEntry(new java.util.zip.ZipEntry("padding.bin"));
                j.write(new byte[padding]);
                j.closeEntry();
            }
        }
        Path f = dir.resolve((bsn == null ? "plain" : bsn) + ".jar");
        Files.write(f, bytes.toByteArray());
        return f;
    }

    @Test
    void installSendsTheJarWithItsDigestAndPrintsTheName() throws Exception {
        Path jar = bundle("io.example.maintenance", 0);
        Result r = run("plugin", "install", "--cluster", jar.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("io.example.maintenance\n", r.out());
        assertTrue(r.err().contains("installing on every node; see 'swarmlet plugin ls'"), r.err());
        InstallPluginRequest q = (InstallPluginRequest) calls.get(0);
        assertTrue(q.getCluster());
        assertEquals(PluginCommands.sha256(Files.readAllBytes(jar)), q.getSha256());
        assertEquals(Files.size(jar), q.getJar().size());

        Result local = run("plugin", "install", "--name", "maint", jar.toString());
        assertEquals("maint\n", local.out());
        assertEquals("", local.err());
        assertTrue(!((InstallPluginRequest) calls.get(1)).getCluster());
    }

    @Test
    void aFileThatIsNoBundleOrTooBigIsRefusedBeforeAnythingIsSent() throws Exception {
        Path plain = bundle(null, 0);
        Result r = run("plugin", "install", "--cluster", plain.toString());
        assertEquals(1, r.code());
        assertEquals("Error: " + plain + " is not an OSGi bundle: its manifest has no Bundle-SymbolicName\n", r.err());

        Path big = bundle("io.example.big", (int) ControlApi.MAX_PLUGIN_BYTES + 100_000);
        r = run("plugin", "install", "--cluster", big.toString());
        assertEquals(1, r.code());
        assertEquals("Error: plugin jar is 4.1 MB; the limit is 4 MiB\n", r.err());

        r = run("plugin", "install", dir.resolve("missing.jar").toString());
        assertTrue(r.err().contains("no such file"), r.err());
        assertTrue(calls.isEmpty(), "nothing sent");
    }

    @Test
    void lsPrintsOneRowPerPluginPerNode() {
        PluginStatus maint = PluginStatus.newBuilder().setPluginId("k2h4n5m6p7q8r9s0t1u2v3w4x").setName("maintenance")
                .setVersion("0.1.0.SNAPSHOT").setCluster(true).setState(PluginStatus.State.ACTIVE).build();
        PluginStatus broken = PluginStatus.newBuilder().setPluginId("b1c2d3e4f5g6h7i8j9k0l1m2n").setName("broken")
                .setVersion("1.0.0").setCluster(true).setState(PluginStatus.State.FAILED)
                .setError("does not resolve: missing package com.example.missing (osgi.wiring.package) and more text").build();
        PluginStatus mine = PluginStatus.newBuilder().setName("lb-extra").setVersion("2.0.0")
                .setState(PluginStatus.State.ACTIVE).build();
        listed = ListPluginsResponse.newBuilder()
                .addPlugins(PluginEntry.newBuilder().setNodeId("n1").setNodeHostname("mgmt-01").setStatus(broken))
                .addPlugins(PluginEntry.newBuilder().setNodeId("n1").setNodeHostname("mgmt-01").setStatus(mine))
                .addPlugins(PluginEntry.newBuilder().setNodeId("n1").setNodeHostname("mgmt-01").setStatus(maint))
                .addPlugins(PluginEntry.newBuilder().setNodeId("n2").setNodeHostname("work-01")
                        .setStatus(maint.toBuilder().setState(PluginStatus.State.PENDING)))
                .build();
        Result r = run("plugin", "ls");
        assertEquals(0, r.code(), r.err());
        assertEquals(""
                + "ID             NAME          VERSION          SCOPE     NODE      STATUS    ERROR\n"
                + "b1c2d3e4f5g6   broken        1.0.0            cluster   mgmt-01   failed    \"does not resolve: missing package com.example.missing (osgi…\"\n"
                + "-              lb-extra      2.0.0            local     mgmt-01   active\n"
                + "k2h4n5m6p7q8   maintenance   0.1.0.SNAPSHOT   cluster   mgmt-01   active\n"
                + "k2h4n5m6p7q8   maintenance   0.1.0.SNAPSHOT   cluster   work-01   pending\n", r.out());

        Result q = run("plugin", "ls", "-q");
        assertEquals("b1c2d3e4f5g6\nlb-extra\nk2h4n5m6p7q8\n", q.out());
    }

    @Test
    void rmRemovesEachAndSaysWhichAreUnknown() {
        Result r = run("plugin", "rm", "maintenance", "nope", "lb-extra");
        assertEquals(1, r.code());
        assertEquals("maintenance\nlb-extra\n", r.out());
        assertEquals("Error: No such plugin: nope\n", r.err());
        assertEquals(3, calls.size());
    }
}
