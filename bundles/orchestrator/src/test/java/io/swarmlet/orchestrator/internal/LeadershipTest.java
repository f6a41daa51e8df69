package io.swarmlet.orchestrator.internal;

import static io.swarmlet.orchestrator.internal.Harness.ready;
import static io.swarmlet.orchestrator.internal.Harness.replicated;
import static io.swarmlet.orchestrator.internal.Harness.restart;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.Service;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The orchestrator works only while this manager leads. */
class LeadershipTest {

    private static final RestartPolicy ANY = restart(RestartPolicy.Condition.ANY, 100, 0);

    @TempDir
    Path dir;

    private Harness h;

    @BeforeEach
    void start() throws Exception {
        h = Harness.start(dir, 5, ready("n1"));
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void losingLeadershipStopsTheLoopAndRegainingItResumes() throws Exception {
        Service web = h.createService(replicated("web", 1, ANY));
        h.awaitTasks("web's task", web.getId(), 1, t -> true);

        h.fixture.simulateLeadership(false);
        h.await("the loop to stop", () -> !h.orchestrator.running());

        Service api = h.createService(replicated("api", 2, ANY));
        long afterCreate = h.index();
        // a negative can only be observed over some time: had the loop still run, it would have
        // created api's tasks within a few milliseconds of the service
        Thread.sleep(500);
        assertEquals(afterCreate, h.index(), "no writes while not leader");
        assertTrue(h.tasks(api.getId()).isEmpty());

        h.fixture.simulateLeadership(true);
        h.await("the loop to start again", h.orchestrator::running);
        h.awaitTasks("api's tasks", api.getId(), 2, t -> true);
        assertEquals(1, h.tasks(web.getId()).size(), "what was done before is not done again");
    }
}
