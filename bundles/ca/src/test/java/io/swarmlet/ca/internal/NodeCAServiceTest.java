package io.swarmlet.ca.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.swarmlet.api.grpc.NodeCAGrpc;
import io.swarmlet.api.remote.IssueNodeCertificateRequest;
import io.swarmlet.api.remote.RenewNodeCertificateRequest;
import io.swarmlet.api.security.NodeCertificates;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.testing.FreePorts;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.TokenFormat;
import io.swarmlet.ca.join.JoinClient;
import io.swarmlet.ca.join.JoinException;
import io.swarmlet.ca.join.JoinResult;
import io.swarmlet.ca.pki.ClusterTrustManager;
import io.swarmlet.ca.pki.Pki;
import io.swarmlet.ca.pki.RenewableKeyManager;
import io.swarmlet.ca.pki.StateDir;
import io.swarmlet.grpc.Transports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NodeCA service on a real TLS gRPC server with a real store, driven by
 * the JoinClient as the launcher and NodeCredentials drive it.
 */
class NodeCAServiceTest {

    @TempDir
    Path tmp;

    private TestCluster cluster;

    @BeforeEach
    void start() throws Exception {
        cluster = new TestCluster(tmp);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private JoinResult join(String token, String hostname) throws JoinException {
        return JoinClient.join(cluster.addr, token, hostname, "127.0.0.1:7000", TestCluster.TIMEOUT);
    }

    @Test
    void workerTokenJoinsAsWorker() throws Exception {
        JoinResult r = join(cluster.workerToken(), "work-01");

        assertEquals(NodeRole.WORKER, r.role());
        assertEquals(cluster.clusterId, r.clusterId());
        assertNull(r.rootKeyPem(), "a worker never gets the root key");
        assertNull(r.dataKey(), "nor the data key");
        r.writeTo(tmp.resolve("joined-worker"));
        assertFalse(Files.exists(StateDir.dataKeyFile(tmp.resolve("joined-worker"))));
        X509Certificate cert = Pki.readCertificate(r.certificatePem());
        assertEquals(r.nodeId(), NodeCertificates.nodeId(cert));
        assertEquals(NodeRole.WORKER, NodeCertificates.role(cert));
        assertEquals(cluster.clusterId, NodeCertificates.clusterId(cert));
        assertTrue(Pki.matches(Pki.readPrivateKey(r.keyPem()), cert));
        Pki.verifyIssuedBy(cert, cluster.credentials.rootCertificate());
        assertEquals(Pki.toPem(cluster.credentials.rootCertificate()), r.rootCertificatePem());
        assertEquals(List.of(new StateDir.Manager(cluster.managerId, cluster.addr, cluster.raftAddr)), r.managers());

        Node node = cluster.node(r.nodeId());
        assertEquals(NodeRole.WORKER, node.getRole());
        assertEquals(NodeRole.WORKER, node.getSpec().getDesiredRole());
        assertEquals(NodeSpec.Membership.ACCEPTED, node.getSpec().getMembership());
        assertEquals(NodeSpec.Availability.ACTIVE, node.getSpec().getAvailability());
        assertEquals(NodeStatus.State.UNKNOWN, node.getStatus().getState());
        assertEquals("127.0.0.1:7000", node.getStatus().getAddr());
        assertEquals("work-01", node.getDescription().getHostname());
    }

    @Test
    void managerTokenJoinsAsManagerWithTheRootKeyAndTheDataKey() throws Exception {
        JoinResult r = join(cluster.managerToken(), "mgmt-02");
        assertArrayEquals(cluster.dataKey, r.dataKey());
        assertFalse(r.toString().contains(java.util.Arrays.toString(r.dataKey())));

        assertEquals(NodeRole.MANAGER, r.role());
        X509Certificate cert = Pki.readCertificate(r.certificatePem());
        assertEquals(NodeRole.MANAGER, NodeCertificates.role(cert));
        assertTrue(Pki.matches(Pki.readPrivateKey(r.rootKeyPem()), cluster.credentials.rootCertificate()));
        assertEquals(NodeRole.MANAGER, cluster.node(r.nodeId()).getRole());
        assertEquals(NodeRole.MANAGER, cluster.node(r.nodeId()).getSpec().getDesiredRole());

        // what the launcher writes
        Path state = tmp.resolve("joined");
        r.writeTo(state);
        Path certs = StateDir.certificates(state);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(certs.resolve(StateDir.NODE_KEY))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(certs.resolve(StateDir.ROOT_KEY))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(StateDir.dataKeyFile(state))));
        assertArrayEquals(cluster.dataKey, Files.readAllBytes(StateDir.dataKeyFile(state)));
        assertEquals(r.certificatePem(), Pki.read(certs.resolve(StateDir.NODE_CERT)));
        assertEquals(r.rootCertificatePem(), Pki.read(certs.resolve(StateDir.ROOT_CERT)));
        Properties raftJoin = new Properties();
        try (var in = Files.newInputStream(state.resolve(StateDir.RAFT_JOIN))) {
            raftJoin.load(in);
        }
        assertEquals(cluster.raftAddr, raftJoin.getProperty("peer." + cluster.managerId));
        assertNull(raftJoin.getProperty("peer." + r.nodeId()), "the new manager is not its own peer");
        Properties node = StateDir.readNodeProperties(state);
        assertEquals(r.nodeId(), node.getProperty("node.id"));
        assertEquals(cluster.clusterId, node.getProperty("cluster.id"));
        assertEquals("manager", node.getProperty("role"));
        assertTrue(Files.readString(state.resolve(StateDir.MANAGERS)).contains(cluster.managerId + " " + cluster.addr));
    }

    @Test
    void aDataKeyFileAlreadyThereIsNotOverwritten() throws Exception {
        JoinResult r = join(cluster.managerToken(), "mgmt-04");
        Path state = tmp.resolve("joined-again");
        byte[] wrapped = new byte[76]; // e.g. wrapped by the autolock unlock key
        Pki.writeKeyFile(StateDir.dataKeyFile(state), wrapped);
        r.writeTo(state);
        assertArrayEquals(wrapped, Files.readAllBytes(StateDir.dataKeyFile(state)));
    }

    @Test
    void aManagerWithoutItsDataKeyMakesNoManagers() throws Exception {
        // locked (autolock) or its secrets bundle is not running: no DataKey service
        NodeCAService locked = new NodeCAService(cluster.store, cluster.ca, cluster.managerNode);
        int before = cluster.nodeCount();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> locked.issue(
                IssueNodeCertificateRequest.newBuilder().setToken(cluster.managerToken()).setHostname("m")
                        .setCsr(ByteString.copyFrom(Pki.csr(Pki.newKeyPair(), "m"))).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertEquals("this manager is locked; unlock it (swarmlet swarm unlock) or join through another manager",
                e.getStatus().getDescription());
        assertEquals(before, cluster.nodeCount(), "nothing recorded");
        // a worker still joins through it, and gets no key
        assertTrue(locked.issue(IssueNodeCertificateRequest.newBuilder().setToken(cluster.workerToken()).setHostname("w")
                .setCsr(ByteString.copyFrom(Pki.csr(Pki.newKeyPair(), "w"))).build()).getDataKey().isEmpty());
    }

    @Test
    void wrongTokenIsRefusedAndRecordsNothing() {
        int before = cluster.nodeCount();
        String wrong = TokenFormat.newToken(cluster.ca.rootDigest()); // right CA, wrong secret
        JoinException e = assertThrows(JoinException.class, () -> join(wrong, "intruder"));
        assertTrue(e.getMessage().contains("invalid join token"), e.getMessage());
        assertFalse(e.getMessage().contains(wrong.substring(wrong.length() - 25)), "the message never echoes the token");
        assertEquals(before, cluster.nodeCount());
    }

    @Test
    void aWorkerOnlyNodeWithTheManagerTokenIsRefusedAndRecordsNothing() {
        int before = cluster.nodeCount();
        JoinException e = assertThrows(JoinException.class, () -> JoinClient.join(cluster.addr, cluster.managerToken(),
                "wonly-01", "127.0.0.1:7004", TestCluster.TIMEOUT, true));
        assertEquals("this node runs the worker-only distribution and cannot join as a manager: use the worker join token",
                e.getMessage());
        assertEquals(before, cluster.nodeCount(), "a refused join records no node");
    }

    @Test
    void aWorkerOnlyNodeWithTheWorkerTokenJoinsAsWorker() throws Exception {
        JoinResult r = JoinClient.join(cluster.addr, cluster.workerToken(), "wonly-02", "127.0.0.1:7005",
                TestCluster.TIMEOUT, true);
        assertEquals(NodeRole.WORKER, r.role());
        assertNull(r.rootKeyPem());
        assertEquals(NodeRole.WORKER, cluster.node(r.nodeId()).getRole());
    }

    @Test
    void theLauncherEntryPointPassesWorkerOnly() {
        java.util.Map<String, String> in = new java.util.HashMap<>(java.util.Map.of("join.addr", cluster.addr,
                "join.token", cluster.managerToken(), "hostname", "wonly-03", "advertise.addr", "127.0.0.1:7006",
                "timeout", "PT20S", "worker.only", "true"));
        int before = cluster.nodeCount();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new io.swarmlet.ca.join.LauncherJoin().apply(in));
        assertTrue(e.getMessage().contains("cannot join as a manager: use the worker join token"), e.getMessage());
        assertEquals(before, cluster.nodeCount());

        in.put("join.token", cluster.workerToken());
        assertEquals("worker", new io.swarmlet.ca.join.LauncherJoin().apply(in).get("role"));
    }

    @Test
    void rotatedTokenStopsNewJoins() throws Exception {
        String old = cluster.workerToken();
        String rotated = TokenFormat.newToken(cluster.ca.rootDigest());
        cluster.updateCluster(c -> c.toBuilder().setJoinTokens(c.getJoinTokens().toBuilder().setWorker(rotated)).build());

        JoinException e = assertThrows(JoinException.class, () -> join(old, "late"));
        assertTrue(e.getMessage().contains("invalid join token"), e.getMessage());
        assertEquals(NodeRole.WORKER, join(rotated, "on-time").role());
    }

    @Test
    void malformedTokenIsRefusedBeforeAnyCall() {
        JoinException e = assertThrows(JoinException.class, () -> join("SWMTKN-1-nope", "x"));
        assertTrue(e.getMessage().startsWith("invalid join token format"), e.getMessage());
    }

    @Test
    void managerOfAnotherCaIsRefused() throws Exception {
        // another cluster's manager: its own root CA
        TestCluster.TestNode other = new TestCluster.TestNode("othernode0000000000000001", "othercluster0000000000001",
                tmp.resolve("other"), "127.0.0.1:" + FreePorts.next());
        NodeCredentialsImpl otherCreds = new NodeCredentialsImpl(other, TestCluster.settings(), r -> {});
        otherCreds.start();
        CertificateAuthorityImpl otherCa = new CertificateAuthorityImpl(otherCreds.rootCertificate(),
                Pki.readPrivateKey(Pki.read(StateDir.certificates(other.stateDir()).resolve(StateDir.ROOT_KEY))), other.clusterId());
        try (Transports.Listener fake = Transports.serveTls(other.advertiseAddr(), "test-fake",
                List.of(new NodeCAService(null, otherCa, other).bindService()), otherCreds.keyManager(), otherCreds.trustManager())) {
            JoinException e = assertThrows(JoinException.class, () -> JoinClient.join(other.advertiseAddr(),
                    cluster.workerToken(), "w", "127.0.0.1:7000", TestCluster.TIMEOUT));
            assertTrue(e.getMessage().contains("presented a root CA certificate that does not match the join token"), e.getMessage());
            assertTrue(e.getMessage().contains(other.advertiseAddr()), e.getMessage());
        } finally {
            otherCreds.stop();
        }
    }

    @Test
    void unreachableManagerSaysSo() throws Exception {
        String nowhere = "127.0.0.1:" + FreePorts.next();
        JoinException e = assertThrows(JoinException.class,
                () -> JoinClient.join(nowhere, cluster.workerToken(), "w", "127.0.0.1:7000", Duration.ofSeconds(5)));
        assertTrue(e.getMessage().startsWith("cannot reach the manager at " + nowhere + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("--join-addr"), e.getMessage());
    }

    @Test
    void aNodeThatIsNotAManagerSaysSo() throws Exception {
        TestCluster.TestNode worker = new TestCluster.TestNode("workernode000000000000001", cluster.clusterId,
                tmp.resolve("w"), "127.0.0.1:" + FreePorts.next());
        try (Transports.Listener w = Transports.serveTls(worker.advertiseAddr(), "test-worker",
                List.of(new NodeCAService(null, null, worker).bindService()),
                cluster.credentials.keyManager(), cluster.credentials.trustManager())) {
            JoinException e = assertThrows(JoinException.class, () -> JoinClient.join(worker.advertiseAddr(),
                    cluster.workerToken(), "w", "127.0.0.1:7000", TestCluster.TIMEOUT));
            assertTrue(e.getMessage().contains("this node is not a manager"), e.getMessage());
        }
    }

    @Test
    void aServerWithAWorkerCertificateCannotIssue() throws Exception {
        JoinResult w = join(cluster.workerToken(), "w");
        RenewableKeyManager workerKeys = new RenewableKeyManager(Pki.readPrivateKey(w.keyPem()), Pki.readCertificate(w.certificatePem()));
        String a = "127.0.0.1:" + FreePorts.next();
        try (Transports.Listener l = Transports.serveTls(a, "test-worker-cert", List.of(cluster.service.bindService()),
                workerKeys, cluster.credentials.trustManager())) {
            JoinException e = assertThrows(JoinException.class,
                    () -> JoinClient.join(a, cluster.workerToken(), "x", "127.0.0.1:7001", TestCluster.TIMEOUT));
            assertTrue(e.getMessage().startsWith("TLS with the manager at " + a + " failed"), e.getMessage());
        }
    }

    @Test
    void renewalNeedsAClientCertificate() {
        ManagedChannel ch = Transports.tlsChannel(cluster.addr, null,
                ClusterTrustManager.managers(cluster.credentials.rootCertificate()), JoinClient.MANAGER_AUTHORITY);
        try {
            KeyPair kp = Pki.newKeyPair();
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> NodeCAGrpc.newBlockingStub(ch)
                    .withDeadlineAfter(20, TimeUnit.SECONDS)
                    .renewNodeCertificate(RenewNodeCertificateRequest.newBuilder()
                            .setCsr(ByteString.copyFrom(Pki.csr(kp, "x"))).build()));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void renewalIssuesTheRoleTheStoreHoldsAndRefusesRemovedNodes() throws Exception {
        JoinResult w = join(cluster.workerToken(), "w");
        X509Certificate root = cluster.credentials.rootCertificate();
        RenewableKeyManager keys = new RenewableKeyManager(Pki.readPrivateKey(w.keyPem()), Pki.readCertificate(w.certificatePem()));

        // unchanged role: a fresh worker certificate for a new key
        KeyPair k1 = Pki.newKeyPair();
        JoinClient.Issued same = JoinClient.renew(cluster.addr, keys, root, Pki.csr(k1, w.nodeId()), k1.getPublic(), TestCluster.TIMEOUT);
        assertEquals(NodeRole.WORKER, same.role());
        assertNull(same.rootKeyPem());
        assertNull(same.dataKey());
        assertEquals(k1.getPublic(), Pki.readCertificate(same.certificatePem()).getPublicKey());

        // promoted in the store: the renewal makes it a manager, with the root key
        cluster.setRole(w.nodeId(), NodeRole.MANAGER);
        KeyPair k2 = Pki.newKeyPair();
        JoinClient.Issued promoted = JoinClient.renew(cluster.addr, keys, root, Pki.csr(k2, w.nodeId()), k2.getPublic(), TestCluster.TIMEOUT);
        assertEquals(NodeRole.MANAGER, promoted.role());
        assertEquals(NodeRole.MANAGER, NodeCertificates.role(Pki.readCertificate(promoted.certificatePem())));
        assertTrue(Pki.matches(Pki.readPrivateKey(promoted.rootKeyPem()), root));
        assertArrayEquals(cluster.dataKey, promoted.dataKey());
        assertTrue(promoted.managers().stream().anyMatch(m -> m.nodeId().equals(cluster.managerId)));

        // removed from the cluster: no more certificates, whatever it holds
        cluster.store.update(tx -> tx.delete(Kind.NODE, w.nodeId()));
        KeyPair k3 = Pki.newKeyPair();
        JoinException e = assertThrows(JoinException.class,
                () -> JoinClient.renew(cluster.addr, keys, root, Pki.csr(k3, w.nodeId()), k3.getPublic(), TestCluster.TIMEOUT));
        assertTrue(e.getMessage().contains("node " + w.nodeId() + " is not a member of the cluster"), e.getMessage());
    }

    @Test
    void aCertificateOfAnotherCaCannotRenew() throws Exception {
        Pki.RootCa foreign = Pki.newRootCa();
        KeyPair kp = Pki.newKeyPair();
        X509Certificate forged = Pki.issue(kp.getPublic(), foreign.certificate(), foreign.key(), cluster.managerId,
                NodeRole.MANAGER, cluster.clusterId, Duration.ofHours(1));
        RenewableKeyManager keys = new RenewableKeyManager(kp.getPrivate(), forged);
        KeyPair next = Pki.newKeyPair();
        assertThrows(JoinException.class, () -> JoinClient.renew(cluster.addr, keys, cluster.credentials.rootCertificate(),
                Pki.csr(next, "x"), next.getPublic(), TestCluster.TIMEOUT));
    }

    @Test
    void certificatesLastAsLongAsTheClusterSays() throws Exception {
        cluster.updateCluster(c -> c.toBuilder().setSpec(c.getSpec().toBuilder()
                .setCaConfig(c.getSpec().getCaConfig().toBuilder().setNodeCertExpiryMs(Duration.ofHours(5).toMillis()))).build());
        Instant before = Instant.now();
        X509Certificate cert = Pki.readCertificate(join(cluster.workerToken(), "w").certificatePem());
        Instant after = Instant.now();
        Instant notAfter = cert.getNotAfter().toInstant();
        assertTrue(!notAfter.isBefore(before.plus(Duration.ofHours(5)).minusSeconds(1))
                && !notAfter.isAfter(after.plus(Duration.ofHours(5)).plusSeconds(1)), notAfter.toString());
        assertTrue(cert.getNotBefore().toInstant().isBefore(before.minusSeconds(50)), "backdated a minute");
    }

    @Test
    void launcherEntryPointSpeaksStrings() {
        java.util.Map<String, String> in = new java.util.HashMap<>(java.util.Map.of("join.addr", cluster.addr,
                "join.token", cluster.managerToken(), "hostname", "mgmt-03", "advertise.addr", "127.0.0.1:7003",
                "timeout", "PT20S"));
        java.util.Map<String, String> out = new io.swarmlet.ca.join.LauncherJoin().apply(in);
        assertEquals("manager", out.get("role"));
        assertEquals(cluster.clusterId, out.get("cluster.id"));
        X509Certificate cert = Pki.readCertificate(out.get("cert.pem"));
        assertEquals(out.get("node.id"), NodeCertificates.nodeId(cert));
        assertTrue(Pki.matches(Pki.readPrivateKey(out.get("key.pem")), cert));
        assertTrue(Pki.matches(Pki.readPrivateKey(out.get("root.key.pem")), Pki.readCertificate(out.get("root.pem"))));
        assertArrayEquals(cluster.dataKey, java.util.Base64.getDecoder().decode(out.get("data.key")));
        assertTrue(out.get("managers").contains(cluster.managerId + " " + cluster.addr + " " + cluster.raftAddr + "\n"),
                out.get("managers"));

        in.put("join.token", TokenFormat.newToken(cluster.ca.rootDigest()));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new io.swarmlet.ca.join.LauncherJoin().apply(in));
        assertTrue(e.getMessage().contains("invalid join token"), e.getMessage());
    }

    @Test
    void rootCertificateIsServedToAnyone() throws Exception {
        JoinResult r = join(cluster.workerToken(), "w");
        assertEquals(cluster.ca.rootDigest(), Pki.digest(Pki.readCertificate(r.rootCertificatePem())));
        assertNotEquals(r.nodeId(), cluster.managerId);
        assertNotNull(r.toString());
        assertFalse(r.toString().contains("PRIVATE KEY"), "toString leaves the keys out");
    }
}
