package io.swarmlet.ca.pki;

import io.swarmlet.api.security.NodeCertificates;
import io.swarmlet.api.types.NodeRole;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts the node certificates of one cluster: the peer's certificate must be
 * signed by the cluster's root CA (the only anchor), valid now, an end-entity
 * certificate that names a role; the manager variant also wants OU
 * {@code swarm-manager}. The same checks for client and server certificates.
 *
 * <p>No host name check: a node's identity is its chain and its role, not the
 * address it was dialled at (SwarmKit's rule as well). Being an
 * {@link X509ExtendedTrustManager}, JSSE does not add one of its own.
 */
public final class ClusterTrustManager extends X509ExtendedTrustManager {

    private final X509Certificate root;
    private final NodeRole requiredRole;

    /**
     * @param root the cluster's root CA certificate
     * @param requiredRole the role peers must have, or null for either
     */
    public ClusterTrustManager(X509Certificate root, NodeRole requiredRole) {
        this.root = root;
        this.requiredRole = requiredRole;
    }

    /** Trusts nodes of either role. */
    public static ClusterTrustManager anyRole(X509Certificate root) {
        return new ClusterTrustManager(root, null);
    }

    /** Trusts managers only. */
    public static ClusterTrustManager managers(X509Certificate root) {
        return new ClusterTrustManager(root, NodeRole.MANAGER);
    }

    public X509Certificate root() {
        return root;
    }

    /**
     * The checks, outside any handshake.
     *
     * @throws CertificateException saying why the chain is refused
     */
    public void check(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("no certificate presented");
        }
        X509Certificate leaf = chain[0];
        if (leaf.getBasicConstraints() != -1) {
            throw new CertificateException("a CA certificate cannot identify a node");
        }
        Pki.verifyIssuedBy(leaf, root);
        NodeRole role = NodeCertificates.role(leaf);
        if (role == null) {
            throw new CertificateException("certificate of " + NodeCertificates.nodeId(leaf) + " names no node role");
        }
        if (requiredRole != null && role != requiredRole) {
            throw new CertificateException("certificate of node " + NodeCertificates.nodeId(leaf) + " has the role "
                    + NodeCertificates.ou(role) + "; " + NodeCertificates.ou(requiredRole) + " is required");
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[] {root};
    }
}
