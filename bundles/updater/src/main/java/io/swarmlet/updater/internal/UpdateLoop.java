package io.swarmlet.updater.internal;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.store.WriteTx;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.UpdateConfig;
import io.swarmlet.api.types.UpdateStatus.UpdateState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The updater's one loop: a store watch (snapshot plus every later change)
 * that, after each batch of changes, reconciles every service they touched.
 *
 * <p>Reconciling a service is one store transaction that reads the service and
 * its tasks as they are now and does at most one step: shut down the tasks a
 * running replacement makes redundant (start-first), write the failure action,
 * start the next batch of replacements, or mark the update complete. What is
 * done is always read from the store; {@link Rollout} keeps only the batch in
 * flight, the failure count and the timers, and those are fed by the watch in
 * log order, so a failure is counted before the batch it belongs to can let
 * the next one start. Timers (update delay, end of monitoring) wake the loop
 * through the poll time-out.
 */
final class UpdateLoop implements Runnable {

    private static final Logger LOG = LogManager.getLogger(UpdateLoop.class);

    private static final long IDLE_POLL_MS = 1_000;
    private static final long RETRY_MS = 1_000;
    private static final long CONFLICT_RETRY_MS = 20;
    private static final long MAX_BACKOFF_MS = 5_000;
    private static final int MAX_DRAIN = 10_000;

    private final Store store;
    private final LongSupplier clock;
    private final Map<String, Rollout> rollouts = new HashMap<>();
    private final Set<String> pending = new LinkedHashSet<>();
    private final Map<String, Long> timers = new HashMap<>();

    private volatile boolean running = true;
    private volatile Watch<Long> watch;
    private volatile long processedIndex = -1;

