package io.swarmlet.ca.pki;

import io.swarmlet.api.security.NodeCertificates;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.TokenFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
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
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * The cluster's PKI in plain Java (no OSGi): root CA, node keys, certificate
 * signing requests, node certificates, PEM files. Used by the ca bundle's
 * components and, from this jar on a plain class path, by the launcher when a
 * node joins.
 *
 * <p>Keys are EC P-256, made by the JDK; signatures are SHA256withECDSA by the
 * JDK's providers. BouncyCastle only builds and parses the structures (it is
 * never registered as a JCA provider).
 *
 * <p>Node certificates follow SwarmKit: CN = node ID, OU = {@code swarm-manager}
 * or {@code swarm-worker}, O = cluster ID, DNS names = node ID and the OU
 * string (so a client dials a manager with authority "swarm-manager" or a given
 * node by its ID), extended key usage client + server auth.
 */
public final class Pki {

    /** The root CA's common name (SwarmKit's). */
    public static final String ROOT_CN = "swarm-ca";
    /** How long a root CA is valid. */
    public static final Duration ROOT_VALIDITY = Duration.ofDays(20 * 365 + 5);
    /** Default node certificate validity (swarmletd --cert-expiry). */
    public static final Duration DEFAULT_NODE_VALIDITY = Duration.ofHours(2160);
    /** Certificates start this long before they are made, for clocks a little behind. */
    public static final Duration BACKDATE = Duration.ofMinutes(1);

    private static final String SIGNATURE = "SHA256withECDSA";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private Pki() {}

    /** A root CA: its self-signed certificate and its key. */
    public record RootCa(X509Certificate certificate, PrivateKey key) {}

    // ------------------------------------------------------------------ keys and certificates

