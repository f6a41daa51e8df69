package io.swarmlet.dockerapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.GetConfigRequest;
import io.swarmlet.api.types.GetNetworkRequest;
import io.swarmlet.api.types.GetNodeRequest;
import io.swarmlet.api.types.GetSecretRequest;
import io.swarmlet.api.types.ListClustersRequest;
import io.swarmlet.api.types.ListConfigsRequest;
import io.swarmlet.api.types.ListNetworksRequest;
import io.swarmlet.api.types.ListNodesRequest;
import io.swarmlet.api.types.ListSecretsRequest;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /info, /swarm, /nodes, /secrets, /configs, /networks and /containers/json through the socket. */
class SwarmEndpointsTest {

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

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static String filters(String json) {
        return "filters=" + URLEncoder.encode(json, StandardCharsets.UTF_8);
    }

    static JsonNode ok(UnixHttp.Answer a) {
        assertTrue(a.status() / 100 == 2, a.toString());
        return a.body().length == 0 ? null : a.json();
    }

    static Cluster cluster() {
        return h.api.listClusters(ListClustersRequest.getDefaultInstance()).getClusters(0);
    }

    static long nodeVersion(String id) {
        return h.api.getNode(GetNodeRequest.newBuilder().setId(id).build()).getNode().getMeta().getVersion();
    }

    static List<String> ids(JsonNode list, String field) {
        List<String> out = new ArrayList<>();
        list.forEach(n -> out.add(n.get(field).asText()));
        return out;
    }

    @Test
    void infoHasATruthfulSwarmSection() throws Exception {
        JsonNode info = ok(h.http.get("/v1.41/info"));
        assertEquals("m1", info.get("Name").asText());
        assertEquals("linux", info.get("OSType").asText());
        assertEquals(2, info.get("NCPU").asInt());
        assertEquals(1L << 33, info.get("MemTotal").asLong());
        JsonNode swarm = info.get("Swarm");
        assertEquals(ApiHarness.M1, swarm.get("NodeID").asText());
        assertEquals("10.0.0.1", swarm.get("NodeAddr").asText());
        assertEquals("active", swarm.get("LocalNodeState").asText());
        assertTrue(swarm.get("ControlAvailable").asBoolean());
        assertEquals("", swarm.get("Error").asText());
        assertEquals(2, swarm.get("Nodes").asInt());
        assertEquals(1, swarm.get("Managers").asInt());
        assertEquals(ApiHarness.M1, swarm.get("RemoteManagers").get(0).get("NodeID").asText());
        assertEquals("10.0.0.1:4242", swarm.get("RemoteManagers").get(0).get("Addr").asText(), "the remote API: where nodes join");
        assertEquals(cluster().getId(), swarm.get("Cluster").get("ID").asText());
        assertEquals("10.0.0.0/8", swarm.get("Cluster").get("DefaultAddrPool").get(0).asText());
    }

    @Test
    void swarmInspectAndUpdate() throws Exception {
        JsonNode swarm = ok(h.http.get("/v1.41/swarm"));
        assertEquals("SWMTKN-1-worker", swarm.get("JoinTokens").get("Worker").asText());
        assertEquals("SWMTKN-1-manager", swarm.get("JoinTokens").get("Manager").asText());
        assertEquals("default", swarm.get("Spec").get("Name").asText());
        long v = swarm.get("Version").get("Index").asLong();
        String spec = "{\"Name\":\"default\",\"Labels\":{\"env\":\"prod\"},\"Orchestration\":{\"TaskHistoryRetentionLimit\":3},"
                + "\"Raft\":{\"SnapshotInterval\":5000,\"KeepOldSnapshots\":2,\"LogEntriesForSlowFollowers\":0,\"ElectionTick\":10,\"HeartbeatTick\":1},"
                + "\"Dispatcher\":{\"HeartbeatPeriod\":5000000000},\"CAConfig\":{\"NodeCertExpiry\":7776000000000000},"
                + "\"TaskDefaults\":{},\"EncryptionConfig\":{\"AutoLockManagers\":false}}";
        ok(h.http.post("/v1.41/swarm/update?version=" + v + "&rotateWorkerToken=true", spec));
        Cluster c = cluster();
        assertEquals("prod", c.getSpec().getAnnotations().getLabelsMap().get("env"));
        assertEquals(3, c.getSpec().getOrchestration().getTaskHistoryRetentionLimit());
        assertEquals(5000, c.getSpec().getRaft().getSnapshotInterval());
        assertEquals(2, c.getSpec().getRaft().getKeepOldSnapshots());
        assertEquals(10, c.getSpec().getRaft().getElectionTick());
        assertEquals(5000, c.getSpec().getDispatcher().getHeartbeatPeriodMs());
        assertEquals(90L * 24 * 3600 * 1000, c.getSpec().getCaConfig().getNodeCertExpiryMs());
        assertNotEquals("SWMTKN-1-worker", c.getJoinTokens().getWorker());
        assertEquals("SWMTKN-1-manager", c.getJoinTokens().getManager());
        JsonNode after = ok(h.http.get("/v1.41/swarm"));
        assertEquals(5_000_000_000L, after.get("Spec").get("Dispatcher").get("HeartbeatPeriod").asLong());
        assertEquals(c.getJoinTokens().getWorker(), after.get("JoinTokens").get("Worker").asText());
        assertEquals("", ok(h.http.get("/v1.41/swarm/unlockkey")).get("UnlockKey").asText());
    }

