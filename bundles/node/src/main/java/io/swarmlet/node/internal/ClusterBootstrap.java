package io.swarmlet.node.internal;

import com.google.protobuf.ByteString;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.LeadershipListener;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.WriteTx;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.CAConfig;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.ClusterSpec;
import io.swarmlet.api.types.DispatcherConfig;
import io.swarmlet.api.types.JoinTokens;
import io.swarmlet.api.types.ManagerStatus;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.OrchestrationConfig;
import io.swarmlet.api.types.Platform;
import io.swarmlet.api.types.RaftConfig;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.RootCA;
import io.swarmlet.api.types.TokenFormat;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * On becoming leader: makes sure the cluster object ("default") exists, and
 * that this manager's own Node object says what it is now (ready, leader,
 * where it listens). Every other component reads these from the store.
 */
@Component(service = LeadershipListener.class, immediate = true)
public class ClusterBootstrap implements LeadershipListener {

    static final String CLUSTER_NAME = "default";
    private static final Logger LOG = LogManager.getLogger(ClusterBootstrap.class);

    @Reference
    private Store store;

    @Reference
    private LocalNode local;

    private ExecutorService worker;

    public ClusterBootstrap() {}

    /** For tests outside OSGi. */
    ClusterBootstrap(Store store, LocalNode local) {
        this.store = store;
        this.local = local;
    }

    @Activate
    void activate() {
        worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "swarmlet-cluster-bootstrap");
            t.setDaemon(true);
            return t;
        });
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        worker.shutdownNow();
        worker.awaitTermination(5, TimeUnit.SECONDS);
    }

    @Override
    public void leadershipChanged(boolean leader) {
        if (leader) {
            worker.execute(this::reconcileWithRetry);
        }
    }

    private void reconcileWithRetry() {
        for (int attempt = 1; attempt <= 5 && !Thread.currentThread().isInterrupted(); attempt++) {
            try {
                reconcile();
                return;
            } catch (StoreException e) {
                LOG.warn("cluster bootstrap attempt {} failed: {}", attempt, e.getMessage());
            }
        }
    }

    /** Writes the cluster and this node as they should be; a no-op when they already are. */
    void reconcile() {
        store.update(tx -> {
            if (tx.all(Kind.CLUSTER).isEmpty()) {
                tx.create(Kind.CLUSTER, newCluster(local.clusterId()));
                LOG.info("created cluster {} ({})", CLUSTER_NAME, local.clusterId());
            }
            upsertSelf(tx);
        });
    }

    private void upsertSelf(WriteTx tx) {
        Node current = tx.get(Kind.NODE, local.nodeId()).orElse(null);
        NodeSpec spec = current != null ? current.getSpec() : NodeSpec.newBuilder()
                .setDesiredRole(NodeRole.MANAGER)
                .setMembership(NodeSpec.Membership.ACCEPTED)
                .setAvailability(NodeSpec.Availability.ACTIVE)
                .build();
        Node.Builder want = (current != null ? current.toBuilder() : Node.newBuilder().setId(local.nodeId()))
                .setSpec(spec)
                .setRole(NodeRole.MANAGER)
                .setDescription(describe())
                .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.READY).setAddr(host(local.advertiseAddr())))
                .setManagerStatus(ManagerStatus.newBuilder()
                        .setRaftId(local.nodeId())
                        .setAddr(local.advertiseAddr())
                        .setLeader(true)
                        .setReachability(ManagerStatus.Reachability.REACHABLE));
        if (current == null) {
            tx.create(Kind.NODE, want.build());
        } else if (!want.build().equals(current)) {
            tx.update(Kind.NODE, want.build());
        }
        // only one leader: whoever was marked leader before is not any more
        for (Node other : tx.find(Kind.NODE, n -> !n.getId().equals(local.nodeId()) && n.getManagerStatus().getLeader())) {
            tx.update(Kind.NODE, other.toBuilder().setManagerStatus(other.getManagerStatus().toBuilder().setLeader(false)).build());
        }
    }

    private NodeDescription describe() {
        long memory = totalMemory();
        return NodeDescription.newBuilder()
                .setHostname(local.hostname())
                .setPlatform(Platform.newBuilder()
                        .setOs(System.getProperty("os.name", "").toLowerCase(Locale.ROOT))
                        .setArchitecture(arch(System.getProperty("os.arch", ""))))
                .setResources(Resources.newBuilder()
                        .setNanoCpus(Runtime.getRuntime().availableProcessors() * 1_000_000_000L)
                        .setMemoryBytes(memory))
                .build();
    }

    /** MemTotal from /proc/meminfo (Linux), else the JVM's max heap as a lower bound. */
    static long totalMemory() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Paths.get("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    String kb = line.substring("MemTotal:".length()).trim().split("\\s+")[0];
                    return Long.parseLong(kb) * 1024;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            LOG.debug("cannot read /proc/meminfo: {}", e.toString());
        }
        return Runtime.getRuntime().maxMemory();
    }

    static String arch(String javaArch) {
        switch (javaArch) {
            case "amd64": return "x86_64";
            case "aarch64": return "aarch64";
            default: return javaArch;
        }
    }

    static String host(String hostPort) {
        int i = hostPort.lastIndexOf(':');
        return i < 0 ? hostPort : hostPort.substring(0, i);
    }

    static Cluster newCluster(String clusterId) {
        byte[] ca = TokenFormat.placeholderCa(clusterId);
        String digest = TokenFormat.caDigest(ca);
        return Cluster.newBuilder()
                .setId(clusterId)
                .setSpec(ClusterSpec.newBuilder()
                        .setAnnotations(Annotations.newBuilder().setName(CLUSTER_NAME))
                        .setOrchestration(OrchestrationConfig.newBuilder().setTaskHistoryRetentionLimit(5))
                        .setRaft(RaftConfig.newBuilder().setSnapshotInterval(10_000).setKeepOldSnapshots(0)
                                .setHeartbeatTick(1).setElectionTick(10))
                        .setDispatcher(DispatcherConfig.newBuilder().setHeartbeatPeriodMs(5_000))
                        .setCaConfig(CAConfig.newBuilder().setNodeCertExpiryMs(90L * 24 * 3600 * 1000)))
                .setRootCa(RootCA.newBuilder().setCaCert(ByteString.copyFrom(ca)).setCaCertHash(digest))
                .setJoinTokens(JoinTokens.newBuilder().setWorker(TokenFormat.newToken(digest)).setManager(TokenFormat.newToken(digest)))
                .build();
    }
}
