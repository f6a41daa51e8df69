package io.swarmlet.ca.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.NodeRole;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;

class TrustAndKeyManagersTest {

    private final Pki.RootCa ca = Pki.newRootCa();

    private X509Certificate cert(Pki.RootCa issuer, KeyPair key, String id, NodeRole role) {
        return Pki.issue(key.getPublic(), issuer.certificate(), issuer.key(), id, role, "cluster", Duration.ofHours(1));
    }

    @Test
    void trustsTheClustersNodesOfEitherRole() throws Exception {
        ClusterTrustManager any = ClusterTrustManager.anyRole(ca.certificate());
        X509Certificate worker = cert(ca, Pki.newKeyPair(), "w", NodeRole.WORKER);
        X509Certificate manager = cert(ca, Pki.newKeyPair(), "m", NodeRole.MANAGER);
        any.checkClientTrusted(new X509Certificate[] {worker}, "EC");
        any.checkServerTrusted(new X509Certificate[] {manager, ca.certificate()}, "EC");
        assertArrayEquals(new X509Certificate[] {ca.certificate()}, any.getAcceptedIssuers());
    }

    @Test
    void refusesACertificateFromAnotherCa() {
        Pki.RootCa other = Pki.newRootCa(); // same name "swarm-ca", other key
        X509Certificate foreign = cert(other, Pki.newKeyPair(), "m", NodeRole.MANAGER);
        for (ClusterTrustManager tm : new ClusterTrustManager[] {
                ClusterTrustManager.anyRole(ca.certificate()), ClusterTrustManager.managers(ca.certificate())}) {
            CertificateException e = assertThrows(CertificateException.class,
                    () -> tm.checkClientTrusted(new X509Certificate[] {foreign}, "EC"));
            assertTrue(e.getMessage().contains("not signed by this cluster's root CA"), e.getMessage());
            assertThrows(CertificateException.class,
                    () -> tm.checkServerTrusted(new X509Certificate[] {foreign, ca.certificate()}, "EC"));
        }
    }

    @Test
    void managerTrustManagerRefusesAWorker() throws Exception {
        ClusterTrustManager managers = ClusterTrustManager.managers(ca.certificate());
        X509Certificate worker = cert(ca, Pki.newKeyPair(), "w", NodeRole.WORKER);
        CertificateException e = assertThrows(CertificateException.class,
                () -> managers.checkClientTrusted(new X509Certificate[] {worker}, "EC"));
        assertTrue(e.getMessage().contains("swarm-manager is required"), e.getMessage());
        assertThrows(CertificateException.class, () -> managers.checkServerTrusted(new X509Certificate[] {worker}, "EC"));
        managers.checkClientTrusted(new X509Certificate[] {cert(ca, Pki.newKeyPair(), "m", NodeRole.MANAGER)}, "EC");
    }

    @Test
    void refusesTheRootItselfAndEmptyChains() {
        ClusterTrustManager any = ClusterTrustManager.anyRole(ca.certificate());
        assertThrows(CertificateException.class, () -> any.checkClientTrusted(new X509Certificate[] {ca.certificate()}, "EC"));
        assertThrows(CertificateException.class, () -> any.checkClientTrusted(new X509Certificate[0], "EC"));
    }

    @Test
    void keyManagerServesTheNewestPair() {
        KeyPair k1 = Pki.newKeyPair();
        X509Certificate c1 = cert(ca, k1, "n", NodeRole.WORKER);
        RenewableKeyManager km = new RenewableKeyManager(k1.getPrivate(), c1);
        String a1 = km.chooseEngineServerAlias("EC", null, null);
        assertEquals(c1, km.getCertificateChain(a1)[0]);
        assertEquals(k1.getPrivate(), km.getPrivateKey(a1));
        assertNull(km.chooseEngineServerAlias("RSA", null, null), "only its own key type");

        KeyPair k2 = Pki.newKeyPair();
        X509Certificate c2 = cert(ca, k2, "n", NodeRole.MANAGER);
        km.update(k2.getPrivate(), c2);
        String a2 = km.chooseEngineClientAlias(new String[] {"RSA", "EC"}, null, null);
        assertNotEquals(a1, a2, "a new alias for each pair");
        assertEquals(c2, km.getCertificateChain(a2)[0]);
        assertEquals(k2.getPrivate(), km.getPrivateKey(a2));
        assertEquals(c2, km.certificate());
        // a handshake that picked the old alias just before the swap still gets a matching pair
        assertEquals(c1, km.getCertificateChain(a1)[0]);
        assertEquals(k1.getPrivate(), km.getPrivateKey(a1));
    }

    /** Real JSSE handshakes: a server whose key manager is swapped presents the new certificate to the next client. */
    @Test
    void swappedKeyManagerIsWhatTheNextHandshakePresents() throws Exception {
        KeyPair k1 = Pki.newKeyPair();
        X509Certificate c1 = cert(ca, k1, "server", NodeRole.MANAGER);
        RenewableKeyManager serverKeys = new RenewableKeyManager(k1.getPrivate(), c1);
        SSLContext serverCtx = SSLContext.getInstance("TLS");
        serverCtx.init(new KeyManager[] {serverKeys}, new TrustManager[] {ClusterTrustManager.anyRole(ca.certificate())}, null);

        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (SSLServerSocket server = (SSLServerSocket) serverCtx.getServerSocketFactory()
                .createServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            server.setNeedClientAuth(true);
            Future<?> accepting = pool.submit(() -> {
                for (int i = 0; i < 2; i++) {
                    try (SSLSocket s = (SSLSocket) server.accept(); InputStream in = s.getInputStream();
                         OutputStream out = s.getOutputStream()) {
                        out.write(in.read());
                        out.flush();
                    }
                }
                return null;
            });
            assertEquals(c1, handshake(client(), server.getLocalPort()));
            KeyPair k2 = Pki.newKeyPair();
            X509Certificate c2 = cert(ca, k2, "server", NodeRole.MANAGER);
            serverKeys.update(k2.getPrivate(), c2);
            assertEquals(c2, handshake(client(), server.getLocalPort()));
            accepting.get(10, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
    }

    /** A new client each time: no session to resume. */
    private SSLContext client() throws Exception {
        KeyPair ck = Pki.newKeyPair();
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(new KeyManager[] {new RenewableKeyManager(ck.getPrivate(), cert(ca, ck, "client", NodeRole.WORKER))},
                new TrustManager[] {ClusterTrustManager.managers(ca.certificate())}, null);
        return ctx;
    }

    private static X509Certificate handshake(SSLContext ctx, int port) throws Exception {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write(7);
            s.getOutputStream().flush();
            assertEquals(7, s.getInputStream().read());
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }
}
