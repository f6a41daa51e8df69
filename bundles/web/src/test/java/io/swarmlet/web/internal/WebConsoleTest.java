package io.swarmlet.web.internal;

import io.swarmlet.api.security.PemTls;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.Stacks;
import io.swarmlet.api.metrics.Metrics;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.*;
import io.swarmlet.controlapi.internal.RealControlApi;
import io.swarmlet.store.internal.SingleNodeStore;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's HTTP API as openapi.yaml describes it, served on an ephemeral
 * loopback port against a real one-member store and the controlapi bundle's
 * real control API: every read's JSON, filters, ID resolution, the live event
 * stream after store writes, actions with and without a token, the origin
 * check, logs, metrics, static files and HTTPS.
 */
class WebConsoleTest {

    static final String TOKEN = "SWLWEB-1-abcdefghijklmnopqrstuvwxy-0123456789abcdefghijklmno";
    static final String M1 = id("nodem1");
    static final String W1 = id("nodew1");
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;

    static SingleNodeStore running;
    static Store store;
    static ControlApi realApi;
    static final AtomicReference<ControlApi> api = new AtomicReference<>();
    static final AtomicReference<Metrics> metrics = new AtomicReference<>();
    static WebConsole console;
    static TestClient client;
    static String origin;
    static Service web;
    static Service db;

    static String id(String prefix) {
        return RealControlApi.id(prefix);
    }

    static Task task(String id, Service s, long slot, String node, TaskState state, TaskState desired) {
        Task.Builder b = Task.newBuilder().setId(id).setServiceId(s.getId()).setSlot(slot).setNodeId(node)
                .setSpec(s.getSpec().getTask()).setSpecVersion(s.getSpecVersion()).setDesiredState(desired)
                .setServiceAnnotations(s.getSpec().getAnnotations());
        b.getStatusBuilder().setState(state).setTimestamp(1_700_000_000_000L).setMessage(Views.lower(state))
                .getContainerStatusBuilder().setContainerId("c-" + id);
        return b.build();
    }

    static Service create(String name, String image, long replicas, Map<String, String> labels, PortConfig... ports) {
        ServiceSpec.Builder b = ServiceSpec.newBuilder();
        b.getAnnotationsBuilder().setName(name).putAllLabels(labels);
        b.getTaskBuilder().getContainerBuilder().setImage(image);
        b.getReplicatedBuilder().setReplicas(replicas);
        for (PortConfig p : ports) {
            b.getEndpointBuilder().addPorts(p);
        }
        return realApi.createService(CreateServiceRequest.newBuilder().setSpec(b).build()).getService();
    }

    @BeforeAll
    static void start() throws Exception {
        running = SingleNodeStore.start(dir.resolve("store"));
        store = running.store();
        realApi = RealControlApi.over(store, new RealControlApi.Local(M1, dir, SingleNodeStore.CLUSTER_ID));
        api.set(realApi);
        store.update(tx -> {
            Cluster.Builder c = Cluster.newBuilder().setId(SingleNodeStore.CLUSTER_ID);
            c.getSpecBuilder().getAnnotationsBuilder().setName("default");
            c.addWebTokensBuilder().setId("abcdefghijklmnopqrstuvwxy")
                    .setSha256(ByteString.copyFrom(WebConsole.sha256(TOKEN))).setCreatedAt(1);
            tx.create(Kind.CLUSTER, c.build());
            tx.create(Kind.NODE, RealControlApi.node(M1, "m1", NodeRole.MANAGER, true));
            tx.create(Kind.NODE, RealControlApi.node(W1, "w1", NodeRole.WORKER, false));
        });
        web = create("web", "docker.io/library/nginx:1.25", 2, Map.of(Stacks.NAMESPACE_LABEL, "demo"),
                PortConfig.newBuilder().setTargetPort(80).setPublishedPort(8080).build());
        db = create("db", "swarmlet/busybox:1", 1, Map.of());
        store.update(tx -> {
            tx.create(Kind.TASK, task(id("taskweb0"), web, 1, M1, TaskState.SHUTDOWN, TaskState.SHUTDOWN));
            tx.create(Kind.TASK, task(id("taskweb1"), web, 1, M1, TaskState.RUNNING, TaskState.RUNNING));
            tx.create(Kind.TASK, task(id("taskweb2"), web, 2, W1, TaskState.RUNNING, TaskState.RUNNING));
            tx.create(Kind.TASK, task(id("taskdb1"), db, 1, W1, TaskState.PENDING, TaskState.RUNNING));
        });
        console = new WebConsole(() -> store, api::get, metrics::get, "1.2.3", 200);
        console.start(new InetSocketAddress("127.0.0.1", 0), null);
        origin = "http://127.0.0.1:" + console.address().getPort();
        client = new TestClient(HttpClient.newHttpClient(), origin);
    }

