package io.swarmlet.store.internal;

import io.swarmlet.api.security.NodeCertificates;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.types.NodeRole;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates for the tests of the Raft transport's mutual TLS, made the way
 * the ca bundle makes them (CN = node ID, OU = swarm-manager|swarm-worker,
 * O = cluster ID, DNS SANs node ID and role; EC P-256), with BouncyCastle.
 */
public final class TestCerts {

    private static final SecureRandom RANDOM = new SecureRandom();

    private TestCerts() {}

    /** A root CA. */
    public record Ca(KeyPair key, X509Certificate cert) {}

    /** A node's key manager and the manager trust manager of its cluster, as NodeCredentials hands them out. */
    public record Identity(KeyManager keyManager, X509TrustManager managerTrust, X509Certificate cert, Ca ca) {
        RaftTls tls() {
            return new RaftTls(keyManager, managerTrust);
        }
    }

    public static Ca newCa(String name) throws Exception {
        KeyPair key = ecKey();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build();
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(1))), subject,
                key.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return new Ca(key, sign(b, key));
    }

    public static Identity issue(Ca ca, String nodeId, String clusterId, NodeRole role) throws Exception {
        KeyPair key = ecKey();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, clusterId)
                .addRDN(BCStyle.OU, NodeCertificates.ou(role))
                .addRDN(BCStyle.CN, nodeId)
                .build();
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                new X500Name(ca.cert().getSubjectX500Principal().getName()), serial(),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(1))), subject,
                key.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
        b.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, nodeId),
            new GeneralName(GeneralName.dNSName, NodeCertificates.ou(role))}));
        X509Certificate cert = sign(b, ca.key());

        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] password = "test".toCharArray();
        ks.setKeyEntry("node", key.getPrivate(), password, new X509Certificate[] {cert, ca.cert()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password);
        X509ExtendedKeyManager km = (X509ExtendedKeyManager) kmf.getKeyManagers()[0];
        return new Identity(km, new ManagerTrust(ca.cert()), cert, ca);
    }

    /**
     * Trusts manager certificates signed by the root (a plain X509TrustManager, as a
     * NodeCredentials implementation might hand out: the store must not let the JDK
     * add a host name check to it).
     */
    static final class ManagerTrust implements X509TrustManager {
        private final X509Certificate root;

        ManagerTrust(X509Certificate root) {
            this.root = root;
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("no certificate");
            }
            X509Certificate leaf = chain[0];
            try {
                leaf.verify(root.getPublicKey());
            } catch (Exception e) {
                throw new CertificateException("not signed by the cluster's root CA", e);
            }
            leaf.checkValidity();
            if (NodeCertificates.role(leaf) != NodeRole.MANAGER) {
                throw new CertificateException("not a manager certificate");
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
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {root};
        }
    }

    /** NodeCredentials over an identity (the component tests and the bundle IT register one). */
    public static NodeCredentials credentials(Identity id, String nodeId, String clusterId) {
        return new NodeCredentials() {
            @Override public String nodeId() { return nodeId; }
            @Override public String clusterId() { return clusterId; }
            @Override public NodeRole role() { return NodeCertificates.role(id.cert()); }
            @Override public X509Certificate certificate() { return id.cert(); }
            @Override public X509Certificate rootCertificate() { return id.ca().cert(); }
            @Override public X509ExtendedKeyManager keyManager() { return (X509ExtendedKeyManager) id.keyManager(); }
            @Override public X509TrustManager trustManager() { return id.managerTrust(); }
            @Override public X509TrustManager managerTrustManager() { return id.managerTrust(); }
            @Override public void renew() { }
        };
    }

    private static KeyPair ecKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(63, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer) throws Exception {
        ContentSigner s = new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(b.build(s));
    }
}
