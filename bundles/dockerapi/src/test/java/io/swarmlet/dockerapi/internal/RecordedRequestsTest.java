package io.swarmlet.dockerapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replays what the real docker CLI sent to a Swarmlet manager (recorded by the itests'
 * DockerCliRecorder in DockerApiIT, curated into {@code src/test/resources/recorded/NN-*.json})
 * against the API on the test harness, in file order on one harness: each request's status
 * must be the recorded one, and the key fields of its answer (names, roles, availability,
 * labels, image, mode, ports, error messages) the recorded ones.
 *
 * <p>Recordings name the cluster's nodes by hostname; {@code hosts} maps them onto the
 * harness's {@code m1} and {@code w1}. IDs differ between the cluster and the harness: each
 * recorded answer is laid beside the live one and every {@code ID}/{@code Id} met maps the
 * recorded ID onto the live one, which later paths, queries and bodies use; a
 * the CLI's 12-character short IDs map likewise; a
 * {@code version=N} on an update is the live version the last answer showed for that object
 * (what the CLI does: inspect, then update with the index it saw). An exchange with
 * {@code "replay": false} is shown but not sent (it depends on running tasks, which the
 * harness has not); {@code "check": [fields]} names the answer fields compared instead of
 * {@link #KEY_FIELDS}.
 */
class RecordedRequestsTest {

    /** Answer fields compared with the recording where the recording has them. */
    static final List<String> KEY_FIELDS = List.of("message", "ApiVersion", "Spec.Name", "Spec.Role", "Spec.Availability",
            "Spec.Labels", "Spec.Mode", "Spec.TaskTemplate.ContainerSpec.Image", "Spec.TaskTemplate.ContainerSpec.Args",
            "Spec.TaskTemplate.ContainerSpec.Command", "Spec.EndpointSpec.Ports", "Spec.UpdateConfig", "Spec.Driver",
            "Name", "Driver", "Labels", "Description.Hostname", "Swarm.LocalNodeState", "Swarm.ControlAvailable",
            "Status.State", "Role");

    /** /info describes the host too (name, counts): only its swarm state is compared. */
    static final List<String> INFO_FIELDS = List.of("Swarm.LocalNodeState", "Swarm.ControlAvailable");

    private static final Pattern VERSION = Pattern.compile("([?&])version=(\\d+)");
    private static final Pattern OBJECT_PATH = Pattern.compile("^(?:/v[0-9.]+)?/(services|nodes|secrets|configs|swarm)(?:/([^/?]+))?/update\\?.*");

    @TempDir
    static Path dir;

    static ApiHarness h;
    /** Recorded ID to live ID. */
    static final Map<String, String> ids = new LinkedHashMap<>();
    /** Live object ID (or "swarm") to the version its last answer showed. */
    static final Map<String, Long> versions = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        h = new ApiHarness(dir);
        // the recorded cluster's nodes joined without labels; the harness's carry test labels
        for (String node : List.of("m1", "w1")) {
            JsonNode n = h.http.get("/v1.41/nodes/" + node).json();
            com.fasterxml.jackson.databind.node.ObjectNode spec = n.get("Spec").deepCopy();
            spec.set("Labels", Json.object());
            UnixHttp.Answer a = h.http.post("/v1.41/nodes/" + n.get("ID").asText() + "/update?version="
                    + n.path("Version").path("Index").asLong(), Json.MAPPER.writeValueAsString(spec));
            assertEquals(200, a.status(), a.toString());
        }
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    @TestFactory
    Stream<DynamicNode> recordedCliRequests() throws Exception {
        List<Path> files = fixtures();
        assertFalse(files.isEmpty(), "no recordings in src/test/resources/recorded");
        List<DynamicNode> out = new ArrayList<>();
        for (Path file : files) {
            JsonNode rec = Json.MAPPER.readTree(Files.readAllBytes(file));
            Map<String, String> hosts = new LinkedHashMap<>();
            rec.path("hosts").fields().forEachRemaining(e -> hosts.put(e.getKey(), e.getValue().asText()));
            List<DynamicTest> steps = new ArrayList<>();
            int n = 0;
            for (JsonNode x : rec.path("exchanges")) {
                n++;
                String name = n + ". " + x.path("command").asText() + " → " + x.path("method").asText() + " "
                        + x.path("path").asText();
                steps.add(DynamicTest.dynamicTest(name, () -> replay(x, hosts)));
            }
            out.add(DynamicContainer.dynamicContainer(file.getFileName().toString(), steps));
        }
        return out.stream();
    }

    static List<Path> fixtures() throws IOException, URISyntaxException {
        URI uri = RecordedRequestsTest.class.getResource("/recorded").toURI();
        try (Stream<Path> s = Files.list(Paths.get(uri))) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    /** Sends one recorded request (rewritten for the harness) and checks the answer against the recorded one. */
    static void replay(JsonNode x, Map<String, String> hosts) throws Exception {
        if (!x.path("replay").asBoolean(true)) {
            return;
        }
        String path = rewrite(x.path("path").asText(), hosts);
        path = liveVersion(path);
        byte[] body = null;
        if (x.has("body")) {
            JsonNode b = x.get("body");
            String text = b.isTextual() ? b.asText() : Json.MAPPER.writeValueAsString(b);
            body = rewrite(text, hosts).getBytes(StandardCharsets.UTF_8);
        }
        UnixHttp.Answer a = h.http.send(x.path("method").asText(), path, body);
        int want = x.path("status").asInt();
        assertEquals(want, a.status(), x.path("method").asText() + " " + path + " answered " + a);
        JsonNode recorded = x.get("answer");
        if (recorded == null || a.body().length == 0 || !a.header("Content-Type").contains("json")) {
            return;
        }
        JsonNode live = a.json();
        recorded = Json.MAPPER.readTree(rewrite(Json.MAPPER.writeValueAsString(recorded), hosts));
        align(recorded, live);
        recorded = Json.MAPPER.readTree(rewrite(Json.MAPPER.writeValueAsString(x.get("answer")), hosts));
        List<String> fields = KEY_FIELDS;
        if (x.has("check")) {
            fields = new ArrayList<>();
            for (JsonNode f : x.get("check")) {
                fields.add(f.asText());
            }
        } else if (path.matches("(/v[0-9.]+)?/info(\\?.*)?")) {
            fields = INFO_FIELDS;
        }
        compare(recorded, live, fields, x.path("method").asText() + " " + path);
    }

    /** The recorded text with the cluster's hostnames and IDs replaced by the harness's. */
    static String rewrite(String s, Map<String, String> hosts) {
        for (Map.Entry<String, String> e : hosts.entrySet()) {
            s = s.replace(e.getKey(), e.getValue());
        }
        for (Map.Entry<String, String> e : ids.entrySet()) {
            s = s.replace(e.getKey(), e.getValue());
        }
        // the CLI's short IDs (docker service ps 3a5i0wq1ovav): the first 12 characters of a full ID
        for (Map.Entry<String, String> e : ids.entrySet()) {
            if (e.getKey().length() == 25 && e.getValue().length() >= 12) {
                s = s.replace(e.getKey().substring(0, 12), e.getValue().substring(0, 12));
            }
        }
        return s;
    }

    /** {@code version=N} on an update: the version the harness last showed for the object. */
    static String liveVersion(String path) {
        Matcher obj = OBJECT_PATH.matcher(path);
        Matcher v = VERSION.matcher(path);
        if (!obj.matches() || !v.find()) {
            return path;
        }
        String key = obj.group(1).equals("swarm") ? "swarm" : obj.group(2);
        Long live = versions.get(key);
        return live == null ? path : v.replaceFirst(v.group(1) + "version=" + live);
    }

    /** Lays a recorded answer beside the live one: their IDs map, the live versions are kept. */
    static void align(JsonNode recorded, JsonNode live) {
        if (recorded.isObject() && live.isObject()) {
            for (String idField : List.of("ID", "Id")) {
                if (recorded.path(idField).isTextual() && live.path(idField).isTextual()
                        && !recorded.get(idField).asText().isEmpty()) {
                    String from = recorded.get(idField).asText();
                    String to = live.get(idField).asText();
                    if (!from.equals(to) && from.length() >= 12) {
                        ids.put(from, to);
                    }
                    if (live.path("Version").has("Index")) {
                        versions.put(to, live.path("Version").path("Index").asLong());
                        if (live.has("JoinTokens")) {
                            versions.put("swarm", live.path("Version").path("Index").asLong());
                        }
                    }
                }
            }
            Iterator<Map.Entry<String, JsonNode>> fields = recorded.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (live.has(f.getKey()) && !f.getKey().equals("ID") && !f.getKey().equals("Id")) {
                    align(f.getValue(), live.get(f.getKey()));
                }
            }
        } else if (recorded.isArray() && live.isArray()) {
            Map<String, JsonNode> byName = new HashMap<>();
            for (JsonNode l : live) {
                String n = name(l);
                if (n != null) {
                    byName.putIfAbsent(n, l);
                }
            }
            int i = 0;
            for (JsonNode r : recorded) {
                String n = name(r);
                JsonNode l = n != null ? byName.get(n) : (recorded.size() == live.size() ? live.get(i) : null);
                if (l != null) {
                    align(r, l);
                }
                i++;
            }
        }
    }

    /** What pairs list entries: a service's, secret's, config's, network's name or a node's hostname. */
    static String name(JsonNode o) {
        for (String p : List.of("Spec.Name", "Name", "Description.Hostname")) {
            JsonNode n = at(o, p);
            if (n.isTextual() && !n.asText().isEmpty()) {
                return n.asText();
            }
        }
        return null;
    }

    /** The key fields of the recorded answer (objects, or lists by name) must be the live answer's. */
    static void compare(JsonNode recorded, JsonNode live, List<String> fields, String what) {
        if (recorded.isObject()) {
            for (String field : fields) {
                JsonNode r = at(recorded, field);
                if (!r.isMissingNode()) {
                    assertEquals(r, at(live, field), what + ": " + field + " in " + live);
                }
            }
        } else if (recorded.isArray() && live.isArray()) {
            Set<String> want = names(recorded);
            if (!want.isEmpty()) {
                assertEquals(want, names(live), what + ": the names listed");
            }
        }
    }

    static Set<String> names(JsonNode list) {
        Set<String> out = new TreeSet<>();
        for (JsonNode o : list) {
            String n = name(o);
            if (n != null) {
                out.add(n);
            }
        }
        return out;
    }

    static JsonNode at(JsonNode o, String dotted) {
        JsonNode n = o;
        for (String part : dotted.split("\\.")) {
            n = n.path(part);
        }
        return n;
    }
}