    @Test
    void nodeListFiltersAndInspect() throws Exception {
        assertEquals(List.of(ApiHarness.W1), ids(ok(h.http.get("/v1.41/nodes?" + filters("{\"role\":{\"worker\":true}}"))), "ID"));
        assertEquals(List.of(ApiHarness.M1), ids(ok(h.http.get("/v1.41/nodes?" + filters("{\"name\":[\"m\"]}"))), "ID"));
        assertEquals(List.of(ApiHarness.M1), ids(ok(h.http.get("/v1.41/nodes?" + filters("{\"id\":[\"nodem\"]}"))), "ID"));
        assertEquals(2, ok(h.http.get("/v1.41/nodes?" + filters("{\"node.label\":[\"zone=a\"]}"))).size());
        assertEquals(0, ok(h.http.get("/v1.41/nodes?" + filters("{\"label\":[\"zone\"]}"))).size(), "label is the engine's");
        JsonNode m1 = ok(h.http.get("/v1.41/nodes/m1"));
        assertEquals(ApiHarness.M1, m1.get("ID").asText());
        assertEquals("manager", m1.get("Spec").get("Role").asText());
        assertTrue(m1.get("ManagerStatus").get("Leader").asBoolean());
        assertEquals("reachable", m1.get("ManagerStatus").get("Reachability").asText());
        assertEquals("ready", m1.get("Status").get("State").asText());
        assertFalse(ok(h.http.get("/v1.41/nodes/" + ApiHarness.W1)).has("ManagerStatus"));
    }

    @Test
    void nodeUpdateKeepsMembership() throws Exception {
        NodeSpec.Membership before = h.api.getNode(GetNodeRequest.newBuilder().setId("w1").build()).getNode().getSpec().getMembership();
        ok(h.http.post("/v1.41/nodes/w1/update?version=" + nodeVersion("w1"),
                "{\"Name\":\"\",\"Labels\":{\"zone\":\"b\"},\"Role\":\"worker\",\"Availability\":\"pause\"}"));
        NodeSpec spec = h.api.getNode(GetNodeRequest.newBuilder().setId("w1").build()).getNode().getSpec();
        assertEquals(NodeSpec.Availability.PAUSE, spec.getAvailability());
        assertEquals("b", spec.getAnnotations().getLabelsMap().get("zone"));
        assertEquals(before, spec.getMembership());
        ok(h.http.post("/v1.41/nodes/w1/update?version=" + nodeVersion("w1"),
                "{\"Labels\":{\"zone\":\"a\"},\"Role\":\"worker\",\"Availability\":\"active\"}"));
    }

