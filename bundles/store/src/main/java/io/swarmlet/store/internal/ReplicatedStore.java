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
import java.net.Socket;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.io.CorruptedFileException;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.LogInfoProto;
import org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.ChecksumException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
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
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
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
 * is {@link LocalNode#raftAddr()} (with the advertise host when it listens on a
 * wildcard address), and the storage is {@code <state-dir>/raft}. A new cluster
 * starts as a one-member group; other managers join it ({@code raft-join.properties}:
 * they start with an empty group and the leader adds them), see design/raft.md.
 *
 * <p>Reads are local and never touch Raft; writes go through the Raft log with
 * the client's asynchronous API (any number of threads may update at once; the
 * client finds the leader, so a follower's writes are forwarded) and return once
 * the transaction is applied to the local copy.
 *
 * <p>The transport is gRPC, with mutual TLS when a {@link RaftTls} is given
 * (always in the daemon; tests may run without).
 */
final class ReplicatedStore implements Store, AutoCloseable {

    private static final Logger LOG = LogManager.getLogger(ReplicatedStore.class);

    /** Slack on top of the commit timeout for the client's last attempt to come back. */
    private static final long REPLY_SLACK_MS = 1_000;

    static final String RECOVERY_HINT = "writes are refused until a majority of the managers is back."
            + " To recover with this manager alone, restart it with --force-new-cluster";

    private final LocalNode node;
    private final StoreConfig config;
    private final RaftTls tls;
    private final LeadershipNotifier leadership;
    private final boolean ownNotifier;
    private final MemoryStore memory;
    private final Path stateDir;
    private final Path raftDir;
    private final RaftGroupId groupId;
    private final RaftPeerId self;
    private final RaftPeer selfPeer;
    private final ClientId localClientId = ClientId.randomId();
    private final AtomicLong localCalls = new AtomicLong();
    private final CountDownLatch ready = new CountDownLatch(1);
    private final Object lifecycle = new Object();
    private final GroupMembership membership = new GroupMembership(this);
    /** Threads closing clients that are no longer needed; joined by {@link #close()}. */
    private final List<Thread> closers = new java.util.concurrent.CopyOnWriteArrayList<>();

    private StoreStateMachine stateMachine;
    private volatile RaftServer server;
    private volatile RaftClient client;
    /** Answers at once, no retries: group info queries. */
    private volatile RaftClient probe;
    private volatile RaftProperties properties;
    /** Whether the leader state of this manager's current term logs the commit index. */
    private volatile boolean leaderLogsCommitIndex;
    private final java.util.concurrent.atomic.AtomicBoolean handingOver =
            new java.util.concurrent.atomic.AtomicBoolean();
    private volatile Parameters parameters;
    private boolean started;
    private volatile boolean closed;
    /** The store's meters (commit latency, leader elections); null: none. */
    private volatile RaftMetrics metrics;

    /**
     * A store whose Raft transport is plain gRPC (tests).
     *
     * @param leadership where leadership changes go; null for a notifier of the store's own
     */
    ReplicatedStore(LocalNode node, StoreConfig config, LeadershipNotifier leadership) {
        this(node, config, leadership, null);
    }

    /**
     * @param leadership where leadership changes go; null for a notifier of the store's own
     * @param tls the mutual TLS of the Raft transport; null for plain gRPC
     */
    ReplicatedStore(LocalNode node, StoreConfig config, LeadershipNotifier leadership, RaftTls tls) {
        this.node = Objects.requireNonNull(node, "node");
        this.config = Objects.requireNonNull(config, "config");
        this.tls = tls;
        this.ownNotifier = leadership == null;
        this.leadership = leadership == null ? new LeadershipNotifier() : leadership;
        this.memory = new MemoryStore(config.watchQueueCapacity());
        this.stateDir = node.stateDir();
        this.raftDir = stateDir.resolve("raft");
        this.self = RaftPeerId.valueOf(node.nodeId());
        this.selfPeer = RaftPeer.newBuilder().setId(self).setAddress(peerAddress(node)).build();
        this.groupId = RaftGroupId.valueOf(groupId(node.clusterId()));
    }

    /** The Raft group of a cluster: a name-based UUID of its ID. */
    static UUID groupId(String clusterId) {
        return UUID.nameUUIDFromBytes(clusterId.getBytes(StandardCharsets.UTF_8));
    }

