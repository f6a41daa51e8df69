package io.swarmlet.controlapi.internal;

import io.swarmlet.api.control.PluginJars;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.node.Plugins;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.*;
import io.swarmlet.store.internal.SingleNodeStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugins through the control API, against a real one-member store: what a
 * cluster plugin must be to be stored (size, digest, bundle, name), how
 * {@code plugin ls} combines every node's reports, how {@code plugin rm}
 * finds a cluster plugin or else this node's, and what a worker answers.
 */
class PluginsApiTest {

    static final String M1 = NodeLifecycleTest.M1;
    static final String W1 = NodeLifecycleTest.W1;
    static final String W2 = NodeLifecycleTest.W2;

    @TempDir
    static Path dir;

    private static SingleNodeStore running;
    private static Store store;
    private ControlApiImpl api;
    private final FakePlugins own = new FakePlugins();

    @BeforeAll
    static void startStore() throws Exception {
        running = SingleNodeStore.start(dir.resolve("store"));
        store = running.store();
    }

    @AfterAll
    static void stopStore() {
        running.close();
    }

    @BeforeEach
    void setUp() {
        api = new ControlApiImpl(store, new NodeLifecycleTest.Local(M1, dir), own);
        store.update(tx -> {
            tx.find(Kind.NODE, n -> true).forEach(n -> tx.delete(Kind.NODE, n.getId()));
            tx.find(Kind.PLUGIN, p -> true).forEach(p -> tx.delete(Kind.PLUGIN, p.getId()));
        });
        store.update(tx -> {
            tx.create(Kind.NODE, NodeLifecycleTest.manager(M1, "manager1", true).build());
            tx.create(Kind.NODE, NodeLifecycleTest.worker(W1, "worker1", NodeStatus.State.READY).build());
            tx.create(Kind.NODE, NodeLifecycleTest.worker(W2, "worker2", NodeStatus.State.DOWN).build());
        });
    }

