package io.swarmlet.store.internal;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.StoreException.Reason;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.store.WriteTx;
import io.swarmlet.api.types.StoreTransaction;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.client.retry.RequestTypeDependentRetryPolicy;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.io.CorruptedFileException;
import org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.ChecksumException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.protocol.exceptions.ResourceUnavailableException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;

/**
 * The store: a {@link MemoryStore} kept by a {@link StoreStateMachine} inside an
 * embedded Ratis server, plus the Ratis client that proposes transactions. A
 * plain Java object with {@link #start()} and {@link #close()}, which map onto
 * {@link RaftStore}'s activate and deactivate (tests use it directly).
 *
 * <p>Raft membership: the group ID is derived from the cluster ID
 * ({@code UUID.nameUUIDFromBytes}), the peer ID is the node ID, the peer address
 * is {@link LocalNode#raftAddr()}, and the storage is {@code <state-dir>/raft}.
 * This version runs a one-member group.
 *
 * <p>Reads are local and never touch Raft; writes go through the Raft log with
 * the client's asynchronous API (any number of threads may update at once) and
 * return once the transaction is applied to the local copy.
 */
final class ReplicatedStore implements Store, AutoCloseable {

    private static final Logger LOG = LogManager.getLogger(ReplicatedStore.class);

    /** Slack on top of the commit timeout for the client's last attempt to come back. */
    private static final long REPLY_SLACK_MS = 5_000;

    private final LocalNode node;
    private final StoreConfig config;
    private final LeadershipNotifier leadership;
    private final boolean ownNotifier;
    private final MemoryStore memory;
    private final Path raftDir;
    private final RaftGroup group;
    private final RaftPeerId self;
    private final ClientId localClientId = ClientId.randomId();
    private final AtomicLong localCalls = new AtomicLong();
    private final CountDownLatch ready = new CountDownLatch(1);
    private final Object lifecycle = new Object();

    private StoreStateMachine stateMachine;
    private volatile RaftServer server;
    private volatile RaftClient client;
    private boolean started;
    private volatile boolean closed;

    /**
     * @param leadership where leadership changes go; null for a notifier of the store's own
     */
    ReplicatedStore(LocalNode node, StoreConfig config, LeadershipNotifier leadership) {
        this.node = Objects.requireNonNull(node, "node");
        this.config = Objects.requireNonNull(config, "config");
        this.ownNotifier = leadership == null;
        this.leadership = leadership == null ? new LeadershipNotifier() : leadership;
        this.memory = new MemoryStore(config.watchQueueCapacity());
        this.raftDir = node.stateDir().resolve("raft");
        this.self = RaftPeerId.valueOf(node.nodeId());
        RaftPeer peer = RaftPeer.newBuilder().setId(self).setAddress(node.raftAddr()).build();
        this.group = RaftGroup.valueOf(RaftGroupId.valueOf(groupId(node.clusterId())), peer);
    }

