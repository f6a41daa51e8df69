package io.swarmlet.orchestrator.internal;

import static io.swarmlet.orchestrator.internal.Harness.ready;
import static io.swarmlet.orchestrator.internal.Harness.replicated;
import static io.swarmlet.orchestrator.internal.Harness.restart;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replicated services against a real store, with the test playing scheduler and agents. */
class ReplicatedServicesTest {

    private static final RestartPolicy ANY = restart(RestartPolicy.Condition.ANY, 100, 0);

    @TempDir
    Path dir;

    private Harness h;

    @BeforeEach
    void start() throws Exception {
        h = Harness.start(dir, 5, ready("n1"), ready("n2"), ready("n3"));
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void aNewServiceGetsOnePendingTaskPerSlot() {
        Service s = h.createService(replicated("web", 3, ANY));

        List<Task> tasks = h.awaitTasks("3 tasks", s.getId(), 3, t -> true);
        assertEquals(List.of(1L, 2L, 3L), tasks.stream().map(Task::getSlot).toList());
        for (Task t : tasks) {
            assertEquals("web." + t.getSlot(), t.getAnnotations().getName());
            assertEquals(s.getId(), t.getServiceId());
            assertEquals(1, t.getSpecVersion());
            assertEquals(s.getSpec().getTask(), t.getSpec());
            assertEquals(s.getSpec().getAnnotations(), t.getServiceAnnotations());
            assertEquals(TaskState.RUNNING, t.getDesiredState());
            assertEquals(TaskState.PENDING, t.getStatus().getState());
            assertEquals("pending task scheduling", t.getStatus().getMessage());
            assertTrue(t.getStatus().getTimestamp() > 0);
            assertEquals("", t.getNodeId(), "the scheduler picks the node");
            assertEquals(25, t.getId().length());
        }
    }

    @Test
    void scalingUpAddsSlotsAndScalingDownRemovesFromTheBusiestNodes() {
        Service s = h.createService(replicated("web", 3, ANY));
        List<Task> first = h.awaitTasks("3 tasks", s.getId(), 3, t -> true);
        for (Task t : first) {
            h.run(t.getId(), "n1");
        }

        Service v2 = h.updateSpec(s.getId(), b -> b.setReplicated(b.getReplicated().toBuilder().setReplicas(5)));
        List<Task> five = h.awaitTasks("5 tasks", s.getId(), 5, Tasks::runnable);
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), five.stream().map(Task::getSlot).toList());
        assertEquals(first.stream().map(Task::getId).toList(), five.subList(0, 3).stream().map(Task::getId).toList(),
                "running tasks are kept, even with an outdated spec version: updating them is the updater's work");
        assertEquals(1, five.get(0).getSpecVersion());
        assertEquals(v2.getSpecVersion(), five.get(3).getSpecVersion(), "new tasks take the current spec version");
        assertEquals(v2.getSpecVersion(), five.get(4).getSpecVersion());
        h.run(five.get(3).getId(), "n2");
        h.run(five.get(4).getId(), "n3");

        // n1 runs slots 1, 2, 3; n2 slot 4; n3 slot 5
        h.updateSpec(s.getId(), b -> b.setReplicated(b.getReplicated().toBuilder().setReplicas(2)));
        List<Task> removed = h.awaitTasks("3 tasks told to go", s.getId(), 3,
                t -> t.getDesiredState() == TaskState.REMOVE);
        // slot 3 (n1 has 3), slot 2 (n1 still has 2), then all nodes have one each: the highest slot, 5
        assertEquals(Set.of(2L, 3L, 5L), removed.stream().map(Task::getSlot).collect(Collectors.toSet()));
        List<Task> kept = h.tasks(s.getId(), Tasks::runnable);
        assertEquals(List.of(1L, 4L), kept.stream().map(Task::getSlot).toList());
        assertEquals(2, kept.stream().map(Task::getNodeId).distinct().count(), "one on n1, one on n2");