    @AfterAll
    static void stop() {
        if (console != null) {
            console.close();
        }
        if (running != null) {
            running.close();
        }
    }

    static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what);
            }
            Thread.sleep(20);
        }
    }

    static Map<String, Object> byName(List<Map<String, Object>> list, String key, String value) {
        return list.stream().filter(m -> value.equals(m.get(key))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + key + "=" + value + " in " + list));
    }

    static List<Object> ids(List<Map<String, Object>> list) {
        return list.stream().map(m -> m.get("id")).sorted().collect(Collectors.toList());
    }

    static String[] auth(String token) {
        return new String[] {"Authorization", "Bearer " + token, "Content-Type", "application/json"};
    }

    // ------------------------------------------------------------ reads

    @Test
    void clusterAtAGlance() throws Exception {
        HttpResponse<String> r = client.get("/api/v1/cluster");
        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        Map<String, Object> c = TestJson.object(r.body());
        assertEquals(SingleNodeStore.CLUSTER_ID, c.get("id"));
        assertEquals(M1, c.get("leader"));
        assertEquals(1L, c.get("managers"));
        assertEquals(2L, c.get("nodes"));
        assertTrue((Long) c.get("services") >= 2, r.body());
        assertEquals(realApi.version(VersionRequest.getDefaultInstance()).getVersion(), c.get("version"),
                "as swarmlet version says it (the bundle's own version only without a control API)");
    }

    @Test
    void nodesAsNodeLsShowsThem() throws Exception {
        HttpResponse<String> r = client.get("/api/v1/nodes");
        assertEquals(200, r.statusCode());
        List<Map<String, Object>> nodes = TestJson.array(r.body());
        assertEquals(List.of(M1, W1), ids(nodes));
        Map<String, Object> m = byName(nodes, "id", M1);
        assertEquals("m1", m.get("hostname"));
        assertEquals("manager", m.get("role"));
        assertEquals(true, m.get("leader"));
        assertEquals("Leader", m.get("managerStatus"));
        assertEquals("ready", m.get("status"));
        assertEquals("10.0.0.1", m.get("addr"));
        assertEquals("27.0.1", m.get("engineVersion"));
        assertEquals(Map.of("zone", "a"), m.get("labels"));
        Map<String, Object> w = byName(nodes, "id", W1);
        assertEquals("worker", w.get("role"));
        assertEquals(false, w.get("leader"));
        assertEquals("", w.get("managerStatus"));
        assertTrue(List.of("active", "drain", "pause").contains(w.get("availability")));
    }

    @Test
    void servicesWithReplicasPortsAndStack() throws Exception {
        List<Map<String, Object>> all = TestJson.array(client.get("/api/v1/services").body());
        Map<String, Object> w = byName(all, "name", "web");
        assertEquals(web.getId(), w.get("id"));
        assertEquals("demo", w.get("stack"));
        assertEquals("replicated", w.get("mode"));
        assertEquals(2L, w.get("running"), "both current tasks run on nodes that are up; the shut-down one does not count");
        assertEquals("nginx:1.25", w.get("image"), "Docker Hub's prefix dropped, as service ls does");
        assertEquals(List.of("*:8080->80/tcp"), w.get("ports"));
        assertEquals("", w.get("updateState"));
        assertTrue((Long) w.get("createdAt") > 0);
        assertEquals(Map.of(Stacks.NAMESPACE_LABEL, "demo"), w.get("labels"));
        Map<String, Object> d = byName(all, "name", "db");
        assertEquals(0L, d.get("running"), "its task is still pending");
        assertEquals(List.of(), d.get("ports"));

        List<Map<String, Object>> demo = TestJson.array(client.get("/api/v1/services?stack=demo").body());
        assertEquals(List.of("web"), demo.stream().map(m -> m.get("name")).collect(Collectors.toList()));
        assertEquals(List.of(), TestJson.array(client.get("/api/v1/services?stack=nope").body()));
    }

    @Test
    void oneServiceByNameIdOrPrefixWithItsHistory() throws Exception {
        for (String ref : List.of("db", db.getId(), db.getId().substring(0, 10))) {
            HttpResponse<String> r = client.get("/api/v1/services/" + ref);
            assertEquals(200, r.statusCode(), ref + ": " + r.body());
            Map<String, Object> o = TestJson.object(r.body());
            assertEquals("db", ((Map<?, ?>) o.get("service")).get("name"));
        }
        Map<String, Object> o = TestJson.object(client.get("/api/v1/services/web").body());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> tasks = (List<Map<String, Object>>) o.get("tasks");
        assertEquals(List.of(id("taskweb0"), id("taskweb1"), id("taskweb2")), ids(tasks), "history included");
        Map<String, Object> t = byName(tasks, "id", id("taskweb2"));
        assertEquals("web.2", t.get("name"));
        assertEquals(web.getId(), t.get("serviceId"));
        assertEquals("web", t.get("serviceName"));
        assertEquals("demo", t.get("stack"));
        assertEquals(2L, t.get("slot"));
        assertEquals(W1, t.get("nodeId"));
        assertEquals("nginx:1.25", t.get("image"));
        assertEquals("running", t.get("state"));
        assertEquals("running", t.get("desiredState"));
        assertEquals("running", t.get("message"));
        assertEquals("", t.get("error"));
        assertEquals("c-" + id("taskweb2"), t.get("containerId"));
        assertEquals(1_700_000_000_000L, t.get("updatedAt"));

        HttpResponse<String> missing = client.get("/api/v1/services/nope");
        assertEquals(404, missing.statusCode());
        assertEquals("No such service: nope", TestJson.object(missing.body()).get("message"));
    }

    @Test
    void anAmbiguousPrefixIs400() throws Exception {
        store.update(tx -> {
            for (String n : List.of("ambig1", "ambig2")) {
                ServiceSpec.Builder b = ServiceSpec.newBuilder();
                b.getAnnotationsBuilder().setName("x" + n);
                b.getTaskBuilder().getContainerBuilder().setImage("swarmlet/busybox:1");
                tx.create(Kind.SERVICE, Service.newBuilder().setId(id(n)).setSpec(b).build());
            }
        });
        try {
            HttpResponse<String> r = client.get("/api/v1/services/ambig");
            assertEquals(400, r.statusCode());
            assertTrue(((String) TestJson.object(r.body()).get("message")).contains("ambiguous ID prefix"), r.body());
            HttpResponse<String> n = client.get("/api/v1/tasks?node=node");
            assertEquals(400, n.statusCode(), "both node IDs start with 'node'");
        } finally {
            store.update(tx -> {
                tx.delete(Kind.SERVICE, id("ambig1"));
                tx.delete(Kind.SERVICE, id("ambig2"));
            });
        }
    }

    @Test
    void tasksCurrentByDefaultFilteredByServiceNodeAndStack() throws Exception {
        List<Object> current = ids(TestJson.array(client.get("/api/v1/tasks").body()));
        assertTrue(current.containsAll(List.of(id("taskweb1"), id("taskweb2"))), current.toString());
        assertFalse(current.contains(id("taskweb0")), "history only with all=true");
        assertTrue(ids(TestJson.array(client.get("/api/v1/tasks?all=true").body())).contains(id("taskweb0")));
        assertEquals(List.of(id("taskweb1"), id("taskweb2")), ids(TestJson.array(client.get("/api/v1/tasks?service=web").body())));
        assertEquals(List.of(id("taskweb0"), id("taskweb1"), id("taskweb2")),
                ids(TestJson.array(client.get("/api/v1/tasks?service=web&all=true").body())));
        List<Object> onW1 = ids(TestJson.array(client.get("/api/v1/tasks?node=w1").body()));
        assertTrue(onW1.contains(id("taskweb2")) && !onW1.contains(id("taskweb1")), "by hostname: " + onW1);
        assertEquals(onW1, ids(TestJson.array(client.get("/api/v1/tasks?node=" + W1).body())));
        assertEquals(List.of(id("taskweb1"), id("taskweb2")), ids(TestJson.array(client.get("/api/v1/tasks?stack=demo").body())));
        assertEquals(404, client.get("/api/v1/tasks?service=nope").statusCode());
        assertEquals(404, client.get("/api/v1/nothing").statusCode());
    }

    // ------------------------------------------------------------ live

    @Test
    void eventsStartWithASnapshotThenFollowTheStore() throws Exception {
        String t = id("taskev1");
        try (TestClient.Events ev = client.events("/api/v1/events")) {
            assertEquals(200, ev.response.statusCode());
            assertEquals("text/event-stream; charset=utf-8", ev.response.headers().firstValue("Content-Type").orElse(""));
            TestClient.Event snap = ev.next(e -> true, WAIT);
            assertEquals("snapshot", snap.name());
            Map<String, Object> s = TestJson.object(snap.data());
            assertEquals(List.of(M1, W1), ids(TestJson.array(toJson(s.get("nodes")))));
            assertTrue(s.get("services") instanceof List && s.get("tasks") instanceof List);
            assertTrue(ids(TestJson.array(toJson(s.get("tasks")))).contains(id("taskweb0")), "tasks as all=true gives them");

            store.update(tx -> tx.create(Kind.TASK, task(t, db, 2, M1, TaskState.RUNNING, TaskState.RUNNING)));
            TestClient.Event created = ev.next(e -> e.data().contains(t), WAIT);
            assertEquals("change", created.name());
            Map<String, Object> c = TestJson.object(created.data());
            assertEquals("task", c.get("kind"));
            assertEquals("create", c.get("action"));
            assertEquals(t, c.get("id"));
            assertEquals("running", ((Map<?, ?>) c.get("object")).get("state"));
            assertEquals("db.2", ((Map<?, ?>) c.get("object")).get("name"));

            TestClient.Event recount = ev.next(e -> e.data().contains("\"kind\":\"service\"") && e.data().contains(db.getId()), WAIT);
            assertEquals(1L, ((Map<?, ?>) TestJson.object(recount.data()).get("object")).get("running"),
                    "a task that starts running moves its service's count");

            store.update(tx -> tx.delete(Kind.TASK, t));
            Map<String, Object> gone = TestJson.object(ev.next(e -> e.data().contains(t), WAIT).data());
            assertEquals("delete", gone.get("action"));
            assertFalse(gone.containsKey("object"));
            eventually("a ping comment", () -> ev.comments > 0);
        } finally {
            store.update(tx -> tx.get(Kind.TASK, t).ifPresent(x -> tx.delete(Kind.TASK, t)));
        }
    }

    static String toJson(Object o) {
        return Json.string(g -> write(g, o));
    }

    private static void write(com.fasterxml.jackson.core.JsonGenerator g, Object o) throws IOException {
        if (o instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName((String) e.getKey());
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (o instanceof List<?> l) {
            g.writeStartArray();
            for (Object x : l) {
                write(g, x);
            }
            g.writeEndArray();
        } else if (o instanceof String s) {
            g.writeString(s);
        } else if (o instanceof Long n) {
            g.writeNumber(n);
        } else if (o instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            g.writeNull();
        }
    }

    @Test
    void closingTheConsoleEndsItsStreams() throws Exception {
        WebConsole other = new WebConsole(() -> store, api::get, metrics::get, "1", 200);
        other.start(new InetSocketAddress("127.0.0.1", 0), null);
        TestClient c = new TestClient(HttpClient.newHttpClient(), "http://127.0.0.1:" + other.address().getPort());
        try (TestClient.Events ev = c.events("/api/v1/events")) {
            ev.next(e -> e.name().equals("snapshot"), WAIT);
            other.close();
            eventually("the stream ends", () -> ev.ended);
        }
    }

    @Test
    void aTakenPortIsABindError() throws Exception {
        WebConsole other = new WebConsole(() -> store, api::get, metrics::get, "1");
        try {
            assertThrows(BindException.class, () -> other.start(console.address(), null));
        } finally {
            other.close();
        }
    }

    // ------------------------------------------------------------ actions

    @Test
    void actionsNeedAToken() throws Exception {
        HttpResponse<String> none = client.post("/api/v1/services/web/scale", "{\"replicas\": 5}", "Content-Type", "application/json");
        assertEquals(401, none.statusCode());
        assertEquals(WebConsole.NO_TOKEN, TestJson.object(none.body()).get("message"));
        HttpResponse<String> wrong = client.post("/api/v1/services/web/scale", "{\"replicas\": 5}", auth("SWLWEB-1-nope-nope"));
        assertEquals(403, wrong.statusCode());
        assertEquals(403, client.delete("/api/v1/services/db", "Authorization", "Bearer SWLWEB-1-nope-nope").statusCode());
        assertEquals(401, client.delete("/api/v1/services/db").statusCode());
        assertEquals(401, client.post("/api/v1/nodes/w1/availability", "{\"availability\": \"drain\"}",
                "Content-Type", "application/json").statusCode());
        assertEquals(2, replicas("web"), "nothing changed");
        assertTrue(store.view(tx -> tx.byName(Kind.SERVICE, "db")).isPresent());
    }

    @Test
    void actionsTakeJsonOnlyAndRefuseForeignOrigins() throws Exception {
        HttpResponse<String> form = client.post("/api/v1/services/web/scale", "replicas=5",
                "Authorization", "Bearer " + TOKEN, "Content-Type", "application/x-www-form-urlencoded");
        assertEquals(415, form.statusCode());
        HttpResponse<String> foreign = client.post("/api/v1/services/web/scale", "{\"replicas\": 5}",
                "Authorization", "Bearer " + TOKEN, "Content-Type", "application/json", "Origin", "http://evil.example");
        assertEquals(403, foreign.statusCode());
        assertTrue(((String) TestJson.object(foreign.body()).get("message")).contains("another site"));
        assertEquals(403, client.get("/api/v1/nodes", "Origin", "http://127.0.0.1:1").statusCode(), "another port is another origin");
        assertEquals(200, client.get("/api/v1/nodes", "Origin", origin).statusCode(), "the page's own origin");
        assertEquals(2, replicas("web"));
        assertEquals(400, client.post("/api/v1/services/web/scale", "{\"replicas\": -1}", auth(TOKEN)).statusCode());
        assertEquals(400, client.post("/api/v1/services/web/scale", "{\"replicas\": \"x\"}", auth(TOKEN)).statusCode());
        assertEquals(400, client.post("/api/v1/services/web/scale", "not json", auth(TOKEN)).statusCode());
        assertEquals(404, client.post("/api/v1/services/nope/scale", "{\"replicas\": 1}", auth(TOKEN)).statusCode());
        assertEquals(405, client.get("/api/v1/services/web/scale").statusCode());
    }

    static long replicas(String service) {
        return store.view(tx -> tx.byName(Kind.SERVICE, service).orElseThrow()).getSpec().getReplicated().getReplicas();
    }

    @Test
    void scaleThenRollBackWithAToken() throws Exception {
        Service svc = create("scaled", "swarmlet/busybox:1", 1, Map.of());
        HttpResponse<String> r = client.post("/api/v1/services/scaled/scale", "{\"replicas\": 3}",
                "Authorization", "Bearer " + TOKEN, "Content-Type", "application/json; charset=utf-8", "Origin", origin);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(3L, TestJson.object(r.body()).get("desired"));
        assertEquals(3, replicas("scaled"));

        HttpResponse<String> back = client.post("/api/v1/services/" + svc.getId() + "/rollback", "{}", auth(TOKEN));
        assertEquals(200, back.statusCode(), back.body());
        assertEquals(1, replicas("scaled"));
        HttpResponse<String> again = client.post("/api/v1/services/db/rollback", "", auth(TOKEN));
        assertEquals(409, again.statusCode(), "db has no previous spec: " + again.body());
    }

    @Test
    void drainAndActivateANode() throws Exception {
        HttpResponse<String> r = client.post("/api/v1/nodes/w1/availability", "{\"availability\": \"drain\"}", auth(TOKEN));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("drain", TestJson.object(r.body()).get("availability"));
        assertEquals(NodeSpec.Availability.DRAIN, store.view(tx -> tx.get(Kind.NODE, W1).orElseThrow()).getSpec().getAvailability());
        assertEquals(400, client.post("/api/v1/nodes/w1/availability", "{\"availability\": \"sleep\"}", auth(TOKEN)).statusCode());
        assertEquals(404, client.post("/api/v1/nodes/nope/availability", "{\"availability\": \"active\"}", auth(TOKEN)).statusCode());
        assertEquals(200, client.post("/api/v1/nodes/" + W1 + "/availability", "{\"availability\": \"active\"}", auth(TOKEN)).statusCode());
        assertEquals(NodeSpec.Availability.ACTIVE, store.view(tx -> tx.get(Kind.NODE, W1).orElseThrow()).getSpec().getAvailability());
    }

    @Test
    void removeAService() throws Exception {
        create("doomed", "swarmlet/busybox:1", 1, Map.of());
        HttpResponse<String> r = client.delete("/api/v1/services/doomed", "Authorization", "Bearer " + TOKEN);
        assertEquals(204, r.statusCode(), r.body());
        assertFalse(store.view(tx -> tx.byName(Kind.SERVICE, "doomed")).isPresent());
        assertEquals(404, client.delete("/api/v1/services/doomed", "Authorization", "Bearer " + TOKEN).statusCode());
    }

    @Test
    void withoutAControlApiActionsAre503() throws Exception {
        WebConsole other = new WebConsole(() -> store, () -> null, () -> null, "1");
        other.start(new InetSocketAddress("127.0.0.1", 0), null);
        try {
            TestClient c = new TestClient(HttpClient.newHttpClient(), "http://127.0.0.1:" + other.address().getPort());
            HttpResponse<String> r = c.post("/api/v1/services/web/scale", "{\"replicas\": 2}", auth(TOKEN));
            assertEquals(503, r.statusCode());
            assertEquals(WebConsole.NO_CONTROL_API, TestJson.object(r.body()).get("message"));
            assertEquals(200, c.get("/api/v1/services").statusCode(), "reads need the store only");
        } finally {
            other.close();
        }
    }

    // ------------------------------------------------------------ logs

    /** The real control API, but for logs: two lines, then (follow) until interrupted. */
    static ControlApi loggingApi(AtomicBoolean ended) {
        return (ControlApi) Proxy.newProxyInstance(WebConsoleTest.class.getClassLoader(), new Class<?>[] {ControlApi.class},
                (p, m, a) -> {
                    if (m.getName().equals("logs")) {
                        LogsRequest req = (LogsRequest) a[0];
                        @SuppressWarnings("unchecked")
                        java.util.function.Consumer<LogMessage> sink = (java.util.function.Consumer<LogMessage>) a[1];
                        try {
                            sink.accept(LogMessage.newBuilder().setTaskId(id("taskweb1")).setNodeId(M1).setTimestamp(5)
                                    .setLine("hello from " + req.getId()).build());
                            sink.accept(LogMessage.newBuilder().setTaskId(id("taskweb2")).setNodeId(W1).setStderr(true)
                                    .setLine("tail " + req.getTail()).build());
                            while (req.getFollow()) {
                                Thread.sleep(10_000);
                            }
                        } finally {
                            ended.set(true);
                        }
                        return null;
                    }
                    try {
                        return m.invoke(realApi, a);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void logsStreamUntilTheClientGoes() throws Exception {
        AtomicBoolean ended = new AtomicBoolean();
        api.set(loggingApi(ended));
        try (TestClient.Events ev = client.events("/api/v1/services/web/logs?tail=7")) {
            Map<String, Object> first = TestJson.object(ev.next(e -> e.name().equals("log"), WAIT).data());
            assertEquals(id("taskweb1"), first.get("taskId"));
            assertEquals(M1, first.get("nodeId"));
            assertEquals("stdout", first.get("stream"));
            assertEquals(5L, first.get("time"));
            assertEquals("hello from " + web.getId(), first.get("line"));
            Map<String, Object> second = TestJson.object(ev.next(e -> e.name().equals("log"), WAIT).data());
            assertEquals("stderr", second.get("stream"));
            assertEquals("tail 7", second.get("line"));
            assertFalse(ended.get(), "following");
        } finally {
            api.set(realApi);
        }
        eventually("the logs call ends once the client is gone", ended::get);
    }

    @Test
    void logsWithoutADispatcherSayWhy() throws Exception {
        try (TestClient.Events ev = client.events("/api/v1/services/web/logs?follow=false")) {
            assertEquals(200, ev.response.statusCode());
            TestClient.Event e = ev.next(x -> true, WAIT);
            assertEquals("error", e.name());
            assertTrue(((String) TestJson.object(e.data()).get("message")).contains("dispatcher"), e.data());
        }
        assertEquals(404, client.get("/api/v1/services/nope/logs").statusCode());
    }

    // ------------------------------------------------------------ metrics, files

    @Test
    void metricsWithAndWithoutTheMetricsModule() throws Exception {
        HttpResponse<String> none = client.get("/metrics");
        assertEquals(503, none.statusCode());
        assertEquals(WebConsole.NO_METRICS, none.body().trim());
        metrics.set(new FakeMetrics());
        try {
            HttpResponse<String> r = client.get("/metrics");
            assertEquals(200, r.statusCode());
            assertEquals(Metrics.CONTENT_TYPE, r.headers().firstValue("Content-Type").orElse(""));
            assertEquals(FakeMetrics.TEXT, r.body());
        } finally {
            metrics.set(null);
        }
    }

    static final class FakeMetrics implements Metrics {
        static final String TEXT = "# HELP swarmlet_up Whether it runs\n# TYPE swarmlet_up gauge\nswarmlet_up 1.0\n";
        @Override public Counter counter(String name, String help, String... tags) { return a -> { }; }
        @Override public Timer timer(String name, String help, String... tags) { return n -> { }; }
        @Override public Registration gauge(String name, String help, java.util.function.Supplier<? extends Number> v, String... tags) { return () -> { }; }
        @Override public String scrape() { return TEXT; }
    }

    @Test
    void staticFilesWithTheirTypesAndNoTraversal() throws Exception {
        HttpResponse<String> spec = client.get("/api/openapi.yaml");
        assertEquals(200, spec.statusCode());
        assertTrue(spec.body().startsWith("openapi: 3"));
        assertEquals("application/yaml; charset=utf-8", spec.headers().firstValue("Content-Type").orElse(""));
        assertEquals("no-cache", spec.headers().firstValue("Cache-Control").orElse(""));
        assertEquals(spec.body(), client.get("/static/openapi.yaml").body());
        if (WebConsole.class.getClassLoader().getResource("static/index.html") != null) {
            HttpResponse<String> page = client.get("/");
            assertEquals(200, page.statusCode());
            assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElse(""));
        }
        for (String bad : List.of("/static/../static/openapi.yaml", "/static/%2e%2e/static/openapi.yaml",
                "/static/..%2fio/swarmlet/web/internal/WebConsole.class", "/static/", "/static/.hidden.js",
                "/static/nothing.js", "/WebConsole.class", "/static/openapi.yaml%00.js")) {
            assertEquals(404, client.get(bad).statusCode(), bad);
        }
        assertEquals(405, client.post("/", "{}", "Content-Type", "application/json").statusCode());
    }

    // ------------------------------------------------------------ HTTPS

    @Test
    void httpsWithAPemCertificateAndKey() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", key.toString(), "-out", cert.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);

        WebConsole secure = new WebConsole(() -> store, api::get, metrics::get, "1");
        secure.start(new InetSocketAddress("127.0.0.1", 0), PemTls.serverContext("the web console's", cert, key, null));
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            try (var in = Files.newInputStream(cert)) {
                trust.setCertificateEntry("web", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            String base = "https://127.0.0.1:" + secure.address().getPort();
            TestClient c = new TestClient(HttpClient.newBuilder().sslContext(ssl).build(), base);
            HttpResponse<String> r = c.get("/api/v1/cluster", "Origin", base);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(SingleNodeStore.CLUSTER_ID, TestJson.object(r.body()).get("id"));
            assertEquals(403, c.get("/api/v1/cluster", "Origin", "http://127.0.0.1:" + secure.address().getPort()).statusCode(),
                    "http is another origin than https");
        } finally {
            secure.close();
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PemTls.serverContext("the web console's", cert, cert, null));
        assertTrue(e.getMessage().contains("PRIVATE KEY"), e.getMessage());
    }

    @Test
    void originsCompareSchemeHostAndPort() {
        assertTrue(WebConsole.sameOrigin("http://127.0.0.1:8880", "127.0.0.1:8880", false));
        assertTrue(WebConsole.sameOrigin("http://localhost", "LOCALHOST:80", false));
        assertTrue(WebConsole.sameOrigin("https://[::1]:9443", "[::1]:9443", true));
        assertFalse(WebConsole.sameOrigin("https://127.0.0.1:8880", "127.0.0.1:8880", false));
        assertFalse(WebConsole.sameOrigin("null", "127.0.0.1:8880", false));
        assertFalse(WebConsole.sameOrigin("http://127.0.0.1:8880", null, false));
        assertNotNull(WebServerComponent.address("127.0.0.1:0"));
        assertEquals(8880, WebServerComponent.address("[::1]:8880").getPort());
        assertEquals(8880, WebServerComponent.address(":8880").getPort());
        assertThrows(IllegalArgumentException.class, () -> WebServerComponent.address("8880"));
        assertThrows(IllegalArgumentException.class, () -> WebServerComponent.address("host:x"));
    }
}