    @Test
    void secretLifecycleNeverShowsTheValue() throws Exception {
        JsonNode created = h.http.post("/v1.41/secrets/create",
                "{\"Name\":\"api_key\",\"Labels\":{\"com.docker.stack.namespace\":\"app\"},\"Data\":\"" + b64("k3y-value") + "\"}").json();
        String id = created.get("ID").asText();
        try {
            UnixHttp.Answer list = h.http.get("/v1.41/secrets?" + filters("{\"label\":[\"com.docker.stack.namespace=app\"]}"));
            assertEquals(List.of(id), ids(ok(list), "ID"));
            assertEquals(List.of(id), ids(ok(h.http.get("/v1.41/secrets?" + filters("{\"name\":[\"api\"]}"))), "ID"));
            assertEquals(0, ok(h.http.get("/v1.41/secrets?" + filters("{\"names\":[\"api\"]}"))).size());
            UnixHttp.Answer inspect = h.http.get("/v1.41/secrets/api_key");
            JsonNode s = ok(inspect);
            assertEquals("api_key", s.get("Spec").get("Name").asText());
            assertFalse(s.get("Spec").has("Data"));
            assertFalse(inspect.text().contains(b64("k3y-value")) || list.text().contains(b64("k3y-value")));
            long v = s.get("Version").get("Index").asLong();
            // Docker's stack deploy sends the value again: equal, so only the labels change.
            ok(h.http.post("/v1.41/secrets/" + id + "/update?version=" + v,
                    "{\"Name\":\"api_key\",\"Labels\":{\"x\":\"1\"},\"Data\":\"" + b64("k3y-value") + "\"}"));
            var stored = h.api.getSecret(GetSecretRequest.newBuilder().setId(id).build()).getSecret();
            assertEquals(java.util.Map.of("x", "1"), stored.getSpec().getAnnotations().getLabelsMap());
            UnixHttp.Answer changed = h.http.post("/v1.41/secrets/" + id + "/update?version=" + stored.getMeta().getVersion(),
                    "{\"Name\":\"api_key\",\"Labels\":{},\"Data\":\"" + b64("other-value") + "\"}");
            assertEquals(400, changed.status(), changed.toString());
            assertTrue(changed.text().contains("only updates to Labels are allowed"), changed.toString());
            assertFalse(changed.text().contains("other-value") || changed.text().contains(b64("other-value")));
        } finally {
            assertEquals(204, h.http.delete("/v1.41/secrets/" + id).status());
        }
        assertEquals(404, h.http.get("/v1.41/secrets/" + id).status());
    }

    @Test
    void configLifecycleShowsTheValue() throws Exception {
        UnixHttp.Answer created = h.http.post("/v1.41/configs/create", "{\"Name\":\"app_conf\",\"Data\":\"" + b64("a=1") + "\"}");
        assertEquals(201, created.status(), created.toString());
        String id = created.json().get("ID").asText();
        JsonNode c = ok(h.http.get("/v1.41/configs/" + id));
        assertEquals(b64("a=1"), c.get("Spec").get("Data").asText());
        long v = c.get("Version").get("Index").asLong();
        ok(h.http.post("/v1.41/configs/app_conf/update?version=" + v, "{\"Name\":\"app_conf\",\"Labels\":{\"l\":\"v\"},\"Data\":\"" + b64("a=1") + "\"}"));
        assertEquals("v", h.api.getConfig(GetConfigRequest.newBuilder().setId(id).build()).getConfig().getSpec().getAnnotations()
                .getLabelsMap().get("l"));
        assertEquals(409, h.http.post("/v1.41/configs/app_conf/update?version=" + v, "{\"Name\":\"app_conf\",\"Labels\":{}}").status());
        assertEquals(List.of(id), ids(ok(h.http.get("/v1.41/configs?" + filters("{\"label\":[\"l=v\"]}"))), "ID"));
        assertEquals(204, h.http.delete("/v1.41/configs/app_conf").status());
        assertEquals(0, h.api.listConfigs(ListConfigsRequest.getDefaultInstance()).getConfigsCount());
    }

