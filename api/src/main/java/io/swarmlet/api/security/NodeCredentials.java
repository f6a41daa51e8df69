package io.swarmlet.api.security;

import io.swarmlet.api.types.NodeRole;
import java.security.cert.X509Certificate;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;

/**
 * This node's TLS identity: its key and certificate (renewed before expiry, or
 * when its role changes) and the cluster's root CA certificate. Registered by
 * the ca bundle with the service property {@link #ROLE} = "manager" or
 * "worker" (the role in the current certificate; the service's properties are
 * modified when it changes), so manager-only components can target
 * {@code (swarmlet.role=manager)}.
 */
@org.osgi.annotation.versioning.ProviderType
public interface NodeCredentials {

    /** Service property: the role in the current certificate, "manager" or "worker". */
    String ROLE = "swarmlet.role";

    String nodeId();

    String clusterId();

    /** The role in the current certificate. */
    NodeRole role();

    /** The current node certificate. */
    X509Certificate certificate();

    /** The cluster's root CA certificate. */
    X509Certificate rootCertificate();

    /** Always presents the newest node certificate (renewal swaps it under running servers and channels). */
    X509ExtendedKeyManager keyManager();

    /** Trusts certificates signed by the cluster's root CA, of either role. */
    X509TrustManager trustManager();

    /** Trusts certificates signed by the cluster's root CA that carry the manager role (Raft). */
    X509TrustManager managerTrustManager();

    /**
     * Asks for a new certificate now (with the role the managers want for this
     * node); returns once it is in use. Called when the node learns that its
     * desired role changed; renewal before expiry happens by itself.
     *
     * @throws java.io.IOException if no manager could issue it
     */
    void renew() throws java.io.IOException;
}