    /** A new EC P-256 key pair from the JDK. */
    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make EC P-256 keys", e);
        }
    }

    /**
     * A new root CA: CN "swarm-ca", valid for {@link #ROOT_VALIDITY} (from one
     * minute ago), basic constraints CA, key usage keyCertSign + cRLSign.
     */
    public static RootCa newRootCa() {
        KeyPair kp = newKeyPair();
        Instant now = Instant.now();
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, ROOT_CN).build();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(ROOT_VALIDITY)), name, kp.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
            return new RootCa(toX509(b.build(signer(kp.getPrivate()))), kp.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot make a root CA certificate: " + e.getMessage(), e);
        }
    }

    /**
     * A certificate signing request (PKCS#10, DER) for {@code key}, with the
     * subject CN {@code commonName} (informational: the CA names the node).
     */
    public static byte[] csr(KeyPair key, String commonName) {
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, commonName == null || commonName.isBlank() ? "swarm-node" : commonName).build();
        try {
            return new JcaPKCS10CertificationRequestBuilder(subject, key.getPublic())
                    .build(signer(key.getPrivate())).getEncoded();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The public key of a CSR (DER or PEM), after checking its signature. */
    public static PublicKey csrPublicKey(byte[] csr) {
        try {
            PKCS10CertificationRequest req = parseCsr(csr);
            // the JDK's key factories know "EC", not the key's OID: BouncyCastle's table names it
            PublicKey key = new JcaPEMKeyConverter().getPublicKey(req.getSubjectPublicKeyInfo());
            if (!req.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
                throw new IllegalArgumentException("the certificate signing request's signature does not verify");
            }
            return key;
        } catch (OperatorCreationException | PKCSException | IOException e) {
            throw new IllegalArgumentException("invalid certificate signing request: " + e.getMessage(), e);
        }
    }

    /**
     * Signs a node certificate for the key in {@code csr} (DER or PEM; its
     * signature must verify): CN = nodeId, OU = the role's, O = clusterId, DNS
     * names nodeId and the OU, client + server auth, valid from one minute ago
     * for {@code validity} (never past the root's own end).
     *
     * @throws IllegalArgumentException if the CSR is malformed or its signature does not verify
     */
    public static X509Certificate signCsr(byte[] csr, X509Certificate root, PrivateKey rootKey,
            String nodeId, NodeRole role, String clusterId, Duration validity) {
        return issue(csrPublicKey(csr), root, rootKey, nodeId, role, clusterId, validity);
    }

    /** Like {@link #signCsr}, for a public key at hand (the bootstrap manager's own). */
    public static X509Certificate issue(PublicKey key, X509Certificate root, PrivateKey rootKey,
            String nodeId, NodeRole role, String clusterId, Duration validity) {
        if (nodeId == null || nodeId.isBlank() || clusterId == null || clusterId.isBlank()) {
            throw new IllegalArgumentException("a node certificate needs a node ID and a cluster ID");
        }
        if (validity == null || validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("certificate validity must be positive");
        }
        String ou = NodeCertificates.ou(role);
        Instant now = Instant.now();
        Instant notAfter = now.plus(validity);
        if (notAfter.isAfter(root.getNotAfter().toInstant())) {
            notAfter = root.getNotAfter().toInstant();
        }
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, clusterId)
                .addRDN(BCStyle.OU, ou)
                .addRDN(BCStyle.CN, nodeId)
                .build();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(root, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(notAfter), subject, key)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth}))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                            new GeneralName(GeneralName.dNSName, nodeId), new GeneralName(GeneralName.dNSName, ou)}))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(root));
            return toX509(b.build(signer(rootKey)));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot sign a node certificate: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that {@code cert} was signed by {@code root}'s key, names root as
     * its issuer and that both are valid now.
     *
     * @throws CertificateException saying what is wrong
     */
    public static void verifyIssuedBy(X509Certificate cert, X509Certificate root) throws CertificateException {
        if (!cert.getIssuerX500Principal().equals(root.getSubjectX500Principal())) {
            throw new CertificateException("certificate of " + cert.getSubjectX500Principal().getName()
                    + " was not issued by this cluster's root CA");
        }
        try {
            cert.verify(root.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new CertificateException("certificate of " + cert.getSubjectX500Principal().getName()
                    + " is not signed by this cluster's root CA", e);
        }
        root.checkValidity();
        cert.checkValidity();
    }

    /** Whether {@code key} is the private half of {@code cert}'s public key (signs and verifies a nonce). */
    public static boolean matches(PrivateKey key, X509Certificate cert) {
        return matches(key, cert.getPublicKey());
    }

    /** Whether {@code key} is the private half of {@code publicKey}. */
    public static boolean matches(PrivateKey key, PublicKey publicKey) {
        try {
            byte[] nonce = new byte[32];
            RANDOM.nextBytes(nonce);
            Signature s = Signature.getInstance(SIGNATURE);
            s.initSign(key);
            s.update(nonce);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(SIGNATURE);
            v.initVerify(publicKey);
            v.update(nonce);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * SHA-256 of the certificate's DER encoding in base 36, 50 characters
     * left-padded with 0: the digest join tokens carry ({@link TokenFormat#caDigest}).
     */
    public static String digest(X509Certificate cert) {
        try {
            return TokenFormat.caDigest(cert.getEncoded());
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalArgumentException("cannot encode certificate", e);
        }
    }

    // ------------------------------------------------------------------ PEM

    /** A certificate as PEM ("CERTIFICATE"). */
    public static String toPem(X509Certificate cert) {
        return writePem(cert);
    }

    /** A private key as PKCS#8 PEM ("PRIVATE KEY"). */
    public static String toPem(PrivateKey key) {
        if (!"PKCS#8".equals(key.getFormat())) {
            throw new IllegalArgumentException("key is not PKCS#8-encodable: " + key.getFormat());
        }
        return writePem(new PemObject("PRIVATE KEY", key.getEncoded()));
    }

    /** A certificate signing request (DER) as PEM ("CERTIFICATE REQUEST"). */
    public static String csrToPem(byte[] csrDer) {
        return writePem(new PemObject("CERTIFICATE REQUEST", csrDer));
    }

    /** The first certificate in {@code pem}. */
    public static X509Certificate readCertificate(String pem) {
        List<X509Certificate> all = readCertificates(pem);
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no certificate in PEM text");
        }
        return all.get(0);
    }

    /** Every certificate in {@code pem}, in order. */
    public static List<X509Certificate> readCertificates(String pem) {
        List<X509Certificate> out = new ArrayList<>();
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            for (Object o = p.readObject(); o != null; o = p.readObject()) {
                if (o instanceof X509CertificateHolder h) {
                    out.add(new JcaX509CertificateConverter().getCertificate(h));
                }
            }
            return out;
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new IllegalArgumentException("invalid certificate PEM: " + e.getMessage(), e);
        }
    }

    /** The private key in {@code pem}: PKCS#8 ("PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"). */
    public static PrivateKey readPrivateKey(String pem) {
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            for (Object o = p.readObject(); o != null; o = p.readObject()) {
                if (o instanceof PrivateKeyInfo info) {
                    return conv.getPrivateKey(info);
                }
                if (o instanceof PEMKeyPair pair) {
                    return conv.getPrivateKey(pair.getPrivateKeyInfo());
                }
            }
            throw new IllegalArgumentException("no private key in PEM text");
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && iae.getCause() == null) {
                throw iae;
            }
            throw new IllegalArgumentException("invalid private key PEM: " + e.getClass().getSimpleName(), e);
        }
    }

    private static byte[] parseCsrDer(byte[] csr) {
        String text = new String(csr, StandardCharsets.US_ASCII);
        if (!text.contains("-----BEGIN")) {
            return csr;
        }
        try (PEMParser p = new PEMParser(new StringReader(text))) {
            Object o = p.readObject();
            if (o instanceof PKCS10CertificationRequest r) {
                return r.getEncoded();
            }
            throw new IllegalArgumentException("no certificate signing request in PEM text");
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid certificate signing request PEM: " + e.getMessage(), e);
        }
    }

    private static PKCS10CertificationRequest parseCsr(byte[] csr) {
        if (csr == null || csr.length == 0) {
            throw new IllegalArgumentException("no certificate signing request");
        }
        try {
            return new PKCS10CertificationRequest(parseCsrDer(csr));
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException("invalid certificate signing request: " + e.getMessage(), e);
        }
    }

    private static String writePem(Object o) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    // ------------------------------------------------------------------ files

    /** Reads a whole text file (PEM). */
    public static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.US_ASCII);
    }

    /**
     * Writes a file atomically (a temporary file in the same directory, synced,
     * then moved over the old one), creating the directory if needed.
     */
    public static void writeFile(Path file, String content) throws IOException {
        write(file, content, false);
    }

    /** Like {@link #writeFile}, readable and writable by the owner only (0600) from the start: for keys. */
    public static void writeKeyFile(Path file, String content) throws IOException {
        write(file, content, true);
    }

    /** Like {@link #writeKeyFile(Path, String)}, for binary keys (the data key). */
    public static void writeKeyFile(Path file, byte[] content) throws IOException {
        write(file, content, true);
    }

    private static void write(Path file, String content, boolean secret) throws IOException {
        write(file, content.getBytes(StandardCharsets.US_ASCII), secret);
    }

    private static void write(Path file, byte[] content, boolean secret) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (posix) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(
                    secret ? OWNER_ONLY : PosixFilePermissions.fromString("rw-r--r--")));
        } else {
            Files.createFile(tmp);
        }
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                out.write(content);
                out.flush();
                ch.force(true);
            }
            if (posix && secret) {
                Files.setPosixFilePermissions(tmp, OWNER_ONLY); // whatever the umask did
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static ContentSigner signer(PrivateKey key) {
        try {
            return new JcaContentSignerBuilder(SIGNATURE).build(key);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("cannot sign with " + SIGNATURE + ": " + e.getMessage(), e);
        }
    }

    private static X509Certificate toX509(X509CertificateHolder h) throws CertificateException {
        return new JcaX509CertificateConverter().getCertificate(h);
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }
}
