package io.swarmlet.ca.internal;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.security.CertificateAuthority;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.ca.pki.Pki;
import io.swarmlet.ca.pki.StateDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The cluster's root CA on a manager: active only while this node's
 * certificate says manager (the {@code swarmlet.role} property of
 * {@link NodeCredentials}); the root key comes from
 * {@code certificates/swarm-root-ca.key}, which the ca bundle writes before it
 * switches that property to manager.
 */
@Component(service = CertificateAuthority.class)
public class CertificateAuthorityImpl implements CertificateAuthority {

    private static final Logger LOG = LogManager.getLogger(CertificateAuthorityImpl.class);

    @Reference(target = "(" + NodeCredentials.ROLE + "=manager)")
    private NodeCredentials credentials;

    @Reference
    private LocalNode local;

    private X509Certificate root;
    private PrivateKey rootKey;
    private String rootKeyPem;
    private String rootPem;
    private String digest;
    private String clusterId;

    public CertificateAuthorityImpl() {}

    /** For tests outside OSGi. */
    CertificateAuthorityImpl(X509Certificate root, PrivateKey rootKey, String clusterId) {
        init(root, Pki.toPem(rootKey), clusterId);
    }

    @Activate
    void activate() {
        Path dir = StateDir.certificates(local.stateDir());
        String keyPem;
        try {
            keyPem = Pki.read(dir.resolve(StateDir.ROOT_KEY));
        } catch (IOException e) {
            throw new UncheckedIOException("this manager has no root CA key (" + dir.resolve(StateDir.ROOT_KEY)
                    + "): " + e.getMessage(), e);
        }
        init(credentials.rootCertificate(), keyPem, credentials.clusterId());
        LOG.info("certificate authority of cluster {} active (root CA digest {})", clusterId, digest);
    }

    private void init(X509Certificate root, String keyPem, String clusterId) {
        PrivateKey key = Pki.readPrivateKey(keyPem);
        if (!Pki.matches(key, root)) {
            throw new IllegalStateException("the root CA key in the state dir does not match the root CA certificate");
        }
        this.root = root;
        this.rootKey = key;
        this.rootKeyPem = keyPem;
        this.rootPem = Pki.toPem(root);
        this.digest = Pki.digest(root);
        this.clusterId = clusterId;
    }

    @Override
    public X509Certificate rootCertificate() {
        return root;
    }

    @Override
    public String rootCertificatePem() {
        return rootPem;
    }

    @Override
    public String rootKeyPem() {
        return rootKeyPem;
    }

    @Override
    public String rootDigest() {
        return digest;
    }

    @Override
    public String sign(byte[] csr, String nodeId, NodeRole role, Duration validity) {
        return Pki.toPem(Pki.signCsr(csr, root, rootKey, nodeId, role, clusterId, validity));
    }

    /** The cluster ID this CA writes into certificates (O). */
    String clusterId() {
        return clusterId;
    }
}
