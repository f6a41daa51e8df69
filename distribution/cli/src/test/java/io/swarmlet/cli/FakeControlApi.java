package io.swarmlet.cli;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.*;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A control API holding three nodes (two managers, one worker) and the
 * default cluster, resolving references the way the real one does: full
 * ID, name (clusters), or unambiguous ID prefix.
 */
final class FakeControlApi implements ControlApi {

    static final String LEADER = "abc0000000000000000000001";
    static final String MANAGER2 = "abd0000000000000000000002";
    static final String WORKER = "xyz0000000000000000000003";
    static final String CLUSTER = "clu0000000000000000000009";
    static final String WORKER_TOKEN = "SWMTKN-1-0123456789abcdefghijklmnopqrstuvwxyz0123456789-workerworkerworker";
    static final String MANAGER_TOKEN = "SWMTKN-1-0123456789abcdefghijklmnopqrstuvwxyz0123456789-managermanagerman";

    final Map<String, Node> nodes = new LinkedHashMap<>();
    volatile Cluster cluster;
    final List<UpdateNodeRequest> nodeUpdates = new CopyOnWriteArrayList<>();
    final List<UpdateClusterRequest> clusterUpdates = new CopyOnWriteArrayList<>();
    final List<String> calls = new CopyOnWriteArrayList<>();

    FakeControlApi() {
        put(node(LEADER, "manager1", NodeStatus.State.READY, NodeSpec.Availability.ACTIVE, "24.0.7")
                .setRole(NodeRole.MANAGER)
                .setManagerStatus(ManagerStatus.newBuilder().setRaftId("1").setAddr("10.0.0.1:4243").setLeader(true)
                        .setReachability(ManagerStatus.Reachability.REACHABLE))
                .build());
        put(node(MANAGER2, "manager2", NodeStatus.State.READY, NodeSpec.Availability.ACTIVE, "24.0.7")
                .setRole(NodeRole.MANAGER)
                .setManagerStatus(ManagerStatus.newBuilder().setRaftId("2").setAddr("10.0.0.2:4243")
                        .setReachability(ManagerStatus.Reachability.REACHABLE))
                .build());
        Node.Builder w = node(WORKER, "worker1", NodeStatus.State.DOWN, NodeSpec.Availability.PAUSE, "24.0.5");
        w.getSpecBuilder().getAnnotationsBuilder().putLabels("zone", "eu-1").putLabels("ssd", "");
        put(w.build());
        cluster = Cluster.newBuilder()
                .setId(CLUSTER)
                .setMeta(Meta.newBuilder().setVersion(3).setCreatedAt(1_700_000_000_000L))
                .setSpec(ClusterSpec.newBuilder()
                        .setAnnotations(Annotations.newBuilder().setName("default"))
                        .setOrchestration(OrchestrationConfig.newBuilder().setTaskHistoryRetentionLimit(5))
                        .setRaft(RaftConfig.newBuilder().setSnapshotInterval(10000).setKeepOldSnapshots(0)
                                .setHeartbeatTick(1).setElectionTick(10))
                        .setDispatcher(DispatcherConfig.newBuilder().setHeartbeatPeriodMs(5000))
                        .setCaConfig(CAConfig.newBuilder().setNodeCertExpiryMs(90L * 24 * 3600 * 1000)))
                .setRootCa(RootCA.newBuilder().setCaCertHash("sha256:4f6b0c4a1d"))
                .setJoinTokens(JoinTokens.newBuilder().setWorker(WORKER_TOKEN).setManager(MANAGER_TOKEN))
                .build();
    }

    private static Node.Builder node(String id, String hostname, NodeStatus.State state, NodeSpec.Availability availability, String engine) {
        return Node.newBuilder()
                .setId(id)
                .setMeta(Meta.newBuilder().setVersion(10 + id.charAt(id.length() - 1) - '0').setCreatedAt(1_700_000_000_000L))
                .setSpec(NodeSpec.newBuilder().setMembership(NodeSpec.Membership.ACCEPTED).setAvailability(availability))
                .setDescription(NodeDescription.newBuilder()
                        .setHostname(hostname)
                        .setPlatform(Platform.newBuilder().setOs("linux").setArchitecture("x86_64"))
                        .setResources(Resources.newBuilder().setNanoCpus(4_000_000_000L).setMemoryBytes(8L << 30))
                        .setEngine(EngineDescription.newBuilder().setEngineVersion(engine)))
                .setStatus(NodeStatus.newBuilder().setState(state).setAddr("10.0.0." + id.charAt(id.length() - 1)));
    }

    private void put(Node n) {
        nodes.put(n.getId(), n);
    }