    @Test
    void networkLifecycle() throws Exception {
        UnixHttp.Answer created = h.http.post("/v1.41/networks/create", "{\"Name\":\"app_default\",\"CheckDuplicate\":true,"
                + "\"Driver\":\"overlay\",\"Scope\":\"swarm\",\"Internal\":false,\"Attachable\":true,\"Ingress\":false,"
                + "\"IPAM\":{\"Driver\":\"default\",\"Config\":[{\"Subnet\":\"10.77.0.0/24\",\"Gateway\":\"10.77.0.1\"}],\"Options\":null},"
                + "\"Options\":{},\"Labels\":{\"com.docker.stack.namespace\":\"app\"}}");
        assertEquals(201, created.status(), created.toString());
        String id = created.json().get("Id").asText();
        assertEquals("", created.json().get("Warning").asText());
        var n = h.api.getNetwork(GetNetworkRequest.newBuilder().setId(id).build()).getNetwork();
        assertEquals("10.77.0.0/24", n.getIpam().getConfigs(0).getSubnet());
        JsonNode listed = ok(h.http.get("/v1.41/networks?" + filters("{\"label\":{\"com.docker.stack.namespace=app\":true}}")));
        assertEquals(List.of(id), ids(listed, "Id"));
        assertEquals("swarm", listed.get(0).get("Scope").asText());
        assertEquals("10.77.0.1", listed.get(0).get("IPAM").get("Config").get(0).get("Gateway").asText());
        assertEquals(0, ok(h.http.get("/v1.41/networks?" + filters("{\"scope\":[\"local\"]}"))).size());
        assertEquals(0, ok(h.http.get("/v1.41/networks?" + filters("{\"driver\":[\"bridge\"]}"))).size());
        assertEquals(1, ok(h.http.get("/v1.41/networks?" + filters("{\"name\":[\"default\"],\"type\":[\"custom\"]}"))).size());
        assertEquals("app_default", ok(h.http.get("/v1.41/networks/app_default")).get("Name").asText());
        assertEquals(204, h.http.delete("/v1.41/networks/" + id).status());
        assertEquals(404, h.http.get("/v1.41/networks/" + id).status());
    }

    @Test
    void containersListsTaskContainers() throws Exception {
        String taskId = ApiHarness.id("taskc");
        h.store.update(tx -> {
            Task.Builder t = Task.newBuilder().setId(taskId).setServiceId(ApiHarness.id("svc")).setSlot(2).setNodeId(ApiHarness.W1)
                    .setDesiredState(TaskState.RUNNING);
            t.getServiceAnnotationsBuilder().setName("web");
            t.getSpecBuilder().getContainerBuilder().setImage("swarmlet/busybox:1").addCommand("sleep").addArgs("60");
            t.getStatusBuilder().setState(TaskState.RUNNING).setTimestamp(System.currentTimeMillis())
                    .getContainerStatusBuilder().setContainerId("c0ffee1234");
            tx.create(Kind.TASK, t.build());
            Task.Builder noContainer = Task.newBuilder().setId(ApiHarness.id("taskp")).setServiceId(ApiHarness.id("svc")).setSlot(3);
            noContainer.getStatusBuilder().setState(TaskState.PENDING);
            tx.create(Kind.TASK, noContainer.build());
        });
        try {
            JsonNode list = ok(h.http.get("/v1.41/containers/json"));
            assertEquals(1, list.size(), list.toString());
            JsonNode c = list.get(0);
            assertEquals("c0ffee1234", c.get("Id").asText());
            assertEquals("/web.2." + taskId, c.get("Names").get(0).asText());
            assertEquals("swarmlet/busybox:1", c.get("Image").asText());
            assertEquals("sleep 60", c.get("Command").asText());
            assertEquals("running", c.get("State").asText());
            assertEquals("web", c.get("Labels").get("com.docker.swarm.service.name").asText());
            assertEquals(taskId, c.get("Labels").get("com.docker.swarm.task.id").asText());
            assertEquals(1, ok(h.http.get("/v1.41/containers/json?" + filters("{\"label\":[\"com.docker.swarm.service.name=web\"]}"))).size());
            assertEquals(0, ok(h.http.get("/v1.41/containers/json?" + filters("{\"status\":[\"exited\"]}"))).size());
            assertEquals(501, h.http.get("/v1.41/containers/c0ffee1234/json").status());
        } finally {
            h.store.update(tx -> {
                tx.delete(Kind.TASK, taskId);
                tx.delete(Kind.TASK, ApiHarness.id("taskp"));
            });
        }
    }

    record Bad(String method, String path, String body, int status, String message) {}

    /** Everything the control API holds that these calls could change. */
    static String snapshot() {
        return h.api.listNodes(ListNodesRequest.getDefaultInstance()).toString()
                + h.api.listClusters(ListClustersRequest.getDefaultInstance())
                + h.api.listSecrets(ListSecretsRequest.getDefaultInstance())
                + h.api.listConfigs(ListConfigsRequest.getDefaultInstance())
                + h.api.listNetworks(ListNetworksRequest.getDefaultInstance());
    }

