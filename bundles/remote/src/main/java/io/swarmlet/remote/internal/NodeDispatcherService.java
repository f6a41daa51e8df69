package io.swarmlet.remote.internal;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.swarmlet.api.dispatcher.Assignments;
import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.dispatcher.LogProvider;
import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.grpc.NodeDispatcherGrpc;
import io.swarmlet.api.remote.AssignmentsRequest;
import io.swarmlet.api.remote.AssignmentsResponse;
import io.swarmlet.api.remote.CloseSessionRequest;
import io.swarmlet.api.remote.CloseSessionResponse;
import io.swarmlet.api.remote.HeartbeatRequest;
import io.swarmlet.api.remote.HeartbeatResponse;
import io.swarmlet.api.remote.MeshRoutesRequest;
import io.swarmlet.api.remote.MeshRoutesResponse;
import io.swarmlet.api.remote.OpenSessionRequest;
import io.swarmlet.api.remote.OpenSessionResponse;
import io.swarmlet.api.remote.PluginJarRequest;
import io.swarmlet.api.remote.PluginJarResponse;
import io.swarmlet.api.remote.PluginsRequest;
import io.swarmlet.api.remote.PluginsResponse;
import io.swarmlet.api.remote.RemoteManager;
import io.swarmlet.api.remote.ReportMeshRequest;
import io.swarmlet.api.remote.ReportMeshResponse;
import io.swarmlet.api.remote.ReportPluginsRequest;
import io.swarmlet.api.remote.ReportPluginsResponse;
import io.swarmlet.api.remote.UpdateTaskStatusRequest;
import io.swarmlet.api.remote.UpdateTaskStatusResponse;
import io.swarmlet.api.security.NodeCertificates;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.Plugin;
import io.swarmlet.api.types.PluginSet;
import io.swarmlet.grpc.PeerIdentity;
import io.swarmlet.spi.executor.LogSource;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The leader's dispatcher over gRPC (SwarmKit's Dispatcher service): each
 * call is made by the node named in the caller's certificate (CN) and is
 * handed to the local {@link Dispatcher}, which is there only while this
 * manager leads. Elsewhere every call fails with FAILED_PRECONDITION and the
 * leader's address in the {@value #LEADER_ADDR} trailer, if it is known.
 *
 * <p>Sessions are kept by a random ID; one that the dispatcher ended (a newer
 * session of the same node, the dispatcher stopped with leadership) answers
 * NOT_FOUND, which tells the agent to open a new one.
 *
 * <p>The routing mesh's calls (MeshRoutes, ReportMesh) and the cluster
 * plugins' (Plugins, PluginJar, ReportPlugins) need no session: any node of
 * the cluster may make them, as itself.
 */
final class NodeDispatcherService extends NodeDispatcherGrpc.NodeDispatcherImplBase {

