package io.swarmlet.ca.join;

import io.swarmlet.ca.pki.StateDir;
import io.swarmlet.api.types.NodeRole;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a manager handed a node that joined: its identity, its key and
 * certificate, the cluster's root CA (and its key, for managers) and the
 * managers it can reach.
 *
 * @param nodeId the node ID the cluster gave this node (CN of its certificate)
 * @param clusterId the cluster's ID (O of its certificate)
 * @param role the role the join token asked for
 * @param keyPem this node's private key, PKCS#8 PEM (made here, never sent)
 * @param certificatePem this node's certificate, PEM
 * @param rootCertificatePem the cluster's root CA certificate, PEM (its digest matched the token)
 * @param rootKeyPem the root CA key, PKCS#8 PEM, for managers; null for workers
 * @param managers the cluster's managers (remote API and Raft addresses)
 * @param dataKey the cluster's data key (32 bytes), for managers; null for workers
 */
public record JoinResult(String nodeId, String clusterId, NodeRole role, String keyPem, String certificatePem,
        String rootCertificatePem, String rootKeyPem, List<StateDir.Manager> managers, byte[] dataKey) {

    public JoinResult {
        managers = List.copyOf(managers);
    }

    public boolean manager() {
        return role == NodeRole.MANAGER;
    }

    /**
     * Writes the joined node's state directory: {@code certificates/} (keys
     * 0600; for managers the data key file too, unless one is there), {@code managers}, for managers {@code raft-join.properties} (the
     * Raft group to join: every other manager with a Raft address), and
     * {@code node.properties} last (node.id, cluster.id, role), so a state dir
     * with a node.properties holds a complete join.
     */
    public void writeTo(Path stateDir) throws IOException {
        StateDir.writeRootCertificate(stateDir, rootCertificatePem);
        if (manager()) {
            StateDir.writeRootKey(stateDir, rootKeyPem);
            if (dataKey != null) {
                StateDir.writeDataKeyIfAbsent(stateDir, dataKey);
            }
        }
        StateDir.writeNodeCredentials(stateDir, keyPem, certificatePem);
        StateDir.writeManagers(stateDir, managers);
        if (manager()) {
            StateDir.writeRaftJoin(stateDir, managers, nodeId);
        }
        StateDir.writeNodeProperties(stateDir, Map.of(
                "node.id", nodeId,
                "cluster.id", clusterId,
                "role", manager() ? "manager" : "worker"));
    }

    /** Without the keys. */
    @Override
    public String toString() {
        return "JoinResult[nodeId=" + nodeId + ", clusterId=" + clusterId + ", role=" + role
                + ", managers=" + managers + "]";
    }
}
