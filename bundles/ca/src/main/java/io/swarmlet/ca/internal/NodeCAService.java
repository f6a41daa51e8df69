package io.swarmlet.ca.internal;

import com.google.protobuf.ByteString;
import io.grpc.BindableService;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.swarmlet.api.grpc.NodeCAGrpc;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.remote.GetRootCACertificateRequest;
import io.swarmlet.api.remote.GetRootCACertificateResponse;
import io.swarmlet.api.remote.IssueNodeCertificateRequest;
import io.swarmlet.api.remote.IssueNodeCertificateResponse;
import io.swarmlet.api.remote.RemoteManager;
import io.swarmlet.api.remote.RenewNodeCertificateRequest;
import io.swarmlet.api.security.CertificateAuthority;
import io.swarmlet.api.security.DataKey;
import io.swarmlet.api.security.Keyring;
import io.swarmlet.api.security.NodeCertificates;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.Ids;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.grpc.PeerIdentity;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The NodeCA gRPC service (SwarmKit's NodeCA): every node registers it, the
 * remote API's TLS server serves it (it picks up every {@link BindableService}
 * with a {@code swarmlet.remote.api} property); only a manager (one with a
 * {@link CertificateAuthority} and a {@link Store}) answers, others say
 * UNAVAILABLE.
 * <ul>
 * <li>GetRootCACertificate: the root CA certificate (no client certificate needed).</li>
 * <li>IssueNodeCertificate: a node joining with a token (no client certificate
 * yet). The token must be the cluster's current worker or manager token; the
 * manager records a new Node (desired role and role from the token, accepted,
 * active) and signs the CSR for it. A node that says it runs the worker-only
 * distribution ({@code worker_only}) is refused a manager token
 * (FAILED_PRECONDITION), and nothing is recorded.</li>
 * <li>RenewNodeCertificate: with the node's current certificate (mutual TLS);
 * the certificate says which node, the store says which role; a node removed
 * from the store cannot renew.</li>
 * </ul>
 * Both answers carry the cluster's data key ({@code data_key}, from the
 * {@link DataKey} service) when the role is manager, never for a worker. A
 * locked manager (autolock: no DataKey until {@code swarm unlock}) refuses
 * with FAILED_PRECONDITION {@value #LOCKED}.
 */
@Component(service = BindableService.class, property = NodeCAService.REMOTE_API_PROPERTY + "=ca")
public class NodeCAService extends NodeCAGrpc.NodeCAImplBase {

    /** Service property by which the remote API's server finds the services it serves. */
    static final String REMOTE_API_PROPERTY = "swarmlet.remote.api";
    static final String CLUSTER_NAME = "default";
    static final Duration DEFAULT_EXPIRY = Duration.ofDays(90);

    /** The answer to a manager token from a node that runs the worker-only distribution. */
    static final String WORKER_ONLY_MANAGER_TOKEN = "this node runs the worker-only distribution and cannot join as a"
            + " manager: use the worker join token";

    /** The answer of a locked manager (it has no data key to hand out, and no store). */
    static final String LOCKED = "this manager is locked; unlock it (swarmlet swarm unlock) or join through another manager";

    private static final Logger LOG = LogManager.getLogger(NodeCAService.class);

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Store store;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile CertificateAuthority ca;

    /** Present while this manager is unlocked (the secrets bundle). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile DataKey dataKey;

    /** Present on managers (the secrets bundle): says whether this one is locked. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Keyring keyring;

    @Reference
    private LocalNode local;

    public NodeCAService() {}

    /** For tests outside OSGi. */
    NodeCAService(Store store, CertificateAuthority ca, LocalNode local) {
        this.store = store;
        this.ca = ca;
        this.local = local;
    }

    /** For tests outside OSGi. */
    NodeCAService(Store store, CertificateAuthority ca, LocalNode local, DataKey dataKey) {
        this(store, ca, local);
        this.dataKey = dataKey;
    }

    // ------------------------------------------------------------------ RPCs

    @Override
    public void getRootCACertificate(GetRootCACertificateRequest request, StreamObserver<GetRootCACertificateResponse> out) {
        unary(out, () -> GetRootCACertificateResponse.newBuilder().setCertificate(authority().rootCertificatePem()).build());
    }

    @Override
    public void issueNodeCertificate(IssueNodeCertificateRequest request, StreamObserver<IssueNodeCertificateResponse> out) {
        unary(out, () -> issue(request));
    }

    @Override
    public void renewNodeCertificate(RenewNodeCertificateRequest request, StreamObserver<IssueNodeCertificateResponse> out) {
        unary(out, () -> renew(request, PeerIdentity.current()));
    }

    // ------------------------------------------------------------------ implementation

    IssueNodeCertificateResponse issue(IssueNodeCertificateRequest request) {
        CertificateAuthority authority = authority();
        checkNotLocked();
        Store s = store();
        Cluster cluster = s.view(NodeCAService::cluster);
        NodeRole role = roleForToken(cluster, request.getToken());
        if (role == null) {
            LOG.warn("refused a join from {} ({}): invalid join token", request.getHostname(), request.getAdvertiseAddr());
            throw Status.PERMISSION_DENIED.withDescription("invalid join token").asRuntimeException();
        }
        if (role == NodeRole.MANAGER && request.getWorkerOnly()) {
            LOG.warn("refused a join from {} ({}): a manager token from a node of the worker-only distribution",
                    request.getHostname(), request.getAdvertiseAddr());
            throw Status.FAILED_PRECONDITION.withDescription(WORKER_ONLY_MANAGER_TOKEN).asRuntimeException();
        }
        DataKey key = role == NodeRole.MANAGER ? dataKey() : null;
        byte[] csr = request.getCsr().toByteArray();
        checkCsr(csr);
        String nodeId = Ids.newId();
        Node node = Node.newBuilder()
                .setId(nodeId)
                .setSpec(NodeSpec.newBuilder()
                        .setDesiredRole(role)
                        .setMembership(NodeSpec.Membership.ACCEPTED)
                        .setAvailability(NodeSpec.Availability.ACTIVE))
                .setRole(role)
                .setDescription(NodeDescription.newBuilder().setHostname(request.getHostname()))
                .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.UNKNOWN).setAddr(request.getAdvertiseAddr()))
                .build();
        write(s, () -> s.update(tx -> tx.create(Kind.NODE, node)));
        String cert = authority.sign(csr, nodeId, role, expiry(cluster));
        LOG.info("node {} ({}) joined as {}", nodeId, request.getHostname(), NodeCertificates.ou(role));
        return response(authority, s, nodeId, role, cert, key);
    }

    IssueNodeCertificateResponse renew(RenewNodeCertificateRequest request, X509Certificate peer) {
        if (peer == null) {
            throw Status.UNAUTHENTICATED
                    .withDescription("renewing a certificate needs the current one as TLS client certificate")
                    .asRuntimeException();
        }
        CertificateAuthority authority = authority();
        checkNotLocked();
        Store s = store();
        String nodeId = NodeCertificates.nodeId(peer);
        if (nodeId == null || nodeId.isEmpty()) {
            throw Status.PERMISSION_DENIED.withDescription("the client certificate names no node").asRuntimeException();
        }
        record Found(Cluster cluster, Optional<Node> node) {}
        Found found = s.view(tx -> new Found(cluster(tx), tx.get(Kind.NODE, nodeId)));
        if (found.node().isEmpty()) {
            throw Status.PERMISSION_DENIED.withDescription("node " + nodeId + " is not a member of the cluster").asRuntimeException();
        }
        byte[] csr = request.getCsr().toByteArray();
        checkCsr(csr);
        NodeRole role = found.node().get().getRole();
        DataKey key = role == NodeRole.MANAGER ? dataKey() : null;
        String cert = authority.sign(csr, nodeId, role, expiry(found.cluster()));
        if (role != NodeCertificates.role(peer)) {
            LOG.info("node {} renewed its certificate as {} (was {})", nodeId, NodeCertificates.ou(role),
                    NodeCertificates.ou(NodeCertificates.role(peer)));
        } else {
            LOG.debug("node {} renewed its certificate", nodeId);
        }
        return response(authority, s, nodeId, role, cert, key);
    }

    private IssueNodeCertificateResponse response(CertificateAuthority authority, Store s, String nodeId, NodeRole role,
            String cert, DataKey key) {
        IssueNodeCertificateResponse.Builder b = IssueNodeCertificateResponse.newBuilder()
                .setNodeId(nodeId)
                .setClusterId(local.clusterId())
                .setRole(role)
                .setCertificate(cert)
                .addAllManagers(s.view(NodeCAService::managers));
        if (role == NodeRole.MANAGER) {
            b.setRootCaKey(authority.rootKeyPem());
            byte[] k = key.export();
            b.setDataKey(ByteString.copyFrom(k));
            java.util.Arrays.fill(k, (byte) 0);
        }
        return b.build();
    }

    /** Every manager: node ID, remote API address (status.addr), Raft address (manager_status.addr). */
    static List<RemoteManager> managers(ReadTx tx) {
        return tx.find(Kind.NODE, n -> n.getRole() == NodeRole.MANAGER).stream()
                .map(n -> RemoteManager.newBuilder()
                        .setNodeId(n.getId())
                        .setRemoteAddr(n.getStatus().getAddr())
                        .setRaftAddr(n.getManagerStatus().getAddr())
                        .build())
                .toList();
    }

    private static Cluster cluster(ReadTx tx) {
        Optional<Cluster> c = tx.byName(Kind.CLUSTER, CLUSTER_NAME);
        if (c.isEmpty()) {
            List<Cluster> all = tx.all(Kind.CLUSTER);
            c = all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
        }
        return c.orElseThrow(() -> Status.UNAVAILABLE
                .withDescription("the cluster is not initialised yet; try again shortly").asRuntimeException());
    }

    /** The role the token grants, or null; both tokens are compared in constant time. */
    static NodeRole roleForToken(Cluster cluster, String token) {
        byte[] given = token.trim().getBytes(StandardCharsets.UTF_8);
        boolean worker = equal(given, cluster.getJoinTokens().getWorker());
        boolean manager = equal(given, cluster.getJoinTokens().getManager());
        return manager ? NodeRole.MANAGER : worker ? NodeRole.WORKER : null;
    }

    private static boolean equal(byte[] given, String expected) {
        return !expected.isEmpty() && MessageDigest.isEqual(given, expected.getBytes(StandardCharsets.UTF_8));
    }

    static Duration expiry(Cluster cluster) {
        long ms = cluster.getSpec().getCaConfig().getNodeCertExpiryMs();
        return ms > 0 ? Duration.ofMillis(ms) : DEFAULT_EXPIRY;
    }

    private static void checkCsr(byte[] csr) {
        try {
            io.swarmlet.ca.pki.Pki.csrPublicKey(csr);
        } catch (IllegalArgumentException e) {
            throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
        }
    }

    private CertificateAuthority authority() {
        CertificateAuthority a = ca;
        if (a == null) {
            throw Status.UNAVAILABLE.withDescription("this node is not a manager").asRuntimeException();
        }
        return a;
    }

    /** A locked manager answers nothing: it has no store and no data key. */
    private void checkNotLocked() {
        Keyring k = keyring;
        if (dataKey == null && k != null && k.locked()) {
            throw Status.FAILED_PRECONDITION.withDescription(LOCKED).asRuntimeException();
        }
    }

    /** The data key for a manager's answer; without it (locked, or its secrets bundle is not running) no manager is made. */
    private DataKey dataKey() {
        DataKey k = dataKey;
        if (k == null) {
            throw Status.FAILED_PRECONDITION.withDescription(LOCKED).asRuntimeException();
        }
        return k;
    }

    private Store store() {
        Store s = store;
        if (s == null) {
            throw Status.UNAVAILABLE.withDescription("this manager's store is not running yet; try again shortly").asRuntimeException();
        }
        return s;
    }

    private static void write(Store s, Runnable update) {
        try {
            update.run();
        } catch (StoreException e) {
            Status status = e.reason() == StoreException.Reason.NO_QUORUM ? Status.UNAVAILABLE : Status.INTERNAL;
            throw status.withDescription("cannot record the node: " + e.getMessage()).asRuntimeException();
        }
    }

    private static <R> void unary(StreamObserver<R> out, Supplier<R> call) {
        R response;
        try {
            response = call.get();
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        } catch (StoreException e) {
            Status status = e.reason() == StoreException.Reason.NO_QUORUM ? Status.UNAVAILABLE : Status.INTERNAL;
            out.onError(status.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (RuntimeException e) {
            LOG.error("NodeCA call failed", e);
            out.onError(Status.INTERNAL.withDescription("internal error: " + e.getMessage()).asRuntimeException());
            return;
        }
        out.onNext(response);
        out.onCompleted();
    }
}