    UpdateLoop(Store store, LongSupplier clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Stops the loop: closes its watch, so a blocked poll returns at once. */
    void stop() {
        running = false;
        Watch<Long> w = watch;
        if (w != null) {
            w.close();
        }
    }

    /** The store index of the last transaction whose changes this loop has taken in and acted upon (for tests). */
    long processedIndex() {
        return processedIndex;
    }

    @Override
    public void run() {
        long backoff = 100;
        while (running) {
            Watch<Long> w;
            try {
                w = store.watch(this::seed);
            } catch (RuntimeException e) {
                LOG.warn("cannot watch the store, trying again in {} ms: {}", backoff, e.getMessage());
                if (!pause(backoff)) {
                    return;
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
                continue;
            }
            watch = w;
            try {
                if (running) {
                    follow(w);
                    backoff = 100;
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("the updater loop failed; starting over from a fresh snapshot", e);
            } finally {
                w.close();
                watch = null;
            }
            if (running) {
                LOG.info("the store closed the updater's watch; starting over from a fresh snapshot");
                if (!pause(backoff)) {
                    return;
                }
            }
        }
    }

    private static boolean pause(long ms) {
        try {
            Thread.sleep(ms);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Reads the snapshot (under the store's read lock): every service is looked at, rollouts are rebuilt. */
    private Long seed(ReadTx tx) {
        rollouts.clear();
        pending.clear();
        timers.clear();
        Map<String, List<Task>> byService = tx.all(Kind.TASK).stream().collect(Collectors.groupingBy(Task::getServiceId));
        for (Service s : tx.all(Kind.SERVICE)) {
            pending.add(s.getId());
            if (Slots.rolls(s)) {
                Rollout r = Rollout.derive(s, byService.getOrDefault(s.getId(), List.of()), rollingBack(s));
                refresh(r, s);
                rollouts.put(s.getId(), r);
            }
        }
        return tx.index();
    }

    private void follow(Watch<Long> w) throws InterruptedException {
        processedIndex = w.initial();
        reconcilePending();
        while (running && !w.isClosed()) {
            StoreEvent e = w.poll(Duration.ofMillis(waitMs()));
            long commit = -1;
            int n = 0;
            while (e != null) {
                if (e.action() == StoreEvent.Action.COMMIT) {
                    commit = e.index();
                } else {
                    handle(e);
                }
                if (++n >= MAX_DRAIN) {
                    break;
                }
                e = w.poll(Duration.ZERO);
            }
            if (w.isClosed()) {
                return; // changes may have been dropped: start over
            }
            reconcilePending();
            if (commit >= 0) {
                processedIndex = commit;
            }
        }
    }

    private long waitMs() {
        if (!pending.isEmpty()) {
            return 0;
        }
        long now = clock.getAsLong();
        long wait = IDLE_POLL_MS;
        for (long due : timers.values()) {
            wait = Math.min(wait, Math.max(0, due - now));
        }
        return wait;
    }

    private void handle(StoreEvent e) {
        if (e.kind() == Kind.SERVICE) {
            Service s = (Service) e.object();
            if (e.action() == StoreEvent.Action.REMOVE) {
                rollouts.remove(s.getId());
                timers.remove(s.getId());
                pending.remove(s.getId());
            } else {
                pending.add(s.getId());
            }
        } else if (e.kind() == Kind.TASK) {
            Task t = (Task) e.object();
            pending.add(t.getServiceId());
            Rollout r = rollouts.get(t.getServiceId());
            if (r != null) {
                r.observe(e, clock.getAsLong());
            }
        } else if (e.kind() == Kind.NODE) {
            // a node came, went or changed: global services may have slots to update there
            for (Rollout r : rollouts.values()) {
                if (r.global) {
                    pending.add(r.serviceId);
                }
            }
        }
    }

    private void reconcilePending() {
        long now = clock.getAsLong();
        for (Iterator<Map.Entry<String, Long>> it = timers.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Long> t = it.next();
            if (t.getValue() <= now) {
                pending.add(t.getKey());
                it.remove();
            }
        }
        List<String> ids = new ArrayList<>(pending);
        pending.clear();
        for (String id : ids) {
            if (!running) {
                return;
            }
            reconcile(id, now);
        }
    }

    // ------------------------------------------------------------ one service

    /** What one reconciling transaction did, applied to memory once it has committed. */
    private static final class Step {
        Rollout rollout;
        final List<String> created = new ArrayList<>();
        final List<String> slots = new ArrayList<>();
        boolean actionWritten;
        long timerAt;
        String log;
    }

    private void reconcile(String id, long now) {
        Step step = new Step();
        try {
            store.update(tx -> decide(tx, id, now, step));
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.SEQUENCE_CONFLICT) {
                LOG.debug("service {} changed while the updater wrote; reading it again", id);
                timers.merge(id, now + CONFLICT_RETRY_MS, Math::min);
            } else if (running) {
                LOG.warn("updating service {} failed, trying again in {} ms: {}", id, RETRY_MS, e.getMessage());
                timers.merge(id, now + RETRY_MS, Math::min);
            }
            return;
        } catch (RuntimeException e) {
            // one service's trouble must not stop the others' updates
            LOG.error("updating service {} failed, trying again in {} ms", id, RETRY_MS, e);
            timers.merge(id, now + RETRY_MS, Math::min);
            return;
        }
        Rollout r = step.rollout;
        if (r == null) {
            return;
        }
        if (step.actionWritten) {
            r.actionTask = null;
        }
        if (!step.created.isEmpty()) {
            r.started(step.created);
        }
        if (step.timerAt > 0) {
            timers.merge(id, step.timerAt, Math::min);
        }
        if (step.log != null) {
            LOG.info(step.log);
        } else if (!step.slots.isEmpty()) {
            LOG.debug("service {}: replacing {}", id, String.join(", ", step.slots));
        }
    }

    private static boolean rollingBack(Service s) {
        UpdateState st = s.getUpdateStatus().getState();
        return st == UpdateState.ROLLBACK_STARTED || st == UpdateState.ROLLBACK_PAUSED;
    }

    private static void refresh(Rollout r, Service s) {
        UpdateState st = s.getUpdateStatus().getState();
        r.config = r.rollback ? s.getSpec().getRollback() : s.getSpec().getUpdate();
        r.active = st == UpdateState.UPDATING || st == UpdateState.ROLLBACK_STARTED;
    }

    /** The step the service needs now; runs inside the transaction that writes it. */
    private void decide(WriteTx tx, String id, long now, Step step) {
        Service s = tx.get(Kind.SERVICE, id).orElse(null);
        if (s == null || !Slots.rolls(s)) {
            rollouts.remove(id);
            return;
        }
        String name = s.getSpec().getAnnotations().getName();
        List<Task> tasks = tx.find(Kind.TASK, t -> t.getServiceId().equals(id));
        Map<String, Node> nodes = Slots.isGlobal(s)
                ? tx.all(Kind.NODE).stream().collect(Collectors.toMap(Node::getId, Function.identity()))
                : Map.of();
        boolean rollingBack = rollingBack(s);
        Rollout r = rollouts.get(id);
        if (r == null || !r.matches(s, rollingBack)) {
            r = Rollout.derive(s, tasks, rollingBack);
            rollouts.put(id, r);
        }
        refresh(r, s);
        step.rollout = r;
        List<Slots.Slot> slots = Slots.of(s, tasks, nodes);

        // a replacement runs: what it replaces goes (start-first, or a restart that raced the update)
        for (Slots.Slot slot : slots) {
            if (slot.freshRunning()) {
                slot.stale().forEach(t -> shutdown(tx, t));
            }
        }

        UpdateState st = s.getUpdateStatus().getState();
        if (st == UpdateState.PAUSED || st == UpdateState.ROLLBACK_PAUSED) {
            return; // until the next `service update`
        }
        UpdateConfig cfg = r.config;
        if (r.active && r.actionTask != null) {
            if (cfg.getFailureAction() != UpdateConfig.FailureAction.CONTINUE) {
                failureAction(tx, s, r, step, now);
                return;
            }
            step.actionWritten = true; // the config changed to CONTINUE meanwhile
        }

        List<Slots.Slot> need = slots.stream().filter(Slots.Slot::needsReplacement)
                .sorted(Slots.REPLACEMENT_ORDER).toList();
        Service current = s;
        if (!r.active) {
            if (need.isEmpty()) {
                return;
            }
            // out-of-date tasks and no update under way (the spec was written around the control API)
            current = Transitions.start(s, now);
            tx.update(Kind.SERVICE, current);
            r = Rollout.derive(current, tasks, false);
            refresh(r, current);
            rollouts.put(id, r);
            step.rollout = r;
            step.log = "service " + name + ": " + need.size() + " tasks out of date; update started";
            cfg = r.config;
        }
        if (!r.inFlight.isEmpty()) {
            return; // the batch is still coming up
        }
        if (need.isEmpty()) {
            long end = r.monitorEndsAt();
            if (now < end) {
                step.timerAt = end;
                return;
            }
            tx.update(Kind.SERVICE, Transitions.complete(current, rollingBack, now));
            step.log = "service " + name + ": " + (rollingBack ? "rollback" : "update") + " completed";
            return;
        }
        if (r.batchDoneAt > 0 && now < r.batchDoneAt + cfg.getDelayMs()) {
            step.timerAt = r.batchDoneAt + cfg.getDelayMs();
            return;
        }
        int size = cfg.getParallelism() == 0 ? need.size() : (int) Math.min(cfg.getParallelism(), need.size());
        boolean stopFirst = cfg.getOrder() != UpdateConfig.UpdateOrder.START_FIRST;
        for (Slots.Slot slot : need.subList(0, size)) {
            Task t = Transitions.replacement(tx, current, slot, now);
            tx.create(Kind.TASK, t);
            if (stopFirst) {
                slot.stale().forEach(old -> shutdown(tx, old));
            }
            step.created.add(t.getId());
            step.slots.add(slot.describe());
        }
    }

    private void failureAction(WriteTx tx, Service s, Rollout r, Step step, long now) {
        String name = s.getSpec().getAnnotations().getName();
        UpdateConfig.FailureAction action = r.config.getFailureAction();
        step.actionWritten = true;
        String task = r.actionTask;
        String ratio = r.failures + "/" + r.updated.size() + " replacement tasks failed";
        if (action == UpdateConfig.FailureAction.ROLLBACK && !r.rollback && s.hasPreviousSpec()) {
            tx.update(Kind.SERVICE, Transitions.rollback(s, task, now));
            step.log = "service " + name + ": " + ratio + "; rolling back";
            return;
        }
        // PAUSE; or ROLLBACK of a rollback (never rolled back again), or with nothing to roll back to
        String why = action == UpdateConfig.FailureAction.ROLLBACK && !r.rollback
                ? " (no previous spec to roll back to)" : "";
        tx.update(Kind.SERVICE, Transitions.pause(s, r.rollback, task, why));
        step.log = "service " + name + ": " + ratio + "; " + (r.rollback ? "rollback" : "update") + " paused";
    }

    private static void shutdown(WriteTx tx, Task t) {
        if (Slots.live(t)) {
            tx.update(Kind.TASK, Transitions.stopped(t));
        }
    }
}
