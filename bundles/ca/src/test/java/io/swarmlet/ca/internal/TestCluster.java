package io.swarmlet.ca.internal;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.security.DataKey;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.testing.FreePorts;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.CAConfig;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.ClusterSpec;
import io.swarmlet.api.types.Ids;
import io.swarmlet.api.types.JoinTokens;
import io.swarmlet.api.types.ManagerStatus;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.TokenFormat;
import io.swarmlet.ca.pki.Pki;
import io.swarmlet.ca.pki.StateDir;
import io.swarmlet.grpc.Transports;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A one-manager cluster for tests: the manager's credentials bootstrapped in a
 * temporary state dir, its CA, a real one-member store holding cluster
 * "default" (with join tokens for the CA's digest) and the manager's Node, and
 * the NodeCA service on a real TLS gRPC server on 127.0.0.1.
 */
final class TestCluster implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(20);

    final String managerId = Ids.newId();
    final String clusterId;
    final String addr;
    final String raftAddr = "127.0.0.1:1";
    final TestNode managerNode;
    final NodeCredentialsImpl credentials;
    final CertificateAuthorityImpl ca;
    final SingleNodeStore single;
    final Store store;
    final NodeCAService service;
    /** The cluster's data key, as the bootstrap wrote it. */
    final byte[] dataKey;
    final Transports.Listener server;
    final List<NodeRole> roleChanges = new ArrayList<>();

    /** A LocalNode in a temporary state dir. */
    record TestNode(String nodeId, String clusterId, Path stateDir, String advertiseAddr) implements LocalNode {
        @Override public boolean bootstrapped() { return false; }
        @Override public String hostname() { return "host-" + nodeId.substring(0, 5); }
        @Override public Path controlSocket() { return stateDir.resolve("control.sock"); }
        @Override public String remoteApiAddr() { return advertiseAddr; }
        @Override public String raftAddr() { return "127.0.0.1:1"; }
        @Override public boolean manager() { return true; }
    }

    TestCluster(Path dir) throws Exception {
        this(dir, Duration.ofDays(90));
    }

    TestCluster(Path dir, Duration certExpiry) throws Exception {
        addr = "127.0.0.1:" + FreePorts.next();
        clusterId = SingleNodeStore.CLUSTER_ID;
        managerNode = new TestNode(managerId, clusterId, dir.resolve("manager"), addr);
        credentials = new NodeCredentialsImpl(managerNode, settings(), roleChanges::add);
        credentials.start();
        ca = new CertificateAuthorityImpl(credentials.rootCertificate(),
                Pki.readPrivateKey(Pki.read(StateDir.certificates(managerNode.stateDir()).resolve(StateDir.ROOT_KEY))),
                credentials.clusterId());
        single = SingleNodeStore.start(dir.resolve("store"), managerId);
        store = single.store();
        String digest = ca.rootDigest();
        store.update(tx -> {
            tx.create(Kind.CLUSTER, Cluster.newBuilder()
                    .setId(clusterId)
                    .setSpec(ClusterSpec.newBuilder()
                            .setAnnotations(Annotations.newBuilder().setName("default"))
                            .setCaConfig(CAConfig.newBuilder().setNodeCertExpiryMs(certExpiry.toMillis())))
                    .setJoinTokens(JoinTokens.newBuilder()
                            .setWorker(TokenFormat.newToken(digest))
                            .setManager(TokenFormat.newToken(digest)))
                    .build());
            tx.create(Kind.NODE, Node.newBuilder()
                    .setId(managerId)
                    .setSpec(NodeSpec.newBuilder().setDesiredRole(NodeRole.MANAGER))
                    .setRole(NodeRole.MANAGER)
                    .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.READY).setAddr(addr))
                    .setManagerStatus(ManagerStatus.newBuilder().setRaftId(managerId).setAddr(raftAddr).setLeader(true))
                    .build());
        });
        dataKey = Files.readAllBytes(StateDir.dataKeyFile(managerNode.stateDir()));
        service = new NodeCAService(store, ca, managerNode, new FixedDataKey(dataKey));
        server = Transports.serveTls(addr, "test-ca", List.of(service.bindService()),
                credentials.keyManager(), credentials.trustManager());
    }

    /** The DataKey service of an unlocked manager, as far as the CA uses it. */
    record FixedDataKey(byte[] key) implements DataKey {
        @Override public byte[] seal(byte[] plain, byte[] associatedData) { throw new UnsupportedOperationException(); }
        @Override public byte[] open(byte[] sealed, byte[] associatedData) { throw new UnsupportedOperationException(); }
        @Override public byte[] export() { return key.clone(); }
    }

    static NodeCredentialsImpl.Settings settings() {
        return new NodeCredentialsImpl.Settings(Duration.ofDays(90), 2.0 / 3.0, Duration.ofMillis(200),
                Duration.ofSeconds(2), Duration.ofSeconds(10));
    }

    Cluster cluster() {
        return store.view(tx -> tx.byName(Kind.CLUSTER, "default").orElseThrow());
    }

    String workerToken() {
        return cluster().getJoinTokens().getWorker();
    }

    String managerToken() {
        return cluster().getJoinTokens().getManager();
    }

    void updateCluster(UnaryOperator<Cluster> change) {
        store.update(tx -> tx.update(Kind.CLUSTER, change.apply(tx.byName(Kind.CLUSTER, "default").orElseThrow())));
    }

    Node node(String id) {
        return store.view(tx -> tx.get(Kind.NODE, id).orElseThrow());
    }

    void setRole(String id, NodeRole role) {
        store.update(tx -> tx.update(Kind.NODE, tx.get(Kind.NODE, id).orElseThrow().toBuilder().setRole(role).build()));
    }

    int nodeCount() {
        return store.view(tx -> tx.all(Kind.NODE).size());
    }

    @Override
    public void close() {
        server.close();
        single.close();
        credentials.stop();
    }
}
