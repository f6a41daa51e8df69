package io.swarmlet.scheduler.internal;

import io.swarmlet.api.metrics.Metrics;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.store.WriteTx;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeFilter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The scheduler's one loop while this manager leads: watch the store (a
 * consistent snapshot of nodes and tasks, then every change), keep the
 * {@link Scheduler} model current, and when something could change a
 * placement (a task waits, a node changed, a task freed room, the filters
 * changed) run a round once the events have gone quiet for
 * {@code debounce} (or after {@code maxLatency} at most) and write its
 * decisions in batched store transactions. Each write re-reads the task and
 * the node in the transaction and skips decisions that no longer hold. If the
 * watch is closed (fell behind, store reloaded) the loop starts again from a
 * new snapshot.
 *
 * <p>Started and stopped by {@link SchedulerComponent} on leadership changes.
 */
final class SchedulerLoop implements Runnable {

    private static final Logger LOG = LogManager.getLogger(SchedulerLoop.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(200);
    private static final long RETRY_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final int CONFLICT_RETRIES = 5;
    /** From a task's creation (the orchestrator creates it PENDING) to its assignment being written. */
    static final String LATENCY = "swarmlet_scheduler_latency_seconds";

    /**
     * @param batchSize decisions per store transaction, at most
     * @param maxBatchBytes serialized task bytes per store transaction, at most (one decision always fits)
     * @param debounce quiet time after the last relevant event before a round
     * @param maxLatency a round runs at the latest this long after the first relevant event
     * @param requiredFilters filter names that must be bound before any round runs
     */
    record Settings(int batchSize, int maxBatchBytes, Duration debounce, Duration maxLatency,
                    Set<String> requiredFilters) {
        static final Settings DEFAULTS = new Settings(500, 1 << 20, Duration.ofMillis(50), Duration.ofSeconds(1),
                CoreFilters.NAMES);

        Settings {
            if (batchSize < 1 || maxBatchBytes < 1) {
                throw new IllegalArgumentException("batch size and bytes must be at least 1");
            }
            requiredFilters = Set.copyOf(requiredFilters);
        }
    }

    private record Snapshot(List<Node> nodes, List<Task> tasks, String defaultStrategy, long index) {
        static Snapshot read(ReadTx tx) {
            List<Cluster> clusters = tx.all(Kind.CLUSTER);
            return new Snapshot(tx.all(Kind.NODE), tx.all(Kind.TASK),
                    clusters.isEmpty() ? "" : SchedulerLoop.defaultStrategy(clusters.get(0)), tx.index());
        }
    }

    /** The cluster's default placement strategy ("" = spread). */
    static String defaultStrategy(Cluster c) {
        return c.getSpec().getOrchestration().getDefaultPlacementStrategy();
    }

    /** What the store made of one decision. */
    private enum Outcome { WRITTEN, UNCHANGED, TASK_CHANGED, NODE_CHANGED }

    private final Store store;
    private final FilterRegistry filters;
    private final StrategyRegistry strategies;
    private final Settings settings;
    private volatile boolean stopped;
    private volatile long roundedThrough = -1;
    /** The node's metrics registry now (null while there is none). */
    private volatile Supplier<Metrics> metrics = () -> null;
    /** Tasks still waiting for a node after the last round. */
    private volatile int unassigned;

    // loop state, touched only by the loop thread
    private Scheduler model;
    private boolean dirty;
    private long dirtySince;
    private long lastEvent;
    private long retryAt;
    private long seenGeneration = -1;
    private long appliedIndex;
    private volatile Set<String> reportedMissing = Set.of();
    private volatile String defaultStrategy = "";

    SchedulerLoop(Store store, FilterRegistry filters, Settings settings) {
        this(store, filters, new StrategyRegistry(), settings);
    }

    SchedulerLoop(Store store, FilterRegistry filters, StrategyRegistry strategies, Settings settings) {
        this.store = store;
        this.filters = filters;
        this.strategies = strategies;
        this.settings = settings;
    }

    void stop() {
        stopped = true;
    }

    /** Where scheduling latency is recorded (set before the loop runs). */
    void setMetrics(Supplier<Metrics> metrics) {
        this.metrics = metrics;
    }

    /** Tasks left waiting for a node by the last round. */
    int unassigned() {
        return unassigned;
    }

    /** The required filters that were missing when a round was last due (empty once they are all there). */
    Set<String> missingFilters() {
        return reportedMissing;
    }

    /** The cluster's default placement strategy as the loop last saw it ("" = spread). */
    String defaultStrategy() {
        return defaultStrategy;
    }

    /**
     * The store index of the last change the latest completed round had seen
     * (-1 before the first round): once this reaches the index of a write, a
     * round has looked at the state after it.
     */
    long roundedThrough() {
        return roundedThrough;
    }

    @Override
    public void run() {
        LOG.info("scheduler started");
        try {
            while (!stopped && !Thread.currentThread().isInterrupted()) {
                try {
                    watchAndSchedule();
                } catch (StoreException e) {
                    if (stopped) {
                        break;
                    }
                    LOG.warn("scheduler cannot read the store ({}); starting again from a new snapshot", e.getMessage());
                    TimeUnit.NANOSECONDS.sleep(RETRY_BACKOFF_NANOS);
                } catch (RuntimeException e) {
                    if (stopped) {
                        break;
                    }
                    LOG.error("scheduler round failed; starting again from a new snapshot", e);
                    TimeUnit.NANOSECONDS.sleep(RETRY_BACKOFF_NANOS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            model = null;
            LOG.info("scheduler stopped");
        }
    }

    private void watchAndSchedule() throws InterruptedException {
        try (Watch<Snapshot> watch = store.watch(Snapshot::read)) {
            model = new Scheduler();
            model.load(watch.initial().nodes(), watch.initial().tasks());
            model.defaultStrategy(watch.initial().defaultStrategy());
            defaultStrategy = model.defaultStrategy();
            appliedIndex = watch.initial().index();
            LOG.info("scheduler watching {} nodes, {} tasks waiting for a node",
                    watch.initial().nodes().size(), model.waiting());
            // first round right away, no debounce
            long start = System.nanoTime();
            dirty = true;
            dirtySince = start;
            lastEvent = start - settings.debounce().toNanos();
            retryAt = start;
            while (!stopped) {
                long now = System.nanoTime();
                long gen = filters.generation();
                if (gen != seenGeneration) {
                    seenGeneration = gen;
                    markDirty(now);
                }
                boolean waitingForFilters = false;
                if (dirty && now - retryAt >= 0
                        && (now - lastEvent >= settings.debounce().toNanos()
                            || now - dirtySince >= settings.maxLatency().toNanos())) {
                    List<NodeFilter> pipeline = filters.ordered();
                    waitingForFilters = !requiredPresent();
                    if (!waitingForFilters) {
                        dirty = false;
                        round(watch, pipeline);
                        if (watch.isClosed()) {
                            LOG.info("the store closed the scheduler's watch; reading a new snapshot");
                            return;
                        }
                        continue;
                    }
                }
                StoreEvent ev = watch.poll(pollTimeout(now, waitingForFilters));
                if (ev == null) {
                    if (watch.isClosed()) {
                        LOG.info("the store closed the scheduler's watch; reading a new snapshot");
                        return;
                    }
                    continue;
                }
                apply(ev);
            }
        }
    }

    private boolean requiredPresent() {
        Set<String> missing = filters.missing(settings.requiredFilters());
        if (!missing.equals(reportedMissing)) {
            reportedMissing = missing;
            if (!missing.isEmpty()) {
                LOG.info("scheduler waits for node filters {} before placing tasks", missing);
            }
        }
        return missing.isEmpty();
    }

    private Duration pollTimeout(long now, boolean waitingForFilters) {
        if (!dirty || waitingForFilters) {
            return IDLE_POLL;
        }
        long wait = Math.min(settings.debounce().toNanos() - (now - lastEvent),
                settings.maxLatency().toNanos() - (now - dirtySince));
        wait = Math.max(wait, retryAt - now);
        return Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), Math.min(wait, IDLE_POLL.toNanos())));
    }

    private void markDirty(long now) {
        if (!dirty) {
            dirty = true;
            dirtySince = now;
        }
    }

    /** Applies one watch event to the model. */
    private void apply(StoreEvent ev) {
        appliedIndex = Math.max(appliedIndex, ev.index());
        boolean wake;
        if (ev.kind() == Kind.TASK) {
            Task t = (Task) ev.object();
            wake = ev.action() == StoreEvent.Action.REMOVE ? model.taskRemoved(t.getId()) : model.taskChanged(t);
        } else if (ev.kind() == Kind.NODE) {
            Node n = (Node) ev.object();
            if (ev.action() == StoreEvent.Action.REMOVE) {
                model.nodeRemoved(n.getId());
                wake = false;
            } else {
                wake = model.nodeChanged(n);
            }
        } else if (ev.kind() == Kind.CLUSTER) {
            String now = ev.action() == StoreEvent.Action.REMOVE ? "" : defaultStrategy((Cluster) ev.object());
            if (model.defaultStrategy(now)) {
                defaultStrategy = now;
                LOG.info("default placement strategy is now {}", now.isEmpty() ? "spread (built in)" : "'" + now + "'");
            }
            return; // tasks that wait do so because no node fits, whatever the strategy
        } else {
            return; // COMMIT and other kinds
        }
        if (wake) {
            long now = System.nanoTime();
            markDirty(now);
            lastEvent = now;
        }
    }

    /** Takes every event already queued. */
    private void drain(Watch<?> watch) throws InterruptedException {
        StoreEvent ev;
        while ((ev = watch.poll(Duration.ZERO)) != null) {
            apply(ev);
        }
    }

    /** One scheduling round: decide, then write the decisions batch by batch. */
    private void round(Watch<?> watch, List<NodeFilter> pipeline) throws InterruptedException {
        long seen = appliedIndex;
        try {
            decideAndWrite(watch, pipeline);
        } finally {
            unassigned = model.waiting();
            roundedThrough = seen;
        }
    }

    private void decideAndWrite(Watch<?> watch, List<NodeFilter> pipeline) throws InterruptedException {
        long t0 = System.nanoTime();
        List<Scheduler.Decision> decisions = model.tick(pipeline, strategies);
        if (decisions.isEmpty()) {
            return;
        }
        long t1 = System.nanoTime();
        int written = 0;
        int placed = 0;
        int from = 0;
        while (from < decisions.size()) {
            int to = batchEnd(decisions, from);
            List<Scheduler.Decision> batch = decisions.subList(from, to);
            List<Outcome> outcomes;
            try {
                outcomes = commit(batch);
            } catch (StoreException e) {
                LOG.warn("scheduler could not write {} decisions ({}); will try again", decisions.size() - from,
                        e.getMessage());
                for (Scheduler.Decision d : decisions.subList(from, decisions.size())) {
                    model.revert(d);
                }
                retryAt = System.nanoTime() + RETRY_BACKOFF_NANOS;
                markDirty(System.nanoTime());
                return;
            }
            for (int i = 0; i < batch.size(); i++) {
                Scheduler.Decision d = batch.get(i);
                switch (outcomes.get(i)) {
                    case WRITTEN -> {
                        written++;
                        if (d.assignment()) {
                            placed++;
                            recordLatency(d);
                        }
                    }
                    case UNCHANGED -> { }
                    case TASK_CHANGED -> model.revert(d);
                    case NODE_CHANGED -> {
                        model.revert(d);
                        markDirty(System.nanoTime());
                    }
                }
            }
            from = to;
            // our own writes come back as events: take them now so the watch never falls behind
            drain(watch);
            if (watch.isClosed()) {
                return;
            }
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("scheduler round: {} tasks assigned, {} other updates; decided in {} ms, written in {} ms",
                    placed, written - placed, TimeUnit.NANOSECONDS.toMillis(t1 - t0),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1));
        }
    }