    /** Trailer: the leader's remote API address, host:port. */
    static final String LEADER_ADDR = "swarmlet-leader";
    /** Trailer: the leader's node ID. */
    static final String LEADER_ID = "swarmlet-leader-id";
    static final Metadata.Key<String> LEADER_ADDR_KEY = Metadata.Key.of(LEADER_ADDR, Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> LEADER_ID_KEY = Metadata.Key.of(LEADER_ID, Metadata.ASCII_STRING_MARSHALLER);

    static final String NOT_LEADER = "this manager is not the leader";
    /** Longest wait of one Assignments or MeshRoutes call. */
    static final long MAX_POLL_MS = 30_000;

    private static final Logger LOG = LogManager.getLogger(NodeDispatcherService.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private record Entry(String id, String nodeId, Dispatcher dispatcher, Session session) {}

    private final Locals locals;
    private final Channels channels;
    private final Map<String, Entry> sessions = new ConcurrentHashMap<>();

    NodeDispatcherService(Locals locals, Channels channels) {
        this.locals = locals;
        this.channels = channels;
    }

    /** The local dispatcher went away (leadership lost) or changed: its sessions are over. */
    void dispatcherGone(Dispatcher d) {
        sessions.values().removeIf(e -> e.dispatcher() == d);
    }

    /** How many sessions are open (tests). */
    int sessionCount() {
        return sessions.size();
    }

    // ------------------------------------------------------------ the calls

    @Override
    public void openSession(OpenSessionRequest request, StreamObserver<OpenSessionResponse> out) {
        String nodeId = caller(out);
        if (nodeId == null) {
            return;
        }
        Dispatcher d = locals.localDispatcher();
        if (d == null) {
            notLeader(out);
            return;
        }
        if (nodeId.equals(locals.nodeId())) {
            // this manager's own agent takes the local dispatcher (its Dispatcher service ranks higher)
            Metadata trailers = new Metadata();
            trailers.put(LEADER_ID_KEY, nodeId);
            out.onError(Status.FAILED_PRECONDITION.withDescription("node " + nodeId
                    + " leads the cluster: its agent uses the local dispatcher").asRuntimeException(trailers));
            return;
        }
        if (!known(nodeId)) {
            out.onError(Status.NOT_FOUND.withDescription("unknown node " + nodeId
                    + " (removed from the cluster? join it again)").asRuntimeException());
            return;
        }
        String addr = Managers.hasPort(request.getAddr()) ? request.getAddr() : storeAddr(nodeId);
        Session session;
        try {
            session = d.open(nodeId, request.getDescription());
            session.setLogProvider(new NodeLogs(nodeId, addr));
        } catch (IllegalStateException e) {
            LOG.debug("node {} cannot open a session: {}", nodeId, e.getMessage());
            notLeader(out); // the dispatcher stopped meanwhile: leadership moved
            return;
        } catch (RuntimeException e) {
            internal(out, "open a session", e);
            return;
        }
        String id = newId();
        sessions.values().removeIf(e -> e.nodeId().equals(nodeId)); // the dispatcher replaced them
        sessions.put(id, new Entry(id, nodeId, d, session));
        LOG.debug("node {} opened session {} (logs at {})", nodeId, id, addr);
        out.onNext(OpenSessionResponse.newBuilder().setSessionId(id)
                .setHeartbeatPeriodMs(session.heartbeatPeriod().toMillis()).addAllManagers(managers()).build());
        out.onCompleted();
    }

    @Override
    public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
        Entry e = entry(request.getSessionId(), out);
        if (e == null) {
            return;
        }
        try {
            e.session().heartbeat();
        } catch (IllegalStateException ex) {
            ended(e, out);
            return;
        } catch (RuntimeException ex) {
            internal(out, "heartbeat", ex);
            return;
        }
        out.onNext(HeartbeatResponse.newBuilder().setHeartbeatPeriodMs(e.session().heartbeatPeriod().toMillis())
                .addAllManagers(managers()).setRole(role(e.nodeId())).build());
        out.onCompleted();
    }

    @Override
    public void assignments(AssignmentsRequest request, StreamObserver<AssignmentsResponse> out) {
        Entry e = entry(request.getSessionId(), out);
        if (e == null) {
            return;
        }
        long ms = Math.max(0, Math.min(MAX_POLL_MS, request.getTimeoutMs()));
        Assignments a;
        try {
            a = e.session().assignments(request.getAfterVersion(), Duration.ofMillis(ms));
        } catch (IllegalStateException ex) {
            ended(e, out);
            return;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            out.onError(Status.CANCELLED.withDescription("stopping").asRuntimeException());
            return;
        } catch (RuntimeException ex) {
            internal(out, "assignments", ex);
            return;
        }
        AssignmentsResponse.Builder b = AssignmentsResponse.newBuilder();
        if (a != null) {
            // secrets in clear: only over this mutual-TLS channel, to the node that runs the tasks; never logged
            b.setChanged(true).setVersion(a.version()).addAllTasks(a.tasks())
                    .addAllSecrets(a.secrets()).addAllConfigs(a.configs());
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void updateTaskStatus(UpdateTaskStatusRequest request, StreamObserver<UpdateTaskStatusResponse> out) {
        Entry e = entry(request.getSessionId(), out);
        if (e == null) {
            return;
        }
        try {
            e.session().updateTaskStatus(request.getStatusesMap());
        } catch (IllegalStateException ex) {
            ended(e, out);
            return;
        } catch (RuntimeException ex) {
            internal(out, "task status", ex);
            return;
        }
        out.onNext(UpdateTaskStatusResponse.getDefaultInstance());
        out.onCompleted();
    }

    @Override
    public void closeSession(CloseSessionRequest request, StreamObserver<CloseSessionResponse> out) {
        String nodeId = caller(out);
        if (nodeId == null) {
            return;
        }
        Entry e = sessions.get(request.getSessionId());
        if (e != null && e.nodeId().equals(nodeId) && sessions.remove(e.id(), e)) {
            try {
                e.session().close();
            } catch (RuntimeException ex) {
                LOG.debug("closing session {} of node {}: {}", e.id(), nodeId, ex.toString());
            }
        }
        // closing a session that is gone already is no error
        out.onNext(CloseSessionResponse.getDefaultInstance());
        out.onCompleted();
    }

    @Override
    public void meshRoutes(MeshRoutesRequest request, StreamObserver<MeshRoutesResponse> out) {
        long ms = Math.max(0, Math.min(MAX_POLL_MS, request.getTimeoutMs()));
        atLeader(out, "mesh routes", (d, nodeId) -> {
            MeshRoutes routes = d.meshRoutes(request.getAfterVersion(), Duration.ofMillis(ms));
            MeshRoutesResponse.Builder b = MeshRoutesResponse.newBuilder();
            return routes == null ? b.build() : b.setChanged(true).setRoutes(routes).build();
        });
    }

    @Override
    public void reportMesh(ReportMeshRequest request, StreamObserver<ReportMeshResponse> out) {
        atLeader(out, "mesh status", (d, nodeId) -> {
            d.reportMesh(nodeId, request.getStatus());
            return ReportMeshResponse.getDefaultInstance();
        });
    }

    @Override
    public void plugins(PluginsRequest request, StreamObserver<PluginsResponse> out) {
        long ms = Math.max(0, Math.min(MAX_POLL_MS, request.getTimeoutMs()));
        atLeader(out, "plugins", (d, nodeId) -> {
            PluginSet set = d.plugins(request.getAfterVersion(), Duration.ofMillis(ms));
            PluginsResponse.Builder b = PluginsResponse.newBuilder();
            return set == null ? b.build() : b.setChanged(true).setPlugins(set).build();
        });
    }

    @Override
    public void pluginJar(PluginJarRequest request, StreamObserver<PluginJarResponse> out) {
        atLeader(out, "plugin jar", (d, nodeId) -> {
            Plugin p = d.pluginJar(request.getPluginId());
            if (p == null) {
                throw Status.NOT_FOUND.withDescription("no cluster plugin " + request.getPluginId() + " (removed?)")
                        .asRuntimeException();
            }
            LOG.debug("node {} fetched the jar of plugin {} ({} bytes)", nodeId, p.getId(), p.getJar().size());
            return PluginJarResponse.newBuilder().setPlugin(p).build();
        });
    }

    @Override
    public void reportPlugins(ReportPluginsRequest request, StreamObserver<ReportPluginsResponse> out) {
        atLeader(out, "plugin states", (d, nodeId) -> {
            d.reportPlugins(nodeId, request.getPluginsList());
            return ReportPluginsResponse.getDefaultInstance();
        });
    }

    /** A call that needs this manager's dispatcher (the leader's) but no session. */
    private interface LeaderCall<R> {
        R call(Dispatcher dispatcher, String nodeId) throws InterruptedException;
    }

    /**
     * Runs a sessionless call on the local dispatcher for the caller's node:
     * FAILED_PRECONDITION with the leader hint when this manager does not lead
     * or its dispatcher stopped meanwhile (IllegalStateException: leadership
     * moved), CANCELLED when interrupted, a status the call throws as is, else
     * INTERNAL.
     */
    private <R> void atLeader(StreamObserver<R> out, String what, LeaderCall<R> call) {
        String nodeId = caller(out);
        if (nodeId == null) {
            return;
        }
        Dispatcher d = locals.localDispatcher();
        if (d == null) {
            notLeader(out);
            return;
        }
        R answer;
        try {
            answer = call.call(d, nodeId);
        } catch (io.grpc.StatusRuntimeException ex) {
            out.onError(ex);
            return;
        } catch (IllegalStateException ex) {
            LOG.debug("{} for node {}: {}", what, nodeId, ex.getMessage());
            notLeader(out);
            return;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            out.onError(Status.CANCELLED.withDescription("stopping").asRuntimeException());
            return;
        } catch (RuntimeException ex) {
            internal(out, what, ex);
            return;
        }
        out.onNext(answer);
        out.onCompleted();
    }

    // ------------------------------------------------------------ helpers

    /** The caller's node ID, from its verified certificate; null after failing the call without one. */
    private static String caller(StreamObserver<?> out) {
        X509Certificate cert = PeerIdentity.current();
        String id = cert == null ? null : NodeCertificates.nodeId(cert);
        if (id == null || id.isEmpty()) {
            out.onError(Status.UNAUTHENTICATED.withDescription("a node certificate of this cluster is required")
                    .asRuntimeException());
            return null;
        }
        return id;
    }

    /** The caller's open session with the current dispatcher; null after failing the call. */
    private Entry entry(String sessionId, StreamObserver<?> out) {
        String nodeId = caller(out);
        if (nodeId == null) {
            return null;
        }
        Dispatcher d = locals.localDispatcher();
        if (d == null) {
            notLeader(out);
            return null;
        }
        Entry e = sessions.get(sessionId);
        if (e == null || !e.nodeId().equals(nodeId) || e.dispatcher() != d) {
            if (e != null && e.dispatcher() != d) {
                sessions.remove(sessionId, e);
            }
            out.onError(notOpen(sessionId));
            return null;
        }
        return e;
    }

    private void ended(Entry e, StreamObserver<?> out) {
        sessions.remove(e.id(), e);
        out.onError(notOpen(e.id()));
    }

    private static io.grpc.StatusRuntimeException notOpen(String sessionId) {
        return Status.NOT_FOUND.withDescription("session " + sessionId + " is not open (the leader changed?)")
                .asRuntimeException();
    }

    /** FAILED_PRECONDITION with where the leader is, as far as this manager knows. */
    private void notLeader(StreamObserver<?> out) {
        Metadata trailers = new Metadata();
        Managers.Leader leader = Managers.leader(locals.store(), locals.raft());
        if (leader != null) {
            trailers.put(LEADER_ID_KEY, leader.nodeId());
            if (leader.addr() != null) {
                trailers.put(LEADER_ADDR_KEY, leader.addr());
            }
        }
        String why = locals.raft() == null && locals.store() == null ? "this node is not a manager" : NOT_LEADER;
        out.onError(Status.FAILED_PRECONDITION.withDescription(why).asRuntimeException(trailers));
    }

    private static void internal(StreamObserver<?> out, String what, RuntimeException e) {
        LOG.warn("dispatcher call failed ({}): {}", what, e.toString());
        out.onError(Status.INTERNAL.withDescription(what + ": " + e.getMessage()).asRuntimeException());
    }

    private List<RemoteManager> managers() {
        Store store = locals.store();
        if (store == null) {
            return List.of();
        }
        try {
            return Managers.fromStore(store);
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    /** The role the managers want the node to have (node.role in the store); the certificate's if unknown. */
    private NodeRole role(String nodeId) {
        Store store = locals.store();
        Optional<Node> n = Optional.empty();
        if (store != null) {
            try {
                n = store.view(tx -> tx.get(Kind.NODE, nodeId));
            } catch (RuntimeException e) {
                n = Optional.empty();
            }
        }
        if (n.isPresent()) {
            return n.get().getRole();
        }
        NodeRole certRole = NodeCertificates.role(PeerIdentity.current());
        return certRole == null ? NodeRole.WORKER : certRole;
    }

    /** Whether the store has the node (true when it cannot tell: the dispatcher checks again). */
    private boolean known(String nodeId) {
        Store store = locals.store();
        try {
            return store == null || store.view(tx -> tx.get(Kind.NODE, nodeId)).isPresent();
        } catch (RuntimeException e) {
            return true;
        }
    }

    private String storeAddr(String nodeId) {
        Store store = locals.store();
        if (store == null) {
            return null;
        }
        try {
            return store.view(tx -> tx.get(Kind.NODE, nodeId)).map(Managers::remoteAddr).orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String newId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * A node's task output, read from its NodeLogs service (the address its
     * agent gave when it opened the session; the store's when it gave none),
     * with this manager's certificate; the node's certificate must name it.
     */
    private final class NodeLogs implements LogProvider {
        private final String nodeId;
        private final String addr;

        NodeLogs(String nodeId, String addr) {
            this.nodeId = nodeId;
            this.addr = addr;
        }

        @Override
        public void logs(String taskId, int tail, boolean follow, Consumer<LogSource.LogLine> sink)
                throws InterruptedException {
            String a = addr != null ? addr : storeAddr(nodeId);
            if (a == null) {
                throw new IllegalStateException("node " + nodeId + " has no known remote API address");
            }
            try {
                LogsClient.stream(channels.get(a, nodeId), nodeId, taskId, tail, follow, sink);
            } catch (LogsClient.UnreachableException e) {
                channels.evict(a, nodeId);
                throw e;
            }
        }
    }
}
