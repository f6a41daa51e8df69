package io.swarmlet.node.internal;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.LeadershipListener;
import io.swarmlet.api.store.RaftMembership;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.types.ManagerStatus;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The leader's view of its managers, written into the store (SwarmKit's
 * role manager plus the raft member status the node list shows). While this
 * manager leads, every period it:
 * <ul>
 * <li>writes each Raft member's {@code manager_status} (raft address, leader,
 *     reachability) and {@code role = MANAGER}; nodes no longer in the group
 *     lose their manager status;</li>
 * <li>carries out role changes asked for with {@code node promote/demote}
 *     ({@code spec.desired_role}): a promoted worker gets {@code role = MANAGER}
 *     (its agent then renews its certificate as a manager and joins the Raft
 *     group); a demoted manager leaves the Raft group first (a leader being
 *     demoted hands leadership over, and the new leader finishes), then gets
 *     {@code role = WORKER}.</li>
 * </ul>
 * Writes happen only when something differs.
 */
@Component(service = LeadershipListener.class, immediate = true, configurationPid = ManagerReconciler.PID)
@Designate(ocd = ManagerReconciler.Config.class)
public class ManagerReconciler implements LeadershipListener {

    static final String PID = "io.swarmlet.node.managers";
    private static final Logger LOG = LogManager.getLogger(ManagerReconciler.class);

    @ObjectClassDefinition(name = "Swarmlet manager reconciler")
    public @interface Config {
        @AttributeDefinition(description = "Milliseconds between two passes while this manager leads")
        long periodMs() default 500;
    }

    @Reference
    private Store store;

    @Reference
    private RaftMembership raft;

    @Reference
    private LocalNode local;

    private long periodMs;
    private final Object lock = new Object();
    private Thread loop;
    /** Last failure logged per node, so a refused demotion is not logged every pass. */
    private final Map<String, String> lastProblem = new HashMap<>();

    public ManagerReconciler() {}

    /** For tests outside OSGi. */
    ManagerReconciler(Store store, RaftMembership raft, LocalNode local) {
        this.store = store;
        this.raft = raft;
        this.local = local;
    }

    @Activate
    void activate(Config config) {
        periodMs = Math.max(50, config.periodMs());
    }

    @Deactivate
    void deactivate() {
        leadershipChanged(false);
    }

    @Override
    public void leadershipChanged(boolean leader) {
        synchronized (lock) {
            if (leader && loop == null) {
                loop = new Thread(this::run, "swarmlet-manager-reconciler");
                loop.setDaemon(true);
                loop.start();
            } else if (!leader && loop != null) {
                loop.interrupt();
                loop = null;
            }
        }
    }

    private void run() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                if (store.isLeader()) {
                    pass();
                }
            } catch (StoreException e) {
                LOG.debug("manager reconciliation pass failed: {}", e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("manager reconciliation pass failed", e);
            }
            try {
                Thread.sleep(periodMs);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One pass: role changes, then member status. */
    void pass() {
        for (Node n : store.view(tx -> tx.all(Kind.NODE))) {
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
            if (n.getSpec().getDesiredRole() == NodeRole.MANAGER && n.getRole() == NodeRole.WORKER) {
                promote(n.getId());
            } else if (n.getSpec().getDesiredRole() == NodeRole.WORKER && n.getRole() == NodeRole.MANAGER) {
                if (!demote(n.getId())) {
                    return; // leadership handed over: the new leader goes on
                }
            }
        }
        writeMemberStatus(raft.members());
    }

    private void promote(String nodeId) {
        store.update(tx -> tx.get(Kind.NODE, nodeId).ifPresent(n -> {
            if (n.getSpec().getDesiredRole() == NodeRole.MANAGER && n.getRole() == NodeRole.WORKER) {
                tx.update(Kind.NODE, n.toBuilder().setRole(NodeRole.MANAGER).build());
                LOG.info("node {} promoted: it joins the managers when it renews its certificate", nodeId);
            }
        }));
    }

    /** @return false when this leader handed leadership over instead */
    private boolean demote(String nodeId) {
        boolean member = raft.members().stream().anyMatch(m -> m.nodeId().equals(nodeId));
        if (member) {
            if (nodeId.equals(local.nodeId())) {
                LOG.info("this leader is being demoted: handing leadership over first");
                try {
                    raft.transferLeadership(null);
                } catch (RuntimeException e) {
                    problem(nodeId, "cannot hand leadership over before the demotion: " + e.getMessage());
                }
                return false;
            }
            try {
                raft.removeMember(nodeId);
            } catch (StoreException e) {
                problem(nodeId, "cannot remove node " + nodeId + " from the raft group yet: " + e.getMessage());
                return true;
            }
            LOG.info("node {} left the raft group", nodeId);
        }
        store.update(tx -> tx.get(Kind.NODE, nodeId).ifPresent(n -> {
            if (n.getSpec().getDesiredRole() == NodeRole.WORKER && n.getRole() == NodeRole.MANAGER) {
                tx.update(Kind.NODE, n.toBuilder().setRole(NodeRole.WORKER).clearManagerStatus().build());
            }
        }));
        lastProblem.remove(nodeId);
        LOG.info("node {} demoted to worker", nodeId);
        return true;
    }

    private void problem(String nodeId, String message) {
        if (!message.equals(lastProblem.put(nodeId, message))) {
            LOG.warn(message);
        }
    }

    private void writeMemberStatus(List<RaftMembership.Member> members) {
        Map<String, ManagerStatus> want = new HashMap<>();
        for (RaftMembership.Member m : members) {
            want.put(m.nodeId(), ManagerStatus.newBuilder()
                    .setRaftId(m.nodeId())
                    .setAddr(m.raftAddr())
                    .setLeader(m.leader())
                    .setReachability(m.reachable() ? ManagerStatus.Reachability.REACHABLE
                            : ManagerStatus.Reachability.UNREACHABLE)
                    .build());
        }
        boolean differs = store.view(tx -> {
            for (Node n : tx.all(Kind.NODE)) {
                ManagerStatus w = want.get(n.getId());
                if (w == null ? n.hasManagerStatus() : !w.equals(n.getManagerStatus())) {
                    return true;
                }
            }
            return false;
        });
        if (!differs) {
            return;
        }
        store.update(tx -> {
            for (Node n : tx.all(Kind.NODE)) {
                ManagerStatus w = want.get(n.getId());
                if (w == null && n.hasManagerStatus()) {
                    tx.update(Kind.NODE, n.toBuilder().clearManagerStatus().build());
                } else if (w != null && !w.equals(n.getManagerStatus())) {
                    tx.update(Kind.NODE, n.toBuilder().setManagerStatus(w).setRole(NodeRole.MANAGER).build());
                }
            }
        });
    }
}