        // the agents stop them; the reaper deletes them
        for (Task t : removed) {
            h.report(t.getId(), TaskState.SHUTDOWN);
        }
        h.awaitTasks("only the 2 kept tasks", s.getId(), 2, t -> true);
        assertEquals(kept.stream().map(Task::getId).toList(), h.tasks(s.getId()).stream().map(Task::getId).toList());
    }

    @Test
    void tasksOnADrainedNodeAreStoppedAndReplacedInTheirSlot() {
        Service s = h.createService(replicated("web", 2, ANY));
        List<Task> tasks = h.awaitTasks("2 tasks", s.getId(), 2, t -> true);
        Task onN1 = h.run(tasks.get(0).getId(), "n1");
        Task onN2 = h.run(tasks.get(1).getId(), "n2");

        h.updateNode("n2", b -> b.setSpec(b.getSpec().toBuilder().setAvailability(NodeSpec.Availability.DRAIN)));

        Task replacement = h.await("a replacement in slot 2", () -> h.tasks(s.getId(),
                t -> t.getSlot() == onN2.getSlot() && !t.getId().equals(onN2.getId())).stream().findFirst().orElse(null));
        assertEquals(TaskState.RUNNING, replacement.getDesiredState(), "no restart delay: the task did not fail");
        assertEquals("", replacement.getNodeId());
        assertEquals("web.2", replacement.getAnnotations().getName());
        Task old = h.task(onN2.getId()).orElseThrow();
        assertEquals(TaskState.SHUTDOWN, old.getDesiredState());
        assertEquals(TaskState.RUNNING, old.getStatus().getState(), "the agent stops it, not the orchestrator");
        assertEquals(onN1, h.task(onN1.getId()).orElseThrow(), "tasks on active nodes are left alone");
    }

    @Test
    void aDownNodesTasksAreReplacedAndOrphanedOnlyOnceTheNodeIsRemoved() {
        Service s = h.createService(replicated("web", 1, ANY));
        Task t = h.run(h.awaitTasks("a task", s.getId(), 1, x -> true).get(0).getId(), "n3");

        h.updateNode("n3", b -> b.setStatus(b.getStatus().toBuilder().setState(NodeStatus.State.DOWN)));
        Task replacement = h.await("a replacement", () -> h.tasks(s.getId(), x -> Tasks.runnable(x) && !x.getId().equals(t.getId()))
                .stream().findFirst().orElse(null));
        assertEquals(1, replacement.getSlot());
        Task down = h.task(t.getId()).orElseThrow();
        assertEquals(TaskState.SHUTDOWN, down.getDesiredState());
        assertEquals(TaskState.RUNNING, down.getStatus().getState(), "a down node's task is not orphaned: the node may come back");

        h.removeNode("n3");
        h.await("the orphaned task deleted", () -> h.task(t.getId()).isEmpty());
        List<Task> versions = h.history(t.getId());
        Task last = versions.get(versions.size() - 1);
        assertEquals(TaskState.REMOVE, last.getDesiredState());
        assertEquals(TaskState.ORPHANED, last.getStatus().getState());
        assertTrue(last.getStatus().getMessage().contains("n3"), last.getStatus().getMessage());
        assertEquals(List.of(replacement.getId()), h.tasks(s.getId()).stream().map(Task::getId).toList(),
                "the replacement stays; nothing else was created");
    }

    /**
     * The worker-kill path: the node goes DOWN and every task of it gets its
     * replacement in the same transaction, desired RUNNING at once (no restart
     * delay, however long the policy's: the task did not fail), so the
     * scheduler can place it right away.
     */
    @Test
    void aDownNodesTasksAreReplacedInOneTransactionWithoutTheRestartDelay() {
        Service s = h.createService(replicated("web", 4, restart(RestartPolicy.Condition.ANY, 60_000, 0)));
        List<Task> tasks = h.awaitTasks("4 tasks", s.getId(), 4, t -> true);
        h.run(tasks.get(0).getId(), "n1");
        h.run(tasks.get(1).getId(), "n2");
        Task a = h.run(tasks.get(2).getId(), "n3");
        Task b = h.run(tasks.get(3).getId(), "n3");

        long before = System.nanoTime();
        h.updateNode("n3", n -> n.setStatus(n.getStatus().toBuilder().setState(NodeStatus.State.DOWN)));
        List<Task> replacements = h.awaitTasks("2 replacements", s.getId(), 2,
                t -> Tasks.runnable(t) && t.getNodeId().isEmpty());
        long millis = (System.nanoTime() - before) / 1_000_000;
        assertTrue(millis < 1_000, "replacements took " + millis + " ms");
        for (Task r : replacements) {
            assertEquals(TaskState.RUNNING, r.getDesiredState(), "created runnable: no restart delay");
            assertEquals(TaskState.PENDING, r.getStatus().getState());
        }
        assertEquals(Set.of(a.getSlot(), b.getSlot()), replacements.stream().map(Task::getSlot).collect(Collectors.toSet()));

        // the old tasks were told to stop in the very transaction that created their replacements
        Map<String, Long> committedAt = new java.util.HashMap<>();
        for (StoreEvent e : h.events()) {
            Task t = e.objectAs(Kind.TASK);
            if (t == null) {
                continue;
            }
            if (e.action() == StoreEvent.Action.CREATE && replacements.stream().anyMatch(r -> r.getId().equals(t.getId()))) {
                committedAt.put(t.getId(), e.index());
            } else if (e.action() == StoreEvent.Action.UPDATE && t.getDesiredState() == TaskState.SHUTDOWN
                    && (t.getId().equals(a.getId()) || t.getId().equals(b.getId()))) {
                committedAt.put(t.getId(), e.index());
            }
        }
        assertEquals(4, committedAt.size(), committedAt.toString());
        assertEquals(1, Set.copyOf(committedAt.values()).size(), "one transaction: " + committedAt);

        // nothing else happens to the running tasks elsewhere
        assertEquals(2, h.tasks(s.getId(), t -> Tasks.runnable(t) && !t.getNodeId().isEmpty()).size());
    }

    @Test
    void aRemovedServiceHasItsTasksRemovedThenReapedOnceTerminal() {
        Service s = h.createService(replicated("web", 3, ANY));
        List<Task> tasks = h.awaitTasks("3 tasks", s.getId(), 3, t -> true);
        Task a = h.run(tasks.get(0).getId(), "n1");
        Task b = h.run(tasks.get(1).getId(), "n2");
        Task neverScheduled = tasks.get(2);

        h.removeService(s.getId());

        h.awaitTasks("2 tasks told to go", s.getId(), 2, t -> t.getDesiredState() == TaskState.REMOVE);
        assertTrue(h.task(neverScheduled.getId()).isEmpty(), "a task no node got is deleted at once");
        assertTrue(h.history(neverScheduled.getId()).stream().anyMatch(t -> t.getDesiredState() == TaskState.REMOVE),
                "told to go before it was deleted");

        h.report(a.getId(), TaskState.SHUTDOWN);
        h.await("the stopped task reaped", () -> h.task(a.getId()).isEmpty());
        Task still = h.task(b.getId()).orElseThrow();
        assertEquals(TaskState.REMOVE, still.getDesiredState());
        assertEquals(TaskState.RUNNING, still.getStatus().getState(), "kept until the agent says it stopped");

        h.report(b.getId(), TaskState.SHUTDOWN);
        h.await("every task reaped", () -> h.tasks(s.getId()).isEmpty());
        long creates = h.events().stream().filter(e -> e.action() == StoreEvent.Action.CREATE && e.kind() == Kind.TASK).count();
        assertEquals(3, creates, "nothing was created for the removed service");
    }

    @Test
    void aLargeScaleUpIsSplitIntoSmallTransactions() throws Exception {
        h.close();
        h = Harness.start(dir.resolve("small"), 5, 50, ready("n1"));
        Service s = h.createService(replicated("many", 180, ANY));

        List<Task> tasks = h.awaitTasks("180 tasks", s.getId(), 180, t -> true);
        assertEquals(180, tasks.stream().map(Task::getSlot).distinct().count());
        assertEquals(180L, tasks.get(tasks.size() - 1).getSlot());
        int inTx = 0;
        int most = 0;
        int transactions = 0;
        for (StoreEvent e : h.events()) {
            if (e.action() == StoreEvent.Action.CREATE && e.kind() == Kind.TASK) {
                inTx++;
            } else if (e.action() == StoreEvent.Action.COMMIT) {
                transactions += inTx > 0 ? 1 : 0;
                most = Math.max(most, inTx);
                inTx = 0;
            }
        }
        assertEquals(50, most, "at most 50 writes a transaction");
        assertEquals(4, transactions);
    }

    @Test
    void scaleDownPicksHeldSlotsThenUnassignedThenTheBusiestNode() {
        Function<Object[], Task> t = a -> Task.newBuilder().setId("t" + a[0]).setSlot((Long) a[0])
                .setNodeId((String) a[1]).setDesiredState(TaskState.RUNNING).build();
        Map<Long, List<Task>> live = new java.util.TreeMap<>();
        live.put(1L, List.of(t.apply(new Object[] {1L, "a"})));
        live.put(2L, List.of(t.apply(new Object[] {2L, "a"})));
        live.put(3L, List.of(t.apply(new Object[] {3L, "b"})));
        live.put(4L, List.of(t.apply(new Object[] {4L, ""})));
        live.put(5L, List.of(t.apply(new Object[] {5L, "b"})));
        live.put(6L, List.of(t.apply(new Object[] {6L, "c"})));
        java.util.TreeSet<Long> held = new java.util.TreeSet<>(List.of(7L));
        // held 7; unassigned 4; a and b have two each: b's highest slot (5) is higher; then a (2); then ties of one: 6
        assertEquals(List.of(7L, 4L, 5L, 2L, 6L), ReplicatedServices.pickForRemoval(live, held, 5));
        assertEquals(List.of(7L), ReplicatedServices.pickForRemoval(live, held, 1));
    }
}
