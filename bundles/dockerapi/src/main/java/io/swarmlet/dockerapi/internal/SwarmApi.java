package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.JoinAddresses;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.ClusterSpec;
import io.swarmlet.api.types.GetClusterRequest;
import io.swarmlet.api.types.GetUnlockKeyRequest;
import io.swarmlet.api.types.ListClustersRequest;
import io.swarmlet.api.types.ListFilters;
import io.swarmlet.api.types.ListNodesRequest;
import io.swarmlet.api.types.ListTasksRequest;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.UnlockSwarmRequest;
import io.swarmlet.api.types.UpdateClusterRequest;
import io.swarmlet.api.types.VersionRequest;
import io.swarmlet.api.types.VersionResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code /info} (the engine's Info with a truthful Swarm section: this daemon is always
 * an active manager) and {@code /swarm}: inspect, update (merged into the current spec
 * as dockerd does), the unlock key and unlock. A Swarmlet daemon cannot init, join or
 * leave through this API: it answers as a node that is already in a swarm.
 */
final class SwarmApi implements Router.Group {

    static final String ALREADY_IN_SWARM =
            "This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one.";

    /** Swarmlet's network pool (controlapi Networks.POOL): /24s from 10.0.0.0/8. */
    static final String ADDR_POOL = "10.0.0.0/8";

    static final int SUBNET_SIZE = 24;

    @Override
    public void register(Router r) {
        r.get("/info", this::info);
        r.get("/swarm", c -> swarm(cluster(c.api())));
        r.post("/swarm/update", this::update);
        r.get("/swarm/unlockkey", c -> Json.object().put("UnlockKey",
                c.api().getUnlockKey(GetUnlockKeyRequest.getDefaultInstance()).getUnlockKey()));
        r.post("/swarm/unlock", this::unlock);
        r.post("/swarm/init", c -> {
            throw new DockerError(503, ALREADY_IN_SWARM);
        });
        r.post("/swarm/join", c -> {
            throw new DockerError(503, ALREADY_IN_SWARM);
        });
        r.post("/swarm/leave", c -> {
            throw new DockerError(501, "a Swarmlet node leaves its swarm with `swarmlet swarm leave` (add --force on a"
                    + " manager) run on that node itself; the Docker Engine API of a manager cannot make a node leave");
        });
    }

    /** The cluster this manager belongs to. */
    static Cluster cluster(ControlApi api) {
        String id = api.version(VersionRequest.getDefaultInstance()).getClusterId();
        if (!id.isEmpty()) {
            return api.getCluster(GetClusterRequest.newBuilder().setId(id).build()).getCluster();
        }
        List<Cluster> all = api.listClusters(ListClustersRequest.getDefaultInstance()).getClustersList();
        if (all.isEmpty()) {
            throw new DockerError(503, "the swarm has no cluster object yet: try again in a moment");
        }
        return all.get(0);
    }

