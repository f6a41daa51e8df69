package io.swarmlet.scheduler.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The benchmark harness, run small in the build for correctness only (no timing assertion). */
class SchedulerBenchmarkTest {

    /** Every task placed, spread evenly, in both modes. */
    @Test
    void smallRunPlacesEverythingEvenly() throws Exception {
        for (String mode : List.of("snapshot", "stream")) {
            SchedulerBenchmark.Result r = SchedulerBenchmark.run(mode, 50, 2000, 20, Duration.ofSeconds(60));
            assertEquals(2000, r.assigned(), r.line());
            // 20 services of 100 tasks over 50 nodes: 2 of each service, 40 in all, on every node
            // (two services are constrained to zone a, half the nodes: 4 of each there)
            int zoneA = 0;
            for (Map.Entry<String, Integer> e : r.perNode().entrySet()) {
                int n = Integer.parseInt(e.getKey().substring(4));
                assertEquals(n % 2 == 0 ? 40 + 4 : 40 - 4, e.getValue(), e.getKey() + " in " + r.line());
                if (n % 2 == 0) {
                    zoneA++;
                }
            }
            assertEquals(25, zoneA);
        }
    }

    /** The same with a spread preference over 10 racks: still everything placed, and evenly. */
    @Test
    void smallRunWithSpreadPreference() throws Exception {
        SchedulerBenchmark.Result r = SchedulerBenchmark.run("snapshot", 50, 2000, 20, true, Duration.ofSeconds(60));
        assertEquals(2000, r.assigned(), r.line());
        for (Map.Entry<String, Integer> e : r.perNode().entrySet()) {
            int n = Integer.parseInt(e.getKey().substring(4));
            assertEquals(n % 2 == 0 ? 40 + 4 : 40 - 4, e.getValue(), e.getKey() + " in " + r.line());
        }
    }
}
