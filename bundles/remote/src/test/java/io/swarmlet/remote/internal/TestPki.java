package io.swarmlet.remote.internal;

import io.swarmlet.api.security.NodeCertificates;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.types.NodeRole;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A cluster's root CA for tests, made with BouncyCastle as the ca bundle
 * does: node certificates with CN = node ID, OU = role, O = cluster ID and
 * DNS names for the node ID and the role, so that TLS checks them for real.
 */
final class TestPki {

    private static final AtomicInteger SERIAL = new AtomicInteger(1);

    final String clusterId;
    final KeyPair rootKey;
    final X509Certificate root;

    TestPki(String clusterId) throws Exception {
        this.clusterId = clusterId;
        this.rootKey = newKey();
        X500Name name = new X500Name("CN=swarm-ca");
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), from(), to(), name, rootKey.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(rootKey.getPublic()));
        this.root = sign(b);
    }

    /** A node's credentials signed by this root. */
    Credentials node(String nodeId, NodeRole role) throws Exception {
        KeyPair key = newKey();
        String ou = NodeCertificates.ou(role);
        X500Name subject = new X500Name("CN=" + nodeId + ",OU=" + ou + ",O=" + clusterId);
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(root, serial(), from(), to(), subject, key.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        b.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, nodeId), new GeneralName(GeneralName.dNSName, ou)}));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(root));
        X509Certificate cert = sign(b);
        return new Credentials(nodeId, clusterId, role, cert, key, root);
    }

    private X509Certificate sign(JcaX509v3CertificateBuilder b) throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(rootKey.getPrivate())));
    }

    private static KeyPair newKey() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(System.nanoTime()).shiftLeft(8).add(BigInteger.valueOf(SERIAL.getAndIncrement()));
    }

    private static Date from() {
        return Date.from(Instant.now().minus(Duration.ofMinutes(5)));
    }

    private static Date to() {
        return Date.from(Instant.now().plus(Duration.ofDays(1)));
    }

    /** {@link NodeCredentials} over one fixed certificate; {@link #renew()} only counts. */
    static final class Credentials implements NodeCredentials {
        private final String nodeId;
        private final String clusterId;
        private final NodeRole role;
        private final X509Certificate cert;
        private final X509Certificate root;
        private final X509ExtendedKeyManager keyManager;
        private final X509TrustManager trustManager;
        final AtomicInteger renewals = new AtomicInteger();

        Credentials(String nodeId, String clusterId, NodeRole role, X509Certificate cert, KeyPair key, X509Certificate root)
                throws Exception {
            this.nodeId = nodeId;
            this.clusterId = clusterId;
            this.role = role;
            this.cert = cert;
            this.root = root;
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pw = "test".toCharArray();
            ks.setKeyEntry("node", key.getPrivate(), pw, new X509Certificate[] {cert, root});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            X509ExtendedKeyManager km = null;
            for (KeyManager m : kmf.getKeyManagers()) {
                if (m instanceof X509ExtendedKeyManager x) {
                    km = x;
                }
            }
            this.keyManager = km;
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            ts.setCertificateEntry("root", root);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            X509TrustManager tm = null;
            for (TrustManager m : tmf.getTrustManagers()) {
                if (m instanceof X509TrustManager x) {
                    tm = x;
                }
            }
            this.trustManager = tm;
        }

        @Override public String nodeId() { return nodeId; }
        @Override public String clusterId() { return clusterId; }
        @Override public NodeRole role() { return role; }
        @Override public X509Certificate certificate() { return cert; }
        @Override public X509Certificate rootCertificate() { return root; }
        @Override public X509ExtendedKeyManager keyManager() { return keyManager; }
        @Override public X509TrustManager trustManager() { return trustManager; }
        @Override public X509TrustManager managerTrustManager() { return trustManager; }

        @Override
        public void renew() throws IOException {
            renewals.incrementAndGet();
        }
    }
}
