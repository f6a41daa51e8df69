package io.swarmlet.orchestrator.internal;

import static io.swarmlet.orchestrator.internal.Harness.ready;
import static io.swarmlet.orchestrator.internal.Harness.replicated;
import static io.swarmlet.orchestrator.internal.Harness.restart;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restart policies: condition, delay, attempts; and delays that survive a leader change. */
class RestartSupervisorTest {

    @TempDir
    Path dir;

    private Harness h;

    @BeforeEach
    void start() throws Exception {
        h = Harness.start(dir, 10, ready("n1"), ready("n2"));
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    /** The task of slot {@code slot} that is not {@code notId}, once there is one meant to run. */
    private Task awaitReplacement(Service s, long slot, String notId) {
        return h.await("a replacement in slot " + slot, () -> h.tasks(s.getId(),
                t -> t.getSlot() == slot && !t.getId().equals(notId) && Tasks.runnable(t)).stream().findFirst().orElse(null));
    }

    private Task awaitDesired(String taskId, TaskState desired) {
        return h.await("task " + taskId + " desired " + desired, () -> h.task(taskId)
                .filter(t -> t.getDesiredState() == desired).orElse(null));
    }

    @Test
    void aFailedTaskIsReplacedInItsSlotAfterTheDelay() {
        long delay = 200;
        Service s = h.createService(replicated("web", 2, restart(RestartPolicy.Condition.ANY, delay, 0)));
        List<Task> tasks = h.awaitTasks("2 tasks", s.getId(), 2, t -> true);
        Task first = h.run(tasks.get(0).getId(), "n1");
        h.run(tasks.get(1).getId(), "n2");

        h.report(first.getId(), TaskState.FAILED, "task: non-zero exit (1)");

        Task replacement = awaitReplacement(s, 1, first.getId());
        Task started = awaitDesired(replacement.getId(), TaskState.RUNNING);
        List<Task> versions = h.history(replacement.getId());
        assertEquals(TaskState.READY, versions.get(0).getDesiredState(), "created waiting out the restart delay");
        assertEquals(TaskState.PENDING, versions.get(0).getStatus().getState());
        assertEquals(TaskState.RUNNING, versions.get(versions.size() - 1).getDesiredState());
        assertTrue(started.getMeta().getUpdatedAt() - started.getMeta().getCreatedAt() >= delay,
                "started no earlier than the delay after it was created");
        assertEquals("web.1", started.getAnnotations().getName());
        assertEquals(s.getSpecVersion(), started.getSpecVersion());
        assertEquals("", started.getNodeId());

        Task old = h.task(first.getId()).orElseThrow();
        assertEquals(TaskState.SHUTDOWN, old.getDesiredState());
        assertEquals(TaskState.FAILED, old.getStatus().getState());
        assertEquals("task: non-zero exit (1)", old.getStatus().getErr(), "the error stays on the old task");
        assertEquals(1, h.tasks(s.getId(), t -> t.getSlot() == 2).size(), "the other slot is left alone");
    }

    @Test
    void aRejectedTaskIsRestartedAndKeepsItsError() {
        Service s = h.createService(replicated("web", 1, restart(RestartPolicy.Condition.ON_FAILURE, 50, 0)));
        Task t = h.awaitTasks("a task", s.getId(), 1, x -> true).get(0);
        h.assign(t.getId(), "n1");
        h.report(t.getId(), TaskState.REJECTED, "No such image: swarmlet/nope:1");

        Task replacement = awaitReplacement(s, 1, t.getId());
        assertNotEquals(t.getId(), replacement.getId());
        Task old = h.task(t.getId()).orElseThrow();
        assertEquals(TaskState.REJECTED, old.getStatus().getState());
        assertEquals("No such image: swarmlet/nope:1", old.getStatus().getErr());
        assertEquals(TaskState.SHUTDOWN, old.getDesiredState());
    }

    @Test
    void onFailureDoesNotRestartAfterComplete() {
        Service s = h.createService(replicated("web", 2, restart(RestartPolicy.Condition.ON_FAILURE, 50, 0)));
        List<Task> tasks = h.awaitTasks("2 tasks", s.getId(), 2, t -> true);
        Task done = h.run(tasks.get(0).getId(), "n1");
        Task failing = h.run(tasks.get(1).getId(), "n2");

        h.report(done.getId(), TaskState.COMPLETE);
        awaitDesired(done.getId(), TaskState.SHUTDOWN);
        // a replacement would have been created in the same transaction
        assertEquals(List.of(done.getId()), h.tasks(s.getId(), t -> t.getSlot() == 1).stream().map(Task::getId).toList());

        // a failure in the other slot is restarted; the completed slot stays as it is (counts as one of the replicas)
        h.report(failing.getId(), TaskState.FAILED, "exit 2");
        awaitReplacement(s, 2, failing.getId());
        assertEquals(List.of(done.getId()), h.tasks(s.getId(), t -> t.getSlot() == 1).stream().map(Task::getId).toList());
        assertEquals(3, h.tasks(s.getId()).size());

        // a change of the service (a new spec version) fills the slot again, as in docker
        h.updateSpec(s.getId(), b -> b.setReplicated(b.getReplicated().toBuilder().setReplicas(2))
                .setTask(b.getTask().toBuilder().setForceUpdate(1)));
        Task refill = awaitReplacement(s, 1, done.getId());
        assertEquals(2, refill.getSpecVersion());
    }

    @Test
    void conditionNoneNeverRestarts() {
        Service s = h.createService(replicated("web", 1, restart(RestartPolicy.Condition.NONE, 0, 0)));
        Task t = h.run(h.awaitTasks("a task", s.getId(), 1, x -> true).get(0).getId(), "n1");
        h.report(t.getId(), TaskState.FAILED, "exit 1");
        awaitDesired(t.getId(), TaskState.SHUTDOWN);
        assertEquals(1, h.tasks(s.getId()).size());
    }

    @Test
    void maxAttemptsIsHonoured() {
        Service s = h.createService(replicated("web", 1, restart(RestartPolicy.Condition.ANY, 50, 2)));
        Task current = h.awaitTasks("a task", s.getId(), 1, x -> true).get(0);
        for (int attempt = 0; attempt < 2; attempt++) {
            h.run(current.getId(), "n1");
            h.report(current.getId(), TaskState.FAILED, "exit 1");
            Task next = awaitReplacement(s, 1, current.getId());
            awaitDesired(next.getId(), TaskState.RUNNING);
            current = next;
        }
        h.run(current.getId(), "n1");
        h.report(current.getId(), TaskState.FAILED, "exit 1");
        awaitDesired(current.getId(), TaskState.SHUTDOWN);

        List<Task> all = h.tasks(s.getId());
        assertEquals(3, all.size(), "the first run and two restarts");
        assertTrue(all.stream().noneMatch(Tasks::runnable));
        assertTrue(all.stream().allMatch(t -> t.getSlot() == 1), "the given-up slot is not refilled elsewhere");
    }

    @Test
    void maxAttemptsCountWithinTheWindow() {
        // one attempt per minute: the second failure within the minute is not restarted
        Service slow = h.createService(replicated("slow", 1,
                restart(RestartPolicy.Condition.ANY, 0, 1).toBuilder().setWindowMs(60_000).build()));
        Task a1 = h.run(h.awaitTasks("a task", slow.getId(), 1, x -> true).get(0).getId(), "n1");
        h.report(a1.getId(), TaskState.FAILED, "exit 1");
        Task a2 = h.run(awaitReplacement(slow, 1, a1.getId()).getId(), "n1");
        h.report(a2.getId(), TaskState.FAILED, "exit 1");
        awaitDesired(a2.getId(), TaskState.SHUTDOWN);
        assertEquals(2, h.tasks(slow.getId()).size());

        // one attempt per 200 ms: a failure after the window has passed is restarted again
        Service fast = h.createService(replicated("fast", 1,
                restart(RestartPolicy.Condition.ANY, 0, 1).toBuilder().setWindowMs(200).build()));
        Task b1 = h.run(h.awaitTasks("a task", fast.getId(), 1, x -> true).get(0).getId(), "n1");
        h.report(b1.getId(), TaskState.FAILED, "exit 1");
        Task b2 = h.run(awaitReplacement(fast, 1, b1.getId()).getId(), "n1");
        long restartedAt = b2.getMeta().getCreatedAt();
        h.await("the restart to leave the window", () -> System.currentTimeMillis() > restartedAt + 400);
        h.report(b2.getId(), TaskState.FAILED, "exit 1");
        Task b3 = awaitReplacement(fast, 1, b2.getId());
        assertNotEquals(b2.getId(), b3.getId());
    }

    @Test
    void aPendingDelayIsPickedUpByTheNextLeader() {
        long delay = 1_500;
        Service s = h.createService(replicated("web", 1, restart(RestartPolicy.Condition.ANY, delay, 0)));
        Task t = h.run(h.awaitTasks("a task", s.getId(), 1, x -> true).get(0).getId(), "n1");
        h.report(t.getId(), TaskState.FAILED, "exit 1");
        Task waiting = awaitReplacement(s, 1, t.getId());
        assertEquals(TaskState.READY, waiting.getDesiredState());

        h.fixture.simulateLeadership(false);
        h.await("the orchestrator to stop", () -> !h.orchestrator.running());
        h.fixture.simulateLeadership(true);
        h.await("the orchestrator to start again", h.orchestrator::running);

        Task started = awaitDesired(waiting.getId(), TaskState.RUNNING);
        assertTrue(started.getMeta().getUpdatedAt() - started.getMeta().getCreatedAt() >= delay,
                "the new leader still waited out the delay");
        assertEquals(2, h.tasks(s.getId()).size(), "no second replacement");
    }
}
