package io.swarmlet.orchestrator.internal;

import static io.swarmlet.orchestrator.internal.Harness.node;
import static io.swarmlet.orchestrator.internal.Harness.restart;
import static io.swarmlet.orchestrator.internal.Harness.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.GlobalJob;
import io.swarmlet.api.types.GlobalService;
import io.swarmlet.api.types.NodeSpec.Availability;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.Placement;
import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Global services and global jobs: one task per eligible node. */
class GlobalServicesTest {

    private static final Map<String, String> ZONE_A = Map.of("zone", "a");

    @TempDir
    Path dir;

    private Harness h;

    @BeforeEach
    void start() throws Exception {
        h = Harness.start(dir, 5,
                node("n1", NodeStatus.State.READY, Availability.ACTIVE, ZONE_A),
                node("n2", NodeStatus.State.READY, Availability.ACTIVE, ZONE_A),
                node("n3", NodeStatus.State.READY, Availability.ACTIVE, Map.of("zone", "b")),
                node("n4", NodeStatus.State.DOWN, Availability.ACTIVE, ZONE_A),
                node("n5", NodeStatus.State.READY, Availability.PAUSE, ZONE_A));
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private static ServiceSpec.Builder inZoneA(String name) {
        ServiceSpec.Builder b = spec(name, restart(RestartPolicy.Condition.ANY, 50, 0));
        b.getTaskBuilder().setPlacement(Placement.newBuilder().addConstraints("node.labels.zone==a"));
        return b;
    }

    private static Set<String> nodes(List<Task> tasks) {
        return tasks.stream().map(Task::getNodeId).collect(Collectors.toSet());
    }

    @Test
    void oneTaskPerEligibleNodeFollowingTheNodes() {
        Service s = h.createService(inZoneA("agent").setGlobal(GlobalService.getDefaultInstance()).build());

        // n3 fails the constraint, n4 is down, n5 is paused
        List<Task> tasks = h.awaitTasks("2 tasks", s.getId(), 2, t -> true);
        assertEquals(Set.of("n1", "n2"), nodes(tasks));
        for (Task t : tasks) {
            assertEquals(0, t.getSlot());
            assertEquals("agent." + t.getNodeId(), t.getAnnotations().getName());
            assertEquals(TaskState.PENDING, t.getStatus().getState(), "the scheduler still confirms it");
            assertEquals(TaskState.RUNNING, t.getDesiredState());
            assertEquals(1, t.getSpecVersion());
            h.run(t.getId(), t.getNodeId());
        }
        Task onN2 = tasks.stream().filter(t -> t.getNodeId().equals("n2")).findFirst().orElseThrow();

        // a drained node loses its task and gets no other
        h.updateNode("n2", b -> b.setSpec(b.getSpec().toBuilder().setAvailability(Availability.DRAIN)));
        h.await("n2's task told to stop", () -> h.task(onN2.getId()).orElseThrow().getDesiredState() == TaskState.SHUTDOWN);
        assertEquals(Set.of("n1"), nodes(h.tasks(s.getId(), Tasks::runnable)));
        h.report(onN2.getId(), TaskState.SHUTDOWN);

        // a new eligible node, and a node that comes to meet the constraint, get one each
        h.addNode(node("n6", NodeStatus.State.READY, Availability.ACTIVE, ZONE_A));
        h.updateNode("n3", b -> Harness.label(b, "zone", "a"));
        h.await("tasks on n1, n3, n6", () -> nodes(h.tasks(s.getId(), Tasks::runnable)).equals(Set.of("n1", "n3", "n6")));

        // back to active: n2 gets a new task
        h.updateNode("n2", b -> b.setSpec(b.getSpec().toBuilder().setAvailability(Availability.ACTIVE)));
        Task back = h.await("a new task on n2", () -> h.tasks(s.getId(),
                t -> t.getNodeId().equals("n2") && Tasks.runnable(t)).stream().findFirst().orElse(null));
        assertEquals(TaskState.PENDING, back.getStatus().getState());

        // a node that no longer meets the constraint loses its task
        Task onN1 = h.tasks(s.getId(), t -> t.getNodeId().equals("n1") && Tasks.runnable(t)).get(0);
        h.updateNode("n1", b -> Harness.label(b, "zone", "c"));
        h.await("n1's task told to stop", () -> h.task(onN1.getId()).orElseThrow().getDesiredState() == TaskState.SHUTDOWN);
        assertEquals(Set.of("n2", "n3", "n6"), nodes(h.tasks(s.getId(), Tasks::runnable)));
    }

    @Test
    void aNodeThatGoesDownLosesItsTaskAndGetsANewOneWhenItIsBack() {
        Service s = h.createService(inZoneA("agent").setGlobal(GlobalService.getDefaultInstance()).build());
        List<Task> tasks = h.awaitTasks("2 tasks", s.getId(), 2, t -> true);
        for (Task t : tasks) {
            h.run(t.getId(), t.getNodeId());
        }
        Task onN1 = tasks.stream().filter(t -> t.getNodeId().equals("n1")).findFirst().orElseThrow();

        h.updateNode("n1", b -> b.setStatus(b.getStatus().toBuilder().setState(NodeStatus.State.DOWN)));
        h.await("n1's task told to stop", () -> h.task(onN1.getId()).orElseThrow().getDesiredState() == TaskState.SHUTDOWN);
        h.barrier();
        assertEquals(Set.of("n2"), nodes(h.tasks(s.getId(), Tasks::runnable)), "nothing new for a down node");

        // n4 was down from the start and n1 is back: each gets a task (the old one stays told to stop)
        h.updateNode("n1", b -> b.setStatus(b.getStatus().toBuilder().setState(NodeStatus.State.READY)));
        h.updateNode("n4", b -> b.setStatus(b.getStatus().toBuilder().setState(NodeStatus.State.READY)));
        h.await("tasks on n1, n2, n4", () -> nodes(h.tasks(s.getId(), Tasks::runnable)).equals(Set.of("n1", "n2", "n4")));
        assertEquals(1, h.tasks(s.getId(), t -> t.getNodeId().equals("n1") && Tasks.runnable(t)).size());
        assertEquals(TaskState.SHUTDOWN, h.task(onN1.getId()).orElseThrow().getDesiredState());
    }

    @Test
    void aNodeThatJoinsGetsItsTaskOnceReadyAndARemovedNodesTaskIsOrphaned() {
        Service s = h.createService(inZoneA("agent").setGlobal(GlobalService.getDefaultInstance()).build());
        List<Task> tasks = h.awaitTasks("2 tasks", s.getId(), 2, t -> true);
        for (Task t : tasks) {
            h.run(t.getId(), t.getNodeId());
        }

        // a node joins: created UNKNOWN by the CA, READY once its agent's session is up
        h.addNode(node("n8", NodeStatus.State.UNKNOWN, Availability.ACTIVE, ZONE_A));
        h.barrier();
        assertEquals(Set.of("n1", "n2"), nodes(h.tasks(s.getId(), Tasks::runnable)), "not before it is ready");
        h.updateNode("n8", b -> b.setStatus(b.getStatus().toBuilder().setState(NodeStatus.State.READY)));
        h.await("a task on n8", () -> nodes(h.tasks(s.getId(), Tasks::runnable)).equals(Set.of("n1", "n2", "n8")));

        // a paused node keeps its task and gets no second one
        h.updateNode("n2", b -> b.setSpec(b.getSpec().toBuilder().setAvailability(Availability.PAUSE)));
        h.barrier();
        assertEquals(Set.of("n1", "n2", "n8"), nodes(h.tasks(s.getId(), Tasks::runnable)));
        assertEquals(1, h.tasks(s.getId(), t -> t.getNodeId().equals("n2")).size());

        // a node that left and was removed (node rm): its task is orphaned, then deleted; no replacement anywhere
        Task onN1 = h.tasks(s.getId(), t -> t.getNodeId().equals("n1") && Tasks.runnable(t)).get(0);
        h.updateNode("n1", b -> b.setStatus(b.getStatus().toBuilder().setState(NodeStatus.State.DOWN)));
        h.removeNode("n1");
        h.await("n1's task deleted", () -> h.task(onN1.getId()).isEmpty());
        List<Task> versions = h.history(onN1.getId());
        Task last = versions.get(versions.size() - 1);
        assertEquals(TaskState.REMOVE, last.getDesiredState());
        h.barrier();
        assertEquals(Set.of("n2", "n8"), nodes(h.tasks(s.getId(), Tasks::runnable)));
        assertTrue(h.tasks(s.getId()).stream().noneMatch(t -> t.getNodeId().equals("n1")));
    }

    @Test
    void aFailedTaskIsRestartedOnItsNode() {
        Service s = h.createService(inZoneA("agent").setGlobal(GlobalService.getDefaultInstance()).build());
        List<Task> tasks = h.awaitTasks("2 tasks", s.getId(), 2, t -> true);
        Task t = h.run(tasks.get(0).getId(), tasks.get(0).getNodeId());

        h.report(t.getId(), TaskState.FAILED, "exit 1");
        Task replacement = h.await("a replacement", () -> h.tasks(s.getId(),
                x -> x.getNodeId().equals(t.getNodeId()) && !x.getId().equals(t.getId())).stream().findFirst().orElse(null));
        assertEquals(TaskState.READY, replacement.getDesiredState());
        assertEquals("agent." + t.getNodeId(), replacement.getAnnotations().getName());
        h.await("the replacement started", () -> h.task(replacement.getId()).orElseThrow().getDesiredState() == TaskState.RUNNING);
        assertEquals(3, h.tasks(s.getId()).size());
    }

    @Test
    void aGlobalJobRunsOncePerEligibleNode() {
        Service s = h.createService(inZoneA("migrate").setGlobalJob(GlobalJob.getDefaultInstance()).build());
        List<Task> tasks = h.awaitTasks("2 tasks", s.getId(), 2, t -> true);
        assertEquals(Set.of("n1", "n2"), nodes(tasks));
        for (Task t : tasks) {
            h.run(t.getId(), t.getNodeId());
            h.report(t.getId(), TaskState.COMPLETE);
        }
        h.awaitTasks("both marked complete", s.getId(), 2, t -> t.getDesiredState() == TaskState.COMPLETE);
        long lastCompletion = h.tasks(s.getId()).stream().mapToLong(t -> t.getStatus().getTimestamp()).max().orElseThrow();
        h.await("the job recorded as done", () -> h.service(s.getId()).getJobStatus().getLastExecution() == lastCompletion);
        assertEquals(2, h.tasks(s.getId()).size(), "each node ran it once");

        // a node that joins later runs it too
        h.addNode(node("n7", NodeStatus.State.READY, Availability.ACTIVE, ZONE_A));
        Task late = h.await("a task on n7", () -> h.tasks(s.getId(), t -> t.getNodeId().equals("n7")).stream().findFirst().orElse(null));
        assertTrue(Tasks.runnable(late));
        assertEquals(3, h.tasks(s.getId()).size());
    }
}
