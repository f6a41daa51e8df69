package io.swarmlet.scheduler.internal;

import io.swarmlet.api.metrics.Metrics;
import io.swarmlet.api.store.Store;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.PlacementStrategy;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.propertytypes.SatisfyingConditionTarget;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The scheduler (SwarmKit's manager/scheduler): while this manager leads, one
 * {@link SchedulerLoop} on its own thread places pending tasks on nodes.
 * Placement runs every {@link NodeFilter} service registered (the whiteboard:
 * this bundle's core filters and any plugin's), highest service ranking
 * first; filters may come and go at any time. Placement strategies are
 * {@link PlacementStrategy} services, tracked by name the same way; "spread"
 * is built in and is what a named strategy that is not registered falls back to.
 *
 * <p>Leader only, by DS: its satisfying condition is the store's leader
 * condition ({@link Store#LEADER_CONDITION}), so SCR activates it (and its
 * loop) when this manager gains leadership and deactivates it when leadership
 * goes: one scheduler per manager, none on followers. Nobody calls the
 * scheduler: it reads and writes only the store.
 */
@Component(service = {}, immediate = true, configurationPid = SchedulerComponent.PID)
@SatisfyingConditionTarget(Store.LEADER_CONDITION)
@Designate(ocd = SchedulerComponent.Config.class)
public final class SchedulerComponent {

    static final String PID = "io.swarmlet.scheduler";
    static final String UNASSIGNED = "swarmlet_scheduler_unassigned";

    private static final Logger LOG = LogManager.getLogger(SchedulerComponent.class);

    @ObjectClassDefinition(name = "Swarmlet scheduler",
            description = "Places pending tasks on nodes while this manager is the leader.")
    public @interface Config {

        @AttributeDefinition(description = "Task updates written per store transaction, at most")
        int batchSize() default 500;

        @AttributeDefinition(description = "Serialized task bytes written per store transaction, at most")
        int maxBatchBytes() default 1 << 20;

        @AttributeDefinition(description = "Milliseconds without relevant changes before a scheduling round")
        long debounceMs() default 50;

        @AttributeDefinition(description = "Milliseconds a scheduling round waits at most once a change came in")
        long maxLatencyMs() default 1000;

        @AttributeDefinition(description = "Node filters (by name) that must be registered before any task is placed")
        String[] requiredFilters() default {CoreFilters.READY, CoreFilters.AVAILABILITY, CoreFilters.RUNTIME,
            CoreFilters.RESOURCES, CoreFilters.CONSTRAINTS, CoreFilters.PLATFORM, CoreFilters.HOST_PORTS,
            CoreFilters.MAX_REPLICAS};
    }

    @Reference
    private Store store;

    private final FilterRegistry filters = new FilterRegistry();
    private final StrategyRegistry strategies = new StrategyRegistry();
    private final Object lock = new Object();
    private SchedulerLoop.Settings settings;
    private boolean active;
    private boolean leader;
    private SchedulerLoop loop;
    private Thread thread;

    /** The node's metrics registry, if the metrics bundle is there: scheduling latency, tasks left waiting. */
    private volatile Metrics metrics;
    private Metrics.Registration unassignedGauge;

    public SchedulerComponent() {}

    /** For tests outside OSGi: already activated. */
    SchedulerComponent(Store store, SchedulerLoop.Settings settings) {
        this.store = store;
        this.settings = settings;
        this.active = true;
    }

    static SchedulerLoop.Settings settings(Config c) {
        return new SchedulerLoop.Settings(c.batchSize(), c.maxBatchBytes(), Duration.ofMillis(c.debounceMs()),
                Duration.ofMillis(c.maxLatencyMs()), Set.of(c.requiredFilters()));
    }

    @Activate
    void activate(Config config) {
        synchronized (lock) {
            settings = settings(config);
            active = true;
            leader = true; // activated only while the leader condition holds
            startLocked();
        }
        LOG.info("scheduler started (this manager leads)");
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        Thread t;
        synchronized (lock) {
            active = false;
            t = stopLocked();
        }
        join(t);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, unbind = "unsetMetrics")
    synchronized void setMetrics(Metrics m) {
        if (unassignedGauge != null) {
            unassignedGauge.close();
        }
        metrics = m;
        unassignedGauge = m.gauge(UNASSIGNED, "Tasks the scheduler's last round left waiting for a node", () -> {
            SchedulerLoop l = loop();
            return l == null ? 0 : l.unassigned();
        });
    }

    synchronized void unsetMetrics(Metrics m) {
        if (metrics != m) {
            return;
        }
        metrics = null;
        if (unassignedGauge != null) {
            unassignedGauge.close();
            unassignedGauge = null;
        }
    }

    @Reference(name = "filters", service = NodeFilter.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "removeFilter", updated = "updatedFilter")
    void addFilter(NodeFilter filter, Map<String, Object> properties) {
        filters.add(filter, properties);
        LOG.debug("node filter {} registered", Pipeline.name(filter));
    }

    void updatedFilter(NodeFilter filter, Map<String, Object> properties) {
        filters.add(filter, properties);
    }

    void removeFilter(NodeFilter filter) {
        filters.remove(filter);
        LOG.debug("node filter {} unregistered", Pipeline.name(filter));
    }

    @Reference(name = "strategies", service = PlacementStrategy.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "removeStrategy", updated = "updatedStrategy")
    void addStrategy(PlacementStrategy strategy, Map<String, Object> properties) {
        strategies.add(strategy, properties);
    }

    void updatedStrategy(PlacementStrategy strategy, Map<String, Object> properties) {
        strategies.add(strategy, properties);
    }

    void removeStrategy(PlacementStrategy strategy) {
        strategies.remove(strategy);
    }

    /** Starts the loop or signals it to stop, without waiting; tests call it (DS uses activate/deactivate). */
    void leadershipChanged(boolean isLeader) {
        synchronized (lock) {
            leader = isLeader;
            if (isLeader && active) {
                startLocked();
            } else if (!isLeader) {
                stopLocked();
            }
        }
    }

    /** The running loop, or null (tests). */
    SchedulerLoop loop() {
        synchronized (lock) {
            return loop;
        }
    }

    private void startLocked() {
        if (loop != null) {
            return;
        }
        loop = new SchedulerLoop(store, filters, strategies, settings);
        loop.setMetrics(() -> metrics);
        thread = new Thread(loop, "swarmlet-scheduler");
        thread.setDaemon(true);
        thread.start();
    }

    private Thread stopLocked() {
        if (loop == null) {
            return null;
        }
        loop.stop();
        thread.interrupt();
        Thread t = thread;
        loop = null;
        thread = null;
        return t;
    }

    private static void join(Thread t) throws InterruptedException {
        if (t != null) {
            t.join(TimeUnit.SECONDS.toMillis(10));
            if (t.isAlive()) {
                LOG.warn("scheduler loop did not stop within 10 s");
            }
        }
    }
}
