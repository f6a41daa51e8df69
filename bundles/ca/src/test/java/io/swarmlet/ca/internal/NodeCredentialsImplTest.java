package io.swarmlet.ca.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.security.NodeCertificates;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.ca.join.JoinClient;
import io.swarmlet.ca.join.JoinResult;
import io.swarmlet.ca.pki.Pki;
import io.swarmlet.ca.pki.StateDir;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeCredentialsImplTest {

    @TempDir
    Path tmp;

    private static String perms(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void firstManagerBootstrapsTheRootCaAndKeepsItAcrossRestarts() throws Exception {
        TestCluster.TestNode node = new TestCluster.TestNode("node00000000000000000000001", "cluster00000000000000000001",
                tmp.resolve("state"), "127.0.0.1:1");
        NodeCredentialsImpl.Settings settings = new NodeCredentialsImpl.Settings(Duration.ofHours(10), 2.0 / 3.0,
                Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5));
        NodeCredentialsImpl creds = new NodeCredentialsImpl(node, settings, r -> {});
        creds.start();
        try {
            Path dir = StateDir.certificates(node.stateDir());
            assertEquals("rw-------", perms(dir.resolve(StateDir.ROOT_KEY)));
            assertEquals("rw-------", perms(dir.resolve(StateDir.NODE_KEY)));
            assertEquals("rw-------", perms(StateDir.dataKeyFile(node.stateDir())));
            assertEquals(32, Files.size(StateDir.dataKeyFile(node.stateDir())));
            assertTrue(Files.exists(dir.resolve(StateDir.ROOT_CERT)));
            assertEquals(NodeRole.MANAGER, creds.role());
            assertEquals(node.nodeId(), creds.nodeId());
            assertEquals(node.clusterId(), creds.clusterId());
            X509Certificate cert = creds.certificate();
            assertEquals(NodeRole.MANAGER, NodeCertificates.role(cert));
            Pki.verifyIssuedBy(cert, creds.rootCertificate());
            long minutes = Duration.between(Instant.now(), cert.getNotAfter().toInstant()).toMinutes();
            assertTrue(minutes >= 598 && minutes <= 600, "--cert-expiry honoured: " + minutes);
            assertEquals(cert, creds.keyManager().getCertificateChain(creds.keyManager().chooseEngineServerAlias("EC", null, null))[0]);
            creds.managerTrustManager().checkClientTrusted(new X509Certificate[] {cert}, "EC");
        } finally {
            creds.stop();
        }

        NodeCredentialsImpl again = new NodeCredentialsImpl(node, settings, r -> {});
        again.start();
        try {
            assertEquals(creds.rootCertificate(), again.rootCertificate(), "the same root CA after a restart");
            assertEquals(creds.certificate(), again.certificate());
        } finally {
            again.stop();
        }
        byte[] key = Files.readAllBytes(StateDir.dataKeyFile(node.stateDir()));

        // a state dir of an older build has no data key: a manager gets a new one
        Files.delete(StateDir.dataKeyFile(node.stateDir()));
        NodeCredentialsImpl legacy = new NodeCredentialsImpl(node, settings, r -> {});
        legacy.start();
        try {
            assertEquals(32, Files.size(StateDir.dataKeyFile(node.stateDir())));
            assertFalse(java.util.Arrays.equals(key, Files.readAllBytes(StateDir.dataKeyFile(node.stateDir()))));
        } finally {
            legacy.stop();
        }
    }

    @Test
    void aJoinedManagerWithoutItsDataKeyFetchesItBeforeItStarts() throws Exception {
        try (TestCluster cluster = new TestCluster(tmp.resolve("cluster"))) {
            JoinResult joined = JoinClient.join(cluster.addr, cluster.managerToken(), "mgmt-02", "127.0.0.1:7000",
                    TestCluster.TIMEOUT);
            TestCluster.TestNode node = new TestCluster.TestNode(joined.nodeId(), joined.clusterId(), tmp.resolve("m"),
                    "127.0.0.1:7000");
            joined.writeTo(node.stateDir());
            // a launcher that wrote everything but the data key
            Files.delete(StateDir.dataKeyFile(node.stateDir()));
            NodeCredentialsImpl creds = new NodeCredentialsImpl(node, TestCluster.settings(), r -> {});
            creds.start();
            try {
                assertEquals(NodeRole.MANAGER, creds.role());
                assertArrayEquals(cluster.dataKey, Files.readAllBytes(StateDir.dataKeyFile(node.stateDir())));
            } finally {
                creds.stop();
            }
        }
    }

    @Test
    void aWorkerWithoutCertificatesDoesNotMakeItsOwnCa() throws Exception {
        TestCluster.TestNode node = new TestCluster.TestNode("node00000000000000000000002", "cluster00000000000000000001",
                tmp.resolve("worker"), "127.0.0.1:1");
        StateDir.writeNodeProperties(node.stateDir(), Map.of("node.id", node.nodeId(), "cluster.id", node.clusterId(), "role", "worker"));
        NodeCredentialsImpl creds = new NodeCredentialsImpl(node, TestCluster.settings(), r -> {});
        UncheckedIOException e = assertThrows(UncheckedIOException.class, creds::start);
        assertTrue(e.getMessage().contains("join again"), e.getMessage());
        assertFalse(Files.exists(StateDir.certificates(node.stateDir()).resolve(StateDir.ROOT_KEY)));
    }

    /** What the role listener saw, and what was on disk at that moment. */
    private record Change(NodeRole role, boolean rootKeyOnDisk, boolean raftJoinOnDisk, boolean dataKeyOnDisk) {}

    @Test
    void promotionAndDemotionGoThroughRenewal() throws Exception {
        try (TestCluster cluster = new TestCluster(tmp.resolve("cluster"))) {
            JoinResult joined = JoinClient.join(cluster.addr, cluster.workerToken(), "work-01", "127.0.0.1:7000",
                    TestCluster.TIMEOUT);
            TestCluster.TestNode node = new TestCluster.TestNode(joined.nodeId(), joined.clusterId(), tmp.resolve("w"),
                    "127.0.0.1:7000");
            joined.writeTo(node.stateDir());
            Path rootKey = StateDir.certificates(node.stateDir()).resolve(StateDir.ROOT_KEY);
            Path raftJoin = node.stateDir().resolve(StateDir.RAFT_JOIN);
            Path dataKey = StateDir.dataKeyFile(node.stateDir());
            List<Change> changes = new ArrayList<>();
            NodeCredentialsImpl creds = new NodeCredentialsImpl(node, TestCluster.settings(),
                    role -> changes.add(new Change(role, Files.exists(rootKey), Files.exists(raftJoin), Files.exists(dataKey))));
            creds.start();
            try {
                assertEquals(NodeRole.WORKER, creds.role());
                assertFalse(Files.exists(rootKey));
                assertFalse(Files.exists(dataKey));

                // same role: a new certificate and key, nobody told of a change
                X509Certificate first = creds.certificate();
                creds.renew();
                assertNotEquals(first.getSerialNumber(), creds.certificate().getSerialNumber());
                assertNotEquals(first.getPublicKey(), creds.certificate().getPublicKey());
                assertEquals(List.of(), changes);
                assertPresented(creds);

                // promoted: root key and raft-join.properties are on disk before the role property changes
                cluster.setRole(node.nodeId(), NodeRole.MANAGER);
                creds.renew();
                assertEquals(NodeRole.MANAGER, creds.role());
                assertEquals(List.of(new Change(NodeRole.MANAGER, true, true, true)), changes);
                assertEquals("rw-------", perms(rootKey));
                assertEquals("rw-------", perms(dataKey));
                assertArrayEquals(cluster.dataKey, Files.readAllBytes(dataKey));
                Properties peers = new Properties();
                try (var in = Files.newInputStream(raftJoin)) {
                    peers.load(in);
                }
                assertEquals(cluster.raftAddr, peers.getProperty("peer." + cluster.managerId));
                assertEquals("manager", StateDir.readNodeProperties(node.stateDir()).getProperty("role"));
                assertPresented(creds);
                assertEquals(creds.certificate(), Pki.readCertificate(Pki.read(
                        StateDir.certificates(node.stateDir()).resolve(StateDir.NODE_CERT))));

                // demoted: the role property changes, then the root key goes
                cluster.setRole(node.nodeId(), NodeRole.WORKER);
                creds.renew();
                assertEquals(NodeRole.WORKER, creds.role());
                assertEquals(new Change(NodeRole.WORKER, true, true, true), changes.get(1));
                assertFalse(Files.exists(rootKey));
                assertFalse(Files.exists(dataKey), "a worker keeps no data key");
                assertEquals("worker", StateDir.readNodeProperties(node.stateDir()).getProperty("role"));
            } finally {
                creds.stop();
            }
        }
    }

    @Test
    void renewsByItselfBeforeExpiry() throws Exception {
        try (TestCluster cluster = new TestCluster(tmp.resolve("cluster"), Duration.ofSeconds(3))) {
            JoinResult joined = JoinClient.join(cluster.addr, cluster.workerToken(), "w", "127.0.0.1:7000", TestCluster.TIMEOUT);
            TestCluster.TestNode node = new TestCluster.TestNode(joined.nodeId(), joined.clusterId(), tmp.resolve("w"),
                    "127.0.0.1:7000");
            joined.writeTo(node.stateDir());
            NodeCredentialsImpl creds = new NodeCredentialsImpl(node, TestCluster.settings(), r -> {});
            creds.start();
            try {
                X509Certificate first = creds.certificate();
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                int renewals = 0;
                X509Certificate seen = first;
                while (renewals < 2 && System.nanoTime() < deadline) {
                    X509Certificate now = creds.certificate();
                    if (!now.equals(seen)) {
                        renewals++;
                        seen = now;
                        assertTrue(now.getNotAfter().after(first.getNotAfter()));
                    }
                    Thread.sleep(20);
                }
                assertEquals(2, renewals, "renewed twice before a 3 s certificate could expire");
                assertPresented(creds);
            } finally {
                creds.stop();
            }
        }
    }

    @Test
    void aManagerRenewsThroughItselfWhenNoOtherIsKnown() throws Exception {
        try (TestCluster cluster = new TestCluster(tmp.resolve("cluster"))) {
            X509Certificate first = cluster.credentials.certificate();
            cluster.credentials.renew(); // no managers file: its own advertise address
            assertNotEquals(first, cluster.credentials.certificate());
            assertEquals(NodeRole.MANAGER, cluster.credentials.role());
            assertEquals(List.of(), cluster.roleChanges);
        }
    }

    private static void assertPresented(NodeCredentialsImpl creds) {
        String alias = creds.keyManager().chooseEngineClientAlias(new String[] {"EC"}, null, null);
        assertEquals(creds.certificate(), creds.keyManager().getCertificateChain(alias)[0]);
        assertTrue(Pki.matches(creds.keyManager().getPrivateKey(alias), creds.certificate()));
    }
}