    /** The cluster's root CA certificate (PEM), "" when unknown. */
    static String trustRoot(ControlApi api) {
        try {
            return cluster(api).getRootCa().getCaCert().toString(StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** Docker's ClusterInfo (moby's convert/swarm.go). */
    static ObjectNode clusterInfo(Cluster c) {
        ObjectNode o = Json.object();
        o.put("ID", c.getId());
        Shapes.meta(o, c.getMeta());
        ClusterSpec s = c.getSpec();
        ObjectNode spec = o.putObject("Spec");
        spec.put("Name", s.getAnnotations().getName());
        spec.set("Labels", Json.labels(s.getAnnotations().getLabelsMap()));
        spec.putObject("Orchestration").put("TaskHistoryRetentionLimit", s.getOrchestration().getTaskHistoryRetentionLimit());
        spec.putObject("Raft").put("SnapshotInterval", s.getRaft().getSnapshotInterval())
                .put("KeepOldSnapshots", s.getRaft().getKeepOldSnapshots())
                .put("LogEntriesForSlowFollowers", 0)
                .put("ElectionTick", s.getRaft().getElectionTick())
                .put("HeartbeatTick", s.getRaft().getHeartbeatTick());
        spec.putObject("Dispatcher").put("HeartbeatPeriod", s.getDispatcher().getHeartbeatPeriodMs() * 1_000_000L);
        spec.putObject("CAConfig").put("NodeCertExpiry", s.getCaConfig().getNodeCertExpiryMs() * 1_000_000L);
        spec.putObject("TaskDefaults");
        spec.putObject("EncryptionConfig").put("AutoLockManagers", s.getEncryption().getAutoLockManagers());
        o.putObject("TLSInfo").put("TrustRoot", c.getRootCa().getCaCert().toString(StandardCharsets.UTF_8))
                .put("CertIssuerSubject", "").put("CertIssuerPublicKey", "");
        o.put("RootRotationInProgress", false);
        o.putArray("DefaultAddrPool").add(ADDR_POOL);
        o.put("SubnetSize", SUBNET_SIZE);
        o.put("DataPathPort", 0);
        return o;
    }

    /** Docker's Swarm: ClusterInfo and the join tokens. */
    static ObjectNode swarm(Cluster c) {
        ObjectNode o = clusterInfo(c);
        o.putObject("JoinTokens").put("Worker", c.getJoinTokens().getWorker()).put("Manager", c.getJoinTokens().getManager());
        return o;
    }

    private Router.Reply update(Call c) {
        long version = c.version("swarm");
        boolean rotateWorker = c.flag("rotateWorkerToken");
        boolean rotateManager = c.flag("rotateManagerToken");
        boolean rotateUnlock = c.flag("rotateManagerUnlockKey");
        JsonNode body = c.body();
        ControlApi api = c.api();
        Cluster current = cluster(api);
        ClusterSpec spec = merge(Json.Obj.root(body), current.getSpec());
        api.updateCluster(UpdateClusterRequest.newBuilder().setId(current.getId()).setVersion(version).setSpec(spec)
                .setRotateWorkerToken(rotateWorker).setRotateManagerToken(rotateManager).setRotateUnlockKey(rotateUnlock)
                .build());
        return Router.Reply.ok();
    }

    /**
     * Docker's Spec merged into the current one as dockerd's MergeSwarmSpecToGRPC does: set
     * (non-zero) values replace, zero values keep what is there; labels replace when given;
     * AutoLockManagers is always taken. Swarmlet's own settings (mesh, placement strategy)
     * are kept.
     */
    static ClusterSpec merge(Json.Obj s, ClusterSpec current) {
        ClusterSpec.Builder b = current.toBuilder();
        String name = s.str("Name");
        if (!name.isEmpty()) {
            b.getAnnotationsBuilder().setName(name);
        }
        Map<String, String> labels = s.map("Labels");
        if (!labels.isEmpty()) {
            b.getAnnotationsBuilder().clearLabels().putAllLabels(labels);
        }
        Json.Obj orch = s.obj("Orchestration");
        if (orch.has("TaskHistoryRetentionLimit")) {
            b.getOrchestrationBuilder().setTaskHistoryRetentionLimit(orch.lng("TaskHistoryRetentionLimit"));
        }
        orch.done();
        Json.Obj raft = s.obj("Raft");
        long snapshotInterval = raft.lng("SnapshotInterval");
        if (snapshotInterval < 0) {
            throw DockerError.badRequest("Raft.SnapshotInterval must not be negative");
        }
        if (snapshotInterval != 0) {
            b.getRaftBuilder().setSnapshotInterval(snapshotInterval);
        }
        if (raft.has("KeepOldSnapshots")) {
            long keep = raft.lng("KeepOldSnapshots");
            if (keep < 0) {
                throw DockerError.badRequest("Raft.KeepOldSnapshots must not be negative");
            }
            b.getRaftBuilder().setKeepOldSnapshots(keep);
        }
        long heartbeatTick = raft.lng("HeartbeatTick");
        long electionTick = raft.lng("ElectionTick");
        if (heartbeatTick < 0 || electionTick < 0 || heartbeatTick > Integer.MAX_VALUE || electionTick > Integer.MAX_VALUE) {
            throw DockerError.badRequest("Raft.HeartbeatTick and Raft.ElectionTick must be small positive integers");
        }
        if (heartbeatTick != 0) {
            b.getRaftBuilder().setHeartbeatTick((int) heartbeatTick);
        }
        if (electionTick != 0) {
            b.getRaftBuilder().setElectionTick((int) electionTick);
        }
        raft.unsupported("LogEntriesForSlowFollowers");
        raft.done();
        Json.Obj dispatcher = s.obj("Dispatcher");
        long heartbeat = dispatcher.lng("HeartbeatPeriod");
        if (heartbeat < 0) {
            throw DockerError.badRequest("Dispatcher.HeartbeatPeriod must not be negative");
        }
        if (heartbeat != 0) {
            b.getDispatcherBuilder().setHeartbeatPeriodMs(Math.max(1, heartbeat / 1_000_000L));
        }
        dispatcher.done();
        Json.Obj ca = s.obj("CAConfig");
        long expiry = ca.lng("NodeCertExpiry");
        if (expiry < 0) {
            throw DockerError.badRequest("CAConfig.NodeCertExpiry must not be negative");
        }
        if (expiry != 0) {
            b.getCaConfigBuilder().setNodeCertExpiryMs(Math.max(1, expiry / 1_000_000L));
        }
        ca.unsupported("ExternalCAs", "SigningCACert", "SigningCAKey", "ForceRotate");
        ca.done();
        Json.Obj defaults = s.obj("TaskDefaults");
        defaults.unsupported("LogDriver");
        defaults.done();
        Json.Obj enc = s.obj("EncryptionConfig");
        b.getEncryptionBuilder().setAutoLockManagers(enc.bool("AutoLockManagers"));
        enc.done();
        s.done();
        return b.build();
    }

    private Router.Reply unlock(Call c) {
        Json.Obj o = Json.Obj.root(c.body());
        String key = o.str("UnlockKey");
        o.done();
        c.api().unlockSwarm(UnlockSwarmRequest.newBuilder().setUnlockKey(key).build());
        return Router.Reply.ok();
    }

    // ------------------------------------------------------------ /info

    private ObjectNode info(Call c) {
        ControlApi api = c.api();
        VersionResponse v = api.version(VersionRequest.getDefaultInstance());
        Cluster cluster = cluster(api);
        List<Node> nodes = api.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList();
        Node self = nodes.stream().filter(n -> n.getId().equals(v.getNodeId())).findFirst().orElse(Node.getDefaultInstance());
        List<Task> tasks = api.listTasks(ListTasksRequest.newBuilder()
                .setFilters(ListFilters.newBuilder().addNodeIds(v.getNodeId())).build()).getTasksList();
        long containers = 0;
        long running = 0;
        for (Task t : tasks) {
            if (!t.getNodeId().equals(v.getNodeId()) || t.getStatus().getContainerStatus().getContainerId().isEmpty()) {
                continue;
            }
            containers++;
            if (t.getStatus().getState() == TaskState.RUNNING) {
                running++;
            }
        }
        String hostname = self.getDescription().getHostname();
        if (hostname.isEmpty()) {
            hostname = localHostname();
        }
        ObjectNode o = Json.object();
        o.put("ID", v.getNodeId());
        o.put("Containers", containers).put("ContainersRunning", running).put("ContainersPaused", 0)
                .put("ContainersStopped", containers - running).put("Images", 0);
        o.put("Driver", "").putArray("DriverStatus");
        o.put("DockerRootDir", "");
        ObjectNode plugins = o.putObject("Plugins");
        plugins.putArray("Volume");
        plugins.putArray("Network").add("overlay");
        plugins.putNull("Authorization");
        plugins.putArray("Log");
        o.put("MemoryLimit", false).put("SwapLimit", false).put("KernelMemory", false).put("KernelMemoryTCP", false)
                .put("CpuCfsPeriod", false).put("CpuCfsQuota", false).put("CPUShares", false).put("CPUSet", false)
                .put("PidsLimit", false).put("OomKillDisable", false).put("IPv4Forwarding", false)
                .put("BridgeNfIptables", false).put("BridgeNfIp6tables", false).put("Debug", false)
                .put("NFd", 0).put("NGoroutines", Thread.activeCount()).put("SystemTime", Instant.now().toString())
                .put("LoggingDriver", "").put("CgroupDriver", "").put("CgroupVersion", "").put("NEventsListener", 0);
        o.put("KernelVersion", System.getProperty("os.version", ""));
        o.put("OperatingSystem", operatingSystem()).put("OSVersion", "").put("OSType", "linux");
        String arch = self.getDescription().getPlatform().getArchitecture();
        o.put("Architecture", arch.isEmpty() ? unameArch(System.getProperty("os.arch", "")) : arch);
        o.put("IndexServerAddress", "https://index.docker.io/v1/");
        ObjectNode registry = o.putObject("RegistryConfig");
        registry.putArray("AllowNondistributableArtifactsCIDRs");
        registry.putArray("AllowNondistributableArtifactsHostnames");
        registry.putArray("InsecureRegistryCIDRs");
        registry.putObject("IndexConfigs");
        registry.putArray("Mirrors");
        long nanoCpus = self.getDescription().getResources().getNanoCpus();
        o.put("NCPU", nanoCpus > 0 ? nanoCpus / 1_000_000_000L : Runtime.getRuntime().availableProcessors());
        o.put("MemTotal", self.getDescription().getResources().getMemoryBytes());
        o.putNull("GenericResources");
        o.put("HttpProxy", "").put("HttpsProxy", "").put("NoProxy", "");
        o.put("Name", hostname);
        ArrayNode labels = o.putArray("Labels");
        self.getDescription().getEngine().getLabelsMap().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> labels.add(e.getKey() + "=" + e.getValue()));
        o.put("ExperimentalBuild", false);
        o.put("ServerVersion", v.getVersion());
        ObjectNode runtimes = o.putObject("Runtimes");
        List<String> names = self.getDescription().getRuntimesList().isEmpty() ? List.of("container")
                : self.getDescription().getRuntimesList();
        names.forEach(n -> runtimes.putObject(n).put("path", n));
        o.put("DefaultRuntime", "container");
        o.set("Swarm", swarmInfo(v, cluster, nodes, self));
        o.put("LiveRestoreEnabled", false).put("Isolation", "").put("InitBinary", "");
        o.putObject("ContainerdCommit").put("ID", "").put("Expected", "");
        o.putObject("RuncCommit").put("ID", "").put("Expected", "");
        o.putObject("InitCommit").put("ID", "").put("Expected", "");
        o.putArray("SecurityOptions");
        o.putArray("Warnings");
        return o;
    }

    private static ObjectNode swarmInfo(VersionResponse v, Cluster cluster, List<Node> nodes, Node self) {
        ObjectNode s = Json.object();
        s.put("NodeID", v.getNodeId());
        s.put("NodeAddr", NodesApi.host(self.getStatus().getAddr()));
        s.put("LocalNodeState", "active");
        s.put("ControlAvailable", true);
        s.put("Error", "");
        ArrayNode remote = s.putArray("RemoteManagers");
        long managers = 0;
        for (Node n : nodes) {
            if (n.getRole() == NodeRole.MANAGER) {
                managers++;
                remote.addObject().put("NodeID", n.getId()).put("Addr", JoinAddresses.of(n));
            }
        }
        s.put("Nodes", nodes.size());
        s.put("Managers", managers);
        s.set("Cluster", clusterInfo(cluster));
        return s;
    }

    private static String operatingSystem() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
                if (line.startsWith("PRETTY_NAME=")) {
                    return line.substring("PRETTY_NAME=".length()).replace("\"", "");
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no os-release: the JVM's name below
        }
        return System.getProperty("os.name", "linux");
    }

    private static String localHostname() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "";
        }
    }

    /** The JVM's architecture as uname -m (and Docker's Info) says it. */
    static String unameArch(String javaArch) {
        return switch (javaArch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> javaArch;
        };
    }
}