    private static <T> T resolve(String kind, String ref, Collection<T> all, Function<T, String> id, Function<T, String> name) {
        if (ref.isEmpty()) {
            throw ControlException.invalid(kind + " ID is required");
        }
        List<T> matches = new ArrayList<>();
        for (T t : all) {
            if (id.apply(t).equals(ref) || ref.equals(name.apply(t))) {
                return t;
            }
            if (id.apply(t).startsWith(ref)) {
                matches.add(t);
            }
        }
        if (matches.size() == 1) {
            return matches.get(0);
        }
        if (matches.isEmpty()) {
            throw ControlException.notFound(kind + " " + ref + " not found");
        }
        throw ControlException.invalid(kind + " " + ref + " is ambiguous (" + matches.size() + " matches found)");
    }

    @Override
    public VersionResponse version(VersionRequest request) {
        calls.add("version");
        return VersionResponse.newBuilder().setVersion("0.1.0-test").setGitCommit("abcdef0").setJavaVersion("17")
                .setOsArch("linux/amd64").setNodeId(LEADER).setClusterId(CLUSTER).setLeader(true).build();
    }

    @Override
    public synchronized GetNodeResponse getNode(GetNodeRequest request) {
        calls.add("getNode " + request.getId());
        return GetNodeResponse.newBuilder().setNode(resolve("node", request.getId(), nodes.values(), Node::getId, n -> null)).build();
    }

    @Override
    public synchronized ListNodesResponse listNodes(ListNodesRequest request) {
        calls.add("listNodes");
        return ListNodesResponse.newBuilder().addAllNodes(nodes.values()).build();
    }

    @Override
    public synchronized UpdateNodeResponse updateNode(UpdateNodeRequest request) {
        calls.add("updateNode " + request.getId());
        Node n = nodes.get(request.getId());
        if (n == null) {
            throw ControlException.notFound("node " + request.getId() + " not found");
        }
        if (n.getMeta().getVersion() != request.getVersion()) {
            throw new ControlException(ControlException.Code.ABORTED, "update out of sequence");
        }
        nodeUpdates.add(request);
        Node updated = n.toBuilder().setSpec(request.getSpec())
                .setMeta(n.getMeta().toBuilder().setVersion(n.getMeta().getVersion() + 1)).build();
        put(updated);
        return UpdateNodeResponse.newBuilder().setNode(updated).build();
    }

    @Override
    public synchronized RemoveNodeResponse removeNode(RemoveNodeRequest request) {
        calls.add("removeNode " + request.getId());
        Node n = resolve("node", request.getId(), nodes.values(), Node::getId, x -> null);
        if (n.getStatus().getState() != NodeStatus.State.DOWN && !request.getForce()) {
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION,
                    "node " + request.getId() + " is not down and can't be removed (use --force)");
        }
        nodes.remove(n.getId());
        return RemoveNodeResponse.getDefaultInstance();
    }

    @Override
    public GetClusterResponse getCluster(GetClusterRequest request) {
        calls.add("getCluster " + request.getId());
        return GetClusterResponse.newBuilder().setCluster(resolve("cluster", request.getId(), List.of(cluster), Cluster::getId,
                c -> c.getSpec().getAnnotations().getName())).build();
    }

    @Override
    public ListClustersResponse listClusters(ListClustersRequest request) {
        calls.add("listClusters");
        return ListClustersResponse.newBuilder().addClusters(cluster).build();
    }

    @Override
    public synchronized UpdateClusterResponse updateCluster(UpdateClusterRequest request) {
        calls.add("updateCluster " + request.getId());
        if (request.getVersion() != cluster.getMeta().getVersion()) {
            throw new ControlException(ControlException.Code.ABORTED, "update out of sequence");
        }
        clusterUpdates.add(request);
        JoinTokens.Builder t = cluster.getJoinTokens().toBuilder();
        if (request.getRotateWorkerToken()) {
            t.setWorker("SWMTKN-1-rotated-worker");
        }
        if (request.getRotateManagerToken()) {
            t.setManager("SWMTKN-1-rotated-manager");
        }
        cluster = cluster.toBuilder().setSpec(request.getSpec()).setJoinTokens(t)
                .setMeta(cluster.getMeta().toBuilder().setVersion(cluster.getMeta().getVersion() + 1)).build();
        return UpdateClusterResponse.newBuilder().setCluster(cluster).build();
    }

    private static ControlException unimplemented() {
        return new ControlException(ControlException.Code.UNIMPLEMENTED, "not in this fake");
    }

    @Override public GetServiceResponse getService(GetServiceRequest request) { throw unimplemented(); }
    @Override public ListServicesResponse listServices(ListServicesRequest request) { throw unimplemented(); }
    @Override public CreateServiceResponse createService(CreateServiceRequest request) { throw unimplemented(); }
    @Override public UpdateServiceResponse updateService(UpdateServiceRequest request) { throw unimplemented(); }
    @Override public RemoveServiceResponse removeService(RemoveServiceRequest request) { throw unimplemented(); }
    @Override public GetTaskResponse getTask(GetTaskRequest request) { throw unimplemented(); }
    @Override public ListTasksResponse listTasks(ListTasksRequest request) { throw unimplemented(); }
    @Override public void logs(LogsRequest request, java.util.function.Consumer<LogMessage> sink) { throw unimplemented(); }
}
