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
 * ID, name (clusters, services), or unambiguous ID prefix. Services and
 * tasks are kept as written; with {@link #simulate} set, each ListTasks
 * call moves a tiny simulated orchestrator one step (see {@link #tick}), so
 * that converge progress can be watched poll by poll.
 */
final class FakeControlApi implements ControlApi {

    static final String LEADER = "abc0000000000000000000001";
    static final String MANAGER2 = "abd0000000000000000000002";
    static final String WORKER = "xyz0000000000000000000003";
    static final String CLUSTER = "clu0000000000000000000009";
    static final String WORKER_TOKEN = "SWMTKN-1-0123456789abcdefghijklmnopqrstuvwxyz0123456789-workerworkerworker";
    static final String MANAGER_TOKEN = "SWMTKN-1-0123456789abcdefghijklmnopqrstuvwxyz0123456789-managermanagerman";

    /** A self-signed CA certificate (CN=swarm-ca, EC P-256), as the cluster object holds it. */
    static final com.google.protobuf.ByteString ROOT_CA_PEM;

    static {
        try (java.io.InputStream in = FakeControlApi.class.getResourceAsStream("root-ca.pem")) {
            ROOT_CA_PEM = com.google.protobuf.ByteString.readFrom(in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    final Map<String, Node> nodes = new LinkedHashMap<>();
    /** When set, the next updateNode calls fail with it (a refusal of the real API, e.g. the last manager). */
    volatile ControlException failNodeUpdates;
    volatile Cluster cluster;
    final List<UpdateNodeRequest> nodeUpdates = new CopyOnWriteArrayList<>();
    final List<UpdateClusterRequest> clusterUpdates = new CopyOnWriteArrayList<>();
    final List<String> calls = new CopyOnWriteArrayList<>();

    FakeControlApi() {
        put(node(LEADER, "manager1", NodeStatus.State.READY, NodeSpec.Availability.ACTIVE, "24.0.7")
                .setRole(NodeRole.MANAGER)
                .setSpec(NodeSpec.newBuilder().setMembership(NodeSpec.Membership.ACCEPTED).setDesiredRole(NodeRole.MANAGER))
                .setManagerStatus(ManagerStatus.newBuilder().setRaftId("1").setAddr("10.0.0.1:4243").setLeader(true)
                        .setReachability(ManagerStatus.Reachability.REACHABLE))
                .build());
        put(node(MANAGER2, "manager2", NodeStatus.State.READY, NodeSpec.Availability.ACTIVE, "24.0.7")
                .setRole(NodeRole.MANAGER)
                .setSpec(NodeSpec.newBuilder().setMembership(NodeSpec.Membership.ACCEPTED).setDesiredRole(NodeRole.MANAGER))
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
                .setRootCa(RootCA.newBuilder().setCaCertHash("sha256:4f6b0c4a1d").setCaCert(ROOT_CA_PEM))
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
        if (failNodeUpdates != null) {
            throw failNodeUpdates;
        }
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
        boolean autolock = request.getSpec().getEncryption().getAutoLockManagers();
        if (request.getRotateUnlockKey()) {
            if (!autolock) {
                throw new ControlException(ControlException.Code.FAILED_PRECONDITION, "autolock is not turned on");
            }
            unlockKey = "SWMKEY-1-rotatedrotatedrotatedrotatedrotated0";
        } else if (autolock && unlockKey.isEmpty()) {
            unlockKey = "SWMKEY-1-firstfirstfirstfirstfirstfirstfirst0";
        } else if (!autolock) {
            unlockKey = "";
        }
        cluster = cluster.toBuilder().setSpec(request.getSpec()).setJoinTokens(t)
                .setMeta(cluster.getMeta().toBuilder().setVersion(cluster.getMeta().getVersion() + 1)).build();
        return UpdateClusterResponse.newBuilder().setCluster(cluster).build();
    }

    // ------------------------------------------------------------ services and tasks

    final Map<String, Service> services = new LinkedHashMap<>();
    final Map<String, Task> tasks = new LinkedHashMap<>();
    final List<CreateServiceRequest> serviceCreates = new CopyOnWriteArrayList<>();
    final List<UpdateServiceRequest> serviceUpdates = new CopyOnWriteArrayList<>();
    /** What logs() streams: every message whose task or service matches the request. */
    final List<LogMessage> logLines = new CopyOnWriteArrayList<>();
    /** The time the fake stamps on what it writes. */
    volatile java.time.Clock clock = java.time.Clock.fixed(java.time.Instant.ofEpochMilli(1_700_000_000_000L), java.time.ZoneOffset.UTC);
    /** When set, every listTasks call first moves the simulated cluster one step on (see {@link #tick}). */
    volatile boolean simulate;
    /** How many of the next updateService calls fail as if someone else changed the service first. */
    volatile int conflicts;
    private int ids;

    /** A 25-character ID that starts with {@code prefix}. */
    synchronized String newId(String prefix) {
        ids++;
        String n = String.valueOf(ids);
        return prefix + "0".repeat(25 - prefix.length() - n.length()) + n;
    }

    synchronized Service putService(Service s) {
        services.put(s.getId(), s);
        return s;
    }

    synchronized Task putTask(Task t) {
        tasks.put(t.getId(), t);
        return t;
    }

    /** Like the real server: full ID, then name, then a unique ID prefix. */
    private Service service(String ref) {
        if (ref.isEmpty()) {
            throw ControlException.invalid("service ID or name must not be empty");
        }
        Service exact = services.get(ref);
        if (exact != null) {
            return exact;
        }
        for (Service s : services.values()) {
            if (s.getSpec().getAnnotations().getName().equals(ref)) {
                return s;
            }
        }
        List<Service> prefixed = services.values().stream().filter(s -> s.getId().startsWith(ref)).toList();
        if (prefixed.size() == 1) {
            return prefixed.get(0);
        }
        if (prefixed.isEmpty()) {
            throw ControlException.notFound("No such service: " + ref);
        }
        throw ControlException.invalid("service " + ref + " is ambiguous (" + prefixed.size() + " matches found)");
    }

    @Override
    public synchronized GetServiceResponse getService(GetServiceRequest request) {
        calls.add("getService " + request.getId());
        return GetServiceResponse.newBuilder().setService(service(request.getId())).build();
    }

    @Override
    public synchronized ListServicesResponse listServices(ListServicesRequest request) {
        calls.add("listServices");
        return ListServicesResponse.newBuilder().addAllServices(services.values()).build();
    }

    @Override
    public synchronized CreateServiceResponse createService(CreateServiceRequest request) {
        calls.add("createService");
        serviceCreates.add(request);
        ServiceSpec.Builder spec = request.getSpec().toBuilder();
        if (spec.getAnnotations().getName().isEmpty()) {
            spec.getAnnotationsBuilder().setName("svc" + (ids + 1));
        }
        if (spec.getModeCase() == ServiceSpec.ModeCase.MODE_NOT_SET) {
            spec.getReplicatedBuilder().setReplicas(1);
        }
        for (Service s : services.values()) {
            if (s.getSpec().getAnnotations().getName().equals(spec.getAnnotations().getName())) {
                throw new ControlException(ControlException.Code.ALREADY_EXISTS, "service " + spec.getAnnotations().getName() + " already exists");
            }
        }
        long now = clock.millis();
        Service s = Service.newBuilder()
                .setId(newId("svc"))
                .setMeta(Meta.newBuilder().setVersion(1).setCreatedAt(now).setUpdatedAt(now))
                .setSpec(spec)
                .setSpecVersion(1)
                .setEndpoint(Endpoint.newBuilder().setSpec(spec.getEndpoint()))
                .build();
        putService(s);
        return CreateServiceResponse.newBuilder().setService(s).build();
    }

    @Override
    public synchronized UpdateServiceResponse updateService(UpdateServiceRequest request) {
        calls.add("updateService " + request.getId());
        Service cur = service(request.getId());
        if (conflicts > 0) {
            conflicts--;
            // someone else wrote the service first
            cur = putService(cur.toBuilder().setMeta(cur.getMeta().toBuilder().setVersion(cur.getMeta().getVersion() + 1)).build());
        }
        if (request.getVersion() != cur.getMeta().getVersion()) {
            throw new ControlException(ControlException.Code.ABORTED,
                    "update out of sequence: version " + request.getVersion() + " is not the current version " + cur.getMeta().getVersion());
        }
        ServiceSpec next;
        if (request.getRollback()) {
            if (!cur.hasPreviousSpec()) {
                throw new ControlException(ControlException.Code.FAILED_PRECONDITION,
                        "service " + cur.getSpec().getAnnotations().getName() + " does not have a previous spec to roll back to");
            }
            next = cur.getPreviousSpec();
        } else {
            next = request.getSpec();
        }
        serviceUpdates.add(request);
        Service.Builder b = cur.toBuilder()
                .setSpec(next)
                .setPreviousSpec(cur.getSpec())
                .setSpecVersion(cur.getSpecVersion() + 1)
                .setMeta(cur.getMeta().toBuilder().setVersion(cur.getMeta().getVersion() + 1).setUpdatedAt(clock.millis()))
                .setEndpoint(cur.getEndpoint().toBuilder().setSpec(next.getEndpoint()));
        if (request.getRollback() || !next.getTask().equals(cur.getSpec().getTask())) {
            b.setUpdateStatus(UpdateStatus.newBuilder()
                    .setState(request.getRollback() ? UpdateStatus.UpdateState.ROLLBACK_STARTED : UpdateStatus.UpdateState.UPDATING)
                    .setStartedAt(clock.millis())
                    .setMessage(request.getRollback() ? "manually requested rollback" : "update in progress"));
        }
        return UpdateServiceResponse.newBuilder().setService(putService(b.build())).build();
    }

    @Override
    public synchronized RemoveServiceResponse removeService(RemoveServiceRequest request) {
        calls.add("removeService " + request.getId());
        Service s = service(request.getId());
        services.remove(s.getId());
        tasks.values().removeIf(t -> t.getServiceId().equals(s.getId()));
        return RemoveServiceResponse.getDefaultInstance();
    }

    @Override
    public synchronized GetTaskResponse getTask(GetTaskRequest request) {
        calls.add("getTask " + request.getId());
        return GetTaskResponse.newBuilder().setTask(resolve("task", request.getId(), tasks.values(), Task::getId, t -> null)).build();
    }

    @Override
    public synchronized ListTasksResponse listTasks(ListTasksRequest request) {
        calls.add("listTasks");
        if (simulate) {
            tick();
        }
        List<String> ids = request.getFilters().getServiceIdsList();
        return ListTasksResponse.newBuilder()
                .addAllTasks(tasks.values().stream().filter(t -> ids.isEmpty() || ids.contains(t.getServiceId())).toList())
                .build();
    }

    /** What {@link #watch} streams before it waits to be interrupted. */
    final List<io.swarmlet.api.types.WatchEvent> watchEvents = new ArrayList<>();
    /** The last watch asked for (its filters are the real control API's to apply: this fake applies the kinds only). */
    io.swarmlet.api.types.WatchRequest lastWatch;

    @Override
    public void watch(io.swarmlet.api.types.WatchRequest request, java.util.function.Consumer<io.swarmlet.api.types.WatchEvent> sink)
            throws InterruptedException {
        calls.add("watch " + request.getKindsList());
        lastWatch = request;
        for (io.swarmlet.api.types.WatchEvent e : List.copyOf(watchEvents)) {
            if (request.getKindsCount() == 0 || request.getKindsList().contains(e.getKind())) {
                sink.accept(e);
            }
        }
        if (request.getUntil() > 0) {
            return; // the control API ends the call at its until
        }
        new java.util.concurrent.CountDownLatch(1).await(); // a watch lasts until the caller is interrupted
    }

    @Override
    public void logs(LogsRequest request, java.util.function.Consumer<LogMessage> sink) throws InterruptedException {
        calls.add("logs " + request.getId() + " tail=" + request.getTail() + " follow=" + request.getFollow());
        String id = request.getId();
        List<LogMessage> lines;
        synchronized (this) {
            Service svc = services.get(id);
            lines = logLines.stream().filter(m -> m.getTaskId().equals(id)
                    || (svc != null && m.getServiceName().equals(svc.getSpec().getAnnotations().getName()))).toList();
        }
        for (LogMessage m : lines) {
            sink.accept(m);
        }
        if (request.getFollow()) {
            // a followed stream lasts until the caller is interrupted
            new java.util.concurrent.CountDownLatch(1).await();
        }
    }

    // ------------------------------------------------------------ secrets, configs, autolock

    /**
     * What this fake answers as a secret version's sealed bytes. The real API never sends
     * them; this one does, so that tests can show the CLI never prints them either.
     */
    static final com.google.protobuf.ByteString SEALED = com.google.protobuf.ByteString.copyFromUtf8("SEALED-bytes-never-printed");

    final Map<String, Secret> secrets = new LinkedHashMap<>();
    final Map<String, Config> configs = new LinkedHashMap<>();
    final List<CreateSecretRequest> secretCreates = new CopyOnWriteArrayList<>();
    final List<RotateSecretRequest> secretRotations = new CopyOnWriteArrayList<>();
    final List<CreateConfigRequest> configCreates = new CopyOnWriteArrayList<>();
    final List<RotateConfigRequest> configRotations = new CopyOnWriteArrayList<>();
    /** The cluster's unlock key: set when autolock is turned on, replaced by a rotation. */
    volatile String unlockKey = "";
    /** Whether this manager is locked (then only unlockSwarm does anything). */
    volatile boolean locked;
    final List<String> unlockAttempts = new CopyOnWriteArrayList<>();

    private static <T> T resolvePayload(String kind, String ref, Collection<T> all, Function<T, String> id, Function<T, String> name) {
        if (ref.isEmpty()) {
            throw ControlException.invalid(kind + " ID or name must not be empty");
        }
        return resolve(kind, ref, all, id, name);
    }

    /** The services that reference the secret or config, by name. */
    private List<String> users(Function<ContainerSpec, List<String>> refs, String id, String name) {
        return services.values().stream()
                .filter(s -> refs.apply(s.getSpec().getTask().getContainer()).stream().anyMatch(r -> r.equals(id) || r.equals(name)))
                .map(s -> s.getSpec().getAnnotations().getName()).sorted().toList();
    }

    private static List<String> secretRefs(ContainerSpec c, boolean unpinnedOnly) {
        List<String> out = new ArrayList<>();
        for (SecretReference r : c.getSecretsList()) {
            if (!unpinnedOnly || !r.getPinned()) {
                out.add(r.getSecretId());
                out.add(r.getSecretName());
            }
        }
        return out;
    }

    private static List<String> configRefs(ContainerSpec c, boolean unpinnedOnly) {
        List<String> out = new ArrayList<>();
        for (ConfigReference r : c.getConfigsList()) {
            if (!unpinnedOnly || !r.getPinned()) {
                out.add(r.getConfigId());
                out.add(r.getConfigName());
            }
        }
        return out;
    }

    @Override
    public synchronized CreateSecretResponse createSecret(CreateSecretRequest request) {
        calls.add("createSecret");
        secretCreates.add(request);
        String name = request.getSpec().getAnnotations().getName();
        if (secrets.values().stream().anyMatch(x -> x.getSpec().getAnnotations().getName().equals(name))) {
            throw new ControlException(ControlException.Code.ALREADY_EXISTS, "secret " + name + " already exists");
        }
        long now = clock.millis();
        Secret s = Secret.newBuilder().setId(newId("sec"))
                .setMeta(Meta.newBuilder().setVersion(1).setCreatedAt(now).setUpdatedAt(now))
                .setSpec(request.getSpec().toBuilder().clearData())
                .addVersions(SecretVersion.newBuilder().setVersion(1).setSealed(SEALED).setCreatedAt(now)
                        .setDriver(request.getSpec().getDriver().getName()).setSize(request.getSpec().getData().size()))
                .build();
        secrets.put(s.getId(), s);
        return CreateSecretResponse.newBuilder().setSecret(s).build();
    }

    @Override
    public synchronized GetSecretResponse getSecret(GetSecretRequest request) {
        calls.add("getSecret " + request.getId());
        return GetSecretResponse.newBuilder().setSecret(resolvePayload("secret", request.getId(), secrets.values(),
                Secret::getId, x -> x.getSpec().getAnnotations().getName())).build();
    }

    @Override
    public synchronized ListSecretsResponse listSecrets(ListSecretsRequest request) {
        calls.add("listSecrets");
        return ListSecretsResponse.newBuilder().addAllSecrets(secrets.values()).build();
    }

    @Override
    public synchronized RemoveSecretResponse removeSecret(RemoveSecretRequest request) {
        calls.add("removeSecret " + request.getId());
        Secret s = secrets.get(request.getId());
        if (s == null) {
            throw ControlException.notFound("secret " + request.getId() + " not found");
        }
        List<String> users = users(c -> secretRefs(c, false), s.getId(), s.getSpec().getAnnotations().getName());
        if (!users.isEmpty()) {
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION, "secret '" + s.getSpec().getAnnotations().getName()
                    + "' is in use by the following service" + (users.size() > 1 ? "s" : "") + ": " + String.join(", ", users));
        }
        secrets.remove(s.getId());
        return RemoveSecretResponse.getDefaultInstance();
    }

    @Override
    public synchronized RotateSecretResponse rotateSecret(RotateSecretRequest request) {
        calls.add("rotateSecret " + request.getId());
        secretRotations.add(request);
        Secret s = secrets.get(request.getId());
        if (s == null) {
            throw ControlException.notFound("secret " + request.getId() + " not found");
        }
        long now = clock.millis();
        Secret next = s.toBuilder()
                .setMeta(s.getMeta().toBuilder().setVersion(s.getMeta().getVersion() + 1).setUpdatedAt(now))
                .addVersions(SecretVersion.newBuilder().setVersion(s.getVersionsCount() + 1).setSealed(SEALED).setCreatedAt(now)
                        .setSize(request.getData().size()))
                .build();
        secrets.put(s.getId(), next);
        return RotateSecretResponse.newBuilder().setSecret(next)
                .addAllUpdatedServices(users(c -> secretRefs(c, true), s.getId(), s.getSpec().getAnnotations().getName())).build();
    }

    @Override
    public synchronized CreateConfigResponse createConfig(CreateConfigRequest request) {
        calls.add("createConfig");
        configCreates.add(request);
        String name = request.getSpec().getAnnotations().getName();
        if (configs.values().stream().anyMatch(x -> x.getSpec().getAnnotations().getName().equals(name))) {
            throw new ControlException(ControlException.Code.ALREADY_EXISTS, "config " + name + " already exists");
        }
        long now = clock.millis();
        Config c = Config.newBuilder().setId(newId("cfg"))
                .setMeta(Meta.newBuilder().setVersion(1).setCreatedAt(now).setUpdatedAt(now))
                .setSpec(request.getSpec().toBuilder().clearData())
                .addVersions(ConfigVersion.newBuilder().setVersion(1).setData(request.getSpec().getData()).setCreatedAt(now)
                        .setSize(request.getSpec().getData().size()))
                .build();
        configs.put(c.getId(), c);
        return CreateConfigResponse.newBuilder().setConfig(c).build();
    }

    @Override
    public synchronized GetConfigResponse getConfig(GetConfigRequest request) {
        calls.add("getConfig " + request.getId());
        return GetConfigResponse.newBuilder().setConfig(resolvePayload("config", request.getId(), configs.values(),
                Config::getId, x -> x.getSpec().getAnnotations().getName())).build();
    }

    @Override
    public synchronized ListConfigsResponse listConfigs(ListConfigsRequest request) {
        calls.add("listConfigs");
        return ListConfigsResponse.newBuilder().addAllConfigs(configs.values()).build();
    }

    @Override
    public synchronized RemoveConfigResponse removeConfig(RemoveConfigRequest request) {
        calls.add("removeConfig " + request.getId());
        Config c = configs.get(request.getId());
        if (c == null) {
            throw ControlException.notFound("config " + request.getId() + " not found");
        }
        List<String> users = users(x -> configRefs(x, false), c.getId(), c.getSpec().getAnnotations().getName());
        if (!users.isEmpty()) {
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION, "config '" + c.getSpec().getAnnotations().getName()
                    + "' is in use by the following service" + (users.size() > 1 ? "s" : "") + ": " + String.join(", ", users));
        }
        configs.remove(c.getId());
        return RemoveConfigResponse.getDefaultInstance();
    }

    @Override
    public synchronized RotateConfigResponse rotateConfig(RotateConfigRequest request) {
        calls.add("rotateConfig " + request.getId());
        configRotations.add(request);
        Config c = configs.get(request.getId());
        if (c == null) {
            throw ControlException.notFound("config " + request.getId() + " not found");
        }
        long now = clock.millis();
        Config next = c.toBuilder()
                .setMeta(c.getMeta().toBuilder().setVersion(c.getMeta().getVersion() + 1).setUpdatedAt(now))
                .addVersions(ConfigVersion.newBuilder().setVersion(c.getVersionsCount() + 1).setData(request.getData())
                        .setCreatedAt(now).setSize(request.getData().size()))
                .build();
        configs.put(c.getId(), next);
        return RotateConfigResponse.newBuilder().setConfig(next)
                .addAllUpdatedServices(users(x -> configRefs(x, true), c.getId(), c.getSpec().getAnnotations().getName())).build();
    }

    @Override
    public GetUnlockKeyResponse getUnlockKey(GetUnlockKeyRequest request) {
        calls.add("getUnlockKey");
        return GetUnlockKeyResponse.newBuilder().setUnlockKey(unlockKey).setVersion(unlockKey.isEmpty() ? 0 : 1).build();
    }

    @Override
    public UnlockSwarmResponse unlockSwarm(UnlockSwarmRequest request) {
        calls.add("unlockSwarm");
        unlockAttempts.add(request.getUnlockKey());
        if (!locked) {
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION, "swarm is not locked");
        }
        if (!request.getUnlockKey().equals(unlockKey)) {
            throw ControlException.invalid("invalid key: this is not the swarm's unlock key");
        }
        locked = false;
        return UnlockSwarmResponse.getDefaultInstance();
    }

    // ------------------------------------------------------------ web tokens

    /** The tokens made so far (the real API keeps only their digests); rotate drops the earlier ones. */
    final List<String> webTokens = new CopyOnWriteArrayList<>();
    /** When set, createWebToken fails with it (a worker's or a locked manager's refusal). */
    volatile ControlException failWebTokens;

    @Override
    public synchronized CreateWebTokenResponse createWebToken(CreateWebTokenRequest request) {
        calls.add("createWebToken" + (request.getRotate() ? " rotate" : ""));
        if (failWebTokens != null) {
            throw failWebTokens;
        }
        if (request.getRotate()) {
            webTokens.clear();
        }
        String id = String.format("web%05d", webTokens.size() + 1);
        String token = "SWLWEB-1-" + id + "-" + "s".repeat(52);
        webTokens.add(token);
        return CreateWebTokenResponse.newBuilder().setToken(token).setId(id).build();
    }

    // ------------------------------------------------------------ networks and stacks

    final Map<String, Network> networks = new LinkedHashMap<>();
    final List<CreateNetworkRequest> networkCreates = new CopyOnWriteArrayList<>();
    final List<DeployStackRequest> stackDeploys = new CopyOnWriteArrayList<>();
    /**
     * The local files the "compose files" of a deploy name (paths as written): a deploy
     * whose local_files lacks one answers missing_files, as the stack bundle does.
     */
    final List<String> stackNeeds = new CopyOnWriteArrayList<>();
    /** Warnings every deploy answers with. */
    final List<String> stackWarnings = new CopyOnWriteArrayList<>();
    /** When set, deployStack and removeStack fail with it (a refusal after some writes, as the stack bundle words it). */
    volatile ControlException stackFailure;

    private static final String NS = io.swarmlet.api.control.Stacks.NAMESPACE_LABEL;

    private Network network(String ref) {
        if (ref.isEmpty()) {
            throw ControlException.invalid("network ID or name must not be empty");
        }
        try {
            return resolve("network", ref, networks.values(), Network::getId, n -> n.getSpec().getAnnotations().getName());
        } catch (ControlException e) {
            if (e.code() == ControlException.Code.NOT_FOUND) {
                throw ControlException.notFound("No such network: " + ref);
            }
            throw e;
        }
    }

    @Override
    public synchronized CreateNetworkResponse createNetwork(CreateNetworkRequest request) {
        calls.add("createNetwork");
        networkCreates.add(request);
        String name = request.getSpec().getAnnotations().getName();
        if (networks.values().stream().anyMatch(n -> n.getSpec().getAnnotations().getName().equals(name))) {
            throw new ControlException(ControlException.Code.ALREADY_EXISTS, "network with name " + name + " already exists");
        }
        int n = networks.size() + 1;
        String subnet = request.getSpec().getIpam().getConfigsCount() > 0
                ? request.getSpec().getIpam().getConfigs(0).getSubnet() : "10.0." + n + ".0/24";
        String base = subnet.substring(0, subnet.lastIndexOf('.'));
        String gateway = request.getSpec().getIpam().getConfigsCount() > 0 && !request.getSpec().getIpam().getConfigs(0).getGateway().isEmpty()
                ? request.getSpec().getIpam().getConfigs(0).getGateway() : base + ".1";
        long now = clock.millis();
        Network net = Network.newBuilder()
                .setId(newId("net"))
                .setMeta(Meta.newBuilder().setVersion(1).setCreatedAt(now).setUpdatedAt(now))
                .setSpec(request.getSpec())
                .setDriverState(Driver.newBuilder().setName("overlay"))
                .setIpam(IPAMOptions.newBuilder().addConfigs(IPAMConfig.newBuilder().setSubnet(subnet).setGateway(gateway)
                        .setRange(base + ".0/25")))
                .setDnsAddr(base + ".254")
                .build();
        networks.put(net.getId(), net);
        return CreateNetworkResponse.newBuilder().setNetwork(net).build();
    }

    @Override
    public synchronized GetNetworkResponse getNetwork(GetNetworkRequest request) {
        calls.add("getNetwork " + request.getId());
        return GetNetworkResponse.newBuilder().setNetwork(network(request.getId())).build();
    }

    @Override
    public synchronized ListNetworksResponse listNetworks(ListNetworksRequest request) {
        calls.add("listNetworks");
        return ListNetworksResponse.newBuilder().addAllNetworks(networks.values()).build();
    }

    @Override
    public synchronized RemoveNetworkResponse removeNetwork(RemoveNetworkRequest request) {
        calls.add("removeNetwork " + request.getId());
        Network n = networks.get(request.getId());
        if (n == null) {
            throw ControlException.notFound("No such network: " + request.getId());
        }
        String name = n.getSpec().getAnnotations().getName();
        List<String> users = services.values().stream()
                .filter(s -> s.getSpec().getTask().getNetworksList().stream()
                        .anyMatch(a -> a.getTarget().equals(n.getId()) || a.getTarget().equals(name)))
                .map(s -> s.getSpec().getAnnotations().getName()).sorted().toList();
        if (!users.isEmpty()) {
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION,
                    "network " + name + " is in use by service " + String.join(", ", users));
        }
        networks.remove(n.getId());
        return RemoveNetworkResponse.getDefaultInstance();
    }

    /**
     * A deploy as the stack bundle answers it, in miniature: missing local files first;
     * else the network {@code <stack>_default} and one service {@code <stack>_web} per
     * compose file (created, or updated when it exists), with Docker's messages.
     */
    @Override
    public synchronized DeployStackResponse deployStack(DeployStackRequest request) {
        calls.add("deployStack " + request.getName());
        stackDeploys.add(request);
        if (stackFailure != null) {
            throw stackFailure;
        }
        List<String> missing = stackNeeds.stream().filter(f -> !request.containsLocalFiles(f)).toList();
        if (!missing.isEmpty()) {
            return DeployStackResponse.newBuilder().addAllMissingFiles(missing).build();
        }
        DeployStackResponse.Builder r = DeployStackResponse.newBuilder().addAllWarnings(stackWarnings);
        String stack = request.getName();
        String net = stack + "_default";
        if (networks.values().stream().noneMatch(n -> n.getSpec().getAnnotations().getName().equals(net))) {
            r.addMessages("Creating network " + net);
            createNetwork(CreateNetworkRequest.newBuilder().setSpec(NetworkSpec.newBuilder()
                    .setAnnotations(Annotations.newBuilder().setName(net).putLabels(NS, stack))
                    .setDriverConfig(Driver.newBuilder().setName("overlay"))).build());
        }
        String name = stack + "_web";
        ServiceSpec spec = ServiceSpec.newBuilder()
                .setAnnotations(Annotations.newBuilder().setName(name).putLabels(NS, stack))
                .setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage("nginx:1.25"))
                        .addNetworks(NetworkAttachmentConfig.newBuilder().setTarget(net).addAliases("web")))
                .setReplicated(ReplicatedService.newBuilder().setReplicas(1))
                .build();
        Service existing = services.values().stream().filter(s -> s.getSpec().getAnnotations().getName().equals(name)).findFirst().orElse(null);
        if (existing == null) {
            r.addMessages("Creating service " + name);
            createService(CreateServiceRequest.newBuilder().setSpec(spec).build());
        } else {
            r.addMessages("Updating service " + name + " (id: " + existing.getId() + ")");
        }
        return r.build();
    }

    private static boolean inStack(Annotations a, String stack) {
        return stack.equals(a.getLabelsMap().get(NS));
    }

    @Override
    public synchronized ListStacksResponse listStacks(ListStacksRequest request) {
        calls.add("listStacks");
        Map<String, Integer> counts = new java.util.TreeMap<>();
        for (Service s : services.values()) {
            String ns = s.getSpec().getAnnotations().getLabelsMap().get(NS);
            if (ns != null) {
                counts.merge(ns, 1, Integer::sum);
            }
        }
        for (Network n : networks.values()) {
            String ns = n.getSpec().getAnnotations().getLabelsMap().get(NS);
            if (ns != null) {
                counts.putIfAbsent(ns, 0);
            }
        }
        ListStacksResponse.Builder r = ListStacksResponse.newBuilder();
        counts.forEach((name, n) -> r.addStacks(StackSummary.newBuilder().setName(name).setServices(n)));
        return r.build();
    }

    @Override
    public synchronized RemoveStackResponse removeStack(RemoveStackRequest request) {
        calls.add("removeStack " + request.getName());
        if (stackFailure != null) {
            throw stackFailure;
        }
        String stack = request.getName();
        RemoveStackResponse.Builder r = RemoveStackResponse.newBuilder();
        for (Service s : services.values().stream().filter(s -> inStack(s.getSpec().getAnnotations(), stack))
                .sorted(java.util.Comparator.comparing(s -> s.getSpec().getAnnotations().getName())).toList()) {
            r.addMessages("Removing service " + s.getSpec().getAnnotations().getName());
            removeService(RemoveServiceRequest.newBuilder().setId(s.getId()).build());
        }
        for (Network n : List.copyOf(networks.values())) {
            if (inStack(n.getSpec().getAnnotations(), stack)) {
                r.addMessages("Removing network " + n.getSpec().getAnnotations().getName());
                networks.remove(n.getId());
            }
        }
        return r.build();
    }

    // ------------------------------------------------------------ a tiny orchestrator

    /** The order a healthy task goes through. */
    private static final List<TaskState> LIFE = List.of(TaskState.PENDING, TaskState.ASSIGNED, TaskState.ACCEPTED,
            TaskState.PREPARING, TaskState.STARTING, TaskState.RUNNING);

    /**
     * One step of a simulated cluster: tasks not of the current spec are shut
     * down, missing slots get new PENDING tasks, every other task moves one
     * state on (an image named "*fail*" is rejected when it would be
     * prepared; job tasks complete after running), and an update whose
     * tasks all run is marked completed.
     */
    synchronized void tick() {
        long now = clock.millis();
        for (Task t : List.copyOf(tasks.values())) {
            Service s = services.get(t.getServiceId());
            if (s == null) {
                continue;
            }
            boolean current = t.getSpecVersion() == s.getSpecVersion() || t.getSpec().equals(s.getSpec().getTask());
            boolean inScale = s.getSpec().getModeCase() != ServiceSpec.ModeCase.REPLICATED
                    || t.getSlot() <= s.getSpec().getReplicated().getReplicas();
            Task.Builder b = t.toBuilder();
            if ((!current || !inScale) && t.getDesiredState() == TaskState.RUNNING) {
                b.setDesiredState(inScale ? TaskState.SHUTDOWN : TaskState.REMOVE)
                        .setStatus(TaskStatus.newBuilder().setState(TaskState.SHUTDOWN).setTimestamp(now).setMessage("shutdown"));
            } else if (t.getDesiredState().getNumber() <= TaskState.COMPLETE_VALUE && t.getStatus().getState().getNumber() < TaskState.RUNNING_VALUE) {
                TaskState next = LIFE.get(LIFE.indexOf(t.getStatus().getState()) + 1);
                TaskStatus.Builder st = TaskStatus.newBuilder().setState(next).setTimestamp(now).setMessage(next.name().toLowerCase());
                if (next == TaskState.PREPARING && t.getSpec().getContainer().getImage().contains("fail")) {
                    st.setState(TaskState.REJECTED).setErr("No such image: " + t.getSpec().getContainer().getImage()).setMessage("preparing");
                }
                b.setStatus(st);
                if (next == TaskState.ASSIGNED && b.getNodeId().isEmpty()) {
                    b.setNodeId(LEADER);
                }
            } else if (t.getDesiredState() == TaskState.COMPLETE && t.getStatus().getState() == TaskState.RUNNING) {
                b.setStatus(TaskStatus.newBuilder().setState(TaskState.COMPLETE).setTimestamp(now).setMessage("finished"));
            } else {
                continue;
            }
            tasks.put(t.getId(), b.build());
        }
        for (Service s : List.copyOf(services.values())) {
            ServiceSpec spec = s.getSpec();
            switch (spec.getModeCase()) {
                case GLOBAL:
                    for (Node n : nodes.values()) {
                        if (n.getStatus().getState() != NodeStatus.State.DOWN && tasks.values().stream().noneMatch(t ->
                                t.getServiceId().equals(s.getId()) && t.getNodeId().equals(n.getId()) && t.getDesiredState() == TaskState.RUNNING)) {
                            newTask(s, 0, n.getId(), TaskState.RUNNING, now);
                        }
                    }
                    break;
                case REPLICATED_JOB:
                    for (long slot = 1; slot <= spec.getReplicatedJob().getTotalCompletions(); slot++) {
                        long sl = slot;
                        if (tasks.values().stream().noneMatch(t -> t.getServiceId().equals(s.getId()) && t.getSlot() == sl)) {
                            newTask(s, slot, "", TaskState.COMPLETE, now);
                        }
                    }
                    break;
                default:
                    for (long slot = 1; slot <= spec.getReplicated().getReplicas(); slot++) {
                        long sl = slot;
                        if (tasks.values().stream().noneMatch(t -> t.getServiceId().equals(s.getId()) && t.getSlot() == sl
                                && t.getDesiredState() == TaskState.RUNNING)) {
                            newTask(s, slot, "", TaskState.RUNNING, now);
                        }
                    }
                    break;
            }
            UpdateStatus.UpdateState st = s.getUpdateStatus().getState();
            boolean allRunning = tasks.values().stream()
                    .filter(t -> t.getServiceId().equals(s.getId()) && t.getDesiredState() == TaskState.RUNNING)
                    .allMatch(t -> t.getStatus().getState() == TaskState.RUNNING);
            if (allRunning && (st == UpdateStatus.UpdateState.UPDATING || st == UpdateStatus.UpdateState.ROLLBACK_STARTED)) {
                boolean rollback = st == UpdateStatus.UpdateState.ROLLBACK_STARTED;
                services.put(s.getId(), s.toBuilder().setUpdateStatus(s.getUpdateStatus().toBuilder()
                        .setState(rollback ? UpdateStatus.UpdateState.ROLLBACK_COMPLETED : UpdateStatus.UpdateState.COMPLETED)
                        .setCompletedAt(now)
                        .setMessage(rollback ? "rollback completed" : "update completed")).build());
            }
        }
    }

    private void newTask(Service s, long slot, String nodeId, TaskState desired, long now) {
        String name = s.getSpec().getAnnotations().getName();
        Task t = Task.newBuilder()
                .setId(newId("tsk"))
                .setMeta(Meta.newBuilder().setVersion(1).setCreatedAt(now))
                .setServiceId(s.getId())
                .setSlot(slot)
                .setNodeId(nodeId)
                .setSpec(s.getSpec().getTask())
                .setSpecVersion(s.getSpecVersion())
                .setAnnotations(Annotations.newBuilder().setName(slot != 0 ? name + "." + slot : name + "." + nodeId))
                .setServiceAnnotations(s.getSpec().getAnnotations())
                .setDesiredState(desired)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.PENDING).setTimestamp(now).setMessage("pending task scheduling"))
                .build();
        tasks.put(t.getId(), t);
    }
}
