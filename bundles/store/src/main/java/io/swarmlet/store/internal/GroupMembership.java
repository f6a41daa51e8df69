package io.swarmlet.store.internal;

import io.swarmlet.api.store.RaftMembership;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.StoreException.Reason;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.ReconfigurationInProgressException;
import org.apache.ratis.protocol.exceptions.ReconfigurationTimeoutException;
import org.apache.ratis.protocol.exceptions.SetConfigurationException;
import org.apache.ratis.protocol.exceptions.TransferLeadershipException;

/**
 * {@link RaftMembership} over the store's Raft group: what this manager sees
 * of the group, and membership changes through the leader (Ratis admin API,
 * sent with the store's client, which finds the leader).
 *
 * <p>Reachability comes from the leader: on the leader, a follower is reachable
 * when it answered within three election timeouts; a follower knows only
 * itself and the leader it hears from. The checks of {@link #removeMember}
 * and {@link #transferLeadership} therefore use the leader's view (asked of
 * the leader when this manager is a follower).
 */
final class GroupMembership implements RaftMembership {

    private static final Logger LOG = LogManager.getLogger(GroupMembership.class);

    private final ReplicatedStore store;

    GroupMembership(ReplicatedStore store) {
        this.store = store;
    }

    @Override
    public List<Member> members() {
        ReplicatedStore.GroupView v = view();
        List<Member> out = new ArrayList<>();
        for (RaftPeer p : v.peers()) {
            out.add(new Member(p.getId().toString(), p.getAddress(), p.getId().equals(v.leader()),
                    v.reachable().contains(p.getId())));
        }
        return out;
    }

    @Override
    public String leaderId() {
        RaftPeerId leader = view().leader();
        return leader == null ? null : leader.toString();
    }

    private ReplicatedStore.GroupView view() {
        try {
            return store.localView();
        } catch (IOException e) {
            throw new StoreException(Reason.INTERNAL, "the store is not running", e);
        }
    }

    @Override
    public void removeMember(String nodeId) {
        RaftPeerId target = RaftPeerId.valueOf(nodeId);
        ReplicatedStore.GroupView v = store.leaderView();
        if (!v.contains(target)) {
            LOG.info("manager {} is not a member of the raft group {}; nothing to remove", nodeId, ids(v.peers()));
            return;
        }
        List<RaftPeer> remaining = v.peers().stream().filter(p -> !p.getId().equals(target)).toList();
        if (remaining.isEmpty()) {
            throw new StoreException(Reason.INVALID, "cannot remove manager " + nodeId
                    + ": it is the only member of the raft group, and a cluster needs at least one manager");
        }
        long reachable = remaining.stream().filter(p -> v.reachable().contains(p.getId())).count();
        int quorum = remaining.size() / 2 + 1;
        if (reachable < quorum) {
            throw new StoreException(Reason.INVALID, "removing manager " + nodeId + " would leave " + remaining.size()
                    + " managers of which only " + reachable + " " + (reachable == 1 ? "is" : "are")
                    + " reachable, fewer than the " + quorum + " a quorum needs: the cluster would lose its quorum;"
                    + " bring the unreachable managers back (or remove them first) and try again");
        }
        SetConfigurationRequest.Arguments args = SetConfigurationRequest.Arguments.newBuilder()
                .setServersInCurrentConf(v.peers())
                .setServersInNewConf(remaining)
                .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
                .build();
        RaftClient c = clientFor(v);
        RaftClientReply reply = admin("remove manager " + nodeId, () -> c.admin().setConfiguration(args));
        if (!reply.isSuccess()) {
            throw adminFailure("remove manager " + nodeId, reply.getException());
        }
        LOG.info("removed manager {} from the raft group; members now {}", nodeId, ids(remaining));
    }

    @Override
    public void transferLeadership(String toNodeId) {
        ReplicatedStore.GroupView v = store.leaderView();
        RaftPeerId target;
        if (toNodeId != null) {
            target = RaftPeerId.valueOf(toNodeId);
            if (!v.contains(target)) {
                throw new StoreException(Reason.INVALID, "cannot hand raft leadership to " + toNodeId
                        + ": it is not a member of the raft group " + ids(v.peers()));
            }
            if (target.equals(v.leader())) {
                return;
            }
            if (!v.reachable().contains(target)) {
                throw new StoreException(Reason.INVALID, "cannot hand raft leadership to " + toNodeId
                        + ": the leader has not heard from it recently");
            }
        } else {
            target = v.peers().stream()
                    .map(RaftPeer::getId)
                    .filter(id -> !id.equals(v.leader()) && v.reachable().contains(id))
                    .max(Comparator.comparingLong(id -> v.commitIndex().getOrDefault(id, -1L)))
                    .orElseThrow(() -> new StoreException(Reason.INVALID, "no other manager can take over raft"
                            + " leadership: " + (v.reachable().size() - 1) + " of the " + (v.peers().size() - 1)
                            + " other managers are reachable"));
        }
        long timeoutMs = store.config().commitTimeout().toMillis();
        RaftPeerId to = target;
        RaftClient c = clientFor(v);
        RaftClientReply reply = admin("hand raft leadership to " + to,
                () -> c.admin().transferLeadership(to, v.leader(), timeoutMs));
        if (!reply.isSuccess()) {
            throw adminFailure("hand raft leadership to " + to, reply.getException());
        }
        // the old leader answers once the new one has taken over; wait until this manager hears of it too
        long deadline = System.nanoTime() + 3 * store.config().electionTimeoutMax().toNanos();
        while (System.nanoTime() - deadline < 0) {
            ReplicatedStore.GroupView now = store.localViewOrNull();
            if (now != null && to.equals(now.leader())) {
                break;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        LOG.info("handed raft leadership from {} to {}", v.leader(), to);
    }

    /** The store's client, knowing the addresses of all current members. */
    private RaftClient clientFor(ReplicatedStore.GroupView v) {
        RaftClient c = store.client();
        c.getClientRpc().addRaftPeers(v.peers());
        return c;
    }

    private interface AdminCall {
        RaftClientReply call() throws Exception;
    }

    private RaftClientReply admin(String what, AdminCall call) {
        try {
            return RatisClassLoading.call(call::call);
        } catch (StoreException e) {
            throw e;
        } catch (Exception e) {
            throw adminFailure(what, e);
        }
    }

    private StoreException adminFailure(String what, Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof ReconfigurationInProgressException) {
            return new StoreException(Reason.INTERNAL, "could not " + what + ": another change of the raft"
                    + " membership is in progress; try again in a moment", e);
        }
        if (e instanceof SetConfigurationException) {
            return new StoreException(Reason.INTERNAL, "could not " + what + ": the raft membership changed"
                    + " meanwhile (" + e.getMessage() + "); try again", e);
        }
        if (e instanceof ReconfigurationTimeoutException) {
            return new StoreException(Reason.INTERNAL, "could not " + what + " in time (" + e.getMessage() + ")", e);
        }
        if (e instanceof TransferLeadershipException) {
            return new StoreException(Reason.INTERNAL, "could not " + what + ": " + e.getMessage(), e);
        }
        if (ReplicatedStore.isNoLeader(e)) {
            StoreException s = new StoreException(Reason.NO_QUORUM, "could not " + what + ": "
                    + store.lostQuorumMessage("did not answer within "
                    + store.config().commitTimeout().toSeconds() + "s"));
            s.initCause(e);
            return s;
        }
        return new StoreException(Reason.INTERNAL, "could not " + what + ": " + e, e);
    }

    private static List<String> ids(List<RaftPeer> peers) {
        return peers.stream().map(p -> p.getId().toString()).toList();
    }
}
