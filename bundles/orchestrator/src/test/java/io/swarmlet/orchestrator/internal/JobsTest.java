package io.swarmlet.orchestrator.internal;

import static io.swarmlet.orchestrator.internal.Harness.ready;
import static io.swarmlet.orchestrator.internal.Harness.replicatedJob;
import static io.swarmlet.orchestrator.internal.Harness.restart;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replicated jobs: total completions, max concurrency, restarts of failed job tasks. */
class JobsTest {

    @TempDir
    Path dir;

    private Harness h;

    @BeforeEach
    void start() throws Exception {
        h = Harness.start(dir, 5, ready("n1"), ready("n2"));
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void aReplicatedJobRunsToTotalCompletionsAtMostMaxConcurrentAtATime() {
        Service s = h.createService(replicatedJob("batch", 5, 2, restart(RestartPolicy.Condition.ON_FAILURE, 50, 0)));
        boolean failedOnce = false;
        while (h.tasks(s.getId(), t -> t.getStatus().getState() == TaskState.COMPLETE).size() < 5) {
            List<Task> active = h.await("tasks to run", () -> {
                List<Task> l = h.tasks(s.getId(), t -> t.getDesiredState() == TaskState.RUNNING && !Tasks.terminal(t));
                return l.isEmpty() ? null : l;
            });
            assertTrue(active.size() <= 2, "at most 2 at a time: " + active.size());
            for (Task t : active) {
                h.run(t.getId(), "n1");
                if (!failedOnce) {
                    failedOnce = true;
                    h.report(t.getId(), TaskState.FAILED, "exit 3");
                } else {
                    h.report(t.getId(), TaskState.COMPLETE);
                }
            }
        }

        h.awaitTasks("5 tasks marked complete", s.getId(), 5, t -> t.getDesiredState() == TaskState.COMPLETE);
        List<Task> complete = h.tasks(s.getId(), t -> t.getStatus().getState() == TaskState.COMPLETE);
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), complete.stream().map(Task::getSlot).toList(), "one completion per slot");
        List<Task> failed = h.tasks(s.getId(), t -> t.getStatus().getState() == TaskState.FAILED);
        assertEquals(1, failed.size());
        assertEquals(TaskState.SHUTDOWN, failed.get(0).getDesiredState());
        assertEquals(6, h.tasks(s.getId()).size(), "5 completions and the failed attempt, restarted in its slot");
        long lastCompletion = complete.stream().mapToLong(t -> t.getStatus().getTimestamp()).max().orElseThrow();
        h.await("the job recorded as done", () -> h.service(s.getId()).getJobStatus().getLastExecution() == lastCompletion);

        // replay every committed change: never more than 2 tasks of the job meant to run and not finished
        Map<String, Task> state = new HashMap<>();
        int most = 0;
        for (StoreEvent e : h.events()) {
            Task t = e.objectAs(Kind.TASK);
            if (t != null && t.getServiceId().equals(s.getId())) {
                if (e.action() == StoreEvent.Action.REMOVE) {
                    state.remove(t.getId());
                } else {
                    state.put(t.getId(), t);
                }
            }
            if (e.action() == StoreEvent.Action.COMMIT) {
                most = Math.max(most, (int) state.values().stream().filter(x -> Tasks.runnable(x) && !Tasks.terminal(x)).count());
            }
        }
        assertEquals(2, most, "ran 2 at a time, never more");
    }
}
