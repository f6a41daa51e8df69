package io.swarmlet.controlapi.internal;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.types.*;
import java.util.function.Consumer;

/**
 * What the control socket serves while this node holds no store (a worker, or
 * a manager whose store is not up): {@code Version} from the node's own
 * settings, and for everything else docker's refusal (FAILED_PRECONDITION)
 * telling the user to go to a manager.
 */
final class WorkerControlApi implements ControlApi {

    /** docker's text for a cluster command run on a worker. */
    static final String NOT_A_MANAGER = "This node is not a swarm manager. Worker nodes can't be used to view or modify"
            + " cluster state. Please run this command on a manager node or promote the current node to a manager.";

    /** A manager whose store is not up yet (starting, catching up with the leader). */
    static final String STORE_STARTING = "This manager's store is not ready yet (it is starting, or catching up with"
            + " the raft leader); try again in a moment. If it stays so, see the daemon log.";

    private final LocalNode local;
    private final String version;
    private final java.util.function.BooleanSupplier manager;
    private final java.util.function.Supplier<io.swarmlet.api.node.Plugins> plugins;

    WorkerControlApi(LocalNode local, String version, java.util.function.BooleanSupplier manager) {
        this(local, version, manager, () -> null);
    }

    /** @param plugins this node's plugins (local ones), which a worker serves itself; may supply null */
    WorkerControlApi(LocalNode local, String version, java.util.function.BooleanSupplier manager,
            java.util.function.Supplier<io.swarmlet.api.node.Plugins> plugins) {
        this.local = local;
        this.version = version;
        this.manager = manager;
        this.plugins = plugins;
    }

    private io.swarmlet.api.node.Plugins plugins() {
        io.swarmlet.api.node.Plugins p = plugins.get();
        if (p == null) {
            throw new ControlException(ControlException.Code.UNAVAILABLE,
                    "this daemon cannot manage its plugins right now: its node component is not running (see its log)");
        }
        return p;
    }

    /** {@code --cluster} needs a manager; a plugin of this node alone is this node's business. */
    @Override
    public InstallPluginResponse installPlugin(InstallPluginRequest request) {
        if (request.getCluster()) {
            throw refused();
        }
        return plugins().install(request);
    }

    /** This node's plugins (the cluster's view needs a manager). */
    @Override
    public ListPluginsResponse listPlugins(ListPluginsRequest request) {
        return plugins().list();
    }

    /** A local plugin of this node (cluster plugins are removed through a manager). */
    @Override
    public RemovePluginResponse removePlugin(RemovePluginRequest request) {
        io.swarmlet.api.node.Plugins p = plugins();
        try {
            return p.remove(request);
        } catch (ControlException e) {
            String name = request.getName().trim();
            if (e.code() == ControlException.Code.NOT_FOUND && p.list().getPluginsList().stream()
                    .anyMatch(x -> x.getStatus().getCluster() && (x.getStatus().getName().equals(name)
                            || (!name.isEmpty() && x.getStatus().getPluginId().startsWith(name))))) {
                throw refused(); // a cluster plugin: only managers remove it
            }
            throw e;
        }
    }

    private ControlException refused() {
        return manager.getAsBoolean()
                ? new ControlException(ControlException.Code.UNAVAILABLE, STORE_STARTING)
                : new ControlException(ControlException.Code.FAILED_PRECONDITION, NOT_A_MANAGER);
    }

    @Override
    public VersionResponse version(VersionRequest request) {
        return ControlApiImpl.version(version, local).setLeader(false).build();
    }

    @Override public GetNodeResponse getNode(GetNodeRequest request) { throw refused(); }
    @Override public ListNodesResponse listNodes(ListNodesRequest request) { throw refused(); }
    @Override public UpdateNodeResponse updateNode(UpdateNodeRequest request) { throw refused(); }
    @Override public RemoveNodeResponse removeNode(RemoveNodeRequest request) { throw refused(); }
    @Override public GetClusterResponse getCluster(GetClusterRequest request) { throw refused(); }
    @Override public ListClustersResponse listClusters(ListClustersRequest request) { throw refused(); }
    @Override public UpdateClusterResponse updateCluster(UpdateClusterRequest request) { throw refused(); }
    @Override public GetServiceResponse getService(GetServiceRequest request) { throw refused(); }
    @Override public ListServicesResponse listServices(ListServicesRequest request) { throw refused(); }
    @Override public CreateServiceResponse createService(CreateServiceRequest request) { throw refused(); }
    @Override public UpdateServiceResponse updateService(UpdateServiceRequest request) { throw refused(); }
    @Override public RemoveServiceResponse removeService(RemoveServiceRequest request) { throw refused(); }
    @Override public GetTaskResponse getTask(GetTaskRequest request) { throw refused(); }
    @Override public ListTasksResponse listTasks(ListTasksRequest request) { throw refused(); }
    @Override public void logs(LogsRequest request, Consumer<LogMessage> sink) { throw refused(); }
    @Override public void watch(WatchRequest request, Consumer<WatchEvent> sink) { throw refused(); }
    @Override public CreateSecretResponse createSecret(CreateSecretRequest request) { throw refused(); }
    @Override public GetSecretResponse getSecret(GetSecretRequest request) { throw refused(); }
    @Override public ListSecretsResponse listSecrets(ListSecretsRequest request) { throw refused(); }
    @Override public RemoveSecretResponse removeSecret(RemoveSecretRequest request) { throw refused(); }
    @Override public RotateSecretResponse rotateSecret(RotateSecretRequest request) { throw refused(); }
    @Override public UpdateSecretResponse updateSecret(UpdateSecretRequest request) { throw refused(); }
    @Override public UpdateConfigResponse updateConfig(UpdateConfigRequest request) { throw refused(); }
    @Override public CreateConfigResponse createConfig(CreateConfigRequest request) { throw refused(); }
    @Override public GetConfigResponse getConfig(GetConfigRequest request) { throw refused(); }
    @Override public ListConfigsResponse listConfigs(ListConfigsRequest request) { throw refused(); }
    @Override public RemoveConfigResponse removeConfig(RemoveConfigRequest request) { throw refused(); }
    @Override public RotateConfigResponse rotateConfig(RotateConfigRequest request) { throw refused(); }
    @Override public GetUnlockKeyResponse getUnlockKey(GetUnlockKeyRequest request) { throw refused(); }
    @Override public CreateNetworkResponse createNetwork(CreateNetworkRequest request) { throw refused(); }
    @Override public GetNetworkResponse getNetwork(GetNetworkRequest request) { throw refused(); }
    @Override public ListNetworksResponse listNetworks(ListNetworksRequest request) { throw refused(); }
    @Override public RemoveNetworkResponse removeNetwork(RemoveNetworkRequest request) { throw refused(); }
    @Override public DeployStackResponse deployStack(DeployStackRequest request) { throw refused(); }
    @Override public ListStacksResponse listStacks(ListStacksRequest request) { throw refused(); }
    @Override public RemoveStackResponse removeStack(RemoveStackRequest request) { throw refused(); }
    @Override public CreateWebTokenResponse createWebToken(CreateWebTokenRequest request) { throw refused(); }
}
