package io.swarmlet.dockerapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmlet.api.types.WatchEvent;
import io.swarmlet.api.types.WatchRefs;
import io.swarmlet.api.types.WatchRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code docker events} with the stock CLI against the API (a real store and control API):
 * the CLI's own service and node commands come out as Docker's swarm events, with the
 * attributes dockerd gives, filtered as asked; {@code --since} replays what the manager kept;
 * {@code --until} in the past ends at once; bad filters are refused. Docker's filters row by row
 * as the control API watch they become ({@link EventsApi#request}).
 */
class EventsApiTest {

    @RegisterExtension
    static final CliHarness cli = new CliHarness();
    static int probes;

    /** The JSON events {@code out} holds so far, once one matches {@code until} (10 s at most). */
    private static List<JsonNode> await(Path out, Predicate<JsonNode> until) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            List<JsonNode> events = new ArrayList<>();
            for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    events.add(Json.MAPPER.readTree(line));
                }
            }
            if (events.stream().anyMatch(until)) {
                return events;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no such event in " + events);
            }
            Thread.sleep(50);
        }
    }

    /** Makes probe configs until the running {@code docker events} shows one: it is watching from then on. */
    private static void awaitWatching(Path out) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            String name = "probe-" + ++probes;
            cli.ok("config", "create", name, probeFile());
            try {
                await(out, e -> e.path("Actor").path("Attributes").path("name").asText().equals(name));
                return;
            } catch (AssertionError notYet) {
                // the CLI had not connected yet
            }
        }
        throw new AssertionError("docker events never showed a probe");
    }

    private static String probeFile() throws Exception {
        Path f = cli.dir.resolve("probe.txt");
        if (!Files.exists(f)) {
            Files.writeString(f, "probe");
        }
        return f.toString();
    }

    private static JsonNode one(List<JsonNode> events, String type, String action, String name) {
        return events.stream().filter(e -> e.path("Type").asText().equals(type) && e.path("Action").asText().equals(action)
                && e.path("Actor").path("Attributes").path("name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type + " " + action + " " + name + " in " + events));
    }

    @Test
    void theClisChangesComeOutAsDockersSwarmEvents() throws Exception {
        Path out = cli.dir.resolve("events.out");
        Path err = cli.dir.resolve("events.err");
        Process events = cli.docker.start(out, err, "events", "--format", "{{json .}}", "--filter", "type=service",
                "--filter", "type=node", "--filter", "type=config");
        try {
            awaitWatching(out);
            String id = cli.ok("service", "create", "--detach", "--name", "evweb", "--replicas", "1", "busybox:1", "sleep", "1d")
                    .out().strip();
            cli.ok("service", "scale", "--detach", "evweb=3");
            cli.ok("node", "update", "--availability", "drain", "w1");
            cli.ok("service", "rm", "evweb");
            List<JsonNode> got = await(out, e -> e.path("Type").asText().equals("service")
                    && e.path("Action").asText().equals("remove"));

            JsonNode create = one(got, "service", "create", "evweb");
            assertEquals(id, create.path("Actor").path("ID").asText());
            assertEquals("swarm", create.path("scope").asText());
            long time = create.path("time").asLong();
            assertTrue(Math.abs(time - System.currentTimeMillis() / 1000) < 60, create.toString());
            assertEquals(time, create.path("timeNano").asLong() / 1_000_000_000L, create.toString());

            JsonNode scaled = one(got, "service", "update", "evweb");
            assertEquals("1", scaled.path("Actor").path("Attributes").path("replicas.old").asText(), scaled.toString());
            assertEquals("3", scaled.path("Actor").path("Attributes").path("replicas.new").asText(), scaled.toString());

            JsonNode drained = one(got, "node", "update", "w1");
            assertEquals(ApiHarness.W1, drained.path("Actor").path("ID").asText());
            assertEquals("active", drained.path("Actor").path("Attributes").path("availability.old").asText());
            assertEquals("drain", drained.path("Actor").path("Attributes").path("availability.new").asText());

            assertEquals(id, one(got, "service", "remove", "evweb").path("Actor").path("ID").asText());
            assertFalse(got.stream().anyMatch(e -> e.path("Type").asText().equals("secret")), "only the asked types");
        } finally {
            events.destroy();
            events.waitFor(10, TimeUnit.SECONDS);
        }
        cli.ok("node", "update", "--availability", "active", "w1");
    }

    @Test
    void sinceReplaysWhatTheManagerKept() throws Exception {
        long t0 = System.currentTimeMillis() / 1000 - 1;
        cli.ok("events", "--since", Long.toString(t0), "--until", Long.toString(t0)); // the manager keeps events from here at the latest
        String id = cli.ok("service", "create", "--detach", "--name", "sincer", "busybox:1", "sleep", "1d").out().strip();
        cli.ok("service", "scale", "--detach", "sincer=2");
        cli.ok("service", "rm", "sincer");
        DockerCli.Run r = cli.ok("events", "--format", "{{.Action}} {{.Actor.ID}} {{index .Actor.Attributes \"name\"}}",
                "--filter", "type=service", "--filter", "service=sincer", "--since", Long.toString(t0),
                "--until", Long.toString(System.currentTimeMillis() / 1000 + 1));
        assertEquals(List.of("create " + id + " sincer", "update " + id + " sincer", "remove " + id + " sincer"),
                r.out().lines().toList());
    }

    @Test
    void untilInThePastEndsAtOnceAndBadFiltersAreRefused() throws Exception {
        long past = System.currentTimeMillis() / 1000 - 60;
        DockerCli.Run r = cli.ok("events", "--since", Long.toString(past - 60), "--until", Long.toString(past));
        assertEquals("", r.out());

        DockerCli.Run bad = cli.docker.run("events", "--filter", "type=bogus", "--until", "1s");
        assertEquals(1, bad.exit(), bad.toString());
        assertTrue(bad.err().contains("invalid filter 'type=bogus'"), bad.toString());

        UnixHttp.Answer unknownKey = cli.h.http.get("/v1.41/events?filters=" + java.net.URLEncoder.encode("{\"colour\":[\"red\"]}",
                StandardCharsets.UTF_8));
        assertEquals(400, unknownKey.status(), unknownKey.toString());
        UnixHttp.Answer badTime = cli.h.http.get("/v1.41/events?until=tomorrow");
        assertEquals(400, badTime.status(), badTime.toString());
        assertTrue(badTime.json().path("message").asText().contains("invalid value for \"until\""), badTime.toString());
    }

    @Test
    void untilInTheFutureEndsTheStreamThen() throws Exception {
        long t0 = System.nanoTime();
        long until = System.currentTimeMillis() / 1000 + 2;
        UnixHttp.Answer a = cli.h.http.get("/v1.41/events?until=" + until);
        assertEquals(200, a.status(), a.toString());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30), "ended");
        assertTrue(System.currentTimeMillis() >= until * 1000 - 50, "not before its until");
    }

    @Test
    void dockerdsFiltersBecomeTheWatchRequestOrNothingForEngineOnlyOnes() {
        List<String> all = List.of("node", "service", "secret", "config", "network");
        record Row(String filters, WatchRequest want) {}
        for (Row row : List.of(
                new Row("{}", WatchRequest.newBuilder().addAllKinds(all).build()),
                new Row("{\"type\":[\"service\",\"node\"]}", WatchRequest.newBuilder().addKinds("node").addKinds("service").build()),
                new Row("{\"type\":[\"service\",\"container\"]}", WatchRequest.newBuilder().addKinds("service").build()),
                new Row("{\"type\":[\"container\"]}", null),
                new Row("{\"event\":[\"update\",\"create\",\"start\"]}",
                        WatchRequest.newBuilder().addAllKinds(all).addActions("create").addActions("update").build()),
                new Row("{\"event\":[\"start\"]}", null),
                new Row("{\"service\":[\"web\",\"abc\"],\"node\":[\"n1\"]}", WatchRequest.newBuilder().addAllKinds(all)
                        .putRefs("service", WatchRefs.newBuilder().addValues("abc").addValues("web").build())
                        .putRefs("node", WatchRefs.newBuilder().addValues("n1").build()).build()),
                new Row("{\"scope\":[\"swarm\"]}", WatchRequest.newBuilder().addAllKinds(all).build()),
                new Row("{\"scope\":[\"local\"]}", null),
                new Row("{\"container\":[\"c1\"]}", null),
                new Row("{\"label\":[\"a=b\"]}", null))) {
            assertEquals(row.want(), EventsApi.request(Filters.parse(row.filters())), row.filters());
        }
    }

    @Test
    void anEventInDockersShape() {
        WatchEvent web = WatchEvent.newBuilder().setKind("service").setAction("update").setId("abc123").setName("web").build();
        JsonNode json = EventsApi.json(web.toBuilder().setTimestamp(1_700_000_000_123L)
                .putAttributes("replicas.old", "1").putAttributes("replicas.new", "3").build());
        assertEquals("{\"Type\":\"service\",\"Action\":\"update\",\"Actor\":{\"ID\":\"abc123\",\"Attributes\":{\"name\":\"web\","
                + "\"replicas.new\":\"3\",\"replicas.old\":\"1\"}},\"scope\":\"swarm\",\"time\":1700000000,"
                + "\"timeNano\":1700000000123000000}", json.toString());
    }
}
