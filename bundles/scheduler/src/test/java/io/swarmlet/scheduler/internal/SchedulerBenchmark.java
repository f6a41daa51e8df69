package io.swarmlet.scheduler.internal;

import static io.swarmlet.scheduler.internal.TestObjects.GB;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scheduler throughput on an in-memory store: N ready nodes, T pending tasks
 * in S services (each task reserves a little CPU and memory, a tenth carry a
 * label constraint), then the time from the scheduler taking leadership to
 * the last task seen ASSIGNED through a store watch.
 *
 * <p>Modes: {@code snapshot} (default) writes every task before the scheduler
 * starts, so it finds them all in its first snapshot; {@code stream} starts
 * the scheduler first and creates the tasks in transactions of 1,000 as an
 * orchestrator would. {@code -Dbench.spread=true} gives every task the
 * placement preference spread=node.labels.rack (the nodes are in 10 racks).
 * Run from the repository root:
 * <pre>
 * mvn -B -q test-compile exec:java -f bundles/scheduler/pom.xml \
 *     -Dbench.nodes=1000 -Dbench.tasks=100000 -Dbench.services=100 -Dbench.mode=snapshot
 * </pre>
 * It prints one line, "scheduler-bench mode=… nodes=… tasks=… assigned=… ms=… tasks_per_s=…".
 * {@link SchedulerBenchmarkTest} runs it small, for correctness only (no timing assertion).
 */
public final class SchedulerBenchmark {

    record Result(String mode, int nodes, int tasks, long assigned, long millis, Map<String, Integer> perNode) {
        double perSecond() {
            return millis == 0 ? assigned * 1000.0 : assigned * 1000.0 / millis;
        }

        String line() {
            return String.format("scheduler-bench mode=%s nodes=%d tasks=%d assigned=%d ms=%d tasks_per_s=%.0f",
                    mode, nodes, tasks, assigned, millis, perSecond());
        }
    }

    public static void main(String[] args) throws Exception {
        int nodes = Integer.getInteger("bench.nodes", 1000);
        int tasks = Integer.getInteger("bench.tasks", 100_000);
        int services = Integer.getInteger("bench.services", 100);
        String mode = System.getProperty("bench.mode", "snapshot");
        int rounds = Integer.getInteger("bench.runs", 3);
        boolean spread = Boolean.getBoolean("bench.spread");
        for (int i = 0; i < rounds; i++) {
            System.out.println(run(mode, nodes, tasks, services, spread, Duration.ofMinutes(10)).line()
                    + (spread ? " spread=node.labels.rack" : ""));
        }
    }

    static Result run(String mode, int nodeCount, int taskCount, int services, Duration timeout) throws Exception {
        return run(mode, nodeCount, taskCount, services, false, timeout);
    }

    /**
     * @param spread every task also has the placement preference spread=node.labels.rack (10 racks)
     */
    static Result run(String mode, int nodeCount, int taskCount, int services, boolean spread, Duration timeout)
            throws Exception {
        FakeStore store = new FakeStore();
        List<Node> nodes = new ArrayList<>(nodeCount);
        for (int i = 0; i < nodeCount; i++) {
            Node.Builder n = TestObjects.node(String.format("node%05d", i));
            n.getDescriptionBuilder().getResourcesBuilder().setNanoCpus(64 * TestObjects.CPU).setMemoryBytes(256 * GB);
            TestObjects.label(n, "zone", i % 2 == 0 ? "a" : "b");
            TestObjects.label(n, "rack", "r" + (i % 10));
            nodes.add(n.build());
        }
        writeAll(store, Kind.NODE, nodes, 1000);
        List<Task> tasks = new ArrayList<>(taskCount);
        for (int i = 0; i < taskCount; i++) {
            int svc = i % services;
            Task.Builder t = TestObjects.task(String.format("task%07d", i), String.format("svc%04d", svc), i / services + 1);
            TestObjects.reserve(t, TestObjects.CPU / 100, 16L << 20);
            if (svc % 10 == 0) {
                TestObjects.constraint(t, "node.labels.zone==a");
            }
            if (spread) {
                t.getSpecBuilder().getPlacementBuilder().addPreferences(
                        io.swarmlet.api.types.PlacementPreference.newBuilder().setSpread("node.labels.rack"));
            }
            tasks.add(t.build());
        }

        SchedulerComponent scheduler = new SchedulerComponent(store, SchedulerLoop.Settings.DEFAULTS);
        SchedulerHarness.bindCore(scheduler);
        AtomicLong assigned = new AtomicLong();
        Map<String, Integer> perNode = new HashMap<>();
        try (Watch<Void> counter = store.watch(tx -> null)) {
            long t0;
            if (mode.equals("stream")) {
                scheduler.leadershipChanged(true);
                t0 = System.nanoTime();
                writeAll(store, Kind.TASK, tasks, 1000);
            } else {
                writeAll(store, Kind.TASK, tasks, 5000);
                drainCreates(counter);
                t0 = System.nanoTime();
                scheduler.leadershipChanged(true);
            }
            long deadline = t0 + timeout.toNanos();
            while (assigned.get() < taskCount && System.nanoTime() < deadline) {
                StoreEvent ev = counter.poll(Duration.ofMillis(100));
                if (ev != null && ev.action() == StoreEvent.Action.UPDATE && ev.kind() == Kind.TASK) {
                    Task now = (Task) ev.object();
                    Task old = (Task) ev.old();
                    if (now.getStatus().getState() == TaskState.ASSIGNED && old.getStatus().getState() != TaskState.ASSIGNED) {
                        assigned.incrementAndGet();
                        perNode.merge(now.getNodeId(), 1, Integer::sum);
                    }
                }
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            return new Result(mode, nodeCount, taskCount, assigned.get(), millis, perNode);
        } finally {
            scheduler.deactivate();
        }
    }

    private static void drainCreates(Watch<Void> w) throws InterruptedException {
        while (w.poll(Duration.ZERO) != null) {
            // the counter only cares about what comes after
        }
    }

    private static <T extends com.google.protobuf.Message> void writeAll(FakeStore store, Kind<T> kind, List<T> all,
                                                                         int perTx) {
        for (int from = 0; from < all.size(); from += perTx) {
            List<T> part = all.subList(from, Math.min(all.size(), from + perTx));
            store.update(tx -> part.forEach(o -> tx.create(kind, o)));
        }
    }
}
