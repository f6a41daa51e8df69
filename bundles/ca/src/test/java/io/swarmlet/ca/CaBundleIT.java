package io.swarmlet.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.security.CertificateAuthority;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.types.NodeRole;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Security;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import io.swarmlet.api.testing.BareFelix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The built bundle in a real Felix with SCR and the grpc bundle: it resolves
 * (BouncyCastle private, nothing exported), the first manager's credentials
 * are bootstrapped and registered with swarmlet.role=manager, the CA and the
 * NodeCA gRPC service follow, BouncyCastle is not a JCA provider, and stopping
 * the bundle leaves no renewal thread behind. The API comes from the class path
 * through the system bundle, so this test's LocalNode is the bundle's.
 */
class CaBundleIT {

    @TempDir
    Path tmp;

    private record Node(Path stateDir) implements LocalNode {
        @Override public String nodeId() { return "itnode0000000000000000001"; }
        @Override public String clusterId() { return "itcluster0000000000000001"; }
        @Override public boolean bootstrapped() { return true; }
        @Override public String hostname() { return "it"; }
        @Override public Path controlSocket() { return stateDir.resolve("control.sock"); }
        @Override public String remoteApiAddr() { return "127.0.0.1:1"; }
        @Override public String advertiseAddr() { return "127.0.0.1:1"; }
        @Override public String raftAddr() { return "127.0.0.1:2"; }
        @Override public boolean manager() { return true; }
    }

    @Test
    void bundleBootstrapsTheFirstManagerAndItsCa() throws Exception {
        String caBundle = System.getProperty("ca.bundle");
        assertNotNull(caBundle, "ca.bundle (set by failsafe)");
        try (BareFelix felix = BareFelix.start(tmp.resolve("felix-cache"), Map.of("swarmlet.cert.expiry", "PT5H"))) {
            BundleContext system = felix.system();
            felix.start(BareFelix.jarOnClassPath("io.swarmlet.grpc-"));
            Bundle ca = felix.system().installBundle(new File(caBundle).toURI().toString());
            assertNull(ca.getHeaders().get(Constants.EXPORT_PACKAGE), "the ca bundle exports nothing");
            ca.start();

            Path state = tmp.resolve("state");
            system.registerService(LocalNode.class, new Node(state), null);

            ServiceTracker<NodeCredentials, NodeCredentials> creds = new ServiceTracker<>(system,
                    system.createFilter("(&(objectClass=" + NodeCredentials.class.getName() + ")(" + NodeCredentials.ROLE + "=manager))"),
                    null);
            creds.open();
            NodeCredentials c = creds.waitForService(TimeUnit.SECONDS.toMillis(30));
            assertNotNull(c, "NodeCredentials registered with swarmlet.role=manager");
            assertEquals(NodeRole.MANAGER, c.role());
            assertEquals("itnode0000000000000000001", c.nodeId());
            long minutes = Duration.between(Instant.now(), c.certificate().getNotAfter().toInstant()).toMinutes();
            assertTrue(minutes >= 298 && minutes <= 300, "swarmlet.cert.expiry honoured: " + minutes);
            assertTrue(Files.exists(state.resolve("certificates/swarm-root-ca.key")));
            assertEquals(32, Files.size(state.resolve("certificates/swarm-dek")), "swarm init makes the data key");

            ServiceTracker<CertificateAuthority, CertificateAuthority> authority =
                    new ServiceTracker<>(system, CertificateAuthority.class, null);
            authority.open();
            CertificateAuthority a = authority.waitForService(TimeUnit.SECONDS.toMillis(30));
            assertNotNull(a, "the CA is active on a manager");
            assertEquals(50, a.rootDigest().length());
            assertEquals(c.rootCertificate(), a.rootCertificate());

            // all: this test sees another io.grpc (the class path's) than the bundles do
            ServiceReference<?>[] grpc = system.getAllServiceReferences("io.grpc.BindableService", "(swarmlet.remote.api=ca)");
            assertNotNull(grpc, "the NodeCA service is registered for the remote API's server");
            assertEquals(1, grpc.length);
            assertNotNull(system.getService(grpc[0]), "and it activates");

            assertNull(Security.getProvider("BC"), "BouncyCastle is never a JCA provider");
            authority.close();
            creds.close();

            ca.stop();
            assertNull(system.getServiceReference(NodeCredentials.class));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (renewalThreadAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(!renewalThreadAlive(), "the renewal timer stops with the bundle");
        }
    }

    private static boolean renewalThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("swarmlet-cert-renewal"));
    }
}
