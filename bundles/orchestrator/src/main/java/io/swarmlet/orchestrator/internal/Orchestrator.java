package io.swarmlet.orchestrator.internal;

import io.swarmlet.api.store.Store;
import java.time.Duration;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.propertytypes.SatisfyingConditionTarget;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The orchestrator (SwarmKit's {@code manager/orchestrator}), leader only:
 * keeps every service's slots filled with tasks, restarts tasks that end under
 * their restart policy, runs jobs to completion and reaps old tasks. It only
 * reads and writes the store: the scheduler, the updater and the dispatcher
 * see its tasks there, and it sees theirs.
 *
 * <p>Leader only, by DS: its satisfying condition is the store's leader
 * condition ({@link Store#LEADER_CONDITION}), so SCR activates it when this
 * manager gains leadership (it starts its {@link OrchestratorLoop}) and
 * deactivates it when leadership goes (the loop is stopped before
 * {@code deactivate} returns, so no more writes come from here).
 */
@Component(service = {}, immediate = true, configurationPid = Orchestrator.PID)
@SatisfyingConditionTarget(Store.LEADER_CONDITION)
@Designate(ocd = Orchestrator.Config.class)
public final class Orchestrator {

    static final String PID = "io.swarmlet.orchestrator";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
    private static final Logger LOG = LogManager.getLogger(Orchestrator.class);

    @ObjectClassDefinition(name = "Swarmlet orchestrator",
            description = "Keeps services' tasks running: fills slots, restarts failed tasks, runs jobs, reaps old tasks.")
    public @interface Config {

        @AttributeDefinition(description = "Most task writes one store transaction carries; larger changes"
                + " (scaling by thousands) take several transactions")
        int writesPerTransaction() default 200;

        @AttributeDefinition(description = "Milliseconds to wait after a failed store transaction before trying again")
        long retryDelayMs() default 1_000;
    }

    @Reference
    private Store store;

    private final Object lock = new Object();
    private Settings settings = Settings.DEFAULTS;
    private boolean active;
    private OrchestratorLoop loop;

    public Orchestrator() {}

    /** For tests outside OSGi: already active. */
    Orchestrator(Store store, Settings settings) {
        this.store = store;
        this.settings = settings;
        this.active = true;
    }

    @Activate
    void activate(Config config) {
        Settings s = Settings.of(config);
        synchronized (lock) {
            settings = s;
            active = true;
        }
        LOG.info("orchestrator started (this manager leads)");
        leadershipChanged(true);
    }

    @Deactivate
    void deactivate() {
        synchronized (lock) {
            active = false;
            stopLoop();
        }
    }

    /** Starts or stops the loop; DS activation and deactivation, and tests, call it. */
    void leadershipChanged(boolean leader) {
        synchronized (lock) {
            if (leader && active && loop == null) {
                loop = new OrchestratorLoop(store, settings);
                loop.start();
            } else if (!leader && loop != null) {
                stopLoop();
            }
        }
    }

    /** Whether the loop runs (this manager leads). */
    boolean running() {
        synchronized (lock) {
            return loop != null && loop.isRunning();
        }
    }

    private void stopLoop() {
        if (loop == null) {
            return;
        }
        try {
            if (!loop.stop(STOP_TIMEOUT)) {
                LOG.warn("the orchestrator loop did not stop within {} s", STOP_TIMEOUT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            loop = null;
        }
    }
}
