package io.swarmlet.ca.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.security.NodeCertificates;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.TokenFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PkiTest {

    @TempDir
    Path tmp;

    @Test
    void rootCaIsASelfSignedTwentyYearCa() throws Exception {
        Pki.RootCa ca = Pki.newRootCa();
        X509Certificate root = ca.certificate();
        assertEquals("CN=swarm-ca", root.getSubjectX500Principal().getName());
        assertEquals(root.getSubjectX500Principal(), root.getIssuerX500Principal());
        root.verify(root.getPublicKey());
        assertEquals(Integer.MAX_VALUE, root.getBasicConstraints(), "a CA without a path length limit");
        assertTrue(root.getKeyUsage()[5], "keyCertSign");
        assertEquals("EC", root.getPublicKey().getAlgorithm());
        assertEquals("SHA256withECDSA", root.getSigAlgName());
        Instant notAfter = root.getNotAfter().toInstant();
        assertTrue(notAfter.isAfter(Instant.now().plus(Duration.ofDays(20 * 365))), notAfter.toString());
        assertTrue(Pki.matches(ca.key(), root));
    }

    @Test
    void signedCsrIsANodeCertificateOfTheRightShape() throws Exception {
        Pki.RootCa ca = Pki.newRootCa();
        KeyPair node = Pki.newKeyPair();
        byte[] csr = Pki.csr(node, "ignored-cn");
        Instant before = Instant.now();
        X509Certificate cert = Pki.signCsr(csr, ca.certificate(), ca.key(), "node1", NodeRole.WORKER, "cluster1",
                Duration.ofHours(3));

        assertEquals("node1", NodeCertificates.nodeId(cert));
        assertEquals(NodeRole.WORKER, NodeCertificates.role(cert));
        assertEquals("cluster1", NodeCertificates.clusterId(cert));
        assertEquals(node.getPublic(), cert.getPublicKey());
        assertEquals(-1, cert.getBasicConstraints(), "not a CA");
        assertEquals(List.of("1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1"), cert.getExtendedKeyUsage(), "client + server auth");
        assertEquals(List.of("node1", "swarm-worker"), cert.getSubjectAlternativeNames().stream()
                .map(n -> (String) n.get(1)).collect(Collectors.toList()));
        assertTrue(cert.getNotBefore().toInstant().isBefore(before.minusSeconds(59)), "backdated a minute");
        long hours = Duration.between(before, cert.getNotAfter().toInstant()).toMinutes();
        assertTrue(hours >= 179 && hours <= 180, "valid for 3 hours: " + hours + " min");
        Pki.verifyIssuedBy(cert, ca.certificate());

        X509Certificate manager = Pki.signCsr(Pki.csrToPem(csr).getBytes(), ca.certificate(), ca.key(), "node2",
                NodeRole.MANAGER, "cluster1", Duration.ofHours(3));
        assertEquals(NodeRole.MANAGER, NodeCertificates.role(manager));
        assertTrue(manager.getSubjectAlternativeNames().stream().anyMatch(n -> "swarm-manager".equals(n.get(1))));
    }

    @Test
    void aCsrWhoseSignatureDoesNotVerifyIsRefused() {
        Pki.RootCa ca = Pki.newRootCa();
        byte[] csr = Pki.csr(Pki.newKeyPair(), "x");
        csr[csr.length - 5] ^= 0x55; // inside the signature
        assertThrows(IllegalArgumentException.class,
                () -> Pki.signCsr(csr, ca.certificate(), ca.key(), "n", NodeRole.WORKER, "c", Duration.ofHours(1)));
        assertThrows(IllegalArgumentException.class,
                () -> Pki.signCsr(new byte[] {1, 2, 3}, ca.certificate(), ca.key(), "n", NodeRole.WORKER, "c", Duration.ofHours(1)));
    }

    @Test
    void certificateAndKeyPemRoundTrip() {
        Pki.RootCa ca = Pki.newRootCa();
        String certPem = Pki.toPem(ca.certificate());
        String keyPem = Pki.toPem(ca.key());
        assertTrue(certPem.startsWith("-----BEGIN CERTIFICATE-----"), certPem);
        assertTrue(keyPem.startsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8");
        assertEquals(ca.certificate(), Pki.readCertificate(certPem));
        PrivateKey key = Pki.readPrivateKey(keyPem);
        assertArrayEquals(ca.key().getEncoded(), key.getEncoded());
        assertTrue(Pki.matches(key, ca.certificate()));
        assertFalse(Pki.matches(Pki.newKeyPair().getPrivate(), ca.certificate()));

        KeyPair other = Pki.newKeyPair();
        X509Certificate node = Pki.issue(other.getPublic(), ca.certificate(), ca.key(), "n", NodeRole.WORKER, "c", Duration.ofHours(1));
        assertEquals(List.of(node, ca.certificate()), Pki.readCertificates(Pki.toPem(node) + Pki.toPem(ca.certificate())));
        assertThrows(IllegalArgumentException.class, () -> Pki.readCertificate("not a pem"));
        assertThrows(IllegalArgumentException.class, () -> Pki.readPrivateKey(certPem));
    }

    @Test
    void digestIsTheTokensBase36Sha256() throws Exception {
        X509Certificate root = Pki.newRootCa().certificate();
        String digest = Pki.digest(root);
        assertEquals(50, digest.length());
        assertTrue(digest.matches("[0-9a-z]{50}"), digest);
        assertEquals(TokenFormat.caDigest(root.getEncoded()), digest);
    }

    @Test
    void keyFilesAreOwnerOnlyAndWritesAtomic() throws Exception {
        Path key = tmp.resolve("certs/k.key");
        Pki.writeKeyFile(key, "secret");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        Pki.writeKeyFile(key, "secret2");
        assertEquals("secret2", Pki.read(key));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        Path cert = tmp.resolve("certs/c.crt");
        Pki.writeFile(cert, "public");
        assertEquals("public", Pki.read(cert));
        try (var files = Files.list(tmp.resolve("certs"))) {
            assertEquals(2, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void interruptedCredentialWriteIsRecovered() throws Exception {
        Pki.RootCa ca = Pki.newRootCa();
        KeyPair a = Pki.newKeyPair();
        KeyPair b = Pki.newKeyPair();
        X509Certificate certA = Pki.issue(a.getPublic(), ca.certificate(), ca.key(), "n", NodeRole.WORKER, "c", Duration.ofHours(1));
        X509Certificate certB = Pki.issue(b.getPublic(), ca.certificate(), ca.key(), "n", NodeRole.WORKER, "c", Duration.ofHours(1));
        StateDir.writeNodeCredentials(tmp, Pki.toPem(a.getPrivate()), Pki.toPem(certA));
        Path dir = StateDir.certificates(tmp);

        // stopped after the key was replaced, before the certificate moved into place
        Pki.writeFile(dir.resolve(StateDir.NODE_CERT_NEW), Pki.toPem(certB));
        Pki.writeKeyFile(dir.resolve(StateDir.NODE_KEY), Pki.toPem(b.getPrivate()));
        StateDir.recoverNodeCredentials(tmp);
        assertEquals(certB, Pki.readCertificate(Pki.read(dir.resolve(StateDir.NODE_CERT))));
        assertFalse(Files.exists(dir.resolve(StateDir.NODE_CERT_NEW)));

        // stopped before the key was replaced: the old pair stays
        Pki.writeFile(dir.resolve(StateDir.NODE_CERT_NEW), Pki.toPem(certA));
        StateDir.recoverNodeCredentials(tmp);
        assertEquals(certB, Pki.readCertificate(Pki.read(dir.resolve(StateDir.NODE_CERT))));
        assertFalse(Files.exists(dir.resolve(StateDir.NODE_CERT_NEW)));
    }

    @Test
    void managersFileRoundTrip() throws Exception {
        List<StateDir.Manager> ms = List.of(new StateDir.Manager("a", "127.0.0.1:4242", "127.0.0.1:4243"),
                new StateDir.Manager("b", "127.0.0.2:4242", ""));
        StateDir.writeManagers(tmp, ms);
        assertEquals(ms, StateDir.readManagers(tmp));
        Files.writeString(tmp.resolve(StateDir.MANAGERS), "# comment\n10.0.0.1:4242\n\n");
        assertEquals(List.of(new StateDir.Manager("", "10.0.0.1:4242", "")), StateDir.readManagers(tmp));
    }
}