    /** The address other managers dial: the raft address, with the advertise host if it is a wildcard. */
    static String peerAddress(LocalNode node) {
        String raft = node.raftAddr();
        try {
            HostPort listen = HostPort.parse(raft);
            if (isWildcard(listen.host()) && node.advertiseAddr() != null) {
                String host = HostPort.parse(node.advertiseAddr()).host();
                if (!isWildcard(host)) {
                    return (host.contains(":") ? "[" + host + "]" : host) + ":" + listen.port();
                }
            }
        } catch (StartupException e) {
            // start() reports the bad address
        }
        return raft;
    }

    private static boolean isWildcard(String host) {
        return host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
    }

    // ------------------------------------------------------------------ life cycle

    /**
     * Checks the storage, prepares it (join: moves old state away; --force-new-cluster:
     * rebuilds it as a one-member group), starts the Raft server (formatting the
     * group's storage on the first start, recovering it from snapshot and log later),
     * joins the group if asked to, and waits until the store can serve: in a
     * one-member group, until this peer leads and has applied the whole log; in a
     * larger one, until its copy has caught up with the leader's commit index (or,
     * with no leader, {@code leaderWaitTimeout} has passed).
     *
     * @throws StartupException with a one-line message; whatever was started is stopped again
     */
    void start() throws StartupException {
        synchronized (lifecycle) {
            if (started || closed) {
                throw new IllegalStateException("a store starts once");
            }
            started = true;
        }
        long deadline = System.nanoTime() + config.startTimeout().toNanos();
        HostPort listen = HostPort.parse(node.raftAddr());
        checkCanListen(listen);
        UUID gid = groupId.getUuid();
        ForceNewCluster.finishInterrupted(stateDir, raftDir, gid);
        RaftDirs.JoinRequest join = RaftDirs.readJoinRequest(stateDir);
        boolean existing = RaftStorageCheck.check(raftDir, gid, node.clusterId());
        if (config.forceNewCluster()) {
            if (join != null) {
                LOG.warn("--force-new-cluster: ignoring and deleting {} (this manager does not join, it starts a"
                        + " new cluster from its own state)", join.file());
                join.delete();
                join = null;
            }
            if (existing) {
                ForceNewCluster.rebuild(stateDir, raftDir, gid, node.nodeId());
                existing = RaftStorageCheck.check(raftDir, gid, node.clusterId());
            } else {
                LOG.warn("--force-new-cluster: this manager has no raft state in {}; it starts a new cluster", raftDir);
            }
        } else if (join != null && existing) {
            RaftDirs.requireUnlocked(raftDir.resolve(gid.toString()));
            Path old;
            try {
                old = RaftDirs.moveAway(stateDir, raftDir.resolve(gid.toString()));
            } catch (IOException e) {
                throw new StartupException("cannot move the old raft state " + raftDir.resolve(gid.toString())
                        + " out of the way to join the managers (" + e + "); move it by hand", e);
            }
            LOG.info("joining the managers' raft group: moved this manager's old raft state to {}", old);
            existing = false;
        }
        LOG.info("starting the store: raft group {} (cluster {}), peer {} at {}, storage {} ({}){}", gid,
                node.clusterId(), node.nodeId(), selfPeer.getAddress(), raftDir,
                existing ? "recovering" : "new", join != null ? ", joining " + join.peers() : "");
        RaftServer newServer = null;
        RaftClient newClient = null;
        try {
            Files.createDirectories(raftDir);
            properties = properties(listen);
            parameters = parameters();
            stateMachine = new StoreStateMachine(memory, leader -> {
                if (leader) {
                    // what this term's leader state was made with (Ratis reads it when it takes office)
                    leaderLogsCommitIndex = RaftServerConfigKeys.Log.logMetadataEnabled(properties);
                }
                leadership.leadershipChanged(leader);
                if (leader) {
                    ready.countDown(); // after: isLeader() is true once start() returns
                    handOverIfCommitIndexUnlogged();
                }
            });
            stateMachine.setMembershipSink(this::configurationApplied);
            stateMachine.setLeaderElectedSink(() -> {
                RaftMetrics m = metrics;
                if (m != null) {
                    m.leaderChanged();
                }
            });
            // a group of several managers logs the leader's commit index; a one-member group does not
            logCommitIndex(join != null || (!config.forceNewCluster() && existing
                    && RaftStorageCheck.lastConfigurationSize(raftDir.resolve(gid.toString())) > 1));
            // a joining manager starts with no members: it never campaigns, and waits for the leader to add it
            RaftGroup startGroup = join != null ? RaftGroup.valueOf(groupId) : RaftGroup.valueOf(groupId, selfPeer);
            boolean recover = existing;
            newServer = RatisClassLoading.call(() -> RaftServer.newBuilder()
                    .setServerId(self)
                    .setGroup(startGroup)
                    .setStateMachine(stateMachine)
                    .setProperties(properties)
                    .setParameters(parameters)
                    .setOption(recover ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
                    .build());
            RaftServer built = newServer;
            RatisClassLoading.call(() -> {
                built.start();
                return null;
            });
            synchronized (lifecycle) {
                if (!closed) {
                    server = newServer;
                    newServer = null;
                }
            }
            if (newServer != null) {
                throw new StartupException("the store was stopped while it was starting");
            }
            if (join != null) {
                joinGroup(join, deadline);
                join.delete();
            }
            Collection<RaftPeer> members = built.getDivision(groupId).getRaftConf().getCurrentPeers();
            RaftGroup group = RaftGroup.valueOf(groupId, members.isEmpty() ? List.of(selfPeer) : members);
            newClient = newClient(group, retryPolicy());
            synchronized (lifecycle) {
                if (!closed) {
                    client = newClient;
                    newClient = null;
                }
            }
            if (newClient != null) {
                throw new StartupException("the store was stopped while it was starting");
            }
            handOverIfCommitIndexUnlogged(); // in case it led before its client was up
        } catch (Exception e) {
            StartupException failure = describe(e);
            RaftServer s;
            synchronized (lifecycle) {
                s = takeServer();
            }
            stopRaft(newClient, newServer != null ? newServer : s);
            throw failure;
        }
        awaitServing(deadline);
    }

    /** Waits until the store may be registered; see {@link #start()}. */
    private void awaitServing(long deadline) throws StartupException {
        int members;
        boolean alone;
        try {
            Collection<RaftPeer> peers = division().getRaftConf().getCurrentPeers();
            members = peers.size();
            alone = peers.isEmpty() || (members == 1 && peers.iterator().next().getId().equals(self));
        } catch (IOException e) {
            throw stopped();
        }
        if (alone) {
            boolean leader;
            try {
                leader = ready.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                leader = false;
            }
            if (closed) {
                throw stopped();
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
                        + config.startTimeout().toSeconds() + "s (raft group " + groupId.getUuid() + " at "
                        + node.raftAddr() + "); see the daemon log for why");
            }
            LOG.info("the store is ready at index {} ({} watchers)", memory.index(), memory.watcherCount());
            return;
        }
        awaitCaughtUp(deadline, members);
    }

