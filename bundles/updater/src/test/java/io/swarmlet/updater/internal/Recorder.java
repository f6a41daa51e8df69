package io.swarmlet.updater.internal;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.UpdateStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Follows one replicated service through a store watch and samples the state
 * after every committed transaction: how many of its slots had no RUNNING task
 * (of any spec), when each task was created and first ran (store index and
 * status timestamp), and every update status it went through.
 */
final class Recorder implements AutoCloseable {

    record Created(String taskId, long index) {}

    private final String serviceId;
    private final long replicas;
    private final Watch<List<Task>> watch;
    private final Thread thread;
    private final Map<String, Task> tasks = new HashMap<>();
    private final List<Created> created = new ArrayList<>();
    private final Map<String, Long> runningIndex = new HashMap<>();
    private final Map<String, Long> runningAt = new HashMap<>();
    private final List<UpdateStatus> statuses = new ArrayList<>();
    private int maxDown;
    private long lastIndex;
    private volatile boolean closed;

    Recorder(Store store, String serviceId, long replicas) {
        this.serviceId = serviceId;
        this.replicas = replicas;
        this.watch = store.watch(tx -> tx.find(Kind.TASK, t -> t.getServiceId().equals(serviceId)));
        watch.initial().forEach(t -> tasks.put(t.getId(), t));
        sample(0);
        thread = new Thread(this::loop, "recorder");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
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
            synchronized (this) {
                take(e);
            }
        }
    }

    private void take(StoreEvent e) {
        if (e.action() == StoreEvent.Action.COMMIT) {
            sample(e.index());
            return;
        }
        if (e.kind() == Kind.SERVICE && e.action() != StoreEvent.Action.REMOVE) {
            Service s = (Service) e.object();
            if (s.getId().equals(serviceId) && (statuses.isEmpty() || !statuses.get(statuses.size() - 1).equals(s.getUpdateStatus()))) {
                statuses.add(s.getUpdateStatus());
            }
        }
        if (e.kind() != Kind.TASK) {
            return;
        }
        Task t = (Task) e.object();
        if (!t.getServiceId().equals(serviceId)) {
            return;
        }
        if (e.action() == StoreEvent.Action.REMOVE) {
            tasks.remove(t.getId());
            return;
        }
        if (e.action() == StoreEvent.Action.CREATE) {
            created.add(new Created(t.getId(), e.index()));
        }
        if (t.getStatus().getState() == TaskState.RUNNING && !runningIndex.containsKey(t.getId())) {
            runningIndex.put(t.getId(), e.index());
            runningAt.put(t.getId(), t.getStatus().getTimestamp());
        }
        tasks.put(t.getId(), t);
    }

    private void sample(long index) {
        int down = 0;
        for (long slot = 1; slot <= replicas; slot++) {
            long s = slot;
            if (tasks.values().stream().noneMatch(t -> t.getSlot() == s && t.getStatus().getState() == TaskState.RUNNING)) {
                down++;
            }
        }
        maxDown = Math.max(maxDown, down);
        lastIndex = index;
    }

    /** The most slots without a RUNNING task seen after any transaction. */
    synchronized int maxDown() {
        return maxDown;
    }

    /** The tasks created since the recorder started, grouped by the transaction that created them, in log order. */
    synchronized List<List<String>> creationBatches() {
        Map<Long, List<String>> byIndex = new TreeMap<>();
        for (Created c : created) {
            byIndex.computeIfAbsent(c.index(), k -> new ArrayList<>()).add(c.taskId());
        }
        return List.copyOf(byIndex.values());
    }

    synchronized long createdIndex(String taskId) {
        return created.stream().filter(c -> c.taskId().equals(taskId)).findFirst().orElseThrow().index();
    }

    synchronized long runningIndex(String taskId) {
        return runningIndex.get(taskId);
    }

    synchronized long runningAt(String taskId) {
        return runningAt.get(taskId);
    }

    synchronized List<UpdateStatus> statuses() {
        return List.copyOf(statuses);
    }

    synchronized long lastIndex() {
        return lastIndex;
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        watch.close();
        thread.join(5_000);
    }
}
