package io.swarmlet.store.internal;

import io.swarmlet.api.metrics.Metrics;
import io.swarmlet.api.node.DaemonState;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.security.DataKey;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.store.LeadershipListener;
import io.swarmlet.api.store.RaftMembership;
import io.swarmlet.api.store.Store;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The store component: on a manager (while this node's {@link NodeCredentials}
 * carry the manager role) it starts the {@link ReplicatedStore}, with mutual
 * TLS on the Raft transport, and, once the store can serve (a one-member group:
 * this peer leads and has applied the whole log; a larger group: its copy has
 * caught up with the leader, or no leader was found in time), registers it as
 * the {@link Store} service, with the {@link RaftMembership} of the group next
 * to it. Consumers therefore only ever see a store that is ready; activation
 * itself returns at once (start-up, which replays the log, runs on a thread of
 * its own, {@code swarmlet-store-start}, so SCR's threads and locks are never
 * held while Raft recovers). The framework property
 * {@code swarmlet.force.new.cluster=true} rebuilds the group as this manager
 * alone first ({@link ForceNewCluster}).
 *
 * <p>When the store cannot start (raft port in use, storage unreadable or
 * locked, corrupt log or snapshot, storage of another cluster) it logs why and
 * registers a {@link DaemonState} with {@code STATE=failed} and a one-line
 * {@code MESSAGE}; nothing on disk is repaired or formatted.
 *
 * <p>It also needs the {@link DataKey} (the secrets bundle registers it while
 * this manager is unlocked), so a manager locked by autolock starts no Raft
 * member until it is unlocked; when the DataKey goes (demotion, the secrets
 * bundle stopped) the store stops as it does when the credentials go.
 *
 * <p>{@link LeadershipListener}s registered by leader-only components are told
 * of every leadership change, and of the current state when they register.
 */
@Component(service = {}, immediate = true, configurationPid = RaftStore.PID)
@Designate(ocd = RaftStore.Config.class)
public final class RaftStore {

    static final String PID = "io.swarmlet.store";

    private static final Logger LOG = LogManager.getLogger(RaftStore.class);

    @ObjectClassDefinition(name = "Swarmlet replicated store",
            description = "The in-memory object store replicated through Raft (Apache Ratis).")
    public @interface Config {

        @AttributeDefinition(description = "Milliseconds Store.update waits for a raft leader to commit a transaction"
                + " before it fails with NO_QUORUM (the managers have lost quorum)")
        long commitTimeoutMs() default 5_000;

        @AttributeDefinition(description = "Milliseconds start-up waits for this manager to become raft leader (a"
                + " one-manager group), to be added to the group (join) or to catch up with the leader")
        long startTimeoutMs() default 60_000;

        @AttributeDefinition(description = "Milliseconds a manager of a multi-manager group waits at start for a raft"
                + " leader before it serves its local copy anyway (reads work; writes fail until a leader is elected)")
        long leaderWaitTimeoutMs() default 10_000;

        @AttributeDefinition(description = "Lower bound of the randomized raft election timeout in milliseconds: a"
                + " follower that has not heard from the leader that long campaigns (failover time)")
        long electionTimeoutMinMs() default 400;

        @AttributeDefinition(description = "Upper bound of the randomized raft election timeout in milliseconds")
        long electionTimeoutMaxMs() default 800;

        @AttributeDefinition(description = "Take a snapshot automatically every this many log entries")
        long snapshotThreshold() default 10_000;

        @AttributeDefinition(description = "Snapshot files kept on disk")
        int snapshotRetention() default 2;

        @AttributeDefinition(description = "Take a snapshot when the store stops")
        boolean snapshotOnStop() default true;

        @AttributeDefinition(description = "Events a watcher may have pending before the store closes it")
        int watchQueueCapacity() default 100_000;

        @AttributeDefinition(description = "Netty boss threads of the raft server")
        int serverBossThreads() default 1;

        @AttributeDefinition(description = "Netty worker threads of the raft server")
        int serverWorkerThreads() default 2;

        @AttributeDefinition(description = "Netty worker threads of the raft clients")
        int clientWorkerThreads() default 2;

        @AttributeDefinition(description = "Asynchronous writes the raft client may have in flight at once")
        int clientOutstandingMax() default 1024;

        @AttributeDefinition(description = "When this manager leads, hand transactions to the local raft server"
                + " in process instead of through the raft client's gRPC connection")
        boolean localSubmit() default true;
    }

    /** Framework property: {@code swarmletd --force-new-cluster}. */
    static final String FORCE_NEW_CLUSTER = "swarmlet.force.new.cluster";

    /** {@code ComponentConstants.DEACTIVATION_REASON_REFERENCE}: a reference became unsatisfied. */
    static final int DEACTIVATION_REASON_REFERENCE = 3;

    private static final String WORKER = "worker";

    private final LeadershipNotifier leadership = new LeadershipNotifier();
    private final RaftMetrics metrics = new RaftMetrics(leadership::isLeader);

    @Reference
    private LocalNode node;

    /**
     * This node's TLS identity, only while its certificate says manager: demotion
     * (the service's role property changes to worker) deactivates the store,
     * promotion activates it.
     */
    @Reference(target = "(" + NodeCredentials.ROLE + "=manager)")
    private NodeCredentials credentials;

    /**
     * The cluster's data key, registered by the secrets bundle only while this
     * manager is unlocked: a locked manager (autolock, restarted) runs no Raft
     * member and casts no vote until {@code swarm unlock}. The store itself
     * seals nothing with it.
     */
    @Reference
    private DataKey dataKey;