    /**
     * A member of a larger group serves once its copy holds what the leader had
     * committed when this manager first reached it; with no leader within
     * {@code leaderWaitTimeout} (lost quorum) or no catch-up by the start deadline,
     * it serves its local copy anyway, with a warning.
     */
    private void awaitCaughtUp(long deadline, int members) throws StartupException {
        long noLeaderDeadline = System.nanoTime() + config.leaderWaitTimeout().toNanos();
        long target = -1;
        RaftPeerId targetFrom = null;
        while (true) {
            if (closed) {
                throw stopped();
            }
            if (leadership.isLeader()) {
                LOG.info("the store is ready at index {}: this manager leads the raft group of {} managers",
                        memory.index(), members);
                return;
            }
            if (target < 0) {
                GroupView v = localViewOrNull();
                RaftPeerId leader = v == null ? null : v.leader();
                if (leader != null && !leader.equals(self)) {
                    target = leaderCommitIndex(leader);
                    targetFrom = leader;
                }
            }
            long applied = appliedIndex();
            if (target >= 0 && applied >= target) {
                LOG.info("the store is ready at index {}: caught up with raft leader {} (its commit index was {})",
                        memory.index(), targetFrom, target);
                return;
            }
            long now = System.nanoTime();
            if (target < 0 && now - noLeaderDeadline > 0) {
                LOG.warn("no raft leader within {}s: this manager serves reads from its local copy (index {}),"
                                + " and its writes fail until a leader is elected (a majority of the {} managers"
                                + " must be up); if the others are gone for good, restart it with --force-new-cluster",
                        config.leaderWaitTimeout().toSeconds(), memory.index(), members);
                return;
            }
            if (now - deadline > 0) {
                LOG.warn("this manager has not caught up with the raft leader within {}s (index {} of {});"
                        + " serving its local copy anyway", config.startTimeout().toSeconds(), applied, target);
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw stopped();
            }
        }
    }

    /**
     * Whether leaders elected on this server log their commit index (Ratis log
     * metadata entries): on in a group of several managers, where it lets a manager
     * restarted without a leader apply what was committed, and makes followers learn
     * a new commit index at once rather than with the next heartbeat (a follower's own
     * write waits for that); off in a one-member group, where it would buy nothing and
     * only put gaps between the log indexes of transactions. Ratis reads the setting
     * when a leader takes office.
     */
    private void logCommitIndex(boolean on) {
        RaftProperties p = properties;
        if (p != null && RaftServerConfigKeys.Log.logMetadataEnabled(p) != on) {
            RaftServerConfigKeys.Log.setLogMetadataEnabled(p, on);
            LOG.debug("raft leaders on this manager {} log their commit index", on ? "now" : "no longer");
        }
    }

