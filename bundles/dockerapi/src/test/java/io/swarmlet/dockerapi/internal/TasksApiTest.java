package io.swarmlet.dockerapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.types.ContainerStatus;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.NetworkAttachment;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/** {@code /tasks}: Docker's filters (what {@code docker service ps} and the CLI's progress send) and task JSON. */
class TasksApiTest {

    @TempDir
    static Path dir;

    static ApiHarness h;
    static Service web;
    static Service api;
    static Task running;
    static Task old;
    static Task pending;
    static Task apiTask;

    @BeforeAll
    static void start() throws Exception {
        h = new ApiHarness(dir);
        ServicesApiTest.h = h;
        String webId = ServicesApiTest.create(CliBodies.CREATE_WEB);
        String apiId = ServicesApiTest.create("{\"Name\":\"api\",\"Labels\":{\"com.docker.stack.namespace\":\"app\"},\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"swarmlet/busybox:1\"}}}");
        web = ServicesApiTest.stored(webId);
        api = ServicesApiTest.stored(apiId);
        old = ServicesApiTest.task(web, 1, ApiHarness.W1, TaskState.SHUTDOWN, TaskState.SHUTDOWN);
        // the service moves on to a new image: old is no longer up to date
        UnixHttp.Answer up = h.http.post("/v1.41/services/" + webId + "/update?version=" + web.getMeta().getVersion(), CliBodies.UPDATE_IMAGE);
        assertEquals(200, up.status(), up.toString());
        web = ServicesApiTest.stored(webId);
        String rid = ServicesApiTest.task(web, 1, ApiHarness.W1, TaskState.RUNNING, TaskState.RUNNING).getId();
        Task r = h.store.view(tx -> tx.get(Kind.TASK, rid)).orElseThrow();
        Network net = Network.newBuilder().setId(ApiHarness.id("net")).setSpec(io.swarmlet.api.types.NetworkSpec.newBuilder()
                .setAnnotations(io.swarmlet.api.types.Annotations.newBuilder().setName("app_default")))
                .setIpam(io.swarmlet.api.types.IPAMOptions.newBuilder().addConfigs(io.swarmlet.api.types.IPAMConfig.newBuilder()
                        .setSubnet("10.0.3.0/24").setGateway("10.0.3.1"))).build();
        running = r.toBuilder().setStatus(r.getStatus().toBuilder().setContainerStatus(ContainerStatus.newBuilder()
                        .setContainerId("c0ffee").setPid(42)))
                .addNetworks(NetworkAttachment.newBuilder().setNetworkId(net.getId()).setNetwork(net).addAddresses("10.0.3.7"))
                .build();
        h.store.update(tx -> tx.update(Kind.TASK, running));
        pending = ServicesApiTest.task(web, 2, "", TaskState.PENDING, TaskState.RUNNING);
        apiTask = ServicesApiTest.task(api, 1, ApiHarness.M1, TaskState.RUNNING, TaskState.RUNNING);
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    static Set<String> ids(String filters) throws Exception {
        UnixHttp.Answer a = h.http.get("/v1.41/tasks?filters=" + URLEncoder.encode(filters, StandardCharsets.UTF_8));
        assertEquals(200, a.status(), a.toString());
        Set<String> out = new HashSet<>();
        a.json().forEach(t -> out.add(t.get("ID").asText()));
        return out;
    }

    static Stream<Arguments> filters() {
        return Stream.of(
                Arguments.of("{}", Set.of("old", "running", "pending", "api")),
                Arguments.of("{\"service\":{\"web\":true}}", Set.of("old", "running", "pending")),
                Arguments.of("{\"service\":{\"WEBID\":true},\"_up-to-date\":{\"true\":true}}", Set.of("running", "pending")),
                Arguments.of("{\"service\":[\"api\"]}", Set.of("api")),
                Arguments.of("{\"node\":{\"w1\":true}}", Set.of("old", "running")),
                Arguments.of("{\"node\":{\"" + ApiHarness.M1 + "\":true}}", Set.of("api")),
                Arguments.of("{\"desired-state\":{\"running\":true}}", Set.of("running", "pending", "api")),
                Arguments.of("{\"desired-state\":{\"shutdown\":true,\"accepted\":true}}", Set.of("old")),
                Arguments.of("{\"name\":{\"web.2\":true}}", Set.of("pending")),
                Arguments.of("{\"runtime\":{\"container\":true},\"service\":{\"api\":true}}", Set.of("api")),
                // docker stack ps: a task's labels are its service's, as SwarmKit
                Arguments.of("{\"label\":{\"com.docker.stack.namespace=app\":true}}", Set.of("api")),
                Arguments.of("{\"label\":{\"com.docker.stack.namespace\":true}}", Set.of("api")),
                Arguments.of("{\"label\":{\"com.docker.stack.namespace=other\":true}}", Set.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("filters")
    void dockerFilters(String filters, Set<String> expected) throws Exception {
        java.util.Map<String, String> names = java.util.Map.of(old.getId(), "old", running.getId(), "running", pending.getId(), "pending",
                apiTask.getId(), "api");
        Set<String> got = new HashSet<>();
        ids(filters.replace("WEBID", web.getId())).forEach(id -> got.add(names.getOrDefault(id, id)));
        assertEquals(expected, got);
    }

    @Test
    void idPrefixAndBadFilters() throws Exception {
        assertEquals(Set.of(apiTask.getId()), ids("{\"id\":{\"" + apiTask.getId().substring(0, 12) + "\":true}}"));
        UnixHttp.Answer bad = h.http.get("/v1.41/tasks?filters=" + URLEncoder.encode("{\"colour\":[\"red\"]}", StandardCharsets.UTF_8));
        assertEquals(400, bad.status());
        assertEquals("invalid filter 'colour'", bad.json().get("message").asText());
        UnixHttp.Answer state = h.http.get("/v1.41/tasks?filters=" + URLEncoder.encode("{\"desired-state\":[\"sleeping\"]}", StandardCharsets.UTF_8));
        assertEquals(400, state.status());
        assertEquals("Invalid desired-state filter: 'sleeping'", state.json().get("message").asText());
        assertEquals(404, h.http.get("/v1.41/tasks?filters=" + URLEncoder.encode("{\"service\":[\"nosuch\"]}", StandardCharsets.UTF_8)).status());
        assertEquals(404, h.http.get("/v1.41/tasks?filters=" + URLEncoder.encode("{\"node\":[\"nosuch\"]}", StandardCharsets.UTF_8)).status());
    }

    @Test
    void inspectShowsDockersTask() throws Exception {
        UnixHttp.Answer a = h.http.get("/v1.41/tasks/" + running.getId());
        assertEquals(200, a.status(), a.toString());
        JsonNode t = a.json();
        assertEquals(running.getId(), t.get("ID").asText());
        assertTrue(t.get("Version").get("Index").asLong() > 0);
        assertEquals(web.getId(), t.get("ServiceID").asText());
        assertEquals(1, t.get("Slot").asInt());
        assertEquals(ApiHarness.W1, t.get("NodeID").asText());
        assertEquals("running", t.get("DesiredState").asText());
        assertEquals("running", t.at("/Status/State").asText());
        assertTrue(t.at("/Status/Timestamp").asText().endsWith("Z"));
        assertEquals("c0ffee", t.at("/Status/ContainerStatus/ContainerID").asText());
        assertEquals(42, t.at("/Status/ContainerStatus/PID").asInt());
        assertEquals(0, t.at("/Status/ContainerStatus/ExitCode").asInt());
        assertTrue(t.at("/Status/PortStatus").isObject());
        assertEquals("swarmlet/busybox:2", t.at("/Spec/ContainerSpec/Image").asText());
        assertEquals("app_default", t.at("/NetworksAttachments/0/Network/Spec/Name").asText());
        assertEquals("10.0.3.7/24", t.at("/NetworksAttachments/0/Addresses/0").asText());
        assertTrue(t.get("Labels").isObject());
        UnixHttp.Answer pend = h.http.get("/v1.41/tasks/" + pending.getId().substring(0, 14));
        assertEquals("pending", pend.json().at("/Status/State").asText());
        assertTrue(pend.json().path("NodeID").isMissingNode(), "no node yet: no NodeID, as Docker");
        assertEquals(404, h.http.get("/v1.41/tasks/" + ApiHarness.id("nosuch")).status());
    }
}
