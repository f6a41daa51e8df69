package io.swarmlet.scheduler.internal;

import io.swarmlet.api.metrics.MemoryMetrics;
import static io.swarmlet.scheduler.internal.TestObjects.await;
import static io.swarmlet.scheduler.internal.TestObjects.node;
import static io.swarmlet.scheduler.internal.TestObjects.reserve;
import static io.swarmlet.scheduler.internal.TestObjects.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The scheduler's meters: latency of each assignment, and the tasks a round leaves waiting. */
class SchedulerMetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final FakeStore store = new FakeStore();
    private final MemoryMetrics metrics = new MemoryMetrics();
    private SchedulerComponent scheduler;

    @BeforeEach
    void start() {
        scheduler = new SchedulerComponent(store, new SchedulerLoop.Settings(500, 1 << 20, Duration.ofMillis(5),
                Duration.ofMillis(200), CoreFilters.NAMES));
        scheduler.setMetrics(metrics);
        SchedulerHarness.bindCore(scheduler);
        scheduler.leadershipChanged(true);
    }

    @AfterEach
    void stop() throws InterruptedException {
        scheduler.deactivate();
    }

    private List<Task> assigned() {
        return store.view(tx -> tx.find(Kind.TASK, t -> t.getStatus().getState() == TaskState.ASSIGNED));
    }

    @Test
    void latencyPerAssignmentAndTasksLeftWaiting() throws Exception {
        store.update(tx -> tx.create(Kind.NODE, TestObjects.withMemory(node("n1"), 2 * TestObjects.GB).build()));
        store.update(tx -> {
            tx.create(Kind.TASK, task("t1", "s1", 1).build());
            tx.create(Kind.TASK, task("t2", "s1", 2).build());
            // more memory than any node has: left waiting
            tx.create(Kind.TASK, reserve(task("t3", "s1", 3), 0, 64 * TestObjects.GB).build());
        });
        await("two tasks assigned", WAIT, () -> assigned().size() == 2);
        await("two latencies", WAIT, () -> metrics.timerRecords(SchedulerLoop.LATENCY).size() == 2);
        assertTrue(metrics.timerRecords(SchedulerLoop.LATENCY).stream().allMatch(n -> n >= 0));
        await("one task left waiting", WAIT, () -> metrics.gaugeValue(SchedulerComponent.UNASSIGNED) == 1.0);

        scheduler.unsetMetrics(metrics);
        assertNull(metrics.gaugeValue(SchedulerComponent.UNASSIGNED), "the gauge goes with the registry");
        store.update(tx -> tx.create(Kind.TASK, task("t4", "s1", 4).build()));
        await("t4 assigned", WAIT, () -> assigned().size() == 3);
        assertEquals(2, metrics.timerRecords(SchedulerLoop.LATENCY).size(), "nothing recorded without a registry");
    }
}
