package io.swarmlet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.WatchEvent;
import io.swarmlet.api.types.WatchRefs;
import io.swarmlet.api.types.WatchRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code swarmlet events} in-process against {@link FakeControlApi}, whose watch streams
 * scripted events and then waits to be interrupted: docker's line format, the filters (sent
 * to the control API, which applies them), {@code --until}, bad filters.
 * The watch itself against a real store: controlapi's WatchApiTest.
 */
class EventsCommandTest {

    static final long NOW = 1_700_000_000_000L;

    final TestClock clock = new TestClock(NOW);
    final FakeControlApi fake = new FakeControlApi();

    record Result(int code, String out, String err) {}

    Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Main root = new Main(() -> fake);
        root.clock = clock;
        int code = Main.run(root, new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    EventsCommandTest() {
        fake.watchEvents.add(WatchEvent.newBuilder().setKind("service").setAction("create").setId("svc1web").setName("web")
                .setTimestamp(NOW).build());
        fake.watchEvents.add(WatchEvent.newBuilder().setKind("service").setAction("update").setId("svc1web").setName("web")
                .setTimestamp(NOW + 1500).putAttributes("replicas.old", "1").putAttributes("replicas.new", "3").build());
        fake.watchEvents.add(WatchEvent.newBuilder().setKind("node").setAction("update").setId("node1").setName("mgmt-01")
                .setTimestamp(NOW + 2000).putAttributes("availability.old", "active").putAttributes("availability.new", "drain")
                .build());
        fake.watchEvents.add(WatchEvent.newBuilder().setKind("service").setAction("remove").setId("svc2db").setName("db")
                .setTimestamp(NOW + 3000).build());
    }

    @Test
    void everyEventAsDockerPrintsItUntilTheGivenTime() {
        Result r = run("events", "--until", Long.toString(NOW / 1000 + 60));
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of(
                "2023-11-14T22:13:20.000000000Z service create svc1web (name=web)",
                "2023-11-14T22:13:21.500000000Z service update svc1web (name=web, replicas.new=3, replicas.old=1)",
                "2023-11-14T22:13:22.000000000Z node update node1 (availability.new=drain, availability.old=active, name=mgmt-01)",
                "2023-11-14T22:13:23.000000000Z service remove svc2db (name=db)"), r.out().lines().toList());
        assertEquals(List.of("watch []"), fake.calls);
        assertEquals(WatchRequest.newBuilder().setUntil(NOW + 60_000).build(), fake.lastWatch, "the control API ends it");
    }

    @Test
    void theFiltersGoToTheControlApi() {
        Result r = run("events", "--until", Long.toString(NOW / 1000 + 1), "--filter", "type=service", "--filter", "event=update", "-f", "service=we",
                "-f", "service=abc", "-f", "node=n1", "-f", "event=remove");
        assertEquals(0, r.code(), r.err());
        assertEquals(WatchRequest.newBuilder().addKinds("service").addActions("update").addActions("remove")
                .putRefs("service", WatchRefs.newBuilder().addValues("we").addValues("abc").build())
                .putRefs("node", WatchRefs.newBuilder().addValues("n1").build()).setUntil(NOW + 1000).build(), fake.lastWatch);
        // what the control API sends is printed (this fake filters the kinds only)
        assertEquals(List.of("svc1web", "svc1web", "svc2db"), r.out().lines().map(l -> l.split(" ")[3]).toList(), r.out());
    }

    @Test
    void aPastUntilEndsAtOnceAndBadFiltersAreUsageErrors() {
        Result past = run("events", "--until", Long.toString(NOW / 1000 - 10));
        assertEquals(0, past.code(), past.err());
        assertEquals("", past.out());
        assertTrue(fake.calls.isEmpty(), "nothing to watch: " + fake.calls);

        for (String[] row : new String[][] {
            {"type=containers", "invalid filter 'type=containers'"},
            {"event=start", "invalid filter 'event=start'"},
            {"colour=red", "invalid filter 'colour' (use type, event, service, node, secret, config or network)"},
            {"web", "bad format of filter (expected name=value): web"}}) {
            Result r = run("events", "--filter", row[0]);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().startsWith("Error: " + row[1]), r.err());
        }
        Result badUntil = run("events", "--until", "soon");
        assertEquals(2, badUntil.code());
        assertTrue(badUntil.err().startsWith("Error: invalid value for --until: soon (unix seconds, an RFC 3339 date,"), badUntil.err());
        Result backwards = run("events", "--since", "5m", "--until", "10m");
        assertEquals(2, backwards.code());
        assertTrue(backwards.err().startsWith("Error: --since must not be after --until"), backwards.err());
        assertTrue(fake.calls.isEmpty(), "nothing sent: " + fake.calls);
    }

    @Test
    void sinceAsksForTheKeptEventsWithDockersTimes() {
        record Row(String since, String until, long sinceMs, long untilMs) {}
        for (Row row : List.of(
                new Row("10m", "5m", NOW - 600_000, NOW - 300_000), // durations go back from now, as docker's
                new Row("1699999000.5", "1700000000", 1_699_999_000_500L, NOW),
                new Row("2023-11-14T22:00:00Z", "2023-11-14T22:13:20+00:00", NOW - 800_000, NOW))) {
            Result r = run("events", "--since", row.since(), "--until", row.until());
            assertEquals(0, r.code(), r.err());
            assertEquals(row.sinceMs(), fake.lastWatch.getSince(), row.toString());
            assertEquals(row.untilMs(), fake.lastWatch.getUntil(), row.toString());
        }
    }
}
