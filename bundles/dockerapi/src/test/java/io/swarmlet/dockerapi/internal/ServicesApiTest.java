package io.swarmlet.dockerapi.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.types.CreateNetworkRequest;
import io.swarmlet.api.types.CreateSecretRequest;
import io.swarmlet.api.types.LogMessage;
import io.swarmlet.api.types.LogsRequest;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.UpdateStatus;
import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /services} through the server and the real control API: the docker CLI's requests, Docker's answers. */
class ServicesApiTest {

    @TempDir
    static Path dir;

    static ApiHarness h;

    @BeforeAll
    static void start() throws Exception {
        h = new ApiHarness(dir);
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    static final java.util.concurrent.atomic.AtomicInteger PORTS = new java.util.concurrent.atomic.AtomicInteger(20000);

    /** A recorded body for another service name; other than "web", with a published port of its own. */
    static String body(String json, String name) {
        String out = json.replace("\"Name\":\"web\"", "\"Name\":\"" + name + "\"");
        return name.equals("web") ? out : out.replace("18080", Integer.toString(PORTS.incrementAndGet()));
    }

    static String create(String json) throws Exception {
        UnixHttp.Answer a = h.http.post("/v1.41/services/create", json);
        assertEquals(201, a.status(), a.toString());
        assertTrue(a.json().get("Warnings").isNull(), a.toString());
        return a.json().get("ID").asText();
    }

    static Service stored(String id) {
        return h.store.view(tx -> tx.get(Kind.SERVICE, id)).orElseThrow();
    }

    static int serviceCount() {
        return h.store.view(tx -> tx.all(Kind.SERVICE)).size();
    }

    static JsonNode inspect(String ref) throws Exception {
        UnixHttp.Answer a = h.http.get("/v1.41/services/" + ref + "?insertDefaults=false");
        assertEquals(200, a.status(), a.toString());
        return a.json();
    }

    static String q(String filters) {
        return URLEncoder.encode(filters, StandardCharsets.UTF_8);
    }

    /** A task of the service in the store, as the orchestrator and an agent would leave it. */
    static Task task(Service s, long slot, String node, TaskState state, TaskState desired) {
        Task.Builder t = Task.newBuilder().setId(ApiHarness.id("t" + s.getId().substring(0, 6) + slot + state.getNumber()))
                .setServiceId(s.getId()).setSlot(slot).setNodeId(node).setSpec(s.getSpec().getTask())
                .setSpecVersion(s.getSpecVersion()).setDesiredState(desired).setServiceAnnotations(s.getSpec().getAnnotations())
                .setEndpoint(s.getEndpoint());
        t.getAnnotationsBuilder().setName(s.getSpec().getAnnotations().getName() + "." + slot);
        t.getStatusBuilder().setState(state).setTimestamp(System.currentTimeMillis()).setMessage(state.name().toLowerCase());
        Task built = t.build();
        h.store.update(tx -> tx.create(Kind.TASK, built));
        return built;
    }

    @Test
    void createThenInspectShowsDockersShape() throws Exception {
        String id = create(body(CliBodies.CREATE_WEB, "insp"));
        JsonNode s = inspect("insp");
        assertEquals(id, s.get("ID").asText());
        assertEquals(stored(id).getMeta().getVersion(), s.get("Version").get("Index").asLong());
        assertTrue(s.get("CreatedAt").asText().endsWith("Z"), s.toString());
        JsonNode spec = s.get("Spec");
        assertEquals("insp", spec.get("Name").asText());
        assertEquals("swarmlet/busybox:1", spec.at("/TaskTemplate/ContainerSpec/Image").asText());
        assertFalse(spec.at("/TaskTemplate/ContainerSpec/Init").asBoolean(true), "Init false as the CLI sent it");
        assertEquals(10_000_000_000L, spec.at("/TaskTemplate/ContainerSpec/StopGracePeriod").asLong());
        assertEquals("any", spec.at("/TaskTemplate/RestartPolicy/Condition").asText());
        assertEquals(5_000_000_000L, spec.at("/TaskTemplate/RestartPolicy/Delay").asLong());
        assertEquals("container", spec.at("/TaskTemplate/Runtime").asText());
        assertEquals(3, spec.at("/Mode/Replicated/Replicas").asInt());
        assertEquals("stop-first", spec.at("/UpdateConfig/Order").asText());
        assertEquals(1, spec.at("/UpdateConfig/Parallelism").asInt());
        assertEquals(stored(id).getSpec().getEndpoint().getPorts(0).getPublishedPort(), s.at("/Endpoint/Ports/0/PublishedPort").asInt());
        assertEquals(80, s.at("/Endpoint/Ports/0/TargetPort").asInt());
        assertEquals("ingress", s.at("/Endpoint/Ports/0/PublishMode").asText());
        assertEquals("vip", s.at("/Endpoint/Spec/Mode").asText());
        assertTrue(s.path("UpdateStatus").isMissingNode());
        assertTrue(s.path("PreviousSpec").isMissingNode());
        assertEquals(id, inspect(id.substring(0, 8)).get("ID").asText(), "an ID prefix finds it");
    }

    @Test
    void anUnchangedRoundTripChangesNothing() throws Exception {
        String id = create(body(CliBodies.CREATE_WEB, "rt"));
        Service before = stored(id);
        JsonNode s = inspect(id);
        UnixHttp.Answer a = h.http.post("/v1.41/services/" + id + "/update?version=" + s.get("Version").get("Index").asLong(),
                s.get("Spec").toString());
        assertEquals(200, a.status(), a.toString());
        assertTrue(a.json().get("Warnings").isNull());
        Service after = stored(id);
        assertEquals(before.getSpec(), after.getSpec());
        assertFalse(after.hasUpdateStatus(), "the tasks need no update: " + after.getUpdateStatus());
        assertEquals(Json.MAPPER.readTree(s.get("Spec").toString()), Json.MAPPER.readTree(inspect(id).get("Spec").toString()));
    }

    @Test
    void cliUpdateScaleAndRollback() throws Exception {
        String id = create(body(CliBodies.CREATE_WEB, "web"));
        long v = inspect("web").get("Version").get("Index").asLong();
        UnixHttp.Answer up = h.http.post("/v1.41/services/" + id + "/update?registryAuthFrom=spec&version=" + v, CliBodies.UPDATE_IMAGE);
        assertEquals(200, up.status(), up.toString());
        JsonNode s = inspect("web");
        assertEquals("swarmlet/busybox:2", s.at("/Spec/TaskTemplate/ContainerSpec/Image").asText());
        assertEquals(3_000_000_000L, s.at("/Spec/UpdateConfig/Delay").asLong());
        assertEquals("swarmlet/busybox:1", s.at("/PreviousSpec/TaskTemplate/ContainerSpec/Image").asText());
        assertEquals("updating", s.at("/UpdateStatus/State").asText());
        assertTrue(s.at("/UpdateStatus/StartedAt").asText().endsWith("Z"));

        UnixHttp.Answer stale = h.http.post("/v1.41/services/" + id + "/update?version=" + v, CliBodies.SCALE_5);
        assertEquals(409, stale.status(), stale.toString());
        assertTrue(stale.json().get("message").asText().contains("out of sequence"), stale.toString());
        assertEquals(3, stored(id).getSpec().getReplicated().getReplicas(), "nothing written");

        long v2 = s.get("Version").get("Index").asLong();
        assertEquals(200, h.http.post("/v1.41/services/" + id + "/update?version=" + v2, CliBodies.SCALE_5).status());
        assertEquals(5, stored(id).getSpec().getReplicated().getReplicas());

        long v3 = inspect(id).get("Version").get("Index").asLong();
        Service beforeRollback = stored(id);
        UnixHttp.Answer rb = h.http.post("/v1.41/services/" + id + "/update?rollback=previous&version=" + v3, CliBodies.SCALE_5);
        assertEquals(200, rb.status(), rb.toString());
        Service after = stored(id);
        assertEquals(beforeRollback.getPreviousSpec(), after.getSpec(), "the previous spec came back");
        assertEquals(UpdateStatus.UpdateState.ROLLBACK_STARTED, after.getUpdateStatus().getState());
        assertEquals("rollback_started", inspect(id).at("/UpdateStatus/State").asText());
    }

    @Test
    void listFiltersAndStatusAsDocker() throws Exception {
        String a = create(body(CliBodies.CREATE_WEB, "lista"));
        String b = create(CliBodies.CREATE_JOB.replace("\"Name\":\"job\"", "\"Name\":\"listjob\""));
        String g = create("{\"Name\":\"listglobal\",\"Labels\":{\"tier\":\"front\"},\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"swarmlet/busybox:1\"}},"
                + "\"Mode\":{\"Global\":{}}}");
        JsonNode byName = h.http.get("/v1.41/services?filters=" + q("{\"name\":{\"list\":true}}")).json();
        assertEquals(3, byName.size(), "name is a prefix, as Docker's: " + byName);
        JsonNode global = h.http.get("/v1.41/services?filters=" + q("{\"mode\":{\"global\":true},\"name\":{\"list\":true}}")).json();
        assertEquals(1, global.size());
        assertEquals(g, global.get(0).get("ID").asText());
        JsonNode labelled = h.http.get("/v1.41/services?filters=" + q("{\"label\":{\"tier=front\":true}}")).json();
        assertEquals(1, labelled.size());
        JsonNode byId = h.http.get("/v1.41/services?filters=" + q("{\"id\":[\"" + b.substring(0, 10) + "\"]}")).json();
        assertEquals(b, byId.get(0).get("ID").asText());
        assertEquals(400, h.http.get("/v1.41/services?filters=" + q("{\"color\":{\"red\":true}}")).status());
        assertTrue(h.http.get("/v1.41/services?filters=" + q("{\"name\":{\"lista\":true}}")).json().get(0).path("ServiceStatus").isMissingNode());

        Service sa = stored(a);
        task(sa, 1, ApiHarness.W1, TaskState.RUNNING, TaskState.RUNNING);
        task(sa, 2, ApiHarness.M1, TaskState.RUNNING, TaskState.RUNNING);
        task(sa, 3, ApiHarness.W1, TaskState.PENDING, TaskState.RUNNING);
        task(sa, 4, ApiHarness.W1, TaskState.RUNNING, TaskState.SHUTDOWN);
        Service sg = stored(g);
        task(sg, 0, ApiHarness.W1, TaskState.RUNNING, TaskState.RUNNING);
        task(sg, 0, ApiHarness.M1, TaskState.STARTING, TaskState.RUNNING);
        JsonNode status = h.http.get("/v1.41/services?status=true&filters=" + q("{\"name\":{\"list\":true}}")).json();
        for (JsonNode s : status) {
            JsonNode st = s.get("ServiceStatus");
            String id = s.get("ID").asText();
            if (id.equals(a)) {
                assertEquals(2, st.get("RunningTasks").asInt(), st.toString());
                assertEquals(3, st.get("DesiredTasks").asInt());
            } else if (id.equals(g)) {
                assertEquals(1, st.get("RunningTasks").asInt(), st.toString());
                assertEquals(2, st.get("DesiredTasks").asInt(), "global: the tasks meant to run");
            } else {
                assertEquals(1, st.get("DesiredTasks").asInt(), "a job: its max concurrent");
                assertEquals(0, st.get("CompletedTasks").asInt());
            }
        }
        // a task on a node that is down does not count as running
        h.store.update(tx -> {
            Node w = tx.get(Kind.NODE, ApiHarness.W1).orElseThrow();
            tx.update(Kind.NODE, w.toBuilder().setStatus(w.getStatus().toBuilder().setState(NodeStatus.State.DOWN)).build());
        });
        try {
            JsonNode st = h.http.get("/v1.41/services?status=1&filters=" + q("{\"name\":{\"lista\":true}}")).json().get(0).get("ServiceStatus");
            assertEquals(1, st.get("RunningTasks").asInt(), st.toString());
        } finally {
            h.store.update(tx -> {
                Node w = tx.get(Kind.NODE, ApiHarness.W1).orElseThrow();
                tx.update(Kind.NODE, w.toBuilder().setStatus(w.getStatus().toBuilder().setState(NodeStatus.State.READY)).build());
            });
        }
    }

    @Test
    void stackDeployBodiesAttachTheNetworkByName() throws Exception {
        h.api.createNetwork(CreateNetworkRequest.newBuilder().setSpec(io.swarmlet.api.types.NetworkSpec.newBuilder()
                .setAnnotations(io.swarmlet.api.types.Annotations.newBuilder().setName("app_default")
                        .putLabels("com.docker.stack.namespace", "app"))).build());
        String web = create(CliBodies.STACK_WEB);
        String db = create(CliBodies.STACK_DB);
        Service s = stored(web);
        String netId = s.getSpec().getTask().getNetworks(0).getTarget();
        assertFalse(netId.equals("app_default"), "the control API resolved the name to the ID");
        JsonNode shown = inspect("app_web");
        assertEquals(netId, shown.at("/Spec/TaskTemplate/Networks/0/Target").asText());
        assertEquals("web", shown.at("/Spec/TaskTemplate/Networks/0/Aliases/0").asText());
        assertEquals(netId, shown.at("/Endpoint/VirtualIPs/0/NetworkID").asText());
        assertTrue(shown.at("/Endpoint/VirtualIPs/0/Addr").asText().matches("10\\.\\d+\\.\\d+\\.\\d+/24"), shown.toString());
        assertEquals(1, stored(db).getSpec().getReplicated().getReplicas());
        JsonNode stack = h.http.get("/v1.41/services?filters=" + q("{\"label\":{\"com.docker.stack.namespace=app\":true}}")).json();
        assertEquals(2, stack.size());
        h.api.createSecret(CreateSecretRequest.newBuilder().setSpec(io.swarmlet.api.types.SecretSpec.newBuilder()
                .setAnnotations(io.swarmlet.api.types.Annotations.newBuilder().setName("app_pw")).setData(ByteString.copyFromUtf8("pw"))).build());
        h.api.createConfig(io.swarmlet.api.types.CreateConfigRequest.newBuilder().setSpec(io.swarmlet.api.types.ConfigSpec.newBuilder()
                .setAnnotations(io.swarmlet.api.types.Annotations.newBuilder().setName("app_cfg")).setData(ByteString.copyFromUtf8("x"))).build());
        String full = create(CliBodies.STACK_FULL_WEB.replace("\"app_web\"", "\"app_full\"").replace("secid1", "app_pw")
                .replace("cfgid1", "app_cfg"));
        create(CliBodies.STACK_GLOBAL);
        Service f = stored(full);
        assertEquals("/run/secrets/pw", f.getSpec().getTask().getContainer().getSecrets(0).getTarget());
        JsonNode fs = inspect(full);
        assertEquals(200, h.http.post("/v1.41/services/" + full + "/update?version=" + f.getMeta().getVersion(), fs.get("Spec").toString()).status());
        assertEquals(f.getSpec(), stored(full).getSpec());
        // the second deploy sends the same bodies as updates: nothing changes
        Service before = stored(web);
        UnixHttp.Answer again = h.http.post("/v1.41/services/" + web + "/update?version=" + before.getMeta().getVersion(), CliBodies.STACK_WEB);
        assertEquals(200, again.status(), again.toString());
        assertEquals(before.getSpec(), stored(web).getSpec());
        assertFalse(stored(web).hasUpdateStatus());
    }

    @Test
    void secretsKeepTheirVersionThroughAnUpdate() throws Exception {
        h.api.createSecret(CreateSecretRequest.newBuilder().setSpec(io.swarmlet.api.types.SecretSpec.newBuilder()
                .setAnnotations(io.swarmlet.api.types.Annotations.newBuilder().setName("s1")).setData(ByteString.copyFromUtf8("pw"))).build());
        h.api.createNetwork(CreateNetworkRequest.newBuilder().setSpec(io.swarmlet.api.types.NetworkSpec.newBuilder()
                .setAnnotations(io.swarmlet.api.types.Annotations.newBuilder().setName("mynet"))).build());
        h.api.createConfig(io.swarmlet.api.types.CreateConfigRequest.newBuilder().setSpec(io.swarmlet.api.types.ConfigSpec.newBuilder()
                .setAnnotations(io.swarmlet.api.types.Annotations.newBuilder().setName("c1")).setData(ByteString.copyFromUtf8("x"))).build());
        String id = create(CliBodies.CREATE_RICH.replace("SECRET_ID", "s1").replace("CONFIG_ID", "c1").replace("NETWORK_ID", "mynet"));
        Service s = stored(id);
        assertEquals("/run/secrets/s1", s.getSpec().getTask().getContainer().getSecrets(0).getTarget());
        assertEquals(1, s.getSpec().getTask().getContainer().getSecrets(0).getVersion());
        JsonNode shown = inspect(id);
        assertEquals("s1", shown.at("/Spec/TaskTemplate/ContainerSpec/Secrets/0/File/Name").asText());
        assertEquals(292, shown.at("/Spec/TaskTemplate/ContainerSpec/Secrets/0/File/Mode").asInt());
        assertFalse(shown.toString().contains("pw"), "no secret value in the answer");
        UnixHttp.Answer a = h.http.post("/v1.41/services/" + id + "/update?version=" + shown.get("Version").get("Index").asLong(),
                shown.get("Spec").toString());
        assertEquals(200, a.status(), a.toString());
        assertEquals(s.getSpec(), stored(id).getSpec());
    }

    @Test
    void badRequestsWriteNothing() throws Exception {
        String id = create(body(CliBodies.CREATE_WEB, "bad"));
        int count = serviceCount();
        Service before = stored(id);
        String[][] rows = {
                {"/v1.41/services/create", "{\"Name\":", "invalid JSON"},
                {"/v1.41/services/create", "{\"Name\":\"x\",\"Colour\":1,\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"i\"}}}", "unknown field \"Colour\""},
                {"/v1.41/services/create", "{\"Name\":\"x\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":7}}}", "TaskTemplate.ContainerSpec.Image: expected a string"},
                {"/v1.41/services/create", "{\"Name\":\"x\",\"TaskTemplate\":{}}", "ContainerSpec: image reference must be provided"},
                {"/v1.41/services/create", body(CliBodies.CREATE_WEB, "bad"), "already exists"},
                {"/v1.41/services/" + id + "/update?version=" + before.getMeta().getVersion(),
                        CliBodies.CREATE_WEB.replace("swarmlet/busybox:1", ""), "image reference must be provided"},
                {"/v1.41/services/" + id + "/update", body(CliBodies.CREATE_WEB, "bad"), "invalid service version ''"},
                {"/v1.41/services/" + id + "/update?version=" + before.getMeta().getVersion() + "&rollback=sideways",
                        body(CliBodies.CREATE_WEB, "bad"), "unrecognized rollback option sideways"},
                {"/v1.41/services/" + id + "/update?version=" + before.getMeta().getVersion(), body(CliBodies.CREATE_WEB, "renamed"),
                        "renaming services is not supported"},
        };
        for (String[] row : rows) {
            UnixHttp.Answer a = h.http.post(row[0], row[1]);
            int want = row[2].contains("already exists") ? 409 : 400;
            assertEquals(want, a.status(), row[1] + " -> " + a);
            assertTrue(a.json().get("message").asText().contains(row[2]), a.toString());
            assertEquals(count, serviceCount());
            assertEquals(before, stored(id));
        }
        String missing = ApiHarness.id("nosuch");
        assertEquals(404, h.http.get("/v1.41/services/" + missing).status());
        assertEquals(404, h.http.post("/v1.41/services/" + missing + "/update?version=3", CliBodies.SCALE_5).status());
        assertEquals(404, h.http.delete("/v1.41/services/" + missing).status());
        assertEquals(404, h.http.get("/v1.41/services/" + missing + "/logs?stdout=1").status());
        assertEquals(count, serviceCount());
    }

    @Test
    void deleteAnswers200WithoutBody() throws Exception {
        String id = create(body(CliBodies.CREATE_WEB, "gone"));
        UnixHttp.Answer a = h.http.delete("/v1.41/services/gone");
        assertEquals(200, a.status(), a.toString());
        assertEquals(0, a.body().length);
        assertEquals(404, h.http.get("/v1.41/services/" + id).status());
    }

    /** The harness's control API with {@code logs} answered from {@code lines} (the harness has no dispatcher). */
    static ControlApi withLogs(List<LogMessage> lines, AtomicReference<LogsRequest> asked) {
        return (ControlApi) Proxy.newProxyInstance(ControlApi.class.getClassLoader(), new Class<?>[] {ControlApi.class}, (p, m, args) -> {
            if (m.getName().equals("logs")) {
                asked.set((LogsRequest) args[0]);
                @SuppressWarnings("unchecked")
                Consumer<LogMessage> sink = (Consumer<LogMessage>) args[1];
                lines.forEach(sink);
                return null;
            }
            try {
                return m.invoke(h.api, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    /** Docker's multiplexed frames: [stream, text]. */
    static List<String[]> frames(byte[] body) {
        List<String[]> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(body);
        while (b.remaining() >= 8) {
            int stream = b.get();
            assertArrayEquals(new byte[] {0, 0, 0}, new byte[] {b.get(), b.get(), b.get()});
            byte[] p = new byte[b.getInt()];
            b.get(p);
            out.add(new String[] {Integer.toString(stream), new String(p, StandardCharsets.UTF_8)});
        }
        assertEquals(0, b.remaining());
        return out;
    }

    @Test
    void logsAreDockersMultiplexedStreamWithDetails() throws Exception {
        String id = create(body(CliBodies.CREATE_WEB, "logs"));
        String t1 = ApiHarness.id("tasklog1");
        long ts = 1_700_000_000_123L;
        List<LogMessage> lines = List.of(
                LogMessage.newBuilder().setTaskId(t1).setNodeId(ApiHarness.W1).setServiceName("logs").setSlot(1).setTimestamp(ts).setLine("hello").build(),
                LogMessage.newBuilder().setTaskId(t1).setNodeId(ApiHarness.W1).setServiceName("logs").setSlot(1).setTimestamp(ts + 1).setStderr(true).setLine("oops").build());
        AtomicReference<LogsRequest> asked = new AtomicReference<>();
        h.control.set(withLogs(lines, asked));
        try {
            UnixHttp.Answer a = h.http.get("/v1.41/services/logs/logs?stdout=1&stderr=1&details=1&timestamps=1&tail=10&follow=0");
            assertEquals(200, a.status(), a.toString());
            assertEquals(ServiceLogs.RAW_STREAM, a.header("Content-Type"));
            List<String[]> f = frames(a.body());
            assertEquals(2, f.size());
            assertEquals("1", f.get(0)[0]);
            assertEquals("2023-11-14T22:13:20.123000000Z com.docker.swarm.node.id=" + ApiHarness.W1 + ",com.docker.swarm.service.id=" + id
                    + ",com.docker.swarm.task.id=" + t1 + " hello\n", f.get(0)[1]);
            assertEquals("2", f.get(1)[0]);
            assertTrue(f.get(1)[1].endsWith(" oops\n"));
            assertEquals(id, asked.get().getId());
            assertEquals(10, asked.get().getTail());

            List<String[]> onlyOut = frames(h.http.get("/v1.41/services/" + id + "/logs?stdout=1").body());
            assertEquals(1, onlyOut.size());
            assertEquals("hello\n", onlyOut.get(0)[1]);
            assertEquals(-1, asked.get().getTail(), "no tail is all");
            assertEquals(0, frames(h.http.get("/v1.41/services/" + id + "/logs?stdout=1&stderr=1&since=1700000001").body()).size(),
                    "since keeps later lines only");
            UnixHttp.Answer none = h.http.get("/v1.41/services/" + id + "/logs");
            assertEquals(400, none.status());
            assertEquals("must specify at least one of 'stdout' or 'stderr'", none.json().get("message").asText());
            assertEquals(400, h.http.get("/v1.41/services/" + id + "/logs?stdout=1&tail=some").status());
        } finally {
            h.control.set(h.api);
        }
    }

    @Test
    void aFollowStreamEndsWhenTheClientGoesAway() throws Exception {
        String id = create(body(CliBodies.CREATE_WEB, "follow"));
        java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
        AtomicReference<Throwable> endedBy = new AtomicReference<>();
        h.control.set((ControlApi) Proxy.newProxyInstance(ControlApi.class.getClassLoader(), new Class<?>[] {ControlApi.class}, (p, m, args) -> {
            if (!m.getName().equals("logs")) {
                try {
                    return m.invoke(h.api, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }
            @SuppressWarnings("unchecked")
            Consumer<LogMessage> sink = (Consumer<LogMessage>) args[1];
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            try {
                while (System.nanoTime() < deadline) { // as the dispatcher does: lines until the sink throws
                    sink.accept(LogMessage.newBuilder().setTaskId("t").setNodeId("n").setLine("tick").build());
                }
            } catch (RuntimeException e) {
                endedBy.set(e);
                throw e;
            } finally {
                ended.countDown();
            }
            return null;
        }));
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(h.server.socket()));
            ch.write(ByteBuffer.wrap(("GET /v1.41/services/" + id + "/logs?stdout=1&follow=1 HTTP/1.1\r\nHost: x\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (!got.toString(StandardCharsets.ISO_8859_1).contains("tick")) {
                buf.clear();
                assertTrue(ch.read(buf) > 0, "the stream ended early: " + got);
                got.write(buf.array(), 0, buf.position());
            }
            assertTrue(got.toString(StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"), got.toString());
        } finally {
            try {
                assertTrue(ended.await(15, java.util.concurrent.TimeUnit.SECONDS), "the log stream did not stop after the client left");
                assertTrue(endedBy.get() != null, "stopped by the failed write");
            } finally {
                h.control.set(h.api);
            }
        }
    }

    @Test
    void logsWithoutADispatcherEndInADockerErrorFrame() throws Exception {
        create(body(CliBodies.CREATE_WEB, "nodisp"));
        UnixHttp.Answer a = h.http.get("/v1.41/services/nodisp/logs?stdout=1&stderr=1");
        assertEquals(200, a.status());
        List<String[]> f = frames(a.body());
        assertEquals(1, f.size());
        assertEquals("3", f.get(0)[0]);
        assertTrue(f.get(0)[1].startsWith("Error grabbing logs: "), f.get(0)[1]);
    }

    @Test
    void ttyServicesLogRaw() throws Exception {
        String id = create("{\"Name\":\"ttylogs\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"swarmlet/busybox:1\",\"TTY\":true}}}");
        h.control.set(withLogs(List.of(LogMessage.newBuilder().setTaskId("t").setNodeId("n").setLine("raw line").build()), new AtomicReference<>()));
        try {
            UnixHttp.Answer a = h.http.get("/v1.41/services/" + id + "/logs?stdout=1");
            assertEquals("raw line\n", a.text());
        } finally {
            h.control.set(h.api);
        }
    }

    @Test
    void inspectOfAJobShowsJobStatus() throws Exception {
        create(CliBodies.CREATE_JOB.replace("\"Name\":\"job\"", "\"Name\":\"jobinsp\""));
        JsonNode s = inspect("jobinsp");
        assertEquals(1, s.at("/Spec/Mode/ReplicatedJob/MaxConcurrent").asInt());
        assertEquals(2, s.at("/Spec/Mode/ReplicatedJob/TotalCompletions").asInt());
        assertEquals("on-failure", s.at("/Spec/TaskTemplate/RestartPolicy/Condition").asText());
        assertTrue(s.get("JobStatus").has("JobIteration"), s.toString());
    }
}
