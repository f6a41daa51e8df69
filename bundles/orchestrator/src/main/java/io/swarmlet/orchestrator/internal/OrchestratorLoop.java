package io.swarmlet.orchestrator.internal;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.Node;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The orchestrator's one loop, run while this manager leads: a watch on the
 * store (a snapshot, then every change), a set of services to look at again,
 * and passes of the {@link Reconciler} over them, each in one store
 * transaction.
 *
 * <ul>
 * <li>The snapshot marks every service (and every service that tasks still
 *     name) for a first full pass; this is also how a new leader picks up
 *     pending restart delays and half-done work.</li>
 * <li>A service, or a task of it, changed: that service. A node came, went
 *     or changed what matters to placement, or the cluster's history limit
 *     changed: every service.</li>
 * <li>Events that are already waiting are all taken before a pass, so a burst
 *     of changes makes one pass. The pass's own writes come back as events and
 *     make one more pass, which finds nothing to do.</li>
 * <li>Restart delays are wake-ups: at the time a delayed task is due, its
 *     service is looked at again.</li>
 * <li>A transaction that conflicts with a concurrent change is simply run
 *     again on the new state; other failures (no quorum) are retried after
 *     {@link Settings#retryDelayMs()}. A watch the store closed because the
 *     loop fell behind is opened again, with a full pass.</li>
 * </ul>
 *
 * <p>Started and stopped by {@link Orchestrator} on leadership changes.
 */
final class OrchestratorLoop {

    private static final Logger LOG = LogManager.getLogger(OrchestratorLoop.class);
    private static final int CONFLICT_RETRIES = 5;
    private static final long MAX_IDLE_MS = 5_000;

    private final Store store;
    private final Settings settings;
    private final Reconciler reconciler;
    private final Thread thread;
    private volatile boolean stopping;

    // touched by the loop thread only
    private final Set<String> dirty = new HashSet<>();
    private boolean allDirty;
    private final Map<String, Long> wakeUps = new HashMap<>();
    private long retryAt;

    OrchestratorLoop(Store store, Settings settings) {
        this.store = store;
        this.settings = settings;
        this.reconciler = new Reconciler(settings.writesPerTransaction());
        this.thread = new Thread(this::run, "swarmlet-orchestrator");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Stops the loop and waits for it to end: once this returns true, the loop
     * makes no more writes (a transaction it had in flight is abandoned).
     */
    boolean stop(Duration timeout) throws InterruptedException {
        stopping = true;
        thread.interrupt();
        thread.join(Math.max(1, timeout.toMillis()));
        return !thread.isAlive();
    }

    boolean isRunning() {
        return thread.isAlive();
    }

    private void run() {
        LOG.info("orchestrator started");
        try {
            while (!stopping) {
                try (Watch<Set<String>> watch = store.watch(Reconciler::allServiceIds)) {
                    dirty.addAll(watch.initial());
                    follow(watch);
                    if (!stopping && watch.isClosed()) {
                        LOG.warn("the store closed the orchestrator's watch (it fell behind); reading everything again");
                        allDirty = true;
                    }
                } catch (RuntimeException e) {
                    if (stopping) {
                        break;
                    }
                    LOG.error("orchestrator loop failed; starting it over in {} ms", settings.retryDelayMs(), e);
                    allDirty = true;
                    TimeUnit.MILLISECONDS.sleep(settings.retryDelayMs());
                }
            }
        } catch (InterruptedException e) {
            // stopping
        } finally {
            LOG.info("orchestrator stopped");
        }
    }

    private void follow(Watch<Set<String>> watch) throws InterruptedException {
        while (!stopping && !watch.isClosed()) {
            long now = System.currentTimeMillis();
            fireWakeUps(now);
            if (hasWork() && now >= retryAt) {
                if (store.isLeader()) {
                    runPass();
                } else {
                    retryAt = now + settings.retryDelayMs(); // leadership is going: Orchestrator stops this loop
                }
            }
            StoreEvent e = watch.poll(Duration.ofMillis(idleMillis()));
            while (e != null) {
                onEvent(e);
                e = watch.poll(Duration.ZERO);
            }
        }
    }

    private boolean hasWork() {
        return allDirty || !dirty.isEmpty();
    }

    private long idleMillis() {
        long now = System.currentTimeMillis();
        if (hasWork()) {
            return Math.max(0, retryAt - now);
        }
        long next = now + MAX_IDLE_MS;
        for (long at : wakeUps.values()) {
            next = Math.min(next, at);
        }
        return Math.max(0, next - now);
    }

    private void fireWakeUps(long now) {
        for (Iterator<Map.Entry<String, Long>> it = wakeUps.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Long> w = it.next();
            if (w.getValue() <= now) {
                dirty.add(w.getKey());
                it.remove();
            }
        }
    }

    private void onEvent(StoreEvent e) {
        if (e.action() == StoreEvent.Action.COMMIT) {
            return;
        }
        if (e.kind() == Kind.SERVICE) {
            dirty.add(e.objectAs(Kind.SERVICE).getId());
        } else if (e.kind() == Kind.TASK) {
            String serviceId = e.objectAs(Kind.TASK).getServiceId();
            if (!serviceId.isEmpty()) {
                dirty.add(serviceId);
            }
        } else if (e.kind() == Kind.NODE) {
            if (e.action() != StoreEvent.Action.UPDATE || Nodes.relevantChange((Node) e.old(), e.objectAs(Kind.NODE))) {
                allDirty = true;
            }
        } else if (e.kind() == Kind.CLUSTER) {
            Cluster before = (Cluster) e.old();
            Cluster after = e.objectAs(Kind.CLUSTER);
            if (before == null || !before.getSpec().getOrchestration().equals(after.getSpec().getOrchestration())) {
                allDirty = true;
            }
        }
    }

    private void runPass() {
        Set<String> ids = allDirty ? null : new HashSet<>(dirty);
        dirty.clear();
        allDirty = false;
        for (int attempt = 1; ; attempt++) {
            long now = System.currentTimeMillis();
            AtomicReference<Pass> result = new AtomicReference<>();
            try {
                store.update(tx -> result.set(reconciler.pass(tx, ids, now)));
                Pass p = result.get();
                p.afterCommit.forEach(Runnable::run);
                p.wakeUps.forEach((id, at) -> wakeUps.merge(id, at, Math::min));
                dirty.addAll(p.unfinished);
                if (p.writes() > 0) {
                    LOG.debug("orchestrator pass over {} wrote {} change(s)", ids == null ? "all services" : ids, p.writes());
                }
                return;
            } catch (StoreException e) {
                if (e.reason() == StoreException.Reason.SEQUENCE_CONFLICT && attempt < CONFLICT_RETRIES && !stopping) {
                    LOG.debug("orchestrator pass conflicted with a concurrent change; running it again: {}", e.getMessage());
                    continue;
                }
                giveBack(ids);
                if (!stopping) {
                    LOG.warn("orchestrator pass failed ({}: {}); trying again in {} ms", e.reason(), e.getMessage(),
                            settings.retryDelayMs());
                }
                return;
            } catch (RuntimeException e) {
                giveBack(ids);
                LOG.error("orchestrator pass failed; trying again in {} ms", settings.retryDelayMs(), e);
                return;
            }
        }
    }

    /** Marks the services of a failed pass for the next one, after the retry delay. */
    private void giveBack(Set<String> ids) {
        if (ids == null) {
            allDirty = true;
        } else {
            dirty.addAll(ids);
        }
        retryAt = System.currentTimeMillis() + settings.retryDelayMs();
    }
}
