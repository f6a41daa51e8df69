package io.swarmlet.controlapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.*;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control API's watch against a real one-member store: the changes made through the
 * control API come out as events with names and what changed (a service's replicas and
 * image, a node's availability), only of the kinds asked for, never with a secret's value;
 * the call ends when its thread is interrupted.
 */
class WatchApiTest {

    static final String VALUE = "leak-canary-watch-s3cr3t-0042";
    static final String M1 = RealControlApi.id("nodem1");

    @TempDir
    Path dir;

    private SingleNodeStore running;
    private Store store;
    private ControlApi api;
    private Thread watcher;
    private final BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
    private final AtomicReference<Throwable> ended = new AtomicReference<>();
    private int probes;

    @BeforeEach
    void start() throws Exception {
        running = SingleNodeStore.start(dir.resolve("store"));
        store = running.store();
        api = RealControlApi.withSecrets(store, new RealControlApi.Local(M1, dir, SingleNodeStore.CLUSTER_ID));
        store.update(tx -> {
            Cluster.Builder c = Cluster.newBuilder().setId(SingleNodeStore.CLUSTER_ID);
            c.getSpecBuilder().getAnnotationsBuilder().setName("default");
            tx.create(Kind.CLUSTER, c.build());
            tx.create(Kind.NODE, RealControlApi.node(M1, "m1", NodeRole.MANAGER, true));
        });
    }

    @AfterEach
    void stop() throws Exception {
        if (watcher != null) {
            watcher.interrupt();
            watcher.join(10_000);
        }
        RealControlApi.stop(api);
        running.close();
    }

    /** Starts a watch of {@code kinds} (none, or configs among them) in a thread; returns once it sees changes (a probe config shows up). */
    private void watch(String... kinds) throws Exception {
        watch(WatchRequest.newBuilder().addAllKinds(java.util.List.of(kinds)).build());
    }

    /** Starts a watch that lets "probe-" configs through. */
    private void watch(WatchRequest req) throws Exception {
        watcher = new Thread(() -> {
            try {
                api.watch(req, events::add);
                ended.set(new AssertionError("returned"));
            } catch (Throwable t) {
                ended.set(t);
            }
        }, "watcher");
        watcher.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            String name = "probe-" + ++probes;
            api.createConfig(CreateConfigRequest.newBuilder().setSpec(ConfigSpec.newBuilder()
                    .setAnnotations(Annotations.newBuilder().setName(name)).setData(ByteString.copyFromUtf8("p"))).build());
            WatchEvent e = events.poll(500, TimeUnit.MILLISECONDS);
            while (e != null && !(e.getKind().equals("config") && e.getName().equals(name))) {
                e = events.poll(500, TimeUnit.MILLISECONDS);
            }
            if (e != null) {
                events.clear();
                return;
            }
        }
        throw new AssertionError("the watch never saw a change");
    }

    /** The next event of {@code kind} (others skipped), within 10 s. */
    private WatchEvent next(String kind, String action) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            WatchEvent e = events.poll(200, TimeUnit.MILLISECONDS);
            if (e != null && e.getKind().equals(kind) && e.getAction().equals(action)) {
                return e;
            }
        }
        throw new AssertionError("no " + kind + " " + action + " event");
    }

    private static ServiceSpec web(long replicas, String image) {
        ServiceSpec.Builder s = ServiceSpec.newBuilder();
        s.getAnnotationsBuilder().setName("web");
        s.getTaskBuilder().getContainerBuilder().setImage(image);
        s.getReplicatedBuilder().setReplicas(replicas);
        return s.build();
    }

    @Test
    void changesComeOutAsEventsWithNamesAndWhatChanged() throws Exception {
        watch();
        Service created = api.createService(CreateServiceRequest.newBuilder().setSpec(web(1, "busybox:1")).build()).getService();
        WatchEvent create = next("service", "create");
        assertEquals(created.getId(), create.getId());
        assertEquals("web", create.getName());
        assertTrue(create.getTimestamp() > 0 && create.getIndex() > 0, create.toString());

        api.updateService(UpdateServiceRequest.newBuilder().setId(created.getId()).setVersion(created.getMeta().getVersion())
                .setSpec(web(3, "busybox:2")).build());
        WatchEvent update = next("service", "update");
        assertEquals(Map.of("replicas.old", "1", "replicas.new", "3", "image.old", "busybox:1", "image.new", "busybox:2"),
                update.getAttributesMap().entrySet().stream().filter(x -> !x.getKey().startsWith("updatestate"))
                        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));

        Node n = api.getNode(GetNodeRequest.newBuilder().setId(M1).build()).getNode();
        api.updateNode(UpdateNodeRequest.newBuilder().setId(M1).setVersion(n.getMeta().getVersion())
                .setSpec(n.getSpec().toBuilder().setAvailability(NodeSpec.Availability.DRAIN)).build());
        WatchEvent drained = next("node", "update");
        assertEquals("m1", drained.getName());
        assertEquals("active", drained.getAttributesMap().get("availability.old"));
        assertEquals("drain", drained.getAttributesMap().get("availability.new"));

        api.createSecret(CreateSecretRequest.newBuilder().setSpec(SecretSpec.newBuilder()
                .setAnnotations(Annotations.newBuilder().setName("db_pass"))
                .setData(ByteString.copyFrom(VALUE, StandardCharsets.UTF_8))).build());
        WatchEvent secret = next("secret", "create");
        assertEquals("db_pass", secret.getName());
        assertFalse(secret.toString().contains(VALUE), "no value in an event");

        api.removeService(RemoveServiceRequest.newBuilder().setId(created.getId()).build());
        WatchEvent removed = next("service", "remove");
        assertEquals("web", removed.getName());
        assertEquals(created.getId(), removed.getId());

        watcher.interrupt();
        watcher.join(10_000);
        assertFalse(watcher.isAlive(), "an interrupt ends the watch");
        assertTrue(ended.get() instanceof InterruptedException, String.valueOf(ended.get()));
    }

    @Test
    void onlyTheAskedKindsAndBadKindsAreRefused() throws Exception {
        watch("service", "config");
        api.createSecret(CreateSecretRequest.newBuilder().setSpec(SecretSpec.newBuilder()
                .setAnnotations(Annotations.newBuilder().setName("other")).setData(ByteString.copyFromUtf8("x"))).build());
        api.createService(CreateServiceRequest.newBuilder().setSpec(web(1, "busybox:1")).build());
        WatchEvent first = events.poll(10, TimeUnit.SECONDS);
        while (first != null && first.getKind().equals("config")) {
            first = events.poll(10, TimeUnit.SECONDS);
        }
        assertNotNull(first, "the service's event");
        assertEquals("service", first.getKind(), "not the secret: " + first);

        ControlException bad = assertThrows(ControlException.class,
                () -> api.watch(WatchRequest.newBuilder().addKinds("containers").build(), e -> { }));
        assertEquals(ControlException.Code.INVALID_ARGUMENT, bad.code());
        assertEquals("cannot watch 'containers': the kinds are cluster, config, network, node, secret, service, task",
                bad.getMessage());
    }

    @Test
    void actionAndObjectFiltersMatchAsDockerds() {
        WatchEvent web = WatchEvent.newBuilder().setKind("service").setAction("update").setId("abc123").setName("web").build();
        WatchEvent task = WatchEvent.newBuilder().setKind("task").setAction("update").setId("t9").build();
        record Row(WatchRequest.Builder request, boolean web, boolean task) {}
        for (Row row : java.util.List.of(
                new Row(WatchRequest.newBuilder(), true, true),
                new Row(WatchRequest.newBuilder().addActions("update"), true, true),
                new Row(WatchRequest.newBuilder().addActions("create").addActions("remove"), false, false),
                new Row(WatchRequest.newBuilder().addActions("Update "), true, true),
                new Row(refs("service", "web"), true, false),
                new Row(refs("service", "abc"), true, false),
                new Row(refs("service", "we"), true, false),
                new Row(refs("service", "db", "w"), true, false),
                new Row(refs("service", "db"), false, false),
                new Row(refs("task", "t9"), false, true),
                new Row(refs("node", "n1"), false, false),
                new Row(refs("node", "abc"), true, false), // as dockerd: a filter applies whatever the event's kind
                new Row(refs("service", "web").addActions("update"), true, false),
                new Row(refs("service", "web").addActions("create"), false, false),
                new Row(refs("service", "web").putRefs("node", WatchRefs.newBuilder().addValues("n1").build()), false, false))) {
            WatchRequest r = row.request().build();
            assertEquals(row.web(), ObjectEvents.filter(r).test(web), r.toString());
            assertEquals(row.task(), ObjectEvents.filter(r).test(task), r.toString());
        }
        for (String[] bad : new String[][] {
            {"action", "start", "cannot watch the action 'start': the actions are create, update and remove"},
            {"refs", "container", "cannot filter events by 'container': the object filters are cluster, config, network, node, secret, service, task"},
            {"refs", "service", "the 'service' filter needs an ID or a name"}}) {
            WatchRequest r = bad[0].equals("action") ? WatchRequest.newBuilder().addActions(bad[1]).build()
                    : WatchRequest.newBuilder().putRefs(bad[1], bad[1].equals("service")
                            ? WatchRefs.newBuilder().addValues("").build() : WatchRefs.newBuilder().addValues("x").build()).build();
            ControlException e = assertThrows(ControlException.class, () -> api.watch(r, x -> { }));
            assertEquals(ControlException.Code.INVALID_ARGUMENT, e.code());
            assertEquals(bad[2], e.getMessage());
        }
    }

    private static WatchRequest.Builder refs(String kind, String... values) {
        return WatchRequest.newBuilder().putRefs(kind, WatchRefs.newBuilder().addAllValues(java.util.List.of(values)).build());
    }

    @Test
    void aFilteredWatchSendsOnlyWhatMatches() throws Exception {
        watch(WatchRequest.newBuilder().addActions("create").addActions("remove")
                .putRefs("service", WatchRefs.newBuilder().addValues("we").addValues("probe-").build()).build());
        api.createService(CreateServiceRequest.newBuilder().setSpec(web(1, "busybox:1").toBuilder()
                .setAnnotations(Annotations.newBuilder().setName("db"))).build());
        Service created = api.createService(CreateServiceRequest.newBuilder().setSpec(web(1, "busybox:1")).build()).getService();
        api.updateService(UpdateServiceRequest.newBuilder().setId(created.getId()).setVersion(created.getMeta().getVersion())
                .setSpec(web(3, "busybox:1")).build());
        api.removeService(RemoveServiceRequest.newBuilder().setId(created.getId()).build());
        api.createConfig(CreateConfigRequest.newBuilder().setSpec(ConfigSpec.newBuilder()
                .setAnnotations(Annotations.newBuilder().setName("probe-end")).setData(ByteString.copyFromUtf8("p"))).build());
        java.util.List<String> got = new java.util.ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!got.contains("config create probe-end") && System.nanoTime() < deadline) {
            WatchEvent e = events.poll(200, TimeUnit.MILLISECONDS);
            if (e != null) {
                got.add(e.getKind() + " " + e.getAction() + " " + e.getName());
            }
        }
        assertEquals(java.util.List.of("service create web", "service remove web", "config create probe-end"), got);
    }

    @Test
    void aNodesMeshCountersMakeNoEventItsStateDoes() throws Exception {
        watch("node", "config");
        store.update(tx -> tx.update(Kind.NODE, tx.get(Kind.NODE, M1).orElseThrow().toBuilder().setMesh(MeshStatus.newBuilder()
                .setTimestamp(1).addPorts(MeshPortStats.newBuilder().setPublishedPort(8080).setConnectionsTotal(5))).build()));
        store.update(tx -> tx.update(Kind.NODE, tx.get(Kind.NODE, M1).orElseThrow().toBuilder()
                .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.DOWN)).build()));
        WatchEvent down = next("node", "update");
        assertEquals(Map.of("state.old", "ready", "state.new", "down"), down.getAttributesMap(), "the first node event is the state's");
    }

    @Test
    void sinceReplaysTheKeptEventsThenUntilEndsTheCall() throws Exception {
        watch(); // the events' watch runs from here
        long t0 = System.currentTimeMillis();
        Service created = api.createService(CreateServiceRequest.newBuilder().setSpec(web(1, "busybox:1")).build()).getService();
        api.updateService(UpdateServiceRequest.newBuilder().setId(created.getId()).setVersion(created.getMeta().getVersion())
                .setSpec(web(2, "busybox:1")).build());
        api.removeService(RemoveServiceRequest.newBuilder().setId(created.getId()).build());
        next("service", "remove");
        watcher.interrupt();
        watcher.join(10_000);

        java.util.List<String> got = new java.util.ArrayList<>();
        long until = System.currentTimeMillis();
        api.watch(WatchRequest.newBuilder().addKinds("service").setSince(t0).setUntil(until).build(),
                e -> got.add(e.getAction() + " " + e.getName() + " " + e.getAttributesMap().getOrDefault("replicas.new", "")));
        assertEquals(java.util.List.of("create web ", "update web 2", "remove web "), got, "replayed, then the past until ended the call");

        got.clear();
        long t1 = System.nanoTime();
        api.watch(WatchRequest.newBuilder().addKinds("service").setSince(until + 1).setUntil(System.currentTimeMillis() + 700).build(),
                e -> got.add(e.getName()));
        assertEquals(java.util.List.of(), got, "nothing kept after its since");
        assertTrue(System.nanoTime() - t1 >= TimeUnit.MILLISECONDS.toNanos(600), "a future until is waited for");

        ControlException bad = assertThrows(ControlException.class, () -> api.watch(WatchRequest.newBuilder()
                .setSince(until).setUntil(until - 1).build(), e -> { }));
        assertEquals(ControlException.Code.INVALID_ARGUMENT, bad.code());
    }

    @Test
    void theLast256EventsAreKept() throws Exception {
        watch("config");
        int n = EventHub.KEPT + 4;
        for (int i = 0; i < n; i++) {
            api.createConfig(CreateConfigRequest.newBuilder().setSpec(ConfigSpec.newBuilder()
                    .setAnnotations(Annotations.newBuilder().setName("cfg-" + i)).setData(ByteString.copyFromUtf8("c"))).build());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        WatchEvent last = null;
        while ((last == null || !last.getName().equals("cfg-" + (n - 1))) && System.nanoTime() < deadline) {
            WatchEvent e = events.poll(200, TimeUnit.MILLISECONDS);
            last = e != null ? e : last;
        }
        java.util.List<String> kept = new java.util.ArrayList<>();
        api.watch(WatchRequest.newBuilder().addKinds("config").setSince(1).setUntil(System.currentTimeMillis()).build(),
                e -> kept.add(e.getName()));
        assertEquals(EventHub.KEPT, kept.size(), kept.toString());
        assertEquals("cfg-4", kept.get(0));
        assertEquals("cfg-" + (n - 1), kept.get(kept.size() - 1));
    }
}
