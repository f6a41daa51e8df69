package io.swarmlet.api.node;

/**
 * This node's membership of the cluster, run on the node itself
 * ({@code swarmlet swarm leave}). Implemented by the node bundle.
 *
 * @since 1.1
 */
@org.osgi.annotation.versioning.ProviderType
public interface NodeMembership {

    /**
     * Leaves the cluster: a manager first leaves the Raft group (refused, with the
     * reason, if it is the leader or its leaving would break quorum, unless
     * {@code force}); then the node stops its tasks' containers, forgets its
     * identity and certificates, and the daemon stops.
     *
     * @return the message for the user ("Node left the swarm.")
     * @throws IllegalStateException with the reason when refused
     */
    String leave(boolean force);
}
