package io.swarmlet.stack.internal;

import com.google.protobuf.ByteString;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.*;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An in-memory control API for the stack tests: services, networks, secrets and configs, with what the real
 * one does to a spec on the way in (secret and config references resolved to ID, latest version and
 * defaults; network targets resolved to IDs; restart, init and stop-grace defaults; ingress ports given a
 * published port), so that the tests show a redeploy does not depend on the stored spec being the one
 * sent. Secret rotation moves the services that use the secret, as the real one does. {@link #calls}
 * records every write.
 */
class FakeControlApi implements ControlApi {

    final Map<String, Service> services = new LinkedHashMap<>();
    final Map<String, Network> networks = new LinkedHashMap<>();
    final Map<String, Secret> secrets = new LinkedHashMap<>();
    final Map<String, List<byte[]>> secretValues = new LinkedHashMap<>();
    final Map<String, Config> configs = new LinkedHashMap<>();
    final List<String> calls = new ArrayList<>();
    /** How many more times removeNetwork refuses as if a task still used the network. */
    int networkBusy;
    private long ids;
    private long versions;
    private int nextPort = 30000;

    private String id(String prefix) {
        return String.format("%s%021d", prefix, ++ids);
    }

    private Meta meta() {
        return Meta.newBuilder().setVersion(++versions).build();
    }

    private static boolean matches(ListFilters f, String name, Map<String, String> labels) {
        if (!f.getNamesList().isEmpty() && !f.getNamesList().contains(name)) {
            return false;
        }
        for (Map.Entry<String, String> e : f.getLabelsMap().entrySet()) {
            if (!labels.containsKey(e.getKey()) || (!e.getValue().isEmpty() && !e.getValue().equals(labels.get(e.getKey())))) {
                return false;
            }
        }
        return true;
    }

    private static <T> T find(Map<String, T> objects, String ref, Function<T, String> name, String kind) {
        if (objects.containsKey(ref)) {
            return objects.get(ref);
        }
        return objects.values().stream().filter(o -> name.apply(o).equals(ref)).findFirst()
                .orElseThrow(() -> ControlException.notFound("no such " + kind + ": " + ref));
    }

    Service service(String name) {
        return find(services, name, s -> s.getSpec().getAnnotations().getName(), "service");
    }

    // ------------------------------------------------------------ services

    /** What the real control API stores of a spec. */
    private ServiceSpec normalize(ServiceSpec in) {
        ServiceSpec.Builder b = in.toBuilder();
        TaskSpec.Builder t = b.getTaskBuilder();
        if (!t.hasRestart()) {
            t.setRestart(RestartPolicy.newBuilder().setCondition(RestartPolicy.Condition.ANY).setDelayMs(5000));
        }
        if (!t.getContainer().hasInit()) {
            t.getContainerBuilder().setInit(true);
        }
        if (t.getContainer().getStopGracePeriodMs() == 0) {
            t.getContainerBuilder().setStopGracePeriodMs(10_000);
        }
        ContainerSpec.Builder c = t.getContainerBuilder();
        for (int i = 0; i < c.getSecretsCount(); i++) {
            SecretReference r = c.getSecrets(i);
            Secret s;
            try {
                s = find(secrets, r.getSecretId().isEmpty() ? r.getSecretName() : r.getSecretId(),
                        x -> x.getSpec().getAnnotations().getName(), "secret");
            } catch (ControlException e) {
                throw ControlException.invalid("secret not found: " + r.getSecretName());
            }
            c.setSecrets(i, r.toBuilder().setSecretId(s.getId()).setVersion(r.getVersion() == 0 ? latest(s) : r.getVersion())
                    .setUid(r.getUid().isEmpty() ? "0" : r.getUid()).setGid(r.getGid().isEmpty() ? "0" : r.getGid())
                    .setMode(r.getMode() == 0 ? 0444 : r.getMode()));
        }
        for (int i = 0; i < c.getConfigsCount(); i++) {
            ConfigReference r = c.getConfigs(i);
            Config s;
            try {
                s = find(configs, r.getConfigId().isEmpty() ? r.getConfigName() : r.getConfigId(),
                        x -> x.getSpec().getAnnotations().getName(), "config");
            } catch (ControlException e) {
                throw ControlException.invalid("config not found: " + r.getConfigName());
            }
            c.setConfigs(i, r.toBuilder().setConfigId(s.getId())
                    .setVersion(r.getVersion() == 0 ? s.getVersions(s.getVersionsCount() - 1).getVersion() : r.getVersion())
                    .setUid(r.getUid().isEmpty() ? "0" : r.getUid()).setGid(r.getGid().isEmpty() ? "0" : r.getGid())
                    .setMode(r.getMode() == 0 ? 0444 : r.getMode()));
        }
        for (int i = 0; i < t.getNetworksCount(); i++) {
            NetworkAttachmentConfig n = t.getNetworks(i);
            Network net;
            try {
                net = find(networks, n.getTarget(), x -> x.getSpec().getAnnotations().getName(), "network");
            } catch (ControlException e) {
                throw ControlException.invalid("network " + n.getTarget() + " not found");
            }
            t.setNetworks(i, n.toBuilder().setTarget(net.getId()));
        }
        return b.build();
    }

    private static long latest(Secret s) {
        return s.getVersions(s.getVersionsCount() - 1).getVersion();
    }

    private Endpoint endpoint(ServiceSpec spec, Endpoint current) {
        Endpoint.Builder e = Endpoint.newBuilder().setSpec(spec.getEndpoint());
        for (PortConfig p : spec.getEndpoint().getPortsList()) {
            if (p.getPublishMode() == PortConfig.PublishMode.INGRESS && p.getPublishedPort() == 0) {
                Optional<PortConfig> had = current.getPortsList().stream()
                        .filter(o -> o.getTargetPort() == p.getTargetPort() && o.getProtocol() == p.getProtocol()).findFirst();
                e.addPorts(p.toBuilder().setPublishedPort(had.map(PortConfig::getPublishedPort).orElse(nextPort++)));
            } else {
                e.addPorts(p);
            }
        }
        return e.build();
    }

    @Override
    public CreateServiceResponse createService(CreateServiceRequest request) {
        String name = request.getSpec().getAnnotations().getName();
        if (services.values().stream().anyMatch(s -> s.getSpec().getAnnotations().getName().equals(name))) {
            throw new ControlException(ControlException.Code.ALREADY_EXISTS, "service " + name + " already exists");
        }
        if (request.getSpec().getTask().getContainer().getImage().isEmpty()) {
            throw ControlException.invalid("service " + name + " has no image");
        }
        ServiceSpec spec = normalize(request.getSpec());
        Service s = Service.newBuilder().setId(id("svc")).setMeta(meta()).setSpec(spec).setSpecVersion(1)
                .setEndpoint(endpoint(spec, Endpoint.getDefaultInstance())).build();
        services.put(s.getId(), s);
        calls.add("createService " + name);
        return CreateServiceResponse.newBuilder().setService(s).build();
    }

    @Override
    public UpdateServiceResponse updateService(UpdateServiceRequest request) {
        Service cur = service(request.getId());
        if (request.getVersion() != cur.getMeta().getVersion()) {
            throw new ControlException(ControlException.Code.ABORTED, "update out of sequence");
        }
        ServiceSpec spec = normalize(request.getSpec());
        Service s = cur.toBuilder().setMeta(meta()).setSpec(spec).setPreviousSpec(cur.getSpec())
                .setSpecVersion(cur.getSpecVersion() + 1).setEndpoint(endpoint(spec, cur.getEndpoint())).build();
        services.put(s.getId(), s);
        calls.add("updateService " + spec.getAnnotations().getName());
        return UpdateServiceResponse.newBuilder().setService(s).build();
    }

    @Override
    public RemoveServiceResponse removeService(RemoveServiceRequest request) {
        Service s = service(request.getId());
        services.remove(s.getId());
        calls.add("removeService " + s.getSpec().getAnnotations().getName());
        return RemoveServiceResponse.getDefaultInstance();
    }

    @Override
    public GetServiceResponse getService(GetServiceRequest request) {
        return GetServiceResponse.newBuilder().setService(service(request.getId())).build();
    }

    @Override
    public ListServicesResponse listServices(ListServicesRequest request) {
        return ListServicesResponse.newBuilder().addAllServices(services.values().stream()
                .filter(s -> matches(request.getFilters(), s.getSpec().getAnnotations().getName(), s.getSpec().getAnnotations().getLabelsMap()))
                .toList()).build();
    }

    /** What {@code service scale} does. */
    void scale(String name, long replicas) {
        Service cur = service(name);
        ServiceSpec spec = cur.getSpec().toBuilder().setReplicated(ReplicatedService.newBuilder().setReplicas(replicas)).build();
        services.put(cur.getId(), cur.toBuilder().setMeta(meta()).setSpec(spec).setSpecVersion(cur.getSpecVersion() + 1).build());
    }

    // ------------------------------------------------------------ networks

    @Override
    public CreateNetworkResponse createNetwork(CreateNetworkRequest request) {
        String name = request.getSpec().getAnnotations().getName();
        if (networks.values().stream().anyMatch(n -> n.getSpec().getAnnotations().getName().equals(name))) {
            throw new ControlException(ControlException.Code.ALREADY_EXISTS, "network " + name + " already exists");
        }
        Network n = Network.newBuilder().setId(id("net")).setMeta(meta()).setSpec(request.getSpec()).build();
        networks.put(n.getId(), n);
        calls.add("createNetwork " + name);
        return CreateNetworkResponse.newBuilder().setNetwork(n).build();
    }

    @Override
    public ListNetworksResponse listNetworks(ListNetworksRequest request) {
        return ListNetworksResponse.newBuilder().addAllNetworks(networks.values().stream()
                .filter(n -> matches(request.getFilters(), n.getSpec().getAnnotations().getName(), n.getSpec().getAnnotations().getLabelsMap()))
                .toList()).build();
    }

    @Override
    public GetNetworkResponse getNetwork(GetNetworkRequest request) {
        return GetNetworkResponse.newBuilder().setNetwork(find(networks, request.getId(),
                n -> n.getSpec().getAnnotations().getName(), "network")).build();
    }

    @Override
    public RemoveNetworkResponse removeNetwork(RemoveNetworkRequest request) {
        Network n = find(networks, request.getId(), x -> x.getSpec().getAnnotations().getName(), "network");
        String name = n.getSpec().getAnnotations().getName();
        Optional<Service> user = services.values().stream()
                .filter(s -> s.getSpec().getTask().getNetworksList().stream().anyMatch(a -> a.getTarget().equals(n.getId())))
                .findFirst();
        if (user.isPresent() || networkBusy > 0) {
            networkBusy--;
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION, "network " + name + " is in use");
        }
        networks.remove(n.getId());
        calls.add("removeNetwork " + name);
        return RemoveNetworkResponse.getDefaultInstance();
    }

    // ------------------------------------------------------------ secrets and configs

    @Override
    public CreateSecretResponse createSecret(CreateSecretRequest request) {
        String name = request.getSpec().getAnnotations().getName();
        if (secrets.values().stream().anyMatch(s -> s.getSpec().getAnnotations().getName().equals(name))) {
            throw new ControlException(ControlException.Code.ALREADY_EXISTS, "secret " + name + " already exists");
        }
        Secret s = Secret.newBuilder().setId(id("sec")).setMeta(meta()).setSpec(request.getSpec().toBuilder().clearData())
                .addVersions(SecretVersion.newBuilder().setVersion(1).setSize(request.getSpec().getData().size())).build();
        secrets.put(s.getId(), s);
        secretValues.put(s.getId(), new ArrayList<>(List.of(request.getSpec().getData().toByteArray())));
        calls.add("createSecret " + name);
        return CreateSecretResponse.newBuilder().setSecret(s).build();
    }

    @Override
    public ListSecretsResponse listSecrets(ListSecretsRequest request) {
        return ListSecretsResponse.newBuilder().addAllSecrets(secrets.values().stream()
                .filter(s -> matches(request.getFilters(), s.getSpec().getAnnotations().getName(), s.getSpec().getAnnotations().getLabelsMap()))
                .toList()).build();
    }

    @Override
    public GetSecretResponse getSecret(GetSecretRequest request) {
        return GetSecretResponse.newBuilder().setSecret(find(secrets, request.getId(),
                s -> s.getSpec().getAnnotations().getName(), "secret")).build();
    }

    /** A new version; the services that use the secret move to it (spec version and meta bumped), as the real one. */
    @Override
    public RotateSecretResponse rotateSecret(RotateSecretRequest request) {
        Secret cur = find(secrets, request.getId(), s -> s.getSpec().getAnnotations().getName(), "secret");
        long v = latest(cur) + 1;
        Secret s = cur.toBuilder().setMeta(meta())
                .addVersions(SecretVersion.newBuilder().setVersion(v).setSize(request.getData().size())).build();
        secrets.put(s.getId(), s);
        secretValues.get(s.getId()).add(request.getData().toByteArray());
        RotateSecretResponse.Builder r = RotateSecretResponse.newBuilder().setSecret(s);
        for (Service svc : List.copyOf(services.values())) {
            ServiceSpec.Builder b = svc.getSpec().toBuilder();
            ContainerSpec.Builder c = b.getTaskBuilder().getContainerBuilder();
            boolean moved = false;
            for (int i = 0; i < c.getSecretsCount(); i++) {
                if (c.getSecrets(i).getSecretId().equals(s.getId())) {
                    c.setSecrets(i, c.getSecrets(i).toBuilder().setVersion(v));
                    moved = true;
                }
            }
            if (moved) {
                services.put(svc.getId(), svc.toBuilder().setMeta(meta()).setSpec(b).setPreviousSpec(svc.getSpec())
                        .setSpecVersion(svc.getSpecVersion() + 1).build());
                r.addUpdatedServices(svc.getSpec().getAnnotations().getName());
            }
        }
        calls.add("rotateSecret " + s.getSpec().getAnnotations().getName());
        return r.build();
    }

    @Override
    public RemoveSecretResponse removeSecret(RemoveSecretRequest request) {
        Secret s = find(secrets, request.getId(), x -> x.getSpec().getAnnotations().getName(), "secret");
        secrets.remove(s.getId());
        calls.add("removeSecret " + s.getSpec().getAnnotations().getName());
        return RemoveSecretResponse.getDefaultInstance();
    }

    @Override
    public CreateConfigResponse createConfig(CreateConfigRequest request) {
        String name = request.getSpec().getAnnotations().getName();
        Config c = Config.newBuilder().setId(id("cfg")).setMeta(meta()).setSpec(request.getSpec().toBuilder().clearData())
                .addVersions(ConfigVersion.newBuilder().setVersion(1).setData(request.getSpec().getData())).build();
        configs.put(c.getId(), c);
        calls.add("createConfig " + name);
        return CreateConfigResponse.newBuilder().setConfig(c).build();
    }

    @Override
    public ListConfigsResponse listConfigs(ListConfigsRequest request) {
        return ListConfigsResponse.newBuilder().addAllConfigs(configs.values().stream()
                .filter(c -> matches(request.getFilters(), c.getSpec().getAnnotations().getName(), c.getSpec().getAnnotations().getLabelsMap()))
                .toList()).build();
    }

    @Override
    public RotateConfigResponse rotateConfig(RotateConfigRequest request) {
        Config cur = find(configs, request.getId(), s -> s.getSpec().getAnnotations().getName(), "config");
        long v = cur.getVersions(cur.getVersionsCount() - 1).getVersion() + 1;
        Config c = cur.toBuilder().setMeta(meta()).addVersions(ConfigVersion.newBuilder().setVersion(v).setData(request.getData())).build();
        configs.put(c.getId(), c);
        calls.add("rotateConfig " + c.getSpec().getAnnotations().getName());
        return RotateConfigResponse.newBuilder().setConfig(c).build();
    }

    @Override
    public RemoveConfigResponse removeConfig(RemoveConfigRequest request) {
        Config c = find(configs, request.getId(), x -> x.getSpec().getAnnotations().getName(), "config");
        configs.remove(c.getId());
        calls.add("removeConfig " + c.getSpec().getAnnotations().getName());
        return RemoveConfigResponse.getDefaultInstance();
    }

    /** A secret created outside any stack (for external references). */
    void externalSecret(String name) {
        createSecret(CreateSecretRequest.newBuilder().setSpec(SecretSpec.newBuilder()
                .setAnnotations(Annotations.newBuilder().setName(name)).setData(ByteString.copyFromUtf8("leak-canary-x"))).build());
        calls.clear();
    }

    // ------------------------------------------------------------ not used by stacks

    private static ControlException unused() {
        return new ControlException(ControlException.Code.UNIMPLEMENTED, "not in the fake");
    }

    @Override public VersionResponse version(VersionRequest request) { throw unused(); }
    @Override public GetNodeResponse getNode(GetNodeRequest request) { throw unused(); }
    @Override public ListNodesResponse listNodes(ListNodesRequest request) { throw unused(); }
    @Override public UpdateNodeResponse updateNode(UpdateNodeRequest request) { throw unused(); }
    @Override public RemoveNodeResponse removeNode(RemoveNodeRequest request) { throw unused(); }
    @Override public GetClusterResponse getCluster(GetClusterRequest request) { throw unused(); }
    @Override public ListClustersResponse listClusters(ListClustersRequest request) { throw unused(); }
    @Override public UpdateClusterResponse updateCluster(UpdateClusterRequest request) { throw unused(); }
    @Override public GetTaskResponse getTask(GetTaskRequest request) { throw unused(); }
    @Override public ListTasksResponse listTasks(ListTasksRequest request) { throw unused(); }
    @Override public void logs(LogsRequest request, Consumer<LogMessage> sink) { throw unused(); }
}
