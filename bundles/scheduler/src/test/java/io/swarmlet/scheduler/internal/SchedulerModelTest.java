package io.swarmlet.scheduler.internal;

import static io.swarmlet.scheduler.internal.TestObjects.GB;
import static io.swarmlet.scheduler.internal.TestObjects.node;
import static io.swarmlet.scheduler.internal.TestObjects.reserve;
import static io.swarmlet.scheduler.internal.TestObjects.running;
import static io.swarmlet.scheduler.internal.TestObjects.task;
import static io.swarmlet.scheduler.internal.TestObjects.withMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.spi.placement.NodeFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The in-memory model and its decisions, without a loop or a store. */
class SchedulerModelTest {

    private static final List<NodeFilter> CORE = SchedulerHarness.CORE;

    private static Map<String, Integer> perNode(List<Scheduler.Decision> ds) {
        Map<String, Integer> out = new TreeMap<>();
        for (Scheduler.Decision d : ds) {
            if (d.assignment()) {
                out.merge(d.nodeId(), 1, Integer::sum);
            }
        }
        return out;
    }

    @Test
    void oneRoundSpreadsAServiceAndCountsAsItGoes() {
        Scheduler s = new Scheduler();
        List<Task> tasks = new ArrayList<>();
        for (int i = 1; i <= 7; i++) {
            tasks.add(task("t" + i, "web", i).build());
        }
        s.load(List.of(node("n1").build(), node("n2").build(), node("n3").build()), tasks);
        assertEquals(7, s.waiting());

        List<Scheduler.Decision> ds = s.tick(CORE);
        assertEquals(Map.of("n1", 3, "n2", 2, "n3", 2), perNode(ds), "node ID breaks the last tie");
        assertEquals(0, s.waiting());
        assertEquals(3, s.node("n1").count("web"));
        assertEquals(3, s.node("n1").totalTasks());
        Task after = ds.get(0).after();
        assertEquals(TaskState.ASSIGNED, after.getStatus().getState());
        assertEquals(TaskFacts.ASSIGNED_MESSAGE, after.getStatus().getMessage());
        assertTrue(s.tick(CORE).isEmpty(), "nothing left to decide");
    }

    @Test
    void theEchoOfAnAssignmentChangesNothing() {
        Scheduler s = new Scheduler();
        s.load(List.of(node("n1").build()), List.of(reserve(task("t", "web", 1), 0, GB).build()));
        Scheduler.Decision d = s.tick(CORE).get(0);
        long free = s.node("n1").available().getMemoryBytes();

        // what the store sends back after the write: same task, new meta
        Task stored = d.after().toBuilder().setMeta(d.after().getMeta().toBuilder().setVersion(42)).build();
        assertFalse(s.taskChanged(stored), "no new room, nothing new waiting");
        assertEquals(free, s.node("n1").available().getMemoryBytes());
        assertEquals(1, s.node("n1").totalTasks());
        assertSame(stored, s.node("n1").task("t"));
    }

    @Test
    void revertPutsTheTaskBackUnlessItMovedOn() {
        Scheduler s = new Scheduler();
        s.load(List.of(node("n1").build()), List.of(task("a", "web", 1).build(), task("b", "web", 2).build()));
        List<Scheduler.Decision> ds = s.tick(CORE);
        assertEquals(2, s.node("n1").totalTasks());

        s.revert(ds.get(0));
        assertEquals(1, s.node("n1").totalTasks());
        assertNull(s.node("n1").task("a"));
        assertEquals(1, s.waiting());

        // b was removed meanwhile: reverting its decision must not bring it back
        assertTrue(s.taskRemoved("b"), "removing a placed task frees room");
        s.revert(ds.get(1));
        assertEquals(1, s.waiting());
        assertEquals(0, s.node("n1").totalTasks());

        List<Scheduler.Decision> again = s.tick(CORE);
        assertEquals(1, again.size());
        assertEquals("a", again.get(0).before().getId());
    }

    @Test
    void wakesOnlyWhenPlacementCouldChange() {
        Scheduler s = new Scheduler();
        Node n1 = withMemory(node("n1"), 2 * GB).build();
        Task old = reserve(running(task("old", "db", 1), "n1"), 0, 2 * GB).build();
        s.load(List.of(n1), List.of(old));

        Task waiting = reserve(task("w", "web", 1), 0, GB).build();
        assertTrue(s.taskChanged(waiting), "a new task waits");
        assertFalse(s.taskChanged(waiting.toBuilder().setStatus(waiting.getStatus().toBuilder().setErr("x")).build()),
                "still waiting: nothing new");

        Node heartbeat = n1.toBuilder().setStatus(n1.getStatus().toBuilder().setMessage("heartbeat")).build();
        assertFalse(s.nodeChanged(heartbeat), "only the status message changed");
        assertTrue(s.nodeChanged(heartbeat.toBuilder().setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.DOWN)).build()));
        s.nodeChanged(n1);

        List<Scheduler.Decision> ds = s.tick(CORE);
        assertEquals(1, ds.size());
        assertFalse(ds.get(0).assignment());
        assertEquals("no suitable node (1 node lacks memory)", ds.get(0).after().getStatus().getErr());
        // the explanation written and echoed back: the next round proposes nothing
        assertFalse(s.taskChanged(ds.get(0).after()));
        assertTrue(s.tick(CORE).isEmpty(), "same explanation, no write");

        assertTrue(s.taskChanged(old.toBuilder().setStatus(old.getStatus().toBuilder().setState(TaskState.FAILED)).build()),
                "a finished task frees its node");
        List<Scheduler.Decision> next = s.tick(CORE);
        assertEquals(1, next.size());
        assertTrue(next.get(0).assignment());
    }

    @Test
    void tasksOnUnknownNodesAndRemovedNodesAreHarmless() {
        Scheduler s = new Scheduler();
        s.load(List.of(node("n1").build()), List.of(running(task("ghost", "web", 1), "gone").build(),
                task("g", "glob", 0).setNodeId("gone").build()));
        assertEquals(1, s.waiting());
        assertTrue(s.tick(CORE).isEmpty(), "a preset node that does not exist: nothing to confirm");
        s.nodeRemoved("n1");
        assertTrue(s.taskChanged(task("t", "web", 2).build()));
        assertTrue(s.tick(CORE).stream().noneMatch(Scheduler.Decision::assignment));
    }
}
