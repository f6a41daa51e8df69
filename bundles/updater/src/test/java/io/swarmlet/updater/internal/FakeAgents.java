package io.swarmlet.updater.internal;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Plays scheduler and agents for the updater's tests, through the store only.
 * After each transaction that touched tasks it stops the tasks asked to stop
 * (SHUTDOWN), then, in a later transaction, as a real container takes a moment,
 * starts the tasks that should run (PENDING straight to RUNNING). Tasks matching
 * {@link #hold} stay PENDING until {@link #release}; tasks matching
 * {@link #failAtStart} fail instead of running (the container exits at once);
 * tasks matching {@link #failAfterStart} run, and fail in the next transaction
 * ({@link #failAfterMs} later by their status timestamps: 1 ms, well inside any
 * monitor period, unless a test says otherwise).
 */
final class FakeAgents implements AutoCloseable {

    private final Store store;
    private final Watch<Void> watch;
    private final Thread thread;
    private volatile boolean closed;

    volatile Predicate<Task> hold = t -> false;
    volatile Predicate<Task> failAtStart = t -> false;
    volatile Predicate<Task> failAfterStart = t -> false;
    /** How long after RUNNING (by status timestamps) a {@link #failAfterStart} task fails. */
    volatile long failAfterMs = 1;

    FakeAgents(Store store) {
        this.store = store;
        this.watch = store.watch(tx -> null);
        this.thread = new Thread(this::loop, "fake-agents");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        Set<String> changed = new LinkedHashSet<>();
        while (!closed) {
            StoreEvent e;
            try {
                e = watch.poll(Duration.ofMillis(100));
            } catch (InterruptedException ie) {
                return;
            }
            if (e == null) {
                continue;
            }
            if (e.kind() == Kind.TASK && e.action() != StoreEvent.Action.REMOVE) {
                changed.add(((Task) e.object()).getId());
            } else if (e.action() == StoreEvent.Action.COMMIT && !changed.isEmpty()) {
                advance(changed);
                changed.clear();
            }
        }
    }

    /** Lets held tasks run (or fail, as the other predicates say). */
    void release() {
        hold = t -> false;
        List<String> waiting = store.view(tx -> tx.find(Kind.TASK,
                t -> t.getStatus().getState().getNumber() < TaskState.RUNNING_VALUE).stream().map(Task::getId).toList());
        advance(waiting);
    }

    /**
     * Moves the tasks on: first the stops, then (in a later transaction, as a
     * real agent's container takes a moment) the starts and failures.
     */
    private void advance(Iterable<String> ids) {
        Fixtures.write(store, tx -> {
            for (String id : ids) {
                Task t = tx.get(Kind.TASK, id).orElse(null);
                if (t != null && !Slots.live(t) && t.getStatus().getState().getNumber() <= TaskState.RUNNING_VALUE) {
                    tx.update(Kind.TASK, status(t, TaskState.SHUTDOWN, System.currentTimeMillis(), "shutdown"));
                }
            }
        });
        List<String> toFail = new ArrayList<>();
        Fixtures.write(store, tx -> {
            toFail.clear();
            for (String id : ids) {
                Task t = tx.get(Kind.TASK, id).orElse(null);
                Task next = t == null ? null : start(t);
                if (next != null) {
                    tx.update(Kind.TASK, next);
                    if (next.getStatus().getState() == TaskState.RUNNING && failAfterStart.test(next)) {
                        toFail.add(id);
                    }
                }
            }
        });
        if (!toFail.isEmpty()) {
            Fixtures.write(store, tx -> {
                for (String id : toFail) {
                    Task t = tx.get(Kind.TASK, id).orElseThrow();
                    if (t.getStatus().getState() == TaskState.RUNNING) {
                        tx.update(Kind.TASK, status(t, TaskState.FAILED, t.getStatus().getTimestamp() + failAfterMs, "task: non-zero exit (1)"));
                    }
                }
            });
        }
    }

    private Task start(Task t) {
        long now = System.currentTimeMillis();
        if (Slots.live(t) && t.getStatus().getState().getNumber() < TaskState.RUNNING_VALUE) {
            if (hold.test(t)) {
                return null;
            }
            if (failAtStart.test(t)) {
                return status(t, TaskState.FAILED, now, "task: non-zero exit (1)");
            }
            return status(t, TaskState.RUNNING, now, "started");
        }
        return null;
    }

    private static Task status(Task t, TaskState state, long at, String message) {
        return t.toBuilder().setStatus(t.getStatus().toBuilder().setState(state).setTimestamp(at).setMessage(message)).build();
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        watch.close();
        thread.join(5_000);
    }
}
