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
import io.swarmlet.api.security.NodeCredentials;
import java.time.Duration;
import java.util.Locale;
import org.osgi.framework.BundleContext;
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
    /** swarmletd --dispatcher-heartbeat, ISO-8601; the new cluster's heartbeat period. */
    static final String HEARTBEAT_PROPERTY = "swarmlet.dispatcher.heartbeat";
    /** swarmletd --cert-expiry, ISO-8601; the new cluster's node certificate validity. */
    static final String CERT_EXPIRY_PROPERTY = "swarmlet.cert.expiry";

    static Duration duration(String value, Duration fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Duration.parse(value.trim());
        } catch (java.time.format.DateTimeParseException e) {
            LOG.warn("ignoring {}: not an ISO-8601 duration", value);
            return fallback;
        }
    }
    private static final Logger LOG = LogManager.getLogger(ClusterBootstrap.class);

    @Reference
    private Store store;

    @Reference
    private LocalNode local;

    @Reference(target = "(" + NodeCredentials.ROLE + "=manager)")
    private NodeCredentials credentials;

    private ExecutorService worker;
    private Duration heartbeat = Duration.ofSeconds(1);
    private Duration certExpiry = Duration.ofDays(90);

    public ClusterBootstrap() {}

    /** For tests outside OSGi. */
    ClusterBootstrap(Store store, LocalNode local, NodeCredentials credentials) {
        this.store = store;
        this.local = local;
        this.credentials = credentials;
    }

    @Activate
    void activate(BundleContext context) {
        heartbeat = duration(context.getProperty(HEARTBEAT_PROPERTY), heartbeat);
        certExpiry = duration(context.getProperty(CERT_EXPIRY_PROPERTY), certExpiry);
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
            byte[] root = rootCertificateDer();
            if (tx.all(Kind.CLUSTER).isEmpty()) {
                tx.create(Kind.CLUSTER, newCluster(local.clusterId(), root, heartbeat, certExpiry));
                LOG.info("created cluster {} ({})", CLUSTER_NAME, local.clusterId());
            } else {
                String digest = TokenFormat.caDigest(root);
                for (Cluster c : tx.all(Kind.CLUSTER)) {
                    if (!digest.equals(c.getRootCa().getCaCertHash())) {
                        // a cluster made before the CA existed: its tokens named a placeholder digest
                        tx.update(Kind.CLUSTER, withRoot(c, root));
                        LOG.info("cluster {}: root CA set, join tokens renewed", c.getId());
                    }
                }
            }
            upsertSelf(tx);
        });
    }

    /**
     * This manager's own Node: created when missing (the first manager; joined
     * nodes were created by the CA when they joined), its description and
     * address kept current. Status (READY/DOWN) belongs to the dispatcher and
     * manager status to the ManagerStatusReporter.
     */
    private void upsertSelf(WriteTx tx) {
        Node current = tx.get(Kind.NODE, local.nodeId()).orElse(null);
        if (current == null) {
            tx.create(Kind.NODE, Node.newBuilder()
                    .setId(local.nodeId())
                    .setSpec(NodeSpec.newBuilder()
                            .setDesiredRole(NodeRole.MANAGER)
                            .setMembership(NodeSpec.Membership.ACCEPTED)
                            .setAvailability(NodeSpec.Availability.ACTIVE))
                    .setRole(NodeRole.MANAGER)
                    .setDescription(describe())
                    .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.READY).setAddr(local.advertiseAddr()))
                    .setManagerStatus(ManagerStatus.newBuilder()
                            .setRaftId(local.nodeId())
                            .setAddr(local.raftAddr())
                            .setLeader(true)
                            .setReachability(ManagerStatus.Reachability.REACHABLE))
                    .build());
            return;
        }
        NodeDescription description = current.getDescription().toBuilder().mergeFrom(describe()).build();
        Node want = current.toBuilder()
                .setDescription(description)
                .setStatus(current.getStatus().toBuilder().setAddr(local.advertiseAddr()))
                .build();
        if (!want.equals(current)) {
            tx.update(Kind.NODE, want);
        }
    }

    private byte[] rootCertificateDer() {
        try {
            return credentials.rootCertificate().getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("cannot encode the root CA certificate", e);
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

    static String pem(byte[] der) {
        return "-----BEGIN CERTIFICATE-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END CERTIFICATE-----\n";
    }

    /** The cluster with this root CA certificate and new join tokens naming its digest. */
    static Cluster withRoot(Cluster c, byte[] rootCaDer) {
        String digest = TokenFormat.caDigest(rootCaDer);
        return c.toBuilder()
                .setRootCa(RootCA.newBuilder()
                        .setCaCert(ByteString.copyFrom(pem(rootCaDer), java.nio.charset.StandardCharsets.US_ASCII))
                        .setCaCertHash(digest))
                .setJoinTokens(JoinTokens.newBuilder().setWorker(TokenFormat.newToken(digest)).setManager(TokenFormat.newToken(digest)))
                .build();
    }

    static Cluster newCluster(String clusterId, byte[] rootCaDer, Duration heartbeat, Duration certExpiry) {
        Cluster.Builder b = Cluster.newBuilder()
                .setId(clusterId)
                .setSpec(ClusterSpec.newBuilder()
                        .setAnnotations(Annotations.newBuilder().setName(CLUSTER_NAME))
                        .setOrchestration(OrchestrationConfig.newBuilder().setTaskHistoryRetentionLimit(5))
                        .setRaft(RaftConfig.newBuilder().setSnapshotInterval(10_000).setKeepOldSnapshots(0)
                                .setHeartbeatTick(1).setElectionTick(10))
                        .setDispatcher(DispatcherConfig.newBuilder().setHeartbeatPeriodMs(heartbeat.toMillis()))
                        .setCaConfig(CAConfig.newBuilder().setNodeCertExpiryMs(certExpiry.toMillis())));
        return withRoot(b.build(), rootCaDer);
    }
}