    static byte[] bundle(String bsn, int padding) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (bsn != null) {
            m.getMainAttributes().putValue("Bundle-SymbolicName", bsn + ";singleton:=true");
            m.getMainAttributes().putValue("Bundle-Version", "0.1.0.SNAPSHOT");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream j = new JarOutputStream(out, m)) {
            if (padding > 0) {
                j.setLevel(0);
                j.putNextEntry(new ZipEntry("padding.bin"));
                byte[] noise = new byte[padding];
                new java.util.Random(1).nextBytes(noise);
                j.write(noise);
                j.closeEntry();
            }
        }
        return out.toByteArray();
    }

    static InstallPluginRequest cluster(byte[] jar, String name) {
        InstallPluginRequest.Builder q = InstallPluginRequest.newBuilder().setCluster(true)
                .setJar(ByteString.copyFrom(jar)).setSha256(PluginJars.sha256(jar));
        if (name != null) {
            q.setName(name);
        }
        return q.build();
    }

    private static void assertRefused(ControlException.Code code, String message, Runnable call) {
        ControlException e = assertThrows(ControlException.class, call::run);
        assertEquals(code, e.code(), e.getMessage());
        assertEquals(message, e.getMessage());
    }

    @Test
    void aClusterPluginOfFourMebibytesIsStoredWithItsDigestAndIdentity() throws Exception {
        byte[] jar = bundle("io.example.maintenance", (int) ControlApi.MAX_PLUGIN_BYTES - 2_000);
        assertTrue(jar.length <= ControlApi.MAX_PLUGIN_BYTES && jar.length > ControlApi.MAX_PLUGIN_BYTES - 4_000);
        InstallPluginResponse r = api.installPlugin(cluster(jar, null));
        PluginStatus s = r.getPlugin();
        assertEquals("io.example.maintenance", s.getName());
        assertEquals(PluginStatus.State.PENDING, s.getState());
        assertTrue(s.getCluster());
        assertEquals("plugin io.example.maintenance stored; installing on every node; see 'swarmlet plugin ls'", r.getMessage());
        Plugin stored = store.view(tx -> tx.get(Kind.PLUGIN, s.getPluginId())).orElseThrow();
        assertEquals(ByteString.copyFrom(jar), stored.getJar(), "through the Raft log in one entry");
        assertEquals(PluginJars.sha256(jar), stored.getSha256());
        assertEquals("io.example.maintenance", stored.getSymbolicName());
        assertEquals("0.1.0.SNAPSHOT", stored.getVersion());
        assertEquals(jar.length, stored.getSize());

        assertRefused(ControlException.Code.ALREADY_EXISTS, "plugin io.example.maintenance already exists: choose another"
                + " --name, or remove it first with swarmlet plugin rm io.example.maintenance",
                () -> api.installPlugin(cluster(jar, null)));
        assertEquals("maint2", api.installPlugin(cluster(jar, "maint2")).getPlugin().getName(), "another name is fine");
    }

    @Test
    void whatIsNoBundleTooBigDamagedOrBadlyNamedIsRefused() throws Exception {
        byte[] noBundle = bundle(null, 0);
        assertRefused(ControlException.Code.INVALID_ARGUMENT,
                "plugin jar is 4.1 MB; the limit is 4 MiB", () -> api.installPlugin(cluster(new byte[4 * 1024 * 1024 + 100_000], null)));
        assertRefused(ControlException.Code.INVALID_ARGUMENT,
                "the jar is not an OSGi bundle: its manifest has no Bundle-SymbolicName",
                () -> api.installPlugin(cluster(noBundle, null)));
        assertRefused(ControlException.Code.INVALID_ARGUMENT,
                "the jar is not an OSGi bundle: its manifest has no Bundle-SymbolicName",
                () -> api.installPlugin(cluster("not a zip".getBytes(StandardCharsets.UTF_8), null)));
        byte[] ok = bundle("io.example.ok", 0);
        ControlException damaged = assertThrows(ControlException.class,
                () -> api.installPlugin(cluster(ok, null).toBuilder().setSha256("0f00").build()));
        assertTrue(damaged.getMessage().endsWith("not 0f00 as sent: it was damaged on the way; try again"), damaged.getMessage());
        ControlException name = assertThrows(ControlException.class, () -> api.installPlugin(cluster(ok, "no/slash")));
        assertTrue(name.getMessage().startsWith("invalid plugin name \"no/slash\""), name.getMessage());
        assertTrue(store.view(tx -> tx.all(Kind.PLUGIN)).isEmpty(), "nothing stored");
    }

    @Test
    void lsShowsEveryNodesReportsThisNodesLiveListAndPendingWhereNothingWasReported() throws Exception {
        String id = api.installPlugin(cluster(bundle("io.example.m", 0), "m")).getPlugin().getPluginId();
        PluginStatus active = PluginStatus.newBuilder().setPluginId(id).setName("m").setCluster(true)
                .setState(PluginStatus.State.ACTIVE).build();
        own.statuses.add(active);
        own.statuses.add(PluginStatus.newBuilder().setName("mine").setState(PluginStatus.State.ACTIVE).build());
        store.update(tx -> tx.update(Kind.NODE, tx.get(Kind.NODE, M1).orElseThrow().toBuilder()
                .addPlugins(PluginStatus.newBuilder().setName("stale")).build()));
        List<PluginEntry> rows = api.listPlugins(ListPluginsRequest.getDefaultInstance()).getPluginsList();
        List<String> seen = rows.stream().map(e -> e.getStatus().getName() + "@" + e.getNodeHostname() + "="
                + e.getStatus().getState()).toList();
        // worker2 is down: no pending row for it; manager1's stored report is replaced by its live list
        assertEquals(List.of("m@manager1=ACTIVE", "m@worker1=PENDING", "mine@manager1=ACTIVE"), seen);

        store.update(tx -> tx.update(Kind.NODE, tx.get(Kind.NODE, W1).orElseThrow().toBuilder()
                .addPlugins(active.toBuilder().setState(PluginStatus.State.FAILED).setError("does not resolve")).build()));
        rows = api.listPlugins(ListPluginsRequest.getDefaultInstance()).getPluginsList();
        assertEquals("does not resolve", rows.get(1).getStatus().getError());
    }

    @Test
    void rmFindsAClusterPluginByNameOrIdPrefixElseThisNodesAndSaysWhenThereIsNone() throws Exception {
        String id = api.installPlugin(cluster(bundle("io.example.a", 0), "a")).getPlugin().getPluginId();
        api.installPlugin(cluster(bundle("io.example.b", 0), "b"));
        assertEquals("plugin a removed; every node uninstalls it",
                api.removePlugin(RemovePluginRequest.newBuilder().setName(id.substring(0, 12)).build()).getMessage());
        assertTrue(store.view(tx -> tx.get(Kind.PLUGIN, id)).isEmpty());
        api.removePlugin(RemovePluginRequest.newBuilder().setName("b").build());
        assertTrue(store.view(tx -> tx.all(Kind.PLUGIN)).isEmpty());

        // not a cluster plugin: this node's
        own.statuses.add(PluginStatus.newBuilder().setName("mine").build());
        api.removePlugin(RemovePluginRequest.newBuilder().setName("mine").build());
        assertEquals(List.of("mine"), own.removed);
        assertRefused(ControlException.Code.NOT_FOUND, "No such plugin: zzz",
                () -> api.removePlugin(RemovePluginRequest.newBuilder().setName("zzz").build()));
    }

    @Test
    void aWorkerRefusesClusterPluginsAndServesItsOwn() throws Exception {
        WorkerControlApi worker = new WorkerControlApi(new NodeLifecycleTest.Local(W1, dir), "1", () -> false, () -> own);
        InstallPluginRequest clustered = cluster(bundle("io.example.a", 0), null);
        assertRefused(ControlException.Code.FAILED_PRECONDITION, WorkerControlApi.NOT_A_MANAGER,
                () -> worker.installPlugin(clustered));
        InstallPluginRequest local = clustered.toBuilder().setCluster(false).build();
        assertEquals("io.example.a", worker.installPlugin(local).getPlugin().getName());
        assertEquals(1, worker.listPlugins(ListPluginsRequest.getDefaultInstance()).getPluginsCount());
        own.statuses.add(PluginStatus.newBuilder().setPluginId("abc123").setName("clustered").setCluster(true).build());
        assertRefused(ControlException.Code.FAILED_PRECONDITION, WorkerControlApi.NOT_A_MANAGER,
                () -> worker.removePlugin(RemovePluginRequest.newBuilder().setName("clustered").build()));
        assertRefused(ControlException.Code.NOT_FOUND, "No such plugin: zzz",
                () -> worker.removePlugin(RemovePluginRequest.newBuilder().setName("zzz").build()));
    }

    /** This node's plugins as the node bundle would answer. */
    static final class FakePlugins implements Plugins {
        final List<PluginStatus> statuses = new ArrayList<>();
        final List<String> removed = new ArrayList<>();

        @Override
        public ListPluginsResponse list() {
            ListPluginsResponse.Builder b = ListPluginsResponse.newBuilder();
            statuses.forEach(s -> b.addPlugins(PluginEntry.newBuilder().setNodeId(M1).setNodeHostname("manager1").setStatus(s)));
            return b.build();
        }

        @Override
        public InstallPluginResponse install(InstallPluginRequest request) {
            PluginStatus s = PluginStatus.newBuilder().setName("io.example.a").setState(PluginStatus.State.ACTIVE).build();
            statuses.add(s);
            return InstallPluginResponse.newBuilder().setPlugin(s).build();
        }

        @Override
        public RemovePluginResponse remove(RemovePluginRequest request) {
            if (!statuses.removeIf(s -> !s.getCluster() && s.getName().equals(request.getName()))) {
                throw ControlException.notFound("No such plugin: " + request.getName());
            }
            removed.add(request.getName());
            return RemovePluginResponse.getDefaultInstance();
        }
    }
}
