package io.swarmlet.updater.internal;

import static io.swarmlet.updater.internal.Fixtures.await;
import static io.swarmlet.updater.internal.Fixtures.awaitIdle;
import static io.swarmlet.updater.internal.Fixtures.awaitState;
import static io.swarmlet.updater.internal.Fixtures.config;
import static io.swarmlet.updater.internal.Fixtures.image;
import static io.swarmlet.updater.internal.Fixtures.live;
import static io.swarmlet.updater.internal.Fixtures.replicated;
import static io.swarmlet.updater.internal.Fixtures.service;
import static io.swarmlet.updater.internal.Fixtures.tasks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.UpdateConfig;
import io.swarmlet.api.types.UpdateConfig.FailureAction;
import io.swarmlet.api.types.UpdateStatus;
import io.swarmlet.api.types.UpdateStatus.UpdateState;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The updater against a real one-member store, with {@link FakeAgents} playing
 * scheduler and agents (no orchestrator: nothing restarts failed tasks).
 */
class UpdaterTest {

    @TempDir
    Path dir;

    private SingleNodeStore fixture;
    private Store store;
    private FakeAgents agents;
    private final List<Updater> updaters = new ArrayList<>();
    private final List<Recorder> recorders = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        fixture = SingleNodeStore.start(dir);
        store = fixture.store();
        agents = new FakeAgents(store);
    }

    @AfterEach
    void stop() throws Exception {
        updaters.forEach(u -> u.leadershipChanged(false));
        for (Recorder r : recorders) {
            r.close();
        }
        agents.close();
        fixture.close();
    }

    private Updater leader() {
        Updater u = new Updater(store);
        updaters.add(u);
        u.leadershipChanged(true);
        return u;
    }

    private Recorder record(String serviceId, long replicas) {
        Recorder r = new Recorder(store, serviceId, replicas);
        recorders.add(r);
        return r;
    }

    private static Map<Long, Task> bySlot(List<Task> tasks) {
        return tasks.stream().collect(Collectors.toMap(Task::getSlot, Function.identity()));
    }

    @Test
    void rollingUpdateKeepsAtMostParallelismSlotsDownAndCompletes() throws Exception {
        Updater updater = leader();
        ServiceSpec v1 = replicated("web", 6, "nginx:1", config(2, FailureAction.PAUSE, 0), config(1, FailureAction.PAUSE, 0));
        String id = Fixtures.deploy(store, v1, List.of());
        Set<String> original = live(store, id).stream().map(Task::getId).collect(Collectors.toSet());
        Recorder rec = record(id, 6);

        Fixtures.update(store, id, s -> image(s, "nginx:2"));
        UpdateStatus done = awaitState(store, id, UpdateState.COMPLETED);

        assertEquals("update completed", done.getMessage());
        assertTrue(done.getCompletedAt() >= done.getStartedAt() && done.getStartedAt() > 0);
        assertTrue(rec.maxDown() <= 2, "at most 2 slots without a running task, saw " + rec.maxDown());
        assertTrue(rec.maxDown() >= 1, "the sampler saw the slots go down");
        List<List<String>> batches = rec.creationBatches();
        assertEquals(List.of(2, 2, 2), batches.stream().map(List::size).toList());
        for (int k = 1; k < batches.size(); k++) {
            long previousUp = batches.get(k - 1).stream().mapToLong(rec::runningIndex).max().orElseThrow();
            assertTrue(batches.get(k).stream().allMatch(t -> rec.createdIndex(t) > previousUp),
                    "batch " + k + " started before batch " + (k - 1) + " was running");
        }

        Service svc = service(store, id);
        List<Task> live = live(store, id);
        assertEquals(6, live.size());
        assertEquals(Set.of(1L, 2L, 3L, 4L, 5L, 6L), bySlot(live).keySet());
        for (Task t : live) {
            assertEquals(svc.getSpec().getTask(), t.getSpec());
            assertEquals(2, t.getSpecVersion());
            assertEquals(TaskState.RUNNING, t.getStatus().getState());
            assertEquals("web." + t.getSlot(), t.getAnnotations().getName());
            assertEquals(svc.getSpec().getAnnotations(), t.getServiceAnnotations());
            assertEquals("", t.getNodeId());
        }
        List<Task> all = tasks(store, id);
        assertEquals(12, all.size(), "one replacement per slot");
        assertTrue(all.stream().filter(t -> original.contains(t.getId()))
                .allMatch(t -> t.getDesiredState() == TaskState.SHUTDOWN && t.getStatus().getState() == TaskState.SHUTDOWN));
    }

    @Test
    void batchesStartOnlyAfterThePreviousOneRunsAndTheDelay() throws Exception {
        leader();
        UpdateConfig update = config(2, FailureAction.PAUSE, 0).toBuilder().setDelayMs(300).build();
        String id = Fixtures.deploy(store, replicated("api", 6, "api:1", update, update), List.of());
        Recorder rec = record(id, 6);

        Fixtures.update(store, id, s -> image(s, "api:2"));
        awaitState(store, id, UpdateState.COMPLETED);

        List<List<String>> batches = rec.creationBatches();
        assertEquals(List.of(2, 2, 2), batches.stream().map(List::size).toList());
        Map<String, Task> byId = tasks(store, id).stream().collect(Collectors.toMap(Task::getId, Function.identity()));
        for (int k = 1; k < batches.size(); k++) {
            List<String> previous = batches.get(k - 1);
            long previousUp = previous.stream().mapToLong(rec::runningIndex).max().orElseThrow();
            long previousUpAt = previous.stream().mapToLong(rec::runningAt).max().orElseThrow();
            for (String t : batches.get(k)) {
                assertTrue(rec.createdIndex(t) > previousUp, "batch " + k + " started before batch " + (k - 1) + " was running");
                assertTrue(byId.get(t).getMeta().getCreatedAt() >= previousUpAt + 300,
                        "batch " + k + " started before the 300 ms delay had passed");
            }
        }
    }

    @Test
    void failedUpdatePausesTouchesNoFurtherSlotsAndResumesWithTheNextUpdate() throws Exception {
        Updater updater = leader();
        String id = Fixtures.deploy(store, replicated("db", 6, "db:1", config(2, FailureAction.PAUSE, 0),
                config(1, FailureAction.PAUSE, 0)), List.of());
        Map<Long, Task> before = bySlot(live(store, id));
        agents.failAtStart = t -> image(t).equals("db:2");

        Fixtures.update(store, id, s -> image(s, "db:2"));
        UpdateStatus paused = awaitState(store, id, UpdateState.PAUSED);
        awaitIdle(store, updater);

        List<Task> failed = tasks(store, id).stream().filter(t -> image(t).equals("db:2")).toList();
        assertEquals(2, failed.size(), "only the first batch was started");
        assertTrue(failed.stream().allMatch(t -> t.getStatus().getState() == TaskState.FAILED));
        assertTrue(failed.stream().anyMatch(t -> paused.getMessage()
                .equals("update paused due to failure or early termination of task " + t.getId())), paused.getMessage());
        Map<Long, Task> now = bySlot(live(store, id));
        for (long slot = 3; slot <= 6; slot++) {
            assertEquals(before.get(slot).getId(), now.get(slot).getId(), "slot " + slot + " was left alone");
            assertEquals(TaskState.RUNNING, now.get(slot).getStatus().getState());
        }

        // paused stays paused; the next `service update` starts over from the new spec
        Fixtures.update(store, id, s -> image(s, "db:3"));
        awaitState(store, id, UpdateState.COMPLETED);
        List<Task> live = live(store, id);
        assertEquals(6, live.size());
        assertTrue(live.stream().allMatch(t -> image(t).equals("db:3") && t.getStatus().getState() == TaskState.RUNNING));
    }

    @Test
    void failureActionRollbackRestoresThePreviousSpecOnEverySlot() throws Exception {
        leader();
        ServiceSpec v1 = replicated("cache", 6, "cache:1", config(2, FailureAction.ROLLBACK, 0).toBuilder().setMonitorMs(10_000).build(),
                config(2, FailureAction.PAUSE, 0));
        String id = Fixtures.deploy(store, v1, List.of());
        Recorder rec = record(id, 6);
        agents.failAfterStart = t -> image(t).equals("cache:2");

        Fixtures.update(store, id, s -> image(s, "cache:2"));
        UpdateStatus done = awaitState(store, id, UpdateState.ROLLBACK_COMPLETED);

        assertEquals("rollback completed", done.getMessage());
        Service svc = service(store, id);
        assertEquals(v1.getTask(), svc.getSpec().getTask());
        assertEquals("cache:2", svc.getPreviousSpec().getTask().getContainer().getImage());
        assertEquals(3, svc.getSpecVersion());
        Set<String> failedIds = tasks(store, id).stream().filter(t -> image(t).equals("cache:2")).map(Task::getId)
                .collect(Collectors.toSet());
        List<String> started = rec.statuses().stream().filter(s -> s.getState() == UpdateState.ROLLBACK_STARTED)
                .map(UpdateStatus::getMessage).toList();
        assertEquals(1, started.size(), "one rollback: " + rec.statuses());
        String prefix = "update rolled back due to failure or early termination of task ";
        assertTrue(started.get(0).startsWith(prefix) && failedIds.contains(started.get(0).substring(prefix.length())), started.get(0));

        List<Task> live = live(store, id);
        assertEquals(6, live.size());
        assertEquals(Set.of(1L, 2L, 3L, 4L, 5L, 6L), bySlot(live).keySet());
        assertTrue(live.stream().allMatch(t -> t.getSpec().equals(v1.getTask()) && t.getStatus().getState() == TaskState.RUNNING));
    }

    @Test
    void aTaskThatFailsAfterTheMonitorPeriodIsNotAnUpdateFailure() throws Exception {
        leader();
        String id = Fixtures.deploy(store, replicated("late", 4, "l:1", config(2, FailureAction.PAUSE, 0),
                config(2, FailureAction.PAUSE, 0)), List.of());
        agents.failAfterStart = t -> image(t).equals("l:2");
        agents.failAfterMs = 10_000; // by their status timestamps: long after the 200 ms monitor period

        Fixtures.update(store, id, s -> image(s, "l:2"));
        UpdateStatus done = awaitState(store, id, UpdateState.COMPLETED);

        assertEquals("update completed", done.getMessage());
        List<Task> live = live(store, id);
        assertEquals(4, live.size());
        assertTrue(live.stream().allMatch(t -> image(t).equals("l:2") && t.getStatus().getState() == TaskState.FAILED));
    }

    @Test
    void manualRollbackRollsBackWithTheRollbackConfig() throws Exception {
        leader();
        ServiceSpec v1 = replicated("queue", 6, "queue:1", config(1, FailureAction.PAUSE, 0), config(3, FailureAction.PAUSE, 0));
        String id = Fixtures.deploy(store, v1, List.of());
        Fixtures.update(store, id, s -> image(s, "queue:2"));
        awaitState(store, id, UpdateState.COMPLETED);
        Recorder rec = record(id, 6);

        Fixtures.rollback(store, id);
        UpdateStatus done = awaitState(store, id, UpdateState.ROLLBACK_COMPLETED);

        assertEquals("rollback completed", done.getMessage());
        assertEquals(List.of(3, 3), rec.creationBatches().stream().map(List::size).toList(), "rollback parallelism is 3");
        assertTrue(rec.maxDown() <= 3, "at most 3 slots down, saw " + rec.maxDown());
        List<Task> live = live(store, id);
        assertEquals(6, live.size());
        assertTrue(live.stream().allMatch(t -> t.getSpec().equals(v1.getTask()) && t.getSpecVersion() == 3
                && t.getStatus().getState() == TaskState.RUNNING));
    }

    @Test
    void startFirstKeepsTheOldTaskRunningUntilItsReplacementRuns() throws Exception {
        Updater updater = leader();
        UpdateConfig startFirst = config(1, FailureAction.PAUSE, 0).toBuilder().setOrder(UpdateConfig.UpdateOrder.START_FIRST).build();
        String id = Fixtures.deploy(store, replicated("front", 3, "front:1", startFirst, startFirst), List.of());
        Map<Long, Task> before = bySlot(live(store, id));
        Recorder rec = record(id, 3);
        agents.hold = t -> image(t).equals("front:2");

        Fixtures.update(store, id, s -> image(s, "front:2"));
        await("a replacement task", () -> tasks(store, id).stream().anyMatch(t -> image(t).equals("front:2")));
        awaitIdle(store, updater);

        List<Task> fresh = tasks(store, id).stream().filter(t -> image(t).equals("front:2")).toList();
        assertEquals(1, fresh.size(), "parallelism 1: one replacement until it runs");
        Task replacement = fresh.get(0);
        assertEquals(TaskState.PENDING, replacement.getStatus().getState());
        Task old = tasks(store, id).stream().filter(t -> t.getId().equals(before.get(replacement.getSlot()).getId())).findFirst().orElseThrow();
        assertEquals(TaskState.RUNNING, old.getDesiredState(), "the old task is kept until its replacement runs");
        assertEquals(TaskState.RUNNING, old.getStatus().getState());

        agents.release();
        awaitState(store, id, UpdateState.COMPLETED);
        assertEquals(0, rec.maxDown(), "start-first: no slot was ever without a running task");
        List<Task> live = live(store, id);
        assertEquals(3, live.size());
        assertTrue(live.stream().allMatch(t -> image(t).equals("front:2") && t.getStatus().getState() == TaskState.RUNNING));
        assertTrue(before.values().stream().allMatch(t -> tasks(store, id).stream()
                .filter(x -> x.getId().equals(t.getId())).allMatch(x -> x.getDesiredState() == TaskState.SHUTDOWN)));
    }

    @Test
    void forceUpdateRedeploysEveryTaskAtOnceWithParallelismZero() throws Exception {
        leader();
        String id = Fixtures.deploy(store, replicated("worker", 6, "worker:1", config(0, FailureAction.PAUSE, 0),
                config(0, FailureAction.PAUSE, 0)), List.of());
        Recorder rec = record(id, 6);

        Fixtures.update(store, id, s -> {
            ServiceSpec.Builder b = s.toBuilder();
            b.getTaskBuilder().setForceUpdate(s.getTask().getForceUpdate() + 1);
            return b.build();
        });
        awaitState(store, id, UpdateState.COMPLETED);

        assertEquals(List.of(6), rec.creationBatches().stream().map(List::size).toList(), "parallelism 0: all at once");
        List<Task> live = live(store, id);
        assertEquals(6, live.size());
        assertTrue(live.stream().allMatch(t -> t.getSpec().getForceUpdate() == 1 && image(t).equals("worker:1")
                && t.getStatus().getState() == TaskState.RUNNING));
        assertEquals(12, tasks(store, id).size());
    }

    @Test
    void failureRatioHalfToleratesFailuresUntilExceededThenPauses() throws Exception {
        Updater updater = leader();
        String id = Fixtures.deploy(store, replicated("ratio", 6, "r:1", config(1, FailureAction.PAUSE, 0.5f),
                config(1, FailureAction.PAUSE, 0)), List.of());
        Map<Long, Task> before = bySlot(live(store, id));
        agents.failAtStart = t -> image(t).equals("r:2") && (t.getSlot() == 2 || t.getSlot() == 3);

        Fixtures.update(store, id, s -> image(s, "r:2"));
        UpdateStatus paused = awaitState(store, id, UpdateState.PAUSED);
        awaitIdle(store, updater);

        // slot 1 ok (0/1), slot 2 failed (1/2 = 0.5, not above), slot 3 failed (2/3 > 0.5): paused there
        Map<Long, Task> now = bySlot(live(store, id));
        assertEquals(TaskState.RUNNING, now.get(1L).getStatus().getState());
        assertEquals("r:2", image(now.get(1L)));
        assertEquals(TaskState.FAILED, now.get(2L).getStatus().getState());
        assertEquals(TaskState.FAILED, now.get(3L).getStatus().getState());
        assertEquals("update paused due to failure or early termination of task " + now.get(3L).getId(), paused.getMessage());
        for (long slot = 4; slot <= 6; slot++) {
            assertEquals(before.get(slot).getId(), now.get(slot).getId(), "slot " + slot + " was left alone");
        }
        assertEquals(9, tasks(store, id).size());
    }

    @Test
    void failureRatioWithContinueGoesOnToTheEnd() throws Exception {
        leader();
        String id = Fixtures.deploy(store, replicated("cont", 6, "c:1", config(2, FailureAction.CONTINUE, 0.5f),
                config(1, FailureAction.PAUSE, 0)), List.of());
        agents.failAtStart = t -> image(t).equals("c:2");

        Fixtures.update(store, id, s -> image(s, "c:2"));
        UpdateStatus done = awaitState(store, id, UpdateState.COMPLETED);

        assertEquals("update completed", done.getMessage());
        List<Task> live = live(store, id);
        assertEquals(Set.of(1L, 2L, 3L, 4L, 5L, 6L), bySlot(live).keySet());
        assertTrue(live.stream().allMatch(t -> image(t).equals("c:2") && t.getStatus().getState() == TaskState.FAILED));
    }

    @Test
    void aNewLeaderResumesTheUpdateFromTheStore() throws Exception {
        Updater first = leader();
        String id = Fixtures.deploy(store, replicated("resume", 6, "s:1", config(2, FailureAction.PAUSE, 0),
                config(2, FailureAction.PAUSE, 0)), List.of());
        Recorder rec = record(id, 6);
        agents.hold = t -> image(t).equals("s:2");

        Fixtures.update(store, id, s -> image(s, "s:2"));
        await("the first batch", () -> tasks(store, id).stream().filter(t -> image(t).equals("s:2")).count() == 2);
        awaitIdle(store, first);
        first.leadershipChanged(false);

        Updater second = leader();
        awaitIdle(store, second);
        assertEquals(2, tasks(store, id).stream().filter(t -> image(t).equals("s:2")).count(),
                "the new leader waits for the batch in flight instead of starting another");

        agents.release();
        awaitState(store, id, UpdateState.COMPLETED);
        assertTrue(rec.maxDown() <= 2, "at most 2 slots down across the leader change, saw " + rec.maxDown());
        assertEquals(12, tasks(store, id).size(), "no slot was replaced twice");
        assertTrue(live(store, id).stream().allMatch(t -> image(t).equals("s:2") && t.getStatus().getState() == TaskState.RUNNING));
    }

    @Test
    void outOfDateTasksWithNoUpdateUnderWayStartOne() throws Exception {
        leader();
        String id = Fixtures.deploy(store, replicated("raw", 3, "raw:1", config(1, FailureAction.PAUSE, 0),
                config(1, FailureAction.PAUSE, 0)), List.of());
        Recorder rec = record(id, 3);

        // a spec written straight to the store, without the control API's update status
        Fixtures.write(store, tx -> {
            Service cur = tx.get(Kind.SERVICE, id).orElseThrow();
            tx.update(Kind.SERVICE, cur.toBuilder().setSpec(image(cur.getSpec(), "raw:2"))
                    .setSpecVersion(2).build());
        });
        UpdateStatus done = awaitState(store, id, UpdateState.COMPLETED);

        assertTrue(rec.statuses().stream().anyMatch(s -> s.getState() == UpdateState.UPDATING
                && s.getMessage().equals("update in progress")), rec.statuses().toString());
        assertEquals("update completed", done.getMessage());
        assertTrue(live(store, id).stream().allMatch(t -> image(t).equals("raw:2") && t.getStatus().getState() == TaskState.RUNNING));
    }

    @Test
    void globalServiceIsUpdatedNodeByNode() throws Exception {
        leader();
        List<String> nodes = LongStream.rangeClosed(1, 3).mapToObj(i -> "node00000000000000000000" + i).toList();
        Fixtures.nodes(store, nodes);
        String id = Fixtures.deploy(store, Fixtures.global("agent", "agent:1", config(1, FailureAction.PAUSE, 0)), nodes);

        Fixtures.update(store, id, s -> image(s, "agent:2"));
        awaitState(store, id, UpdateState.COMPLETED);

        List<Task> live = live(store, id);
        assertEquals(Set.copyOf(nodes), live.stream().map(Task::getNodeId).collect(Collectors.toSet()));
        for (Task t : live) {
            assertEquals("agent:2", image(t));
            assertEquals(0, t.getSlot());
            assertEquals("agent." + t.getNodeId(), t.getAnnotations().getName());
        }
        assertEquals(6, tasks(store, id).size());
    }
}