    private void recordLatency(Scheduler.Decision d) {
        Metrics m = metrics.get();
        long pendingSince = d.before().getMeta().getCreatedAt();
        long ms = d.after().getStatus().getTimestamp() - pendingSince;
        if (m != null && pendingSince > 0 && ms >= 0) {
            m.timer(LATENCY, "Time from a task's creation (pending) to its assignment to a node")
                    .record(TimeUnit.MILLISECONDS.toNanos(ms));
        }
    }

    private int batchEnd(List<Scheduler.Decision> decisions, int from) {
        int end = Math.min(decisions.size(), from + settings.batchSize());
        long bytes = 0;
        for (int i = from; i < end; i++) {
            bytes += decisions.get(i).after().getSerializedSize();
            if (bytes > settings.maxBatchBytes() && i > from) {
                return i;
            }
        }
        return end;
    }

    /** Writes one batch in one transaction, re-trying it on a sequence conflict. */
    private List<Outcome> commit(List<Scheduler.Decision> batch) {
        List<Outcome> outcomes = new ArrayList<>(batch.size());
        for (int attempt = 1; ; attempt++) {
            try {
                store.update(tx -> {
                    outcomes.clear();
                    for (Scheduler.Decision d : batch) {
                        outcomes.add(write(tx, d));
                    }
                });
                return outcomes;
            } catch (StoreException e) {
                if (e.reason() != StoreException.Reason.SEQUENCE_CONFLICT || attempt >= CONFLICT_RETRIES) {
                    throw e;
                }
            }
        }
    }

    /** One decision inside a transaction, checked against what the store holds now. */
    private static Outcome write(WriteTx tx, Scheduler.Decision d) {
        Task before = d.before();
        Task current = tx.get(Kind.TASK, before.getId()).orElse(null);
        if (current == null || !TaskFacts.waitsForNode(current) || !current.getNodeId().equals(before.getNodeId())) {
            return Outcome.TASK_CHANGED;
        }
        boolean same = current.getMeta().getVersion() == before.getMeta().getVersion();
        Task after = d.after();
        if (d.assignment()) {
            Node node = tx.get(Kind.NODE, d.nodeId()).orElse(null);
            if (node == null || node.getMeta().getVersion() != d.nodeVersion()) {
                return Outcome.NODE_CHANGED;
            }
            if (!same) {
                after = Scheduler.assigned(current, d.nodeId(), after.getStatus().getTimestamp());
            }
        } else {
            String err = after.getStatus().getErr();
            if (err.equals(current.getStatus().getErr())) {
                return Outcome.UNCHANGED;
            }
            if (!same) {
                after = Scheduler.withErr(current, err, after.getStatus().getTimestamp());
            }
        }
        tx.update(Kind.TASK, after);
        return Outcome.WRITTEN;
    }
}
