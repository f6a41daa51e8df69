package io.swarmlet.dispatcher.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Plugin;
import io.swarmlet.api.types.PluginSet;
import io.swarmlet.api.types.PluginSpec;
import io.swarmlet.api.types.PluginStatus;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cluster plugins through the dispatcher (set long poll, jars, nodes' reports), against a real one-member store. */
class PluginsDispatchTest {

    static final String A = DispatcherImplTest.A;
    static final String B = DispatcherImplTest.B;
    static final Duration LONG = DispatcherImplTest.LONG;

    @TempDir
    Path dir;

    private SingleNodeStore running;
    private Store store;
    private DispatcherImpl dispatcher;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeEach
    void setUp() throws Exception {
        running = SingleNodeStore.start(dir, "manager0000000000000000001");
        store = running.store();
        store.update(tx -> {
            tx.create(Kind.CLUSTER, DispatcherImplTest.cluster(0));
            tx.create(Kind.NODE, Node.newBuilder().setId(A).build());
            tx.create(Kind.NODE, Node.newBuilder().setId(B).build());
        });
        dispatcher = new DispatcherImpl(store);
        dispatcher.start();
    }

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
        dispatcher.stop();
        running.close();
    }

    static Plugin plugin(String id, String name, byte[] jar) {
        return Plugin.newBuilder().setId(id)
                .setSpec(PluginSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName(name)))
                .setJar(ByteString.copyFrom(jar)).setSha256("digest-of-" + name).setSize(jar.length)
                .setSymbolicName("io.example." + name).setVersion("1.0.0").build();
    }

    @Test
    void theSetIsLongPolledWithoutJarsAndEachJarIsFetchedOnItsOwn() throws Exception {
        PluginSet empty = dispatcher.plugins(0, LONG);
        assertNotNull(empty, "the first poll answers at once");
        assertTrue(empty.getVersion() > 0);
        assertEquals(0, empty.getPluginsCount());
        assertNull(dispatcher.plugins(empty.getVersion(), Duration.ofMillis(100)), "nothing new");

        Future<PluginSet> waiting = pool.submit(() -> dispatcher.plugins(empty.getVersion(), LONG));
        byte[] jar = new byte[3 * 1024 * 1024];
        jar[0] = 42;
        store.update(tx -> tx.create(Kind.PLUGIN, plugin("p1", "maintenance", jar)));
        PluginSet one = waiting.get(30, TimeUnit.SECONDS);
        assertTrue(one.getVersion() > empty.getVersion());
        assertEquals(1, one.getPluginsCount());
        Plugin listed = one.getPlugins(0);
        assertEquals("maintenance", listed.getSpec().getAnnotations().getName());
        assertTrue(listed.getJar().isEmpty(), "no jar in the set");
        assertEquals(jar.length, listed.getSize());
        assertEquals("digest-of-maintenance", listed.getSha256());

        Plugin full = dispatcher.pluginJar("p1");
        assertEquals(ByteString.copyFrom(jar), full.getJar());
        assertNull(dispatcher.pluginJar("gone"));

        // other kinds of change do not wake the pollers
        store.update(tx -> tx.update(Kind.NODE, tx.get(Kind.NODE, A).orElseThrow().toBuilder()
                .setSpec(io.swarmlet.api.types.NodeSpec.newBuilder()
                        .setAnnotations(Annotations.newBuilder().putLabels("zone", "a"))).build()));
        assertNull(dispatcher.plugins(one.getVersion(), Duration.ofMillis(200)));

        Future<PluginSet> removal = pool.submit(() -> dispatcher.plugins(one.getVersion(), LONG));
        store.update(tx -> tx.delete(Kind.PLUGIN, "p1"));
        PluginSet none = removal.get(30, TimeUnit.SECONDS);
        assertEquals(0, none.getPluginsCount());
        assertTrue(none.getVersion() > one.getVersion());
    }

    @Test
    void aNewLeadersFirstSetHasANewVersionAndStoppingEndsEveryWait() throws Exception {
        store.update(tx -> tx.create(Kind.PLUGIN, plugin("p1", "a", new byte[] {1})));
        PluginSet before = awaitSet(s -> s.getPluginsCount() == 1);
        Future<PluginSet> waiting = pool.submit(() -> dispatcher.plugins(before.getVersion(), LONG));
        dispatcher.stop();
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IllegalStateException, "ask the next leader: " + e.getCause());
        assertThrows(IllegalStateException.class, () -> dispatcher.pluginJar("p1"));
        assertThrows(IllegalStateException.class, () -> dispatcher.reportPlugins(A, List.of()));

        store.update(tx -> tx.update(Kind.NODE, tx.get(Kind.NODE, B).orElseThrow())); // the store moves on
        dispatcher = new DispatcherImpl(store);
        dispatcher.start();
        PluginSet after = dispatcher.plugins(before.getVersion(), Duration.ofSeconds(5));
        assertNotNull(after, "the next leader's set has another version: nodes look and report again");
        assertEquals(before.getPluginsList(), after.getPluginsList());
    }

    @Test
    void reportsOfSeveralNodesLandInOneTransactionAndUnchangedListsAreNotWrittenAgain() throws Exception {
        PluginStatus onA = PluginStatus.newBuilder().setPluginId("p1").setName("maintenance").setCluster(true)
                .setState(PluginStatus.State.ACTIVE).setSymbolicName("io.example.maintenance").setVersion("1.0.0").build();
        PluginStatus onB = onA.toBuilder().setState(PluginStatus.State.FAILED)
                .setError("missing requirement osgi.wiring.package=com.example.missing").build();
        List<Long> nodeCommits = new ArrayList<>();
        try (Watch<Void> watch = store.watch(tx -> null)) {
            dispatcher.reportPlugins(A, List.of(onA));
            dispatcher.reportPlugins(B, List.of(onB));
            dispatcher.reportPlugins("node-unknown", List.of(onA)); // dropped
            await("both lists written", () -> node(A).getPluginsList().equals(List.of(onA))
                    && node(B).getPluginsList().equals(List.of(onB)));
            // the same lists again: nothing is written
            dispatcher.reportPlugins(A, List.of(onA));
            dispatcher.reportPlugins(B, List.of(onB));
            // a marker write, after which no more node writes may come from the reports above
            dispatcher.reportPlugins(A, List.of());
            await("the empty list written", () -> node(A).getPluginsCount() == 0);
            long txWithNodes = 0;
            boolean inTx = false;
            StoreEvent e;
            while ((e = watch.poll(Duration.ofMillis(200))) != null) {
                if (e.action() == StoreEvent.Action.COMMIT) {
                    if (inTx) {
                        txWithNodes++;
                        nodeCommits.add(e.index());
                    }
                    inTx = false;
                } else if (e.kind() == Kind.NODE) {
                    inTx = true;
                }
            }
            assertEquals(2, txWithNodes, "one write for both nodes' first lists, one for A's empty list: " + nodeCommits);
        }
    }

    private PluginSet awaitSet(java.util.function.Predicate<PluginSet> want) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long version = 0;
        while (System.nanoTime() < deadline) {
            PluginSet s = dispatcher.plugins(version, Duration.ofSeconds(1));
            if (s != null) {
                if (want.test(s)) {
                    return s;
                }
                version = s.getVersion();
            }
        }
        throw new AssertionError("no such plugin set within 20 s");
    }

    private Node node(String id) {
        return store.view(tx -> tx.get(Kind.NODE, id)).orElseThrow();
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
