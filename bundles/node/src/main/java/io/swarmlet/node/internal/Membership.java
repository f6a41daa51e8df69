package io.swarmlet.node.internal;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.node.NodeMembership;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.RaftMembership;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.spi.executor.Executor;
import io.swarmlet.spi.executor.ExecutorException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code swarm leave}, run on the node itself (Docker's rules). A worker
 * leaves at once. A manager that is the last one, the leader, or whose
 * leaving would break quorum refuses without {@code force}; otherwise it asks
 * to be demoted (the leader takes it out of the Raft group, handing
 * leadership over first if it is itself) and waits until it is out. Then the
 * node stops its agent, removes its tasks' containers, leaves a
 * {@value #LEAVE_MARKER} marker for the launcher (which forgets the identity,
 * certificates and Raft data once the bundles have stopped) and stops the daemon.
 */
@Component(service = NodeMembership.class, immediate = true)
public class Membership implements NodeMembership {

    /** Marker file in the state directory: the launcher wipes the node's identity after the framework stops. */
    public static final String LEAVE_MARKER = "left-swarm";
    static final String LEFT = "Node left the swarm.";
    private static final Logger LOG = LogManager.getLogger(Membership.class);
    private static final String PREFIX = "You are attempting to leave the swarm on a node that is participating as a manager. ";

    @Reference
    private LocalNode local;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile NodeCredentials credentials;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Store store;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile RaftMembership raft;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private final List<Executor> executors = new CopyOnWriteArrayList<>();

    private BundleContext context;
    private volatile boolean leaving;

    @Activate
    void activate(BundleContext context) {
        this.context = context;
    }

    @Override
    public synchronized String leave(boolean force) {
        if (leaving) {
            return LEFT;
        }
        NodeCredentials c = credentials;
        boolean manager = c != null ? c.role() == NodeRole.MANAGER : local.manager();
        if (manager) {
            leaveRaft(force);
        }
        leaving = true;
        LOG.info("leaving the swarm{}", force ? " (forced)" : "");
        stopAgent();
        removeContainers();
        try {
            Files.writeString(local.stateDir().resolve(LEAVE_MARKER), local.nodeId() + "\n");
        } catch (IOException e) {
            LOG.warn("cannot write the leave marker: {}", e.toString());
        }
        Thread stopper = new Thread(this::stopDaemon, "swarmlet-leave");
        stopper.setDaemon(true);
        stopper.start();
        return LEFT;
    }

    /** Checks Docker's rules, then asks the leader to demote this manager and waits until it is out. */
    private void leaveRaft(boolean force) {
        RaftMembership r = raft;
        Store s = store;
        List<RaftMembership.Member> members = r == null ? List.of() : r.members();
        int total = members.size();
        long reachable = members.stream().filter(RaftMembership.Member::reachable).count();
        boolean self = members.stream().anyMatch(m -> m.nodeId().equals(local.nodeId()));
        if (total <= 1) {
            if (!force) {
                throw new IllegalStateException(PREFIX + "Removing the last manager erases all current state of the"
                        + " swarm. Use `--force` to ignore this message.");
            }
            return;
        }
        long reachableAfter = reachable - (self ? 1 : 0);
        int totalAfter = total - (self ? 1 : 0);
        boolean quorumAfter = reachableAfter >= totalAfter / 2 + 1;
        boolean leader = local.nodeId().equals(r.leaderId());
        if (!force && !quorumAfter) {
            throw new IllegalStateException(PREFIX + "Removing this node leaves " + reachableAfter + " managers out of "
                    + total + ". Without a Raft quorum your swarm will be inaccessible. The only way to restore a swarm"
                    + " that has lost consensus is to reinitialize it with `--force-new-cluster`. Use `--force` to"
                    + " suppress this message.");
        }
        if (!force && leader) {
            throw new IllegalStateException(PREFIX + "This node is the raft leader: leaving hands leadership over to"
                    + " another manager first. Use `--force` to do so, or demote it from another manager.");
        }
        try {
            s.update(tx -> tx.get(Kind.NODE, local.nodeId()).ifPresent(n ->
                    tx.update(Kind.NODE, n.toBuilder().setSpec(n.getSpec().toBuilder().setDesiredRole(NodeRole.WORKER))
                            .setSpecChangedAfter(n.getMeta().getVersion()).build())));
        } catch (StoreException | NullPointerException e) {
            if (!force) {
                throw new IllegalStateException("cannot leave the raft group: " + e.getMessage()
                        + " (use --force to leave anyway)");
            }
            LOG.warn("leaving without being demoted: {}", e.getMessage());
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            RaftMembership now = raft;
            if (now == null || now.members().stream().noneMatch(m -> m.nodeId().equals(local.nodeId()))) {
                LOG.info("this manager left the raft group");
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!force) {
            throw new IllegalStateException("this manager is still a member of the raft group after 20s (is there a"
                    + " leader?); run `swarmlet swarm leave --force` to leave anyway");
        }
        LOG.warn("leaving although this manager is still in the raft group");
    }

    private void stopAgent() {
        for (Bundle b : context.getBundles()) {
            if ("io.swarmlet.agent".equals(b.getSymbolicName())) {
                try {
                    b.stop(Bundle.STOP_TRANSIENT);
                } catch (BundleException e) {
                    LOG.warn("cannot stop the agent: {}", e.toString());
                }
            }
        }
    }

    private void removeContainers() {
        for (Executor e : executors) {
            try {
                for (String task : e.taskIds()) {
                    try {
                        e.removeTask(task);
                    } catch (ExecutorException ex) {
                        LOG.warn("cannot remove the container of task {}: {}", task, ex.getMessage());
                    }
                }
            } catch (ExecutorException ex) {
                LOG.warn("cannot list this node's tasks: {}", ex.getMessage());
            }
        }
    }

    private void stopDaemon() {
        try {
            Thread.sleep(300); // let the answer reach the caller
            context.getBundle(0).stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (BundleException | IllegalStateException e) {
            LOG.warn("cannot stop the daemon after leaving: {}", e.toString());
        }
    }
}
