package io.swarmlet.updater.internal;

import io.swarmlet.api.store.Store;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.propertytypes.SatisfyingConditionTarget;

/**
 * SwarmKit's update supervisor: rolls services onto their current spec (and
 * back, on rollback) slot by slot, in batches of {@code parallelism}, watching
 * the new tasks for failures. Runs on the leader only: its loop
 * ({@link UpdateLoop}) starts when this manager becomes leader and stops when
 * it is not any more.
 *
 * <p>Meets the other components only in the store: the control API writes a
 * new spec and sets the update status; this component replaces out-of-date
 * tasks and writes the status on; the orchestrator keeps slots filled and
 * restarts failed tasks from the current spec, but never replaces a task for
 * being out of date. Leader only, by DS: its satisfying condition is the
 * store's leader condition ({@link Store#LEADER_CONDITION}), so SCR activates
 * it with leadership and deactivates it when leadership goes. Calls nobody.
 */
@Component(service = {}, immediate = true)
@SatisfyingConditionTarget(Store.LEADER_CONDITION)
public class Updater {

    private static final Logger LOG = LogManager.getLogger(Updater.class);
    private static final long STOP_WAIT_MS = 10_000;

    @Reference
    private Store store;

    private volatile UpdateLoop loop;
    private Thread thread;

    public Updater() {}

    /** For tests outside OSGi. */
    Updater(Store store) {
        this.store = store;
    }

    @Activate
    void activate() {
        start();
    }

    @Deactivate
    void deactivate() {
        stop();
    }

    /** Starts or stops the loop; DS activation and deactivation, and tests, call it. */
    void leadershipChanged(boolean leader) {
        if (leader) {
            start();
        } else {
            stop();
        }
    }

    private synchronized void start() {
        if (thread != null && thread.isAlive()) {
            return;
        }
        loop = new UpdateLoop(store, System::currentTimeMillis);
        thread = new Thread(loop, "swarmlet-updater");
        thread.setDaemon(true);
        thread.start();
        LOG.info("updater started (this manager leads)");
    }

    private synchronized void stop() {
        if (thread == null) {
            return;
        }
        loop.stop();
        thread.interrupt();
        try {
            thread.join(STOP_WAIT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("the updater loop did not stop within {} s", TimeUnit.MILLISECONDS.toSeconds(STOP_WAIT_MS));
        } else {
            LOG.info("updater stopped");
        }
        thread = null;
        loop = null;
    }

    /** See {@link UpdateLoop#processedIndex()}; -1 when not running. */
    long processedIndex() {
        UpdateLoop l = loop;
        return l == null ? -1 : l.processedIndex();
    }
}
