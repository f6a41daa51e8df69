package io.swarmlet.api.store;

import java.util.List;

/**
 * The managers' Raft group as this manager sees it, and the membership
 * changes the control API and node life cycle need. Implemented by the store
 * bundle, registered with the {@link Store}.
 *
 * @since 1.1
 */
@org.osgi.annotation.versioning.ProviderType
public interface RaftMembership {

    /**
     * One member of the group.
     *
     * @param nodeId the manager's node ID (its Raft peer ID)
     * @param raftAddr host:port of its Raft transport
     * @param leader whether it is the leader as far as this manager knows
     * @param reachable whether it answered recently (on the leader: it acknowledged appends within
     *     the election timeout; elsewhere: true for this manager and a leader it hears from, else unknown = false)
     */
    record Member(String nodeId, String raftAddr, boolean leader, boolean reachable) {}

    /** The members of the current configuration. */
    List<Member> members();

    /** The leader's node ID, or null when none is known (election, lost quorum). */
    String leaderId();

    /**
     * Removes a manager from the group (demotion, leave, node rm --force).
     * Refused with {@link StoreException.Reason#INVALID} when it would leave
     * no member, or when the remaining members could not form a quorum with
     * the ones reachable now; {@link StoreException.Reason#NO_QUORUM} when
     * there is no leader.
     */
    void removeMember(String nodeId);

    /**
     * Makes another reachable member the leader (the one given, or any if
     * null) and returns once it leads; used before the leader is demoted or leaves.
     */
    void transferLeadership(String toNodeId);
}
