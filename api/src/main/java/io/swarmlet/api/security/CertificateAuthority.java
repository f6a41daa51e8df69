package io.swarmlet.api.security;

import io.swarmlet.api.types.NodeRole;
import java.security.cert.X509Certificate;
import java.time.Duration;

/**
 * The cluster's root CA on a manager (which holds the root key in its state
 * directory, {@code certificates/swarm-root-ca.key}). Implemented by the ca
 * bundle, registered only on managers; used by the remote API's CA service to
 * issue node certificates.
 */
@org.osgi.annotation.versioning.ProviderType
public interface CertificateAuthority {

    X509Certificate rootCertificate();

    /** The root CA certificate, PEM. */
    String rootCertificatePem();

    /** The root CA key, PEM (PKCS#8), handed to nodes that join or are promoted as managers. Never log it. */
    String rootKeyPem();

    /** SHA-256 of the root certificate's DER encoding, base 36, 50 characters: what join tokens carry. */
    String rootDigest();

    /**
     * Signs a certificate signing request (PKCS#10, DER or PEM) for a node:
     * CN = nodeId, OU = role ({@link NodeCertificates#MANAGER_OU} / {@link NodeCertificates#WORKER_OU}),
     * O = cluster ID; the key is the CSR's.
     *
     * @return the node certificate, PEM
     * @throws IllegalArgumentException if the CSR is malformed or its signature does not verify
     */
    String sign(byte[] csr, String nodeId, NodeRole role, Duration validity);
}
