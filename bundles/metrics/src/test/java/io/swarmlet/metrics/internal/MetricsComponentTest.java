package io.swarmlet.metrics.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.metrics.Metrics;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The registry: names come out as given, counters move, gauges are read at scrape and go when closed. */
class MetricsComponentTest {

    private MetricsComponent metrics;

    @BeforeEach
    void start() {
        metrics = new MetricsComponent(null);
        metrics.activate();
    }

    @AfterEach
    void stop() {
        metrics.deactivate();
    }

    private PrometheusText scrape() {
        return PrometheusText.parse(metrics.scrape());
    }

    @Test
    void countersKeepTheirNameAndMove() {
        Metrics.Counter c = metrics.counter("swarmlet_dispatcher_heartbeat_misses_total", "Heartbeats missed");
        assertEquals(0.0, scrape().get("swarmlet_dispatcher_heartbeat_misses_total"));
        c.increment();
        c.increment(2);
        PrometheusText text = scrape();
        assertEquals(3.0, text.get("swarmlet_dispatcher_heartbeat_misses_total"));
        assertEquals("counter", text.types.get("swarmlet_dispatcher_heartbeat_misses_total"));
        assertEquals("Heartbeats missed", text.helps.get("swarmlet_dispatcher_heartbeat_misses_total"));

        // the same name and tags: the same counter
        metrics.counter("swarmlet_dispatcher_heartbeat_misses_total", "Heartbeats missed").increment();
        assertEquals(4.0, scrape().get("swarmlet_dispatcher_heartbeat_misses_total"));

        Metrics.Counter web = metrics.counter("swarmlet_x_total", "x", "service", "web");
        metrics.counter("swarmlet_x_total", "x", "service", "db");
        web.increment();
        assertEquals(1.0, scrape().get("swarmlet_x_total{service=web}"));
        assertEquals(0.0, scrape().get("swarmlet_x_total{service=db}"));
        assertThrows(IllegalArgumentException.class, () -> metrics.counter("swarmlet_y_total", "y", "service"));
    }

    @Test
    void timersGiveCountSumAndMax() {
        Metrics.Timer t = metrics.timer("swarmlet_raft_commit_seconds", "Raft commit latency");
        t.record(2_000_000);
        t.record(6_000_000);
        PrometheusText text = scrape();
        assertEquals(2.0, text.get("swarmlet_raft_commit_seconds_count"));
        assertEquals(0.008, text.get("swarmlet_raft_commit_seconds_sum"), 1e-9);
        assertEquals(0.006, text.get("swarmlet_raft_commit_seconds_max"), 1e-9);
        assertEquals("summary", text.types.get("swarmlet_raft_commit_seconds"));
        assertNull(text.get("swarmlet_raft_commit_seconds_seconds_count"), "not suffixed twice");
    }

    @Test
    void gaugesAreReadAtScrapeAndGoWhenClosed() {
        AtomicInteger sessions = new AtomicInteger(2);
        Metrics.Registration reg = metrics.gauge("swarmlet_dispatcher_sessions", "Sessions", sessions::get);
        assertEquals(2.0, scrape().get("swarmlet_dispatcher_sessions"));
        sessions.set(5);
        assertEquals(5.0, scrape().get("swarmlet_dispatcher_sessions"));
        assertEquals("gauge", scrape().types.get("swarmlet_dispatcher_sessions"));
        reg.close();
        assertNull(scrape().get("swarmlet_dispatcher_sessions"));
        reg.close();

        // a new owner takes the gauge over; the old one's close leaves it alone
        Metrics.Registration first = metrics.gauge("swarmlet_raft_leader", "Leader", () -> 1);
        Metrics.Registration second = metrics.gauge("swarmlet_raft_leader", "Leader", () -> 0);
        assertEquals(0.0, scrape().get("swarmlet_raft_leader"));
        first.close();
        assertEquals(0.0, scrape().get("swarmlet_raft_leader"));
        second.close();
        assertNull(scrape().get("swarmlet_raft_leader"));

        // a failing supplier does not fail the scrape
        Metrics.Registration bad = metrics.gauge("swarmlet_bad", "Bad", () -> {
            throw new IllegalStateException("gone");
        });
        assertTrue(Double.isNaN(scrape().get("swarmlet_bad")));
        bad.close();

        // a read counter (name with _total) keeps its name
        Metrics.Registration total = metrics.gauge("swarmlet_read_total", "Read", () -> 7L, "node", "n1");
        PrometheusText text = scrape();
        assertEquals(7.0, text.get("swarmlet_read_total{node=n1}"));
        assertEquals("counter", text.types.get("swarmlet_read_total"));
        total.close();
        assertNull(scrape().get("swarmlet_read_total{node=n1}"));
    }

    @Test
    void jvmMetricsAreThere() {
        PrometheusText text = scrape();
        assertNotNull(text.types.get("jvm_memory_used_bytes"), text.types.keySet().toString());
        assertNotNull(text.types.get("jvm_threads_live_threads"));
        assertNotNull(text.types.get("process_uptime_seconds"));
        assertNotNull(text.types.get("system_cpu_count"));
    }
}
