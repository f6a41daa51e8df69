package io.swarmlet.api.node;

import java.nio.file.Path;

/**
 * This daemon: its identity (kept in the state directory across restarts) and
 * the settings it was started with ({@code swarmletd} flags).
 *
 * <p>Implemented by the node bundle; read by every other component.
 */
@org.osgi.annotation.versioning.ProviderType
public interface LocalNode {

    /** This node's ID (25 lower-case base-36 characters, like SwarmKit's). */
    String nodeId();

    /** The ID of the cluster this node belongs to. */
    String clusterId();

    /** True when this daemon started the cluster (no join flags, first start). */
    boolean bootstrapped();

    String hostname();

    /** {@code --state-dir}: everything persistent lives below it. */
    Path stateDir();

    /** {@code --listen-control-api}: the unix socket of the control API. */
    Path controlSocket();

    /** {@code --listen-remote-api}: host:port for node-to-node gRPC. */
    String remoteApiAddr();

    /** {@code --advertise-addr} (or the remote API address): what other nodes dial. */
    String advertiseAddr();

    /** host:port the Raft transport listens on (remote API port + 1 unless set). */
    String raftAddr();

    /** Whether this node is a manager (holds a store replica). */
    boolean manager();
}
