package io.swarmlet.store.internal;

import io.swarmlet.api.store.LeadershipListener;
import io.swarmlet.api.store.Store;
import java.util.Dictionary;
import java.util.Hashtable;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.condition.Condition;

/**
 * The OSGi condition {@code osgi.condition.id=swarmlet.leader}: registered while
 * this manager leads, withdrawn when it does not ({@link Store#LEADER_CONDITION}).
 * Leader-only components (orchestrator, updater, scheduler) take it as their DS
 * satisfying condition, so SCR starts them with leadership and stops them when it
 * goes: never two schedulers on one manager, none on a follower.
 *
 * <p>Told by {@link LeadershipNotifier}, on its one thread, in the order of the
 * changes; the store's deactivation tells it "not leader" before it stops.
 */
final class LeaderCondition implements LeadershipListener {

    private static final Logger LOG = LogManager.getLogger(LeaderCondition.class);

    private final BundleContext context;
    private final String nodeId;
    private ServiceRegistration<Condition> registration;

    LeaderCondition(BundleContext context, String nodeId) {
        this.context = context;
        this.nodeId = nodeId;
    }

    @Override
    public synchronized void leadershipChanged(boolean leader) {
        if (leader && registration == null) {
            Dictionary<String, Object> props = new Hashtable<>();
            props.put(Condition.CONDITION_ID, Store.LEADER_CONDITION_ID);
            props.put("swarmlet.node.id", nodeId);
            try {
                registration = context.registerService(Condition.class, Condition.INSTANCE, props);
                LOG.debug("leader condition registered: leader-only components start");
            } catch (IllegalStateException e) {
                // the bundle is stopping
            }
        } else if (!leader && registration != null) {
            try {
                registration.unregister();
                LOG.debug("leader condition withdrawn: leader-only components stop");
            } catch (IllegalStateException e) {
                // already gone with the bundle
            }
            registration = null;
        }
    }
}
