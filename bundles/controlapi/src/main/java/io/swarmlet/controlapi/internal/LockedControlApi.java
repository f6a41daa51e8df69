package io.swarmlet.controlapi.internal;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.security.Keyring;
import io.swarmlet.api.types.*;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What the control socket of a <em>locked</em> manager serves (autolock on, and
 * the daemon restarted: its data key is wrapped, so no store and no manager API
 * runs): {@code Version}, and {@code UnlockSwarm}, which hands the key to the
 * {@link Keyring}; once it opens the data key, the store starts and the manager
 * API takes over the socket. Every other call is refused with
 * {@link Keyring#LOCKED_MESSAGE} (docker's words). The key is never logged nor
 * echoed in a message.
 */
final class LockedControlApi implements ControlApi {

    private final LocalNode local;
    private final String version;
    private final Supplier<Keyring> keyring;

    LockedControlApi(LocalNode local, String version, Supplier<Keyring> keyring) {
        this.local = local;
        this.version = version;
        this.keyring = keyring;
    }

    private static ControlException locked() {
        return new ControlException(ControlException.Code.FAILED_PRECONDITION, Keyring.LOCKED_MESSAGE);
    }

    @Override
    public VersionResponse version(VersionRequest request) {
        return ControlApiImpl.version(version, local).setLeader(false).build();
    }

    /** A wrong key is INVALID_ARGUMENT ("invalid unlock key...") and changes nothing. */
    @Override
    public UnlockSwarmResponse unlockSwarm(UnlockSwarmRequest request) {
        Keyring k = keyring.get();
        if (k == null) {
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION, "swarm is not locked");
        }
        try {
            k.unlock(request.getUnlockKey());
        } catch (IllegalArgumentException e) {
            throw ControlException.invalid(e.getMessage());
        } catch (IllegalStateException e) {
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION, "swarm is not locked");
        }
        return UnlockSwarmResponse.getDefaultInstance();
    }

    @Override public GetNodeResponse getNode(GetNodeRequest request) { throw locked(); }
    @Override public ListNodesResponse listNodes(ListNodesRequest request) { throw locked(); }
    @Override public UpdateNodeResponse updateNode(UpdateNodeRequest request) { throw locked(); }
    @Override public RemoveNodeResponse removeNode(RemoveNodeRequest request) { throw locked(); }
    @Override public GetClusterResponse getCluster(GetClusterRequest request) { throw locked(); }
    @Override public ListClustersResponse listClusters(ListClustersRequest request) { throw locked(); }
    @Override public UpdateClusterResponse updateCluster(UpdateClusterRequest request) { throw locked(); }
    @Override public GetServiceResponse getService(GetServiceRequest request) { throw locked(); }
    @Override public ListServicesResponse listServices(ListServicesRequest request) { throw locked(); }
    @Override public CreateServiceResponse createService(CreateServiceRequest request) { throw locked(); }
    @Override public UpdateServiceResponse updateService(UpdateServiceRequest request) { throw locked(); }
    @Override public RemoveServiceResponse removeService(RemoveServiceRequest request) { throw locked(); }
    @Override public GetTaskResponse getTask(GetTaskRequest request) { throw locked(); }
    @Override public ListTasksResponse listTasks(ListTasksRequest request) { throw locked(); }
    @Override public void logs(LogsRequest request, Consumer<LogMessage> sink) { throw locked(); }
    @Override public void watch(WatchRequest request, Consumer<WatchEvent> sink) { throw locked(); }
    @Override public InstallPluginResponse installPlugin(InstallPluginRequest request) { throw locked(); }
    @Override public ListPluginsResponse listPlugins(ListPluginsRequest request) { throw locked(); }
    @Override public RemovePluginResponse removePlugin(RemovePluginRequest request) { throw locked(); }
    @Override public CreateSecretResponse createSecret(CreateSecretRequest request) { throw locked(); }
    @Override public GetSecretResponse getSecret(GetSecretRequest request) { throw locked(); }
    @Override public ListSecretsResponse listSecrets(ListSecretsRequest request) { throw locked(); }
    @Override public RemoveSecretResponse removeSecret(RemoveSecretRequest request) { throw locked(); }
    @Override public RotateSecretResponse rotateSecret(RotateSecretRequest request) { throw locked(); }
    @Override public UpdateSecretResponse updateSecret(UpdateSecretRequest request) { throw locked(); }
    @Override public UpdateConfigResponse updateConfig(UpdateConfigRequest request) { throw locked(); }
    @Override public CreateConfigResponse createConfig(CreateConfigRequest request) { throw locked(); }
    @Override public GetConfigResponse getConfig(GetConfigRequest request) { throw locked(); }
    @Override public ListConfigsResponse listConfigs(ListConfigsRequest request) { throw locked(); }
    @Override public RemoveConfigResponse removeConfig(RemoveConfigRequest request) { throw locked(); }
    @Override public RotateConfigResponse rotateConfig(RotateConfigRequest request) { throw locked(); }
    @Override public GetUnlockKeyResponse getUnlockKey(GetUnlockKeyRequest request) { throw locked(); }
    @Override public CreateNetworkResponse createNetwork(CreateNetworkRequest request) { throw locked(); }
    @Override public GetNetworkResponse getNetwork(GetNetworkRequest request) { throw locked(); }
    @Override public ListNetworksResponse listNetworks(ListNetworksRequest request) { throw locked(); }
    @Override public RemoveNetworkResponse removeNetwork(RemoveNetworkRequest request) { throw locked(); }
    @Override public DeployStackResponse deployStack(DeployStackRequest request) { throw locked(); }
    @Override public ListStacksResponse listStacks(ListStacksRequest request) { throw locked(); }
    @Override public RemoveStackResponse removeStack(RemoveStackRequest request) { throw locked(); }
    @Override public CreateWebTokenResponse createWebToken(CreateWebTokenRequest request) { throw locked(); }
}