    private void configurationApplied(org.apache.ratis.proto.RaftProtos.RaftConfigurationProto conf) {
        logCommitIndex(conf.getPeersCount() > 1 || conf.getOldPeersCount() > 1);
        if (conf.getOldPeersCount() == 0) { // leadership cannot move while the configuration changes
            handOverIfCommitIndexUnlogged();
        }
    }

    /**
     * A leader that took office in a one-member group does not log its commit index;
     * once others have joined it hands leadership to one of them (whose leader state is
     * made with the setting on). Once, when the second manager joins; a blip of a few
     * hundred milliseconds for writes.
     */
    private void handOverIfCommitIndexUnlogged() {
        if (leaderLogsCommitIndex || !leadership.isLeader() || closed
                || !RaftServerConfigKeys.Log.logMetadataEnabled(properties)) {
            return;
        }
        if (!handingOver.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                if (client == null) {
                    return; // still starting: done again once it leads with the client up
                }
                membership.transferLeadership(null);
                LOG.info("handed raft leadership over so that the new leader logs its commit index (a group of"
                        + " several managers)");
            } catch (RuntimeException e) {
                LOG.warn("could not hand raft leadership over ({}); followers learn the commit index with"
                        + " heartbeats until the next election", e.getMessage());
            } finally {
                handingOver.set(false);
            }
        }, "swarmlet-store-handover");
        t.setDaemon(true);
        closers.add(t);
        t.start();
    }

    /** Ratis' applied index (it counts the leader's commit-index entries, which the store's index skips). */
    private long appliedIndex() {
        try {
            return division().getInfo().getLastAppliedIndex();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The leader's commit index, asked of the leader itself; -1 if it does not answer as leader. */
    private long leaderCommitIndex(RaftPeerId leader) {
        try {
            GroupInfoReply r = groupInfo(leader);
            if (r == null || !r.isSuccess() || r.getRoleInfoProto().getRole() != RaftPeerRole.LEADER) {
                return -1;
            }
            LogInfoProto log = r.getLogInfoProto();
            long index = Math.max(log.hasCommitted() ? log.getCommitted().getIndex() : -1,
                    log.hasApplied() ? log.getApplied().getIndex() : -1);
            for (CommitInfoProto c : r.getCommitInfos()) {
                if (c.getServer().getId().equals(leader.toByteString())) {
                    index = Math.max(index, c.getCommitIndex());
                }
            }
            return index;
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not ask raft leader {} for its commit index", leader, e);
            return -1;
        }
    }

    /**
     * Asks the existing group (through the members listed in the join request) to
     * add this manager, until it is a member or the start deadline passes.
     */
    private void joinGroup(RaftDirs.JoinRequest join, long deadline) throws Exception {
        List<RaftPeer> peers = new ArrayList<>();
        join.peers().forEach((id, addr) -> {
            if (!id.equals(node.nodeId())) {
                peers.add(RaftPeer.newBuilder().setId(id).setAddress(addr).build());
            }
        });
        if (peers.isEmpty()) {
            throw new StartupException(join.file() + " names no manager but this one; fix it, or remove it to start"
                    + " from this manager's own raft state");
        }
        SetConfigurationRequest.Arguments add = SetConfigurationRequest.Arguments.newBuilder()
                .setServersInNewConf(List.of(selfPeer))
                .setMode(SetConfigurationRequest.Mode.ADD)
                .build();
        LOG.info("asking the managers {} to add this manager ({}) to the raft group", join.peers(), selfPeer);
        Throwable last = null;
        // each attempt gives up after a short while (the loop tries again, and a retried ADD is
        // answered "in progress" until the first is done, then "no change"): the deadline holds
        RaftClient c = newClient(RaftGroup.valueOf(groupId, peers),
                retryPolicy(Math.min(config.commitTimeout().toMillis(), 2_000)));
        try {
            while (!closed) {
                try {
                    RaftClientReply r = RatisClassLoading.call(() -> c.admin().setConfiguration(add));
                    if (r.isSuccess()) {
                        LOG.info("this manager is now a member of the raft group: {}",
                                division().getRaftConf().getCurrentPeers());
                        return;
                    }
                    last = r.getException();
                } catch (IOException e) {
                    last = e;
                }
                if (System.nanoTime() - deadline > 0) {
                    break;
                }
                LOG.info("not added to the raft group yet ({}); retrying", String.valueOf(last));
                Thread.sleep(200);
            }
        } finally {
            closeLater(c);
        }
        if (closed) {
            throw stopped();
        }
        throw new StartupException("could not join the managers' raft group through " + join.peers() + " within "
                + config.startTimeout().toSeconds() + "s (" + rootCause(last) + "); check that a majority of them"
                + " is up and reachable from here (and trusts this manager's certificate), then start again", last);
    }

    private RaftClient newClient(RaftGroup group, RetryPolicy retry) throws Exception {
        return RatisClassLoading.call(() -> RaftClient.newBuilder()
                .setClientId(ClientId.randomId())
                .setRaftGroup(group)
                .setProperties(properties)
                .setParameters(parameters)
                .setRetryPolicy(retry)
                .build());
    }

    private StartupException stopped() {
        return new StartupException("the store was stopped while it was starting");
    }

    /** Fails early, before the storage is touched, when the raft port cannot be bound. */
    private void checkCanListen(HostPort listen) throws StartupException {
        InetSocketAddress address = listen.host().isEmpty()
                ? new InetSocketAddress(listen.port()) : new InetSocketAddress(listen.host(), listen.port());
        try (ServerSocket probeSocket = new ServerSocket()) {
            probeSocket.setReuseAddress(true);
            probeSocket.bind(address);
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
        // whether leaders log their commit index: by group size, see logCommitIndex
        RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, config.snapshotThreshold());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, config.snapshotRetention());
        RaftServerConfigKeys.Snapshot.setTriggerWhenStopEnabled(p, config.snapshotOnStop());
        RaftClientConfigKeys.Async.setOutstandingRequestsMax(p, config.clientOutstandingMax());
        // one log entry may carry a cluster plugin's jar (ControlApi.MAX_PLUGIN_BYTES, 4 MiB) plus the
        // transaction around it; Ratis refuses entries over this limit (default 4 MB). The write buffer
        // (default 8 MB) must hold one entry plus 8 bytes, which it still does.
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, org.apache.ratis.util.SizeInBytes.valueOf("6MB"));
        // the retry cache only has to outlive a client's retries (bounded by the commit timeout)
        RaftServerConfigKeys.RetryCache.setExpiryTime(p,
                TimeDuration.valueOf(config.commitTimeout().toMillis() + 10_000, TimeUnit.MILLISECONDS));
        // failover: a follower that has not heard from the leader for a random time between min and
        // max campaigns (after a pre-vote, so a member that was cut off does not depose a working
        // leader when it comes back); the leader heartbeats every min/2 and steps down when it has
        // not heard from a majority for max
        TimeDuration min = millis(config.electionTimeoutMin().toMillis());
        TimeDuration max = millis(config.electionTimeoutMax().toMillis());
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, min);
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, max);
        RaftServerConfigKeys.LeaderElection.setPreVote(p, true);
        // a leader that stepped down for lack of a majority (or a JVM paused this long) does not
        // campaign again for this long, leaving the election to the members that still hear each other
        RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(p, millis(3 * max.toLong(TimeUnit.MILLISECONDS)));
        return p;
    }

    private static TimeDuration millis(long ms) {
        return TimeDuration.valueOf(ms, TimeUnit.MILLISECONDS);
    }

    private Parameters parameters() {
        Parameters p = new Parameters();
        if (tls != null) {
            // one TLS configuration for the server port (peers, clients, admin) and every client
            GrpcConfigKeys.TLS.setConf(p, tls.grpc());
        }
        return p;
    }

    /** Retry while there is no leader, up to the commit timeout, then give up (NO_QUORUM). */
    private RetryPolicy retryPolicy() {
        return retryPolicy(config.commitTimeout().toMillis());
    }

    private static RetryPolicy retryPolicy(long timeoutMs) {
        TimeDuration sleep = millis(50);
        TimeDuration timeout = millis(timeoutMs);
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
        return new StartupException("the store could not start on " + raftDir + " (" + rootCause(e)
                + "); see the daemon log", e);
    }

    private static Throwable rootCause(Throwable e) {
        Throwable root = e;
        while (root != null && root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    static Throwable cause(Throwable e, Class<? extends Throwable> type) {
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

    /** Closes watchers, clients and server; no thread of the store is left. Idempotent. */
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
        RaftClient p;
        RaftServer s;
        synchronized (lifecycle) {
            c = takeClient();
            p = probe;
            probe = null;
            s = takeServer();
        }
        stopRaft(c, p, s);
        for (Thread t : closers) {
            join(t);
        }
        leadership.leadershipChanged(false);
        if (ownNotifier) {
            leadership.close();
        }
        LOG.info("the store stopped at index {}", memory.index());
    }

    /**
     * After {@link #close()}: moves this manager's Raft group directory to
     * {@code <state-dir>/raft-old-<timestamp>} (it stopped being a manager; should it be
     * promoted again it joins afresh).
     */
    void discardRaftState() {
        if (!closed) {
            throw new IllegalStateException("close the store first");
        }
        Path groupDir = raftDir.resolve(groupId.getUuid().toString());
        if (!Files.exists(groupDir)) {
            return;
        }
        try {
            Path moved = RaftDirs.moveAway(stateDir, groupDir);
            LOG.info("this node is no longer a manager: moved its raft state to {}", moved);
        } catch (IOException e) {
            LOG.warn("this node is no longer a manager, but its raft state {} could not be moved away ({});"
                    + " remove it before promoting the node again", groupDir, e.toString());
        }
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

    /**
     * Closes Ratis clients and servers, each on a thread of its own: every one ends with
     * a graceful shutdown of its Netty event loops (a 2 s quiet period), so one after the
     * other would add up.
     */
    private static void stopRaft(AutoCloseable... closeables) {
        List<Thread> threads = new ArrayList<>();
        for (AutoCloseable c : closeables) {
            if (c != null) {
                Thread t = closer(c);
                t.start();
                threads.add(t);
            }
        }
        threads.forEach(ReplicatedStore::join);
    }

    /** Closes a client no longer needed without waiting for it ({@link #close()} waits). */
    private void closeLater(AutoCloseable c) {
        Thread t = closer(c);
        closers.add(t);
        t.start();
    }

    private static Thread closer(AutoCloseable c) {
        Thread t = new Thread(() -> {
            try {
                RatisClassLoading.call(() -> {
                    closeQuietly(c, c instanceof RaftServer ? "raft server" : "raft client");
                    return null;
                });
            } catch (Exception e) {
                LOG.warn("stopping raft failed", e);
            }
        }, "swarmlet-store-close");
        t.setDaemon(true);
        return t;
    }

    private static void join(Thread t) {
        try {
            t.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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

    /** Where the store's meters go (set before {@link #start}). */
    void setMetrics(RaftMetrics metrics) {
        this.metrics = metrics;
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
     * asynchronous API, which finds the leader (a follower's write is forwarded
     * to it) and retries while there is none. All within the commit timeout.
     */
    long commit(StoreTransaction transaction) {
        long proposed = System.nanoTime();
        RaftServer s = server;
        RaftClient c = client;
        if (s == null || c == null || closed) {
            throw new StoreException(Reason.INTERNAL, "the store is not running");
        }
        long deadline = System.nanoTime() + config.commitTimeout().toNanos();
        Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(transaction.toByteArray()));
        RaftClientReply reply = null;
        if (config.localSubmit() && leadership.isLeader()) {
            reply = await(submitLocally(s, message), deadline);
            if (!reply.isSuccess() && (reply.getNotLeaderException() != null
                    || reply.getException() instanceof LeaderNotReadyException
                    || reply.getException() instanceof LeaderSteppingDownException
                    || reply.getException() instanceof ResourceUnavailableException)) {
                // leadership moved, or the server is full: the client finds the leader and retries
                LOG.debug("could not propose locally ({}); proposing through the raft client", reply.getException());
                reply = null;
            }
        }
        if (reply == null) {
            reply = await(c.async().send(message), deadline);
        }
        if (!reply.isSuccess()) {
            throw failure(reply.getException());
        }
        ApplyResult result = ApplyResult.decode(reply.getMessage().getContent().toByteArray());
        if (!result.ok()) {
            throw result.toException();
        }
        long index = reply.getLogIndex();
        long applyDeadline = System.nanoTime() + config.commitTimeout().toNanos();
        try {
            while (!memory.awaitApplied(index, TimeUnit.MILLISECONDS.toNanos(100))) {
                if (closed) {
                    throw new StoreException(Reason.INTERNAL, "the store is stopping (the transaction was committed"
                            + " at index " + index + ")");
                }
                if (System.nanoTime() - applyDeadline > 0) {
                    throw new StoreException(Reason.INTERNAL, "the transaction was committed at index " + index
                            + " but this manager has not applied it within " + config.commitTimeout().toSeconds()
                            + "s");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(Reason.INTERNAL, "interrupted while waiting for index " + index
                    + " to be applied (the transaction was committed)", e);
        }
        RaftMetrics m = metrics;
        if (m != null) {
            m.committed(System.nanoTime() - proposed);
        }
        return index;
    }

    private CompletableFuture<RaftClientReply> submitLocally(RaftServer s, Message message) {
        RaftClientRequest request = RaftClientRequest.newBuilder()
                .setClientId(localClientId)
                .setServerId(self)
                .setGroupId(groupId)
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

    private RaftClientReply await(CompletableFuture<RaftClientReply> future, long deadline) {
        try {
            long left = Math.max(0, deadline - System.nanoTime()) + TimeUnit.MILLISECONDS.toNanos(REPLY_SLACK_MS);
            return future.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw noQuorum(null);
        } catch (ExecutionException | CompletionException e) {
            throw failure(e.getCause() == null ? e : e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(Reason.INTERNAL,
                    "interrupted while waiting for the transaction to commit (it may still be applied)", e);
        }
    }

    /** NO_QUORUM, saying what this manager sees of the group and how to recover. */
    StoreException noQuorum(Throwable cause) {
        StoreException e = new StoreException(Reason.NO_QUORUM, lostQuorumMessage(
                "did not commit the write within " + config.commitTimeout().toSeconds() + "s"));
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    /**
     * "the managers have lost quorum (raft leader unknown; 1 of 3 managers reachable): writes
     * are refused until a majority of the managers is back. To recover with this manager
     * alone, restart it with --force-new-cluster".
     *
     * @param leaderSituation what the known leader did (used when a leader is known)
     */
    String lostQuorumMessage(String leaderSituation) {
        GroupView v = localViewOrNull();
        String what;
        if (v == null) {
            what = "the raft server is not running on this manager";
        } else if (!v.contains(self)) {
            what = "this manager is not a member of the raft group";
        } else {
            int reachable = countReachable(v);
            what = (v.leader() == null ? "raft leader unknown" : "raft leader " + v.leader() + " " + leaderSituation)
                    + "; " + reachable + " of " + v.peers().size() + " managers reachable";
        }
        return "the managers have lost quorum (" + what + "): " + RECOVERY_HINT;
    }

    /**
     * The members this manager knows to be up (itself, the leader it hears from, on the
     * leader the followers that answer), plus the other members that accept a TCP
     * connection on their raft port right now.
     */
    private int countReachable(GroupView v) {
        Set<RaftPeerId> up = new HashSet<>(v.reachable());
        List<Thread> probes = new ArrayList<>();
        AtomicInteger more = new AtomicInteger();
        for (RaftPeer p : v.peers()) {
            if (up.contains(p.getId())) {
                continue;
            }
            Thread t = new Thread(() -> {
                try {
                    HostPort hp = HostPort.parse(p.getAddress());
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress(hp.host(), hp.port()), 250);
                        more.incrementAndGet();
                    }
                } catch (IOException | StartupException | RuntimeException e) {
                    // not reachable
                }
            }, "swarmlet-store-probe");
            t.setDaemon(true);
            t.start();
            probes.add(t);
        }
        for (Thread t : probes) {
            try {
                t.join(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return (int) v.peers().stream().filter(p -> up.contains(p.getId())).count() + more.get();
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
        if (isNoLeader(e)) {
            return noQuorum(e);
        }
        return new StoreException(Reason.INTERNAL, "could not commit the transaction: " + e, e);
    }

    /** No leader could be reached or none committed in time: retries exhausted, leader gone or not ready. */
    static boolean isNoLeader(Throwable e) {
        return e instanceof RaftRetryFailureException || e instanceof NotLeaderException
                || e instanceof LeaderNotReadyException || e instanceof LeaderSteppingDownException
                || e instanceof TimeoutIOException || e instanceof AlreadyClosedException
                || cause(e, ConnectException.class) != null;
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

    // ------------------------------------------------------------------ the group as this manager sees it

    /**
     * The current members, the leader (if one was heard from recently) and which
     * members are known to be up. On the leader: the followers that answered within
     * three election timeouts; elsewhere: this manager and the leader.
     *
     * @param commitIndex per member, where known (the leader's view)
     */
    record GroupView(List<RaftPeer> peers, RaftPeerId leader, Set<RaftPeerId> reachable,
            Map<RaftPeerId, Long> commitIndex) {
        boolean contains(RaftPeerId id) {
            return peers.stream().anyMatch(p -> p.getId().equals(id));
        }
    }

    RaftServer.Division division() throws IOException {
        RaftServer s = server;
        if (s == null || closed) {
            throw new IOException("the store is not running");
        }
        return s.getDivision(groupId);
    }

    GroupView localView() throws IOException {
        RaftServer.Division d = division();
        List<RaftPeer> peers = new ArrayList<>(d.getRaftConf().getCurrentPeers());
        Map<RaftPeerId, Long> commits = new HashMap<>();
        if (d.getInfo().isLeader()) {
            for (CommitInfoProto c : d.getCommitInfos()) {
                commits.put(RaftPeerId.valueOf(c.getServer().getId()), c.getCommitIndex());
            }
        }
        return viewOf(peers, d.getInfo().getRoleInfoProto(), commits);
    }

    GroupView localViewOrNull() {
        try {
            return localView();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The view from a member's role information (its own, or the leader's from a group info reply). */
    GroupView viewOf(List<RaftPeer> peers, RoleInfoProto role, Map<RaftPeerId, Long> commits) {
        long limit = 3 * config.electionTimeoutMax().toMillis();
        Set<RaftPeerId> reachable = new HashSet<>();
        RaftPeerId roleSelf = RaftPeerId.valueOf(role.getSelf().getId());
        reachable.add(roleSelf);
        RaftPeerId leader = null;
        if (role.getRole() == RaftPeerRole.LEADER && role.hasLeaderInfo()) {
            leader = roleSelf;
            for (ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
                if (f.getLastRpcElapsedTimeMs() <= limit) {
                    reachable.add(RaftPeerId.valueOf(f.getId().getId()));
                }
            }
        } else if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()) {
            ServerRpcProto l = role.getFollowerInfo().getLeaderInfo();
            ByteString id = l.getId().getId();
            if (!id.isEmpty() && l.getLastRpcElapsedTimeMs() <= limit) {
                leader = RaftPeerId.valueOf(id);
                reachable.add(leader);
            }
        }
        return new GroupView(List.copyOf(peers), leader, Set.copyOf(reachable), Map.copyOf(commits));
    }

    /** The leader's view: local on the leader, else asked of the leader. NO_QUORUM without a leader. */
    GroupView leaderView() {
        GroupView local;
        try {
            local = localView();
        } catch (IOException e) {
            throw new StoreException(Reason.INTERNAL, "the store is not running", e);
        }
        if (local.leader() == null) {
            throw new StoreException(Reason.NO_QUORUM, lostQuorumMessage("is not answering"));
        }
        if (local.leader().equals(self)) {
            return local;
        }
        GroupInfoReply r;
        try {
            r = groupInfo(local.leader());
        } catch (IOException | RuntimeException e) {
            throw new StoreException(Reason.NO_QUORUM, lostQuorumMessage("is not answering (" + e + ")"), e);
        }
        if (r == null || !r.isSuccess() || r.getRoleInfoProto().getRole() != RaftPeerRole.LEADER) {
            throw new StoreException(Reason.NO_QUORUM, lostQuorumMessage("is no longer the leader"));
        }
        Map<RaftPeerId, Long> commits = new HashMap<>();
        for (CommitInfoProto c : r.getCommitInfos()) {
            commits.put(RaftPeerId.valueOf(c.getServer().getId()), c.getCommitIndex());
        }
        List<RaftPeer> peers = r.getConf()
                .map(conf -> conf.getPeersList().stream().map(p -> RaftPeer.newBuilder()
                        .setId(p.getId()).setAddress(p.getAddress()).build()).toList())
                .orElse(local.peers());
        return viewOf(peers, r.getRoleInfoProto(), commits);
    }

    /** Group information from one member (no retries). */
    GroupInfoReply groupInfo(RaftPeerId member) throws IOException {
        RaftClient p = probeClient();
        try {
            p.getClientRpc().addRaftPeers(division().getRaftConf().getCurrentPeers());
            return RatisClassLoading.call(() -> p.getGroupManagementApi(member).info(groupId));
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    private RaftClient probeClient() throws IOException {
        synchronized (lifecycle) {
            if (closed) {
                throw new IOException("the store is not running");
            }
            if (probe == null) {
                try {
                    probe = newClient(RaftGroup.valueOf(groupId, selfPeer), RetryPolicies.noRetry());
                } catch (Exception e) {
                    throw new IOException("cannot make a raft client", e);
                }
            }
            return probe;
        }
    }

    /** The client that proposes (and sends admin requests), or INTERNAL when the store is not running. */
    RaftClient client() {
        RaftClient c = client;
        if (c == null || closed) {
            throw new StoreException(Reason.INTERNAL, "the store is not running");
        }
        return c;
    }

    RaftPeerId self() {
        return self;
    }

    StoreConfig config() {
        return config;
    }

    // ------------------------------------------------------------------ for the component and tests

    /** The managers' Raft group, as a service. */
    GroupMembership membership() {
        return membership;
    }

    /** The Raft group ID. */
    UUID groupUuid() {
        return groupId.getUuid();
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
        RaftClientReply reply = c.getSnapshotManagementApi(self).create(1, config.commitTimeout().toMillis());
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
