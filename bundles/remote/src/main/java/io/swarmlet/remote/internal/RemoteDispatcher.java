package io.swarmlet.remote.internal;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.dispatcher.LogProvider;
import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.grpc.NodeDispatcherGrpc;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.remote.MeshRoutesRequest;
import io.swarmlet.api.remote.MeshRoutesResponse;
import io.swarmlet.api.remote.OpenSessionRequest;
import io.swarmlet.api.remote.OpenSessionResponse;
import io.swarmlet.api.remote.PluginJarRequest;
import io.swarmlet.api.remote.PluginsRequest;
import io.swarmlet.api.remote.PluginsResponse;
import io.swarmlet.api.remote.RemoteManager;
import io.swarmlet.api.remote.ReportMeshRequest;
import io.swarmlet.api.remote.ReportMeshResponse;
import io.swarmlet.api.remote.ReportPluginsRequest;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.RaftMembership;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.MeshStatus;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.Plugin;
import io.swarmlet.api.types.PluginSet;
import io.swarmlet.api.types.PluginStatus;
import io.swarmlet.spi.executor.LogSource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The {@link Dispatcher} of every node that does not lead: sessions with the
 * leader's dispatcher over gRPC (mutual TLS, {@link NodeDispatcherService} on
 * the leader). It ranks below the leader's own dispatcher (-100 against 0), so
 * the agent uses it exactly when this node does not lead.
 *
 * <p>Finding the leader: the last manager that took a session, the leader
 * the local store knows (on managers), then every manager in
 * {@code <state-dir>/managers}; a manager that does not lead answers with the
 * leader's address, which is tried next. While managers answer but none leads
 * (an election), {@link #open} tries again for a few seconds before it gives
 * up. Every session response carries the managers' list, which is written to
 * the managers file when it changed.
 *
 * <p>A session whose leader does not answer, or says it is not (any more) the
 * leader or does not know the session, is dead: every call then throws
 * IllegalStateException, and the agent opens a new session.
 *
 * <p>The routing mesh's calls need no session: {@link #meshRoutes} asks the
 * leader the same way (following FAILED_PRECONDITION hints, skipping managers
 * that do not answer) on every call, and {@link #reportMesh} sends to the
 * leader last known without waiting for the answer. The cluster plugins'
 * calls ({@link #plugins}, {@link #pluginJar}, {@link #reportPlugins}) ask the
 * leader as {@link #meshRoutes} does, and wait for its answer.
 */
@Component(service = Dispatcher.class, property = {
        Constants.SERVICE_RANKING + ":Integer=" + RemoteDispatcher.RANKING,
        RemoteDispatcher.KIND + "=" + RemoteDispatcher.REMOTE })
public final class RemoteDispatcher implements Dispatcher {

    /** Service property telling the leader's dispatcher ("local") from this one ("remote"). */
    static final String KIND = "swarmlet.dispatcher";
    static final String REMOTE = "remote";
    static final String LOCAL = "local";
    static final int RANKING = -100;

    /** Deadline of the short calls (open, status, close); a long poll's is its timeout plus this. */
    static final long CALL_TIMEOUT_MS = 5_000;
    /** Deadline of fetching a plugin's jar (up to ControlApi.MAX_PLUGIN_BYTES). */
    static final long JAR_TIMEOUT_MS = 60_000;
    /** Deadline of a mesh counters report: the next one follows within seconds anyway. */
    static final long REPORT_TIMEOUT_MS = 2_000;
    /** How long {@link #open} keeps trying while managers answer but none leads (an election). */
    static final long OPEN_PATIENCE_MS = 3_000;
    static final long OPEN_RETRY_MS = 150;
    /** Managers tried in one round, hints included. */
    private static final int MAX_TRIES = 16;
    private static final long RENEW_RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);

    private static final Logger LOG = LogManager.getLogger(RemoteDispatcher.class);

    @Reference
    private LocalNode local;

    @Reference
    private NodeCredentials credentials;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Store store;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile RaftMembership raft;

    private String selfId;
    private String advertiseAddr;
    private Path managersFile;
    private Channels channels;
    private ExecutorService renewer;

    private final Object managersLock = new Object();
    /** The managers as last learnt (file or responses). Guarded by managersLock. */
    private List<RemoteManager> managers = List.of();
    /** The remote address of the last manager that took a session. */
    private volatile String leaderAddr;
    /** The agent's session (whose log provider NodeLogs serves). */
    private volatile RemoteSession current;
    private final AtomicBoolean renewing = new AtomicBoolean();
    private volatile long nextRenew = System.nanoTime();

    public RemoteDispatcher() {}

    /** For tests outside OSGi. */
    RemoteDispatcher(Path stateDir, String advertiseAddr, NodeCredentials credentials, Store store, RaftMembership raft) {
        this.credentials = credentials;
        this.store = store;
        this.raft = raft;
        start(stateDir, advertiseAddr);
    }

    @Activate
    void activate() {
        start(local.stateDir(), local.advertiseAddr());
    }

    private void start(Path stateDir, String advertise) {
        selfId = credentials.nodeId();
        advertiseAddr = advertise;
        managersFile = stateDir.resolve(Managers.FILE);
        channels = new Channels(() -> credentials);
        renewer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "swarmlet-remote-renew");
            t.setDaemon(true);
            return t;
        });
        try {
            synchronized (managersLock) {
                managers = Managers.read(managersFile);
            }
        } catch (IOException e) {
            LOG.warn("cannot read {}: {}", managersFile, e.getMessage());
        }
    }

    @Deactivate
    void deactivate() {
        renewer.shutdownNow();
        channels.close();
    }

    // ------------------------------------------------------------ Dispatcher

    @Override
    public Session open(String nodeId, NodeDescription description) {
        if (!nodeId.equals(selfId)) {
            throw new IllegalArgumentException("this node's certificate is for node " + selfId + ", not " + nodeId);
        }
        OpenSessionRequest request = OpenSessionRequest.newBuilder().setDescription(description)
                .setAddr(advertiseAddr == null ? "" : advertiseAddr).build();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(OPEN_PATIENCE_MS);
        while (true) {
            Attempt a = new Attempt();
            RemoteSession s = tryOpen(request, a);
            if (s != null) {
                LOG.info("session {} opened with the leader at {}", s.id(), s.addr());
                return s;
            }
            if (a.selfLeads || !a.answered || System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(a.why);
            }
            try {
                Thread.sleep(OPEN_RETRY_MS); // an election: the next round asks again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while looking for the leader");
            }
        }
    }

    @Override
    public void logs(String nodeId, String taskId, int tail, boolean follow, Consumer<LogSource.LogLine> sink)
            throws InterruptedException {
        if (nodeId.equals(selfId)) {
            LogProvider own = agentLogs();
            if (own != null) {
                own.logs(taskId, tail, follow, sink);
                return;
            }
        }
        Store s = store;
        if (s == null) {
            throw new IllegalStateException("node " + nodeId + " cannot be found from this node: only managers read other nodes' logs");
        }
        String addr = s.view(tx -> tx.get(Kind.NODE, nodeId)).map(Managers::remoteAddr).orElse(null);
        if (addr == null) {
            throw new IllegalStateException("node " + nodeId + " is not connected (its remote API address is unknown)");
        }
        try {
            LogsClient.stream(channels.get(addr, nodeId), nodeId, taskId, tail, follow, sink);
        } catch (LogsClient.UnreachableException e) {
            channels.evict(addr, nodeId);
            throw e;
        }
    }

    /**
     * The leader's routing table, asked of the leader at once (no session).
     *
     * @throws IllegalStateException when no manager leads or answers now: the caller tries again
     */
    @Override
    public MeshRoutes meshRoutes(long afterVersion, Duration timeout) throws InterruptedException {
        long ms = Math.max(0, Math.min(NodeDispatcherService.MAX_POLL_MS, timeout.toMillis()));
        MeshRoutesRequest request = MeshRoutesRequest.newBuilder().setAfterVersion(afterVersion).setTimeoutMs(ms).build();
        MeshRoutesResponse r = askLeader("the mesh routes", ms + CALL_TIMEOUT_MS, stub -> stub.meshRoutes(request));
        return r.getChanged() ? r.getRoutes() : null;
    }

    /**
     * The cluster's plugins, asked of the leader at once (no session).
     *
     * @throws IllegalStateException when no manager leads or answers now: the caller tries again
     */
    @Override
    public PluginSet plugins(long afterVersion, Duration timeout) throws InterruptedException {
        long ms = Math.max(0, Math.min(NodeDispatcherService.MAX_POLL_MS, timeout.toMillis()));
        PluginsRequest request = PluginsRequest.newBuilder().setAfterVersion(afterVersion).setTimeoutMs(ms).build();
        PluginsResponse r = askLeader("the cluster plugins", ms + CALL_TIMEOUT_MS, stub -> stub.plugins(request));
        return r.getChanged() ? r.getPlugins() : null;
    }

    /**
     * One cluster plugin with its jar, from the leader; null when the leader has no such plugin.
     *
     * @throws IllegalStateException when no manager leads or answers now
     */
    @Override
    public Plugin pluginJar(String pluginId) {
        PluginJarRequest request = PluginJarRequest.newBuilder().setPluginId(pluginId).build();
        try {
            return askLeader("plugin " + pluginId, JAR_TIMEOUT_MS, stub -> stub.pluginJar(request)).getPlugin();
        } catch (NotFound e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while fetching plugin " + pluginId);
        }
    }

    /**
     * Sends this node's plugin states to the leader and waits until it took
     * them. The leader takes the node from this node's certificate.
     *
     * @throws IllegalStateException when no manager leads or answers now: the caller reports again later
     */
    @Override
    public void reportPlugins(String nodeId, List<PluginStatus> plugins) {
        if (!nodeId.equals(selfId)) {
            LOG.debug("plugins reported for node {} are sent as this node's ({})", nodeId, selfId);
        }
        ReportPluginsRequest request = ReportPluginsRequest.newBuilder().addAllPlugins(plugins).build();
        try {
            askLeader("the plugin states", CALL_TIMEOUT_MS, stub -> stub.reportPlugins(request));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reporting plugins");
        }
    }

    /** The leader answered NOT_FOUND. */
    private static final class NotFound extends IllegalStateException {
        NotFound(String message) {
            super(message);
        }
    }

    /**
     * One call to the leader, without a session: the last leader, the store's,
     * then every manager, following FAILED_PRECONDITION hints and skipping
     * managers that do not answer.
     *
     * @throws IllegalStateException when no manager leads or answers now (NotFound when the leader says so)
     */
    private <R> R askLeader(String what, long deadlineMs,
            java.util.function.Function<NodeDispatcherGrpc.NodeDispatcherBlockingStub, R> call)
            throws InterruptedException {
        Deque<Candidate> queue = candidates(new Attempt(), false);
        String why = queue.isEmpty() ? "no manager address is known (" + managersFile + " is missing or empty)"
                : "no manager answered";
        Set<String> tried = new HashSet<>();
        Candidate c;
        while ((c = queue.poll()) != null && tried.size() < MAX_TRIES) {
            if (!tried.add(c.addr())) {
                continue;
            }
            R r;
            try {
                r = call.apply(stub(c.addr()).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS));
            } catch (StatusRuntimeException e) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("interrupted while waiting for " + what);
                }
                Status st = e.getStatus();
                String desc = st.getDescription() != null ? st.getDescription() : st.getCode().toString();
                switch (st.getCode()) {
                    case FAILED_PRECONDITION -> {
                        Metadata t = Status.trailersFromThrowable(e);
                        String hint = t == null ? null : t.get(NodeDispatcherService.LEADER_ADDR_KEY);
                        String hintId = t == null ? null : t.get(NodeDispatcherService.LEADER_ID_KEY);
                        if (c.addr().equals(leaderAddr)) {
                            leaderAddr = null;
                        }
                        why = "manager at " + c.addr() + ": " + desc
                                + (hint != null ? " (leader at " + hint + ")" : " (no leader known: an election?)");
                        if (hint != null && !tried.contains(hint)) {
                            queue.addFirst(new Candidate(hintId, hint));
                        }
                    }
                    case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED -> {
                        unreachable(c.addr());
                        why = "the manager at " + c.addr() + " did not answer: " + desc;
                    }
                    case NOT_FOUND -> {
                        leaderAddr = c.addr();
                        throw new NotFound("manager at " + c.addr() + ": " + desc);
                    }
                    default -> throw new IllegalStateException("manager at " + c.addr() + " refused " + what + ": " + desc, e);
                }
                continue;
            }
            leaderAddr = c.addr();
            return r;
        }
        throw new IllegalStateException("cannot get " + what + ": " + why);
    }

    /**
     * Sends this node's mesh counters to the leader last known and returns at
     * once; a failure is only logged (the next report follows soon). The leader
     * takes the node from this node's certificate, whatever {@code nodeId} says.
     */
    @Override
    public void reportMesh(String nodeId, MeshStatus status) {
        if (!nodeId.equals(selfId)) {
            LOG.debug("mesh status reported for node {} is sent as this node's ({})", nodeId, selfId);
        }
        String addr = leaderAddr;
        if (addr == null) {
            Candidate first = candidates(new Attempt(), false).peekFirst();
            if (first == null) {
                LOG.debug("mesh status not sent: no manager address is known");
                return;
            }
            addr = first.addr();
        }
        String to = addr;
        try {
            NodeDispatcherGrpc.newStub(channels.get(to, Channels.MANAGER))
                    .withDeadlineAfter(REPORT_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .reportMesh(ReportMeshRequest.newBuilder().setStatus(status).build(), new StreamObserver<>() {
                        @Override
                        public void onNext(ReportMeshResponse value) {}

                        @Override
                        public void onError(Throwable t) {
                            reportFailed(to, t);
                        }

                        @Override
                        public void onCompleted() {}
                    });
        } catch (RuntimeException e) {
            LOG.debug("mesh status not sent to {}: {}", to, e.toString()); // stopping
        }
    }

    /** A report that did not land: the next one goes where the manager said the leader is, or elsewhere. */
    private void reportFailed(String addr, Throwable t) {
        Status st = Status.fromThrowable(t);
        LOG.debug("mesh status not taken by {}: {}", addr, st);
        switch (st.getCode()) {
            case FAILED_PRECONDITION -> {
                Metadata trailers = Status.trailersFromThrowable(t);
                String hint = trailers == null ? null : trailers.get(NodeDispatcherService.LEADER_ADDR_KEY);
                if (hint != null && !hint.equals(addr)) {
                    leaderAddr = hint;
                } else if (addr.equals(leaderAddr)) {
                    leaderAddr = null;
                }
            }
            case UNAVAILABLE, DEADLINE_EXCEEDED -> unreachable(addr);
            default -> { }
        }
    }

    // ------------------------------------------------------------ finding the leader

    /** What one round of {@link #tryOpen} found out. */
    private static final class Attempt {
        /** Some manager answered (without leading): worth asking again soon. */
        boolean answered;
        /** This node leads: its own dispatcher takes the agent. */
        boolean selfLeads;
        String why = "no manager answered";
    }

    private record Candidate(String nodeId, String addr) {}

    private RemoteSession tryOpen(OpenSessionRequest request, Attempt a) {
        Deque<Candidate> queue = candidates(a, true);
        if (a.selfLeads) {
            return null;
        }
        if (queue.isEmpty()) {
            a.why = "no manager address is known (" + managersFile + " is missing or empty)";
            return null;
        }
        Set<String> tried = new HashSet<>();
        Candidate c;
        while ((c = queue.poll()) != null && tried.size() < MAX_TRIES) {
            if (!tried.add(c.addr())) {
                continue;
            }
            OpenSessionResponse r;
            try {
                r = NodeDispatcherGrpc.newBlockingStub(channels.get(c.addr(), Channels.MANAGER))
                        .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).openSession(request);
            } catch (StatusRuntimeException e) {
                Status st = e.getStatus();
                String desc = st.getDescription() != null ? st.getDescription() : st.getCode().toString();
                switch (st.getCode()) {
                    case FAILED_PRECONDITION -> {
                        Metadata t = Status.trailersFromThrowable(e);
                        String hintId = t == null ? null : t.get(NodeDispatcherService.LEADER_ID_KEY);
                        String hint = t == null ? null : t.get(NodeDispatcherService.LEADER_ADDR_KEY);
                        if (selfId.equals(hintId)) {
                            a.selfLeads = true;
                            a.why = "this node leads the cluster: its agent uses the local dispatcher";
                            return null;
                        }
                        a.answered = true;
                        a.why = "manager at " + c.addr() + ": " + desc
                                + (hint != null ? " (leader at " + hint + ")" : " (no leader known: an election?)");
                        if (hint != null && !tried.contains(hint)) {
                            queue.addFirst(new Candidate(hintId, hint));
                        }
                    }
                    case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED -> {
                        channels.evict(c.addr(), Channels.MANAGER);
                        if (c.addr().equals(leaderAddr)) {
                            leaderAddr = null;
                        }
                        if (!a.answered) {
                            a.why = "no manager answered; " + c.addr() + ": " + desc;
                        }
                        if (Thread.currentThread().isInterrupted()) {
                            a.why = "interrupted while looking for the leader";
                            return null;
                        }
                    }
                    default -> throw new IllegalStateException("manager at " + c.addr() + " refused the session: " + desc);
                }
                continue;
            }
            leaderAddr = c.addr();
            learn(r.getManagersList());
            return new RemoteSession(this, c.addr(), r);
        }
        return null;
    }

    /**
     * Whom to ask, best first: the last leader, the store's leader, the managers.
     * For a session this node is never asked (when it leads, {@code a} says so and
     * nobody is); the mesh's calls may be served by this node's own server.
     */
    private Deque<Candidate> candidates(Attempt a, boolean forSession) {
        Map<String, Candidate> byAddr = new LinkedHashMap<>();
        String last = leaderAddr;
        if (last != null) {
            byAddr.put(last, new Candidate(null, last));
        }
        Managers.Leader leader = Managers.leader(store, raft);
        if (forSession && leader != null && leader.nodeId().equals(selfId)) {
            a.selfLeads = true;
            a.why = "this node leads the cluster: its agent uses the local dispatcher";
            return new ArrayDeque<>();
        }
        if (leader != null && leader.addr() != null) {
            byAddr.putIfAbsent(leader.addr(), new Candidate(leader.nodeId(), leader.addr()));
        }
        List<RemoteManager> known = new ArrayList<>(managers());
        try {
            known.addAll(Managers.read(managersFile)); // others (the ca bundle at renewal) may have written it
        } catch (IOException e) {
            LOG.debug("cannot read {}: {}", managersFile, e.getMessage());
        }
        for (RemoteManager m : known) {
            if (!forSession || !m.getNodeId().equals(selfId)) {
                byAddr.putIfAbsent(m.getRemoteAddr(), new Candidate(m.getNodeId().isEmpty() ? null : m.getNodeId(), m.getRemoteAddr()));
            }
        }
        return new ArrayDeque<>(byAddr.values());
    }

    // ------------------------------------------------------------ for sessions

    String nodeId() {
        return selfId;
    }

    NodeDispatcherGrpc.NodeDispatcherBlockingStub stub(String addr) {
        return NodeDispatcherGrpc.newBlockingStub(channels.get(addr, Channels.MANAGER));
    }

    /** The leader at {@code addr} did not answer. */
    void unreachable(String addr) {
        if (addr.equals(leaderAddr)) {
            leaderAddr = null;
        }
        channels.evict(addr, Channels.MANAGER);
    }

    List<RemoteManager> managers() {
        synchronized (managersLock) {
            return managers;
        }
    }

    /** A response's managers: kept, and written to the managers file when they changed. */
    void learn(List<RemoteManager> list) {
        List<RemoteManager> usable = list.stream().filter(m -> Managers.hasPort(m.getRemoteAddr())).toList();
        if (usable.isEmpty()) {
            return; // an old manager that knows no addresses: keep what we have
        }
        synchronized (managersLock) {
            if (usable.equals(managers)) {
                return;
            }
            managers = usable;
            try {
                Managers.write(managersFile, usable);
                LOG.info("managers are now {}", usable.stream().map(RemoteManager::getRemoteAddr).toList());
            } catch (IOException e) {
                LOG.warn("cannot write {}: {}", managersFile, e.getMessage());
            }
        }
    }

    /**
     * The role the managers want this node to have; when it is not the one in
     * its certificate (promotion, demotion), the certificate is renewed in the
     * background (the ca bundle then switches the node's role).
     */
    void wantedRole(NodeRole wanted) {
        NodeRole has = credentials.role();
        if (wanted == has || System.nanoTime() - nextRenew < 0 || !renewing.compareAndSet(false, true)) {
            return;
        }
        LOG.info("the managers want this node to be a {} (its certificate says {}): renewing its certificate",
                wanted.name().toLowerCase(java.util.Locale.ROOT), has.name().toLowerCase(java.util.Locale.ROOT));
        try {
            renewer.execute(() -> {
                try {
                    credentials.renew();
                    LOG.info("certificate renewed: this node is a {}", credentials.role().name().toLowerCase(java.util.Locale.ROOT));
                } catch (IOException | RuntimeException e) {
                    LOG.warn("certificate renewal failed, will try again: {}", e.getMessage());
                    nextRenew = System.nanoTime() + RENEW_RETRY_NANOS;
                } finally {
                    renewing.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            renewing.set(false); // stopping
        }
    }

    void attached(RemoteSession s) {
        current = s;
    }

    void detached(RemoteSession s) {
        if (current == s) {
            current = null;
        }
    }

    /** The log provider of the agent's open session, or null. */
    LogProvider agentLogs() {
        RemoteSession s = current;
        return s == null || s.isClosed() ? null : s.logProvider();
    }
}
