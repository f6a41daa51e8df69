package io.swarmlet.orchestrator.internal;

import static io.swarmlet.orchestrator.internal.Harness.ready;
import static io.swarmlet.orchestrator.internal.Harness.replicated;
import static io.swarmlet.orchestrator.internal.Harness.restart;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The task history retention limit. */
class TaskReaperTest {

    @TempDir
    Path dir;

    private Harness h;

    @BeforeEach
    void start() throws Exception {
        h = Harness.start(dir, 2, ready("n1"));
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void onlyTheNewestTerminalTasksOfASlotAreKept() {
        Service s = h.createService(replicated("web", 1, restart(RestartPolicy.Condition.ANY, 0, 0)));
        List<String> failed = new ArrayList<>();
        Task current = h.awaitTasks("a task", s.getId(), 1, t -> true).get(0);
        for (int i = 0; i < 5; i++) {
            h.run(current.getId(), "n1");
            h.report(current.getId(), TaskState.FAILED, "exit " + i);
            failed.add(current.getId());
            String gone = current.getId();
            current = h.await("a replacement", () -> h.tasks(s.getId(),
                    t -> Tasks.runnable(t) && !t.getId().equals(gone)).stream().findFirst().orElse(null));
        }

        // limit 2: the two newest failures and the running task stay
        h.await("the three oldest failures reaped", () -> failed.subList(0, 3).stream().allMatch(id -> h.task(id).isEmpty()));
        List<Task> left = h.tasks(s.getId());
        assertEquals(List.of(failed.get(3), failed.get(4), current.getId()), left.stream().map(Task::getId).toList());
        assertEquals("exit 4", left.get(1).getStatus().getErr(), "the newest failure's error is still there");
        assertTrue(left.stream().allMatch(t -> t.getSlot() == 1));
    }

    @Test
    void theNewestTaskOfASlotThatGaveUpIsKeptWhateverTheLimit() throws Exception {
        // limit 0 keeps no history, except what says why the slot is empty
        h.updateSpecOfCluster(0);
        Service s = h.createService(replicated("web", 1, restart(RestartPolicy.Condition.ANY, 0, 1)));
        Task first = h.run(h.awaitTasks("a task", s.getId(), 1, t -> true).get(0).getId(), "n1");
        h.report(first.getId(), TaskState.FAILED, "exit 1");
        Task second = h.await("a replacement", () -> h.tasks(s.getId(),
                t -> Tasks.runnable(t) && !t.getId().equals(first.getId())).stream().findFirst().orElse(null));
        h.await("the first failure reaped", () -> h.task(first.getId()).isEmpty());

        h.run(second.getId(), "n1");
        h.report(second.getId(), TaskState.FAILED, "exit 2");
        h.await("the slot given up", () -> h.task(second.getId()).orElseThrow().getDesiredState() == TaskState.SHUTDOWN);
        // later passes find nothing to do: the given-up slot is not refilled though its history was reaped
        h.barrier();
        assertEquals(List.of(second.getId()), h.tasks(s.getId()).stream().map(Task::getId).toList());
        assertEquals("exit 2", h.tasks(s.getId()).get(0).getStatus().getErr());
    }
}
