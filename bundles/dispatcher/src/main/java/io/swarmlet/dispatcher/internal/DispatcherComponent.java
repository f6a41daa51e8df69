package io.swarmlet.dispatcher.internal;

import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.metrics.Metrics;
import io.swarmlet.api.security.SecretVault;
import io.swarmlet.api.store.LeadershipListener;
import io.swarmlet.api.store.Store;
import java.util.Hashtable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Runs a {@link DispatcherImpl} while this manager leads, and registers it as
 * the {@link Dispatcher} service only then ({@code swarmlet.dispatcher=local},
 * {@code service.ranking=0}): agents and the control API find a dispatcher
 * exactly where the store accepts its writes; elsewhere they use the remote
 * bundle's client of the leader's dispatcher, which ranks lower. Leadership changes
 * are handled one at a time, in order, on a thread of this component.
 */
@Component(service = LeadershipListener.class, immediate = true)
public class DispatcherComponent implements LeadershipListener {

    /**
     * Service property of the registered dispatcher: "local" (this one, on the
     * leader) tells it from the remote bundle's client of the leader's
     * dispatcher ("remote", every node, service.ranking -100).
     */
    static final String KIND = "swarmlet.dispatcher";
    static final String LOCAL = "local";
    /** Above the remote client's -100: an agent bound greedily takes this one on the leader. */
    static final int RANKING = 0;
    static final String SESSIONS = "swarmlet_dispatcher_sessions";

    private static final Logger LOG = LogManager.getLogger(DispatcherComponent.class);

    @Reference
    private Store store;

    /**
     * Opens the secret versions delivered with assignments (the secrets bundle registers it while
     * this manager is unlocked); without it, secrets are left out and their tasks rejected.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile SecretVault vault;

    /** The node's metrics registry, if the metrics bundle is there: sessions and heartbeat misses. */
    private volatile Metrics metrics;
    private Metrics.Registration sessionsGauge;

    /** Registers the running dispatcher; returns what unregisters it. */
    private Function<Dispatcher, Runnable> registrar;
    private ExecutorService serial;

    // serial thread only (read by the sessions gauge)
    private volatile DispatcherImpl current;
    private Runnable unregister;

    public DispatcherComponent() {}

    /** For tests outside OSGi. */
    DispatcherComponent(Store store, Function<Dispatcher, Runnable> registrar) {
        this.store = store;
        this.registrar = registrar;
        startSerial();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, unbind = "unsetMetrics")
    synchronized void setMetrics(Metrics m) {
        if (sessionsGauge != null) {
            sessionsGauge.close();
        }
        metrics = m;
        sessionsGauge = m.gauge(SESSIONS, "Agent sessions open on this manager's dispatcher (0 unless it leads)", () -> {
            DispatcherImpl d = current;
            return d == null ? 0 : d.sessionCount();
        });
    }

    synchronized void unsetMetrics(Metrics m) {
        if (metrics != m) {
            return;
        }
        metrics = null;
        if (sessionsGauge != null) {
            sessionsGauge.close();
            sessionsGauge = null;
        }
    }

    @Activate
    void activate(BundleContext context) {
        registrar = d -> {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(KIND, LOCAL);
            props.put(Constants.SERVICE_RANKING, RANKING);
            ServiceRegistration<Dispatcher> reg = context.registerService(Dispatcher.class, d, props);
            return () -> {
                try {
                    reg.unregister();
                } catch (IllegalStateException alreadyGone) {
                    // the bundle is stopping
                }
            };
        };
        startSerial();
    }

    private void startSerial() {
        serial = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "swarmlet-dispatcher-leadership");
            t.setDaemon(true);
            return t;
        });
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        serial.execute(this::follow);
        serial.shutdown();
        if (!serial.awaitTermination(30, TimeUnit.SECONDS)) {
            LOG.warn("the dispatcher did not stop within 30 s");
            serial.shutdownNow();
        }
    }

    @Override
    public void leadershipChanged(boolean leader) {
        try {
            serial.execute(leader ? this::lead : this::follow);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // deactivated meanwhile
        }
    }

    private void lead() {
        if (current != null) {
            return;
        }
        DispatcherImpl d = new DispatcherImpl(store, () -> vault);
        d.setMetrics(() -> metrics);
        try {
            d.start();
        } catch (RuntimeException e) {
            LOG.error("cannot start the dispatcher: {}", e.getMessage(), e);
            d.stop();
            return;
        }
        current = d;
        unregister = registrar.apply(d);
    }

    private void follow() {
        if (current == null) {
            return;
        }
        unregister.run();
        unregister = null;
        current.stop();
        current = null;
    }
}