    private volatile BundleContext context;

    private final Object lock = new Object();
    private ReplicatedStore store;
    private Thread starter;
    private ServiceRegistration<Store> registration;
    private ServiceRegistration<RaftMembership> membership;
    private ServiceRegistration<DaemonState> failure;
    private boolean stopping;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "removeLeadershipListener")
    void addLeadershipListener(LeadershipListener listener) {
        leadership.add(listener);
    }

    void removeLeadershipListener(LeadershipListener listener) {
        leadership.remove(listener);
    }

    /** The node's metrics registry, if the metrics bundle is there (commit latency, leader changes). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, unbind = "unsetMetrics")
    void setMetrics(Metrics m) {
        metrics.bind(m);
    }

    void unsetMetrics(Metrics m) {
        metrics.unbind(m);
    }

    static StoreConfig toStoreConfig(Config c, boolean forceNewCluster) {
        return new StoreConfig(Duration.ofMillis(c.commitTimeoutMs()), Duration.ofMillis(c.startTimeoutMs()),
                c.snapshotThreshold(), c.snapshotRetention(), c.snapshotOnStop(), c.watchQueueCapacity(),
                c.serverBossThreads(), c.serverWorkerThreads(), c.clientWorkerThreads(), c.clientOutstandingMax(),
                c.localSubmit(), Duration.ofMillis(c.electionTimeoutMinMs()), Duration.ofMillis(c.electionTimeoutMaxMs()),
                Duration.ofMillis(c.leaderWaitTimeoutMs()), forceNewCluster);
    }

    @Activate
    void activate(BundleContext context, Config config) {
        this.context = context;
        boolean force = Boolean.parseBoolean(context.getProperty(FORCE_NEW_CLUSTER));
        StoreConfig storeConfig;
        try {
            storeConfig = toStoreConfig(config, force);
        } catch (IllegalArgumentException e) {
            fail(context, "bad store configuration (" + e.getMessage() + "); fix the " + PID + " configuration");
            return;
        }
        leadership.add(new LeaderCondition(context, node.nodeId()));
        RaftTls tls = new RaftTls(credentials.keyManager(), credentials.managerTrustManager());
        ReplicatedStore s = new ReplicatedStore(node, storeConfig, leadership, tls);
        s.setMetrics(metrics);
        Thread t = new Thread(() -> start(context, s), "swarmlet-store-start");
        synchronized (lock) {
            store = s;
            starter = t;
        }
        t.start();
    }

    private void start(BundleContext context, ReplicatedStore s) {
        try {
            s.start();
        } catch (StartupException e) {
            synchronized (lock) {
                if (stopping) {
                    return;
                }
            }
            LOG.error("the store cannot start: {}", e.getMessage(), e.getCause());
            s.close();
            fail(context, e.getMessage());
            return;
        } catch (RuntimeException | LinkageError e) {
            LOG.error("the store cannot start", e);
            s.close();
            fail(context, "the store could not start (" + e + "); see the daemon log");
            return;
        }
        synchronized (lock) {
            if (stopping) {
                return;
            }
            Dictionary<String, Object> props = new Hashtable<>();
            props.put("swarmlet.raft.group", s.groupUuid().toString());
            props.put("swarmlet.node.id", node.nodeId());
            registration = context.registerService(Store.class, s, props);
            membership = context.registerService(RaftMembership.class, s.membership(), props);
        }
    }

    private void fail(BundleContext context, String oneLine) {
        synchronized (lock) {
            if (stopping || failure != null) {
                return;
            }
            Dictionary<String, Object> props = new Hashtable<>();
            props.put(DaemonState.STATE, DaemonState.FAILED);
            props.put(DaemonState.MESSAGE, oneLine);
            failure = context.registerService(DaemonState.class, new DaemonState() {}, props);
        }
    }

    /**
     * Stops the store. When SCR deactivates it because this node's certificate no
     * longer says manager (demotion; the node keeps running), the Raft state is
     * moved away too, so that a later promotion joins the group afresh; any other
     * reason (bundle or framework stop, the ca bundle gone) keeps it.
     */
    @Deactivate
    void deactivate(int reason) {
        ReplicatedStore s;
        Thread t;
        synchronized (lock) {
            stopping = true;
            unregister(membership);
            unregister(registration);
            unregister(failure);
            membership = null;
            registration = null;
            failure = null;
            s = store;
            t = starter;
        }
        boolean demoted = reason == DEACTIVATION_REASON_REFERENCE && demoted();
        if (s != null) {
            s.close(); // also makes a start in progress give up
        }
        if (t != null) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (demoted && s != null) {
            LOG.info("this node is no longer a manager: the store stopped, discarding its raft state");
            s.discardRaftState();
        }
        leadership.close();
    }

    /** Whether this node's credentials now carry the worker role (rather than being gone). */
    private boolean demoted() {
        BundleContext c = context;
        if (c == null) {
            return false;
        }
        try {
            ServiceReference<?>[] refs = c.getServiceReferences(NodeCredentials.class.getName(), null);
            if (refs == null) {
                return false;
            }
            for (ServiceReference<?> r : refs) {
                if (WORKER.equals(r.getProperty(NodeCredentials.ROLE))) {
                    return true;
                }
            }
            return false;
        } catch (InvalidSyntaxException | IllegalStateException e) {
            return false;
        }
    }

    private static void unregister(ServiceRegistration<?> r) {
        if (r == null) {
            return;
        }
        try {
            r.unregister();
        } catch (IllegalStateException e) {
            // already gone with the bundle
        }
    }
}