    /** The Raft group of a cluster: a name-based UUID of its ID. */
    static UUID groupId(String clusterId) {
        return UUID.nameUUIDFromBytes(clusterId.getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ life cycle

    /**
     * Checks the storage, starts the Raft server (formatting the group's storage
     * on the first start, recovering it from snapshot and log later) and waits
     * until this peer leads the group and has applied the whole log.
     *
     * @throws StartupException with a one-line message; nothing on disk was changed
     *     by the check, and whatever was started is stopped again
     */
    void start() throws StartupException {
        synchronized (lifecycle) {
            if (started || closed) {
                throw new IllegalStateException("a store starts once");
            }
            started = true;
        }
        HostPort listen = HostPort.parse(node.raftAddr());
        checkCanListen(listen);
        UUID groupId = group.getGroupId().getUuid();
        boolean existing = RaftStorageCheck.check(raftDir, groupId, node.clusterId());
        LOG.info("starting the store: raft group {} (cluster {}), peer {} at {}, storage {} ({})", groupId,
                node.clusterId(), node.nodeId(), node.raftAddr(), raftDir, existing ? "recovering" : "new");
        RaftServer newServer = null;
        RaftClient newClient = null;
        try {
            Files.createDirectories(raftDir);
            RaftProperties properties = properties(listen);
            stateMachine = new StoreStateMachine(memory, leader -> {
                leadership.leadershipChanged(leader);
                if (leader) {
                    ready.countDown(); // after: isLeader() is true once start() returns
                }
            });
            newServer = RatisClassLoading.call(() -> RaftServer.newBuilder()
                    .setServerId(self)
                    .setGroup(group)
                    .setStateMachine(stateMachine)
                    .setProperties(properties)
                    .setOption(existing ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
                    .build());
            RaftServer built = newServer;
            RatisClassLoading.call(() -> {
                built.start();
                return null;
            });
            newClient = RatisClassLoading.call(() -> RaftClient.newBuilder()
                    .setClientId(ClientId.randomId())
                    .setRaftGroup(group)
                    .setProperties(properties)
                    .setRetryPolicy(retryPolicy())
                    .build());
        } catch (Exception e) {
            StartupException failure = describe(e);
            stopRaft(newClient, newServer);
            throw failure;
        }
        synchronized (lifecycle) {
            if (!closed) {
                server = newServer;
                client = newClient;
                newServer = null;
                newClient = null;
            }
        }
        if (newServer != null) { // closed meanwhile
            stopRaft(newClient, newServer);
            throw new StartupException("the store was stopped while it was starting");
        }
        boolean leader;
        try {
            leader = ready.await(config.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            leader = false;
        }
        if (closed) {
            throw new StartupException("the store was stopped while it was starting");
        }
        if (!leader) {
            RaftClient c;
            RaftServer s;
            synchronized (lifecycle) {
                c = takeClient();
                s = takeServer();
            }
            stopRaft(c, s);
            throw new StartupException("this manager did not become raft leader within "
                    + config.startTimeout().toSeconds() + "s (raft group " + groupId + " at " + node.raftAddr()
                    + "); see the daemon log for why");
        }
        LOG.info("the store is ready at index {} ({} watchers)", memory.index(), memory.watcherCount());
    }

    /** Fails early, before the storage is touched, when the raft port cannot be bound. */
    private void checkCanListen(HostPort listen) throws StartupException {
        InetSocketAddress address = listen.host().isEmpty()
                ? new InetSocketAddress(listen.port()) : new InetSocketAddress(listen.host(), listen.port());
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(address);
        } catch (BindException e) {
            throw new StartupException("raft address " + node.raftAddr() + " is already in use (" + e.getMessage()
                    + "); stop the process that holds it or give this daemon another raft port", e);
        } catch (IOException | IllegalArgumentException | SecurityException e) {
            throw new StartupException("cannot listen on raft address " + node.raftAddr() + " (" + e
                    + "); fix the raft address", e);
        }
    }

    private RaftProperties properties(HostPort listen) {
        RaftProperties p = new RaftProperties();
        RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
        RaftServerConfigKeys.setStorageDir(p, List.of(raftDir.toFile()));
        GrpcConfigKeys.Server.setHost(p, listen.host());
        GrpcConfigKeys.Server.setPort(p, listen.port());
        // Netty on NIO, with thread pools of our own that close with the server and client
        GrpcConfigKeys.setUseEpoll(p, false);
        GrpcConfigKeys.Server.setBossGroupSize(p, config.serverBossThreads());
        GrpcConfigKeys.Server.setWorkerGroupSize(p, config.serverWorkerThreads());
        GrpcConfigKeys.Client.setWorkerGroupSize(p, config.clientWorkerThreads());
        // damage in the log stops the server; it is never skipped over
        RaftServerConfigKeys.Log.setCorruptionPolicy(p, RaftServerConfigKeys.Log.CorruptionPolicy.EXCEPTION);
        // no extra log entry per commit-index advance: half the appends under load; a restarted
        // peer learns the commit index from the leader (or, alone, by committing its first entry)
        RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, config.snapshotThreshold());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, config.snapshotRetention());
        RaftServerConfigKeys.Snapshot.setTriggerWhenStopEnabled(p, config.snapshotOnStop());
        RaftClientConfigKeys.Async.setOutstandingRequestsMax(p, config.clientOutstandingMax());
        // the retry cache only has to outlive a client's retries (bounded by the commit timeout)
        RaftServerConfigKeys.RetryCache.setExpiryTime(p,
                TimeDuration.valueOf(config.commitTimeout().toMillis() + REPLY_SLACK_MS * 2, TimeUnit.MILLISECONDS));
        return p;
    }

    /** Retry while there is no leader, up to the commit timeout, then give up (NO_QUORUM). */
    private RetryPolicy retryPolicy() {
        TimeDuration sleep = TimeDuration.valueOf(50, TimeUnit.MILLISECONDS);
        TimeDuration timeout = TimeDuration.valueOf(config.commitTimeout().toMillis(), TimeUnit.MILLISECONDS);
        RequestTypeDependentRetryPolicy.Builder b = RequestTypeDependentRetryPolicy.newBuilder();
        for (TypeCase type : TypeCase.values()) {
            if (type != TypeCase.TYPE_NOT_SET) {
                b.setRetryPolicy(type, RetryPolicies.retryForeverWithSleep(sleep));
                b.setTimeout(type, timeout);
            }
        }
        return b.build();
    }

    /** Turns whatever stopped the start into the one line the operator sees. */
    private StartupException describe(Exception e) {
        if (e instanceof StartupException s) {
            return s;
        }
        LOG.debug("store start failed", e);
        String snapshotFailure = stateMachine == null ? null : stateMachine.loadFailure();
        if (snapshotFailure != null) {
            return new StartupException(snapshotFailure, e);
        }
        Throwable bind = cause(e, BindException.class);
        if (bind != null) {
            return new StartupException("raft address " + node.raftAddr() + " is already in use (" + bind.getMessage()
                    + "); stop the process that holds it or give this daemon another raft port", e);
        }
        if (cause(e, OverlappingFileLockException.class) != null || messageContains(e, "Cannot lock storage")
                || messageContains(e, "Failed to lock storage")) {
            return new StartupException("raft storage " + raftDir + " is locked by another process; stop the other"
                    + " swarmletd that uses this state dir, or use another state dir", e);
        }
        Throwable denied = cause(e, AccessDeniedException.class);
        if (denied != null) {
            return new StartupException("cannot access " + denied.getMessage() + " (permission denied);"
                    + " give the daemon's user access to the state dir", e);
        }
        Throwable corrupt = cause(e, ChecksumException.class);
        if (corrupt == null) {
            corrupt = cause(e, CorruptedFileException.class);
        }
        if (corrupt != null) {
            return new StartupException("raft log in " + raftDir + " is corrupt (" + corrupt.getMessage()
                    + "); restore the state dir from a backup or remove it to start a new cluster", e);
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return new StartupException("the store could not start on " + raftDir + " (" + root
                + "); see the daemon log", e);
    }

    private static Throwable cause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return t;
            }
        }
        return null;
    }

    private static boolean messageContains(Throwable e, String text) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(text)) {
                return true;
            }
        }
        return false;
    }

    /** Closes watchers, client and server; no thread of the store is left. Idempotent. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
        }
        ready.countDown(); // a start in progress gives up
        memory.closeWatchers("the store is stopping");
        RaftClient c;
        RaftServer s;
        synchronized (lifecycle) {
            c = takeClient();
            s = takeServer();
        }
        stopRaft(c, s);
        leadership.leadershipChanged(false);
        if (ownNotifier) {
            leadership.close();
        }
        LOG.info("the store stopped at index {}", memory.index());
    }

    private RaftClient takeClient() {
        RaftClient c = client;
        client = null;
        return c;
    }

    private RaftServer takeServer() {
        RaftServer s = server;
        server = null;
        return s;
    }

    private static void stopRaft(RaftClient c, RaftServer s) {
        try {
            RatisClassLoading.call(() -> {
                closeQuietly(c, "raft client");
                closeQuietly(s, "raft server");
                return null;
            });
        } catch (Exception e) {
            LOG.warn("stopping raft failed", e);
        }
    }

    private static void closeQuietly(AutoCloseable c, String what) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("closing the {} failed", what, e);
        }
    }

    // ------------------------------------------------------------------ Store

    @Override
    public <R> R view(Function<ReadTx, R> reader) {
        Objects.requireNonNull(reader, "reader");
        return memory.read(reader);
    }

    @Override
    public long update(Consumer<WriteTx> writer) {
        Objects.requireNonNull(writer, "writer");
        ReentrantReadWriteLock lock = memory.lock();
        if (lock.getReadHoldCount() > 0 || lock.isWriteLockedByCurrentThread()) {
            throw new IllegalStateException("Store.update called from inside a view, update or watch reader");
        }
        WriteTxImpl tx = new WriteTxImpl(memory);
        StoreTransaction transaction;
        lock.readLock().lock();
        try {
            writer.accept(tx);
            if (tx.isEmpty()) {
                return memory.index();
            }
            transaction = tx.toTransaction(System.currentTimeMillis());
        } finally {
            lock.readLock().unlock();
        }
        TxValidator.validate(transaction);
        return commit(transaction);
    }

    /**
     * Proposes one transaction and waits until it is applied here. When this
     * manager is the ready leader the request goes straight into the local Raft
     * server (its asynchronous client protocol, in process: no gRPC round trip);
     * otherwise, or if leadership moved meanwhile, through the RaftClient's
     * asynchronous API, which finds the leader and retries up to the commit timeout.
     */
    long commit(StoreTransaction transaction) {
        RaftServer s = server;
        RaftClient c = client;
        if (s == null || c == null || closed) {
            throw new StoreException(Reason.INTERNAL, "the store is not running");
        }
        Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(transaction.toByteArray()));
        RaftClientReply reply = null;
        if (config.localSubmit() && leadership.isLeader()) {
            reply = await(submitLocally(s, message));
            if (!reply.isSuccess() && (reply.getNotLeaderException() != null
                    || reply.getException() instanceof LeaderNotReadyException
                    || reply.getException() instanceof ResourceUnavailableException)) {
                // leadership moved, or the server is full: the client finds the leader and retries
                LOG.debug("could not propose locally ({}); proposing through the raft client", reply.getException());
                reply = null;
            }
        }
        if (reply == null) {
            reply = await(c.async().send(message));
        }
        if (!reply.isSuccess()) {
            throw failure(reply.getException());
        }
        ApplyResult result = ApplyResult.decode(reply.getMessage().getContent().toByteArray());
        if (!result.ok()) {
            throw result.toException();
        }
        long index = reply.getLogIndex();
        long timeoutMs = config.commitTimeout().toMillis();
        try {
            if (!memory.awaitApplied(index, TimeUnit.MILLISECONDS.toNanos(timeoutMs))) {
                throw new StoreException(Reason.INTERNAL, "the transaction was committed at index " + index
                        + " but this manager has not applied it within " + config.commitTimeout().toSeconds() + "s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(Reason.INTERNAL, "interrupted while waiting for index " + index
                    + " to be applied (the transaction was committed)", e);
        }
        return index;
    }

    private CompletableFuture<RaftClientReply> submitLocally(RaftServer s, Message message) {
        RaftClientRequest request = RaftClientRequest.newBuilder()
                .setClientId(localClientId)
                .setServerId(self)
                .setGroupId(group.getGroupId())
                .setCallId(localCalls.incrementAndGet())
                .setMessage(message)
                .setType(RaftClientRequest.writeRequestType())
                .build();
        try {
            return s.submitClientRequestAsync(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private RaftClientReply await(CompletableFuture<RaftClientReply> future) {
        try {
            return future.get(config.commitTimeout().toMillis() + REPLY_SLACK_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw noQuorum();
        } catch (ExecutionException | CompletionException e) {
            throw failure(e.getCause() == null ? e : e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(Reason.INTERNAL,
                    "interrupted while waiting for the transaction to commit (it may still be applied)", e);
        }
    }

    private StoreException noQuorum() {
        return new StoreException(Reason.NO_QUORUM, "no raft leader committed the transaction within "
                + config.commitTimeout().toSeconds() + "s: the managers have lost quorum"
                + " (or this manager is not a member of the raft group)");
    }

    private StoreException failure(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (closed) {
            return new StoreException(Reason.INTERNAL, "the store is stopping", e);
        }
        if (e instanceof StateMachineException) {
            String m = String.valueOf(e.getMessage());
            int at = m.indexOf(StoreStateMachine.INVALID_MARK);
            if (at >= 0) {
                return new StoreException(Reason.INVALID, m.substring(at + StoreStateMachine.INVALID_MARK.length()), e);
            }
            return new StoreException(Reason.INTERNAL, "the store's state machine failed: " + m, e);
        }
        // no leader could be reached or none committed in time: retries exhausted, leader gone or not
        // ready, connections refused or closed under the client
        if (e instanceof RaftRetryFailureException || e instanceof NotLeaderException
                || e instanceof LeaderNotReadyException || e instanceof TimeoutIOException
                || e instanceof AlreadyClosedException || cause(e, ConnectException.class) != null) {
            StoreException s = noQuorum();
            s.initCause(e);
            return s;
        }
        return new StoreException(Reason.INTERNAL, "could not commit the transaction: " + e, e);
    }

    @Override
    public <R> Watch<R> watch(Function<ReadTx, R> snapshotReader) {
        Objects.requireNonNull(snapshotReader, "snapshotReader");
        return memory.watch(snapshotReader);
    }

    @Override
    public boolean isLeader() {
        return !closed && leadership.isLeader();
    }

    // ------------------------------------------------------------------ for the component and tests

    /** The Raft group ID. */
    UUID groupUuid() {
        return group.getGroupId().getUuid();
    }

    Path raftDir() {
        return raftDir;
    }

    /** The running Raft server (tests stop it under the store to see it lose its quorum). */
    RaftServer server() {
        return server;
    }

    MemoryStore memory() {
        return memory;
    }

    /** Takes a snapshot now (if anything was applied since the last one); returns its index. */
    long snapshotNow() throws IOException {
        RaftClient c = client;
        if (c == null) {
            throw new IOException("the store is not running");
        }
        RaftClientReply reply = c.getSnapshotManagementApi().create(1, config.commitTimeout().toMillis());
        if (!reply.isSuccess()) {
            throw new IOException("snapshot failed", reply.getException());
        }
        return reply.getLogIndex();
    }

    /** host:port, with [v6]:port. */
    record HostPort(String host, int port) {
        static HostPort parse(String addr) throws StartupException {
            String a = addr == null ? "" : addr.trim();
            int colon = a.lastIndexOf(':');
            if (colon < 0) {
                throw new StartupException("raft address \"" + addr + "\" is not host:port; fix the raft address flag");
            }
            String host = a.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(a.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new StartupException("raft address \"" + addr + "\" has no valid port; fix the raft address flag");
            }
            return new HostPort(host, port);
        }
    }
}