    @Test
    void badRequestsAnswerDockerErrorsAndWriteNothing() throws Exception {
        String secretId = h.http.post("/v1.41/secrets/create", "{\"Name\":\"taken\",\"Data\":\"" + b64("v1") + "\"}").json().get("ID").asText();
        String netId = h.http.post("/v1.41/networks/create", "{\"Name\":\"takennet\",\"Driver\":\"overlay\"}").json().get("Id").asText();
        try {
            long w1 = nodeVersion("w1");
            long cv = cluster().getMeta().getVersion();
            long sv = h.api.getSecret(GetSecretRequest.newBuilder().setId(secretId).build()).getSecret().getMeta().getVersion();
            String node = "\"Role\":\"worker\",\"Availability\":\"drain\"";
            List<Bad> rows = List.of(
                    new Bad("POST", "/secrets/create", "{\"Name\":\"x\",\"Data\":\"" + b64("p4ss") + "\"", 400, "invalid JSON in the secret request body"),
                    new Bad("POST", "/secrets/create", "{\"Name\":\"x\",\"Data\":\"aGk=\",\"Bogus\":1}", 400, "unknown field \"Bogus\""),
                    new Bad("POST", "/secrets/create", "{\"Name\":\"x\",\"Data\":5}", 400, "Data: expected a base64 string"),
                    new Bad("POST", "/secrets/create", "{\"Name\":\"x\",\"Data\":\"!!!\"}", 400, "Data: not valid base64"),
                    new Bad("POST", "/secrets/create", "{\"Name\":\"x\",\"Data\":\"aGk=\",\"Templating\":{\"Name\":\"golang\"}}", 400,
                            "Templating is not supported by Swarmlet"),
                    new Bad("POST", "/secrets/create", "{\"Name\":\"taken\",\"Data\":\"aGk=\"}", 409, "already exists"),
                    new Bad("POST", "/secrets/" + secretId + "/update?version=" + sv, "{\"Name\":\"taken\",\"Data\":\"" + b64("v2") + "\"}", 400,
                            "only updates to Labels are allowed"),
                    new Bad("POST", "/secrets/" + secretId + "/update?version=" + (sv + 100), "{\"Name\":\"taken\",\"Labels\":{\"a\":\"b\"}}", 409,
                            "update out of sequence"),
                    new Bad("POST", "/secrets/" + secretId + "/update?version=" + sv, "{\"Name\":\"renamed\"}", 400, "only updates to Labels"),
                    new Bad("GET", "/secrets/nosuch", null, 404, "No such secret: nosuch"),
                    new Bad("DELETE", "/secrets/nosuch", null, 404, "No such secret"),
                    new Bad("GET", "/secrets?" + filters("{\"bogus\":[\"x\"]}"), null, 400, "invalid filter 'bogus'"),
                    new Bad("POST", "/configs/create", "{\"Name\":\"c\",\"Data\":\"aGk=\",\"Labels\":{\"a\":1}}", 400, "Labels.a: expected a string"),
                    new Bad("POST", "/configs/create", "[]", 400, "expected a JSON object"),
                    new Bad("POST", "/configs/nosuch/update?version=1", "{\"Name\":\"nosuch\"}", 404, "No such config"),
                    new Bad("POST", "/networks/create", "{\"Name\":\"n\",\"Driver\":\"bridge\"}", 400, "network driver \"bridge\" is not supported"),
                    new Bad("POST", "/networks/create", "{\"Name\":\"n\",\"EnableIPv6\":true}", 400, "EnableIPv6 is not supported"),
                    new Bad("POST", "/networks/create", "{\"Name\":\"n\",\"Scope\":\"local\"}", 400, "scope \"local\" is not supported"),
                    new Bad("POST", "/networks/create", "{\"Name\":\"takennet\"}", 409, "already exists"),
                    new Bad("POST", "/networks/create", "{\"Name\":\"n\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.9.0.0/24\","
                            + "\"AuxiliaryAddresses\":{\"a\":\"10.9.0.5\"}}]}}", 400, "IPAM.Config[0].AuxiliaryAddresses is not supported"),
                    new Bad("POST", "/networks/create", "{\"Name\":\"n\",\"Internal\":\"yes\"}", 400, "Internal: expected true or false"),
                    new Bad("DELETE", "/networks/nosuch", null, 404, "No such network"),
                    new Bad("GET", "/networks?" + filters("{\"type\":[\"odd\"]}"), null, 400, "invalid filter: 'type'='odd'"),
                    new Bad("POST", "/nodes/w1/update?version=" + w1, "{\"Role\":\"boss\",\"Availability\":\"active\"}", 400, "invalid Role: \"boss\""),
                    new Bad("POST", "/nodes/w1/update?version=" + w1, "{\"Role\":\"worker\",\"Availability\":\"asleep\"}", 400,
                            "invalid Availability: \"asleep\""),
                    new Bad("POST", "/nodes/w1/update", "{" + node + "}", 400, "invalid node version ''"),
                    new Bad("POST", "/nodes/w1/update?version=" + (w1 + 100), "{" + node + "}", 409, "update out of sequence"),
                    new Bad("POST", "/nodes/w1/update?version=" + w1, "{" + node + ",\"Membership\":\"accepted\"}", 400, "unknown field \"Membership\""),
                    new Bad("POST", "/nodes/nosuch/update?version=1", "{" + node + "}", 404, "No such node: nosuch"),
                    new Bad("GET", "/nodes/nosuch", null, 404, "No such node: nosuch"),
                    new Bad("GET", "/nodes?" + filters("{\"role\":[\"boss\"]}"), null, 400, "Invalid role filter: 'boss'"),
                    new Bad("DELETE", "/nodes/m1", null, 400, "must be demoted to worker before removal"),
                    new Bad("DELETE", "/nodes/w1", null, 400, "is not down and can't be removed"),
                    new Bad("POST", "/swarm/update?version=" + cv, "{\"Name\":\"default\",\"Raft\":{\"LogEntriesForSlowFollowers\":500}}", 400,
                            "Raft.LogEntriesForSlowFollowers is not supported"),
                    new Bad("POST", "/swarm/update?version=" + cv, "{\"Name\":\"default\",\"CAConfig\":{\"ExternalCAs\":[{\"URL\":\"x\"}]}}", 400,
                            "CAConfig.ExternalCAs is not supported"),
                    new Bad("POST", "/swarm/update?version=" + (cv + 100), "{\"Name\":\"default\"}", 409, "update out of sequence"),
                    new Bad("POST", "/swarm/update?version=" + cv, "{\"Name\":\"other\"}", 400, "a cluster cannot be renamed"),
                    new Bad("POST", "/swarm/update?version=" + cv, "{\"Orchestration\":{\"TaskHistoryRetentionLimit\":\"5\"}}", 400,
                            "Orchestration.TaskHistoryRetentionLimit: expected an integer"),
                    new Bad("POST", "/swarm/update?version=" + cv + "&rotateWorkerToken=maybe", "{}", 400, "invalid value for rotateWorkerToken"),
                    new Bad("POST", "/swarm/init", "{}", 503, "This node is already part of a swarm."),
                    new Bad("POST", "/swarm/join", "{}", 503, "This node is already part of a swarm."),
                    new Bad("POST", "/swarm/leave", null, 501, "swarmlet swarm leave"),
                    new Bad("POST", "/swarm/unlock", "{\"UnlockKey\":\"SWMKEY-1-x\"}", 400, "swarm is not locked"),
                    new Bad("GET", "/containers/json?" + filters("{\"status\":[\"sleeping\"]}"), null, 400, "invalid filter 'status=sleeping'"));
            String before = snapshot();
            for (Bad b : rows) {
                UnixHttp.Answer a = h.http.send(b.method(), "/v1.41" + b.path(), b.body() == null ? null : b.body().getBytes(StandardCharsets.UTF_8));
                String row = b.method() + " " + b.path() + " " + b.body() + " -> " + a;
                assertEquals(b.status(), a.status(), row);
                assertTrue(a.json().get("message").asText().contains(b.message()), row);
                assertFalse(a.text().contains("p4ss") || a.text().contains(b64("p4ss")) || a.text().contains(b64("v2")), row);
            }
            assertEquals(before, snapshot(), "a refused call changed nothing");
        } finally {
            h.http.delete("/v1.41/secrets/" + secretId);
            h.http.delete("/v1.41/networks/" + netId);
        }
    }
}
