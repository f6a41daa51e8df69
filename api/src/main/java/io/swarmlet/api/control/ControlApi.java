package io.swarmlet.api.control;

import io.swarmlet.api.types.*;

/**
 * The control API of a manager, the Java form of {@code service Control} in
 * {@code swarmlet/control.proto}. The controlapi bundle implements it and
 * serves it over gRPC on the control socket; the shell and the web console
 * call it in-process, the CLI through gRPC. Every method validates its input
 * and throws {@link ControlException} with a message meant for the user.
 */
@org.osgi.annotation.versioning.ProviderType
public interface ControlApi {

    VersionResponse version(VersionRequest request);

    GetNodeResponse getNode(GetNodeRequest request);

    ListNodesResponse listNodes(ListNodesRequest request);

    UpdateNodeResponse updateNode(UpdateNodeRequest request);

    RemoveNodeResponse removeNode(RemoveNodeRequest request);

    GetClusterResponse getCluster(GetClusterRequest request);

    ListClustersResponse listClusters(ListClustersRequest request);

    UpdateClusterResponse updateCluster(UpdateClusterRequest request);

    GetServiceResponse getService(GetServiceRequest request);

    ListServicesResponse listServices(ListServicesRequest request);

    CreateServiceResponse createService(CreateServiceRequest request);

    UpdateServiceResponse updateService(UpdateServiceRequest request);

    RemoveServiceResponse removeService(RemoveServiceRequest request);

    GetTaskResponse getTask(GetTaskRequest request);

    ListTasksResponse listTasks(ListTasksRequest request);

    /**
     * Streams the output of a service's tasks (or one task's) to {@code sink}
     * until there is no more or, with {@code follow}, until the calling thread
     * is interrupted or {@code sink} throws.
     */
    void logs(LogsRequest request, java.util.function.Consumer<LogMessage> sink) throws InterruptedException;

    /**
     * Streams every change to the cluster's objects of the asked kinds (and actions, and objects:
     * see {@link WatchRequest}) to {@code sink}, as it is
     * committed, from the moment of the call on (or, with {@code since}, the last 256 changes
     * this manager kept first), until the request's {@code until} (the call returns), the calling thread is
     * interrupted or {@code sink} throws (managers only; a manager that loses the leadership
     * goes on serving what its replica of the store commits).
     *
     * @throws ControlException INVALID_ARGUMENT for an unknown kind or action, or an empty filter; UNIMPLEMENTED where there is no store to watch
     * @since 1.5
     */
    default void watch(WatchRequest request, java.util.function.Consumer<WatchEvent> sink) throws InterruptedException {
        throw new ControlException(ControlException.Code.UNIMPLEMENTED, "this control API cannot watch the cluster's objects");
    }

    /**
     * Stores a cluster-wide plugin ({@code request.cluster} must be set): checked
     * (a bundle jar, at most {@link #MAX_PLUGIN_BYTES}, digest as sent, name not
     * taken) and written to the replicated store, from which every node installs it.
     *
     * @since 1.1
     */
    default InstallPluginResponse installPlugin(InstallPluginRequest request) {
        throw new ControlException(ControlException.Code.UNIMPLEMENTED, "this manager does not serve plugins");
    }

    /** Every plugin on every node, as the nodes report them ({@code node.plugins}). @since 1.1 */
    default ListPluginsResponse listPlugins(ListPluginsRequest request) {
        throw new ControlException(ControlException.Code.UNIMPLEMENTED, "this manager does not serve plugins");
    }

    /**
     * Removes a cluster-wide plugin by name, ID or ID prefix; every node uninstalls it.
     *
     * @throws ControlException NOT_FOUND when there is no such cluster plugin
     * @since 1.1
     */
    default RemovePluginResponse removePlugin(RemovePluginRequest request) {
        throw new ControlException(ControlException.Code.UNIMPLEMENTED, "this manager does not serve plugins");
    }

    /** Largest plugin jar accepted, cluster-wide or local (4 MiB: it travels through the Raft log). */
    long MAX_PLUGIN_BYTES = 4L * 1024 * 1024;

    /** Largest secret or config value accepted (500 KB, as Docker). @since 1.2 */
    int MAX_PAYLOAD_BYTES = 500 * 1024;

    /**
     * Creates a secret: name valid and unused, value 1 byte to {@link #MAX_PAYLOAD_BYTES},
     * sealed by its driver before it reaches the store (as version 1).
     * The response holds no value and no sealed bytes. @since 1.2
     */
    default CreateSecretResponse createSecret(CreateSecretRequest request) { throw unimplemented("secrets"); }

    /** By name, ID or ID prefix; no value, no sealed bytes. @since 1.2 */
    default GetSecretResponse getSecret(GetSecretRequest request) { throw unimplemented("secrets"); }

    /** @since 1.2 */
    default ListSecretsResponse listSecrets(ListSecretsRequest request) { throw unimplemented("secrets"); }

    /**
     * @throws ControlException FAILED_PRECONDITION while a service references it (naming the services)
     * @since 1.2
     */
    default RemoveSecretResponse removeSecret(RemoveSecretRequest request) { throw unimplemented("secrets"); }

    /**
     * Adds a version and moves every service that references the secret unpinned to it,
     * in the same transaction; each then rolls through its own update config. @since 1.2
     */
    default RotateSecretResponse rotateSecret(RotateSecretRequest request) { throw unimplemented("secrets"); }

    /**
     * Docker's {@code secret update}: only the labels change. A non-empty {@code spec.data} must
     * equal the current value (compared, never reported), else INVALID_ARGUMENT "only updates to
     * Labels are allowed"; a stale {@code version} is ABORTED. @since 1.4
     */
    default UpdateSecretResponse updateSecret(UpdateSecretRequest request) { throw unimplemented("secrets"); }

    /** As {@link #createSecret}, stored in clear (configs are not secret). @since 1.2 */
    default CreateConfigResponse createConfig(CreateConfigRequest request) { throw unimplemented("configs"); }

    /** @since 1.2 */
    default GetConfigResponse getConfig(GetConfigRequest request) { throw unimplemented("configs"); }

    /** @since 1.2 */
    default ListConfigsResponse listConfigs(ListConfigsRequest request) { throw unimplemented("configs"); }

    /** @since 1.2 */
    default RemoveConfigResponse removeConfig(RemoveConfigRequest request) { throw unimplemented("configs"); }

    /** @since 1.2 */
    default RotateConfigResponse rotateConfig(RotateConfigRequest request) { throw unimplemented("configs"); }

    /** As {@link #updateSecret}, for configs. @since 1.4 */
    default UpdateConfigResponse updateConfig(UpdateConfigRequest request) { throw unimplemented("configs"); }

    /** The autolock unlock key ({@code SWMKEY-1-...}), empty when autolock is off. @since 1.2 */
    default GetUnlockKeyResponse getUnlockKey(GetUnlockKeyRequest request) { throw unimplemented("autolock"); }

    /**
     * Unlocks a locked manager. A manager that is not locked refuses with
     * FAILED_PRECONDITION "swarm is not locked"; a wrong key is INVALID_ARGUMENT and changes nothing.
     * @since 1.2
     */
    default UnlockSwarmResponse unlockSwarm(UnlockSwarmRequest request) {
        throw new ControlException(ControlException.Code.FAILED_PRECONDITION, "swarm is not locked");
    }

    /**
     * Creates a cluster network: name valid and unused; the manager allocates its
     * subnet (a free /24 from 10.0.0.0/8 unless {@code spec.ipam} gives one), the
     * gateway, the task range (lower half) and {@code dns_addr}. @since 1.3
     */
    default CreateNetworkResponse createNetwork(CreateNetworkRequest request) { throw unimplemented("networks"); }

    /** By name, ID or ID prefix. @since 1.3 */
    default GetNetworkResponse getNetwork(GetNetworkRequest request) { throw unimplemented("networks"); }

    /** @since 1.3 */
    default ListNetworksResponse listNetworks(ListNetworksRequest request) { throw unimplemented("networks"); }

    /**
     * @throws ControlException FAILED_PRECONDITION while a service is attached to it (naming the services)
     * @since 1.3
     */
    default RemoveNetworkResponse removeNetwork(RemoveNetworkRequest request) { throw unimplemented("networks"); }

    /** Served by the {@link Stacks} service when the stack bundle runs. @since 1.3 */
    default DeployStackResponse deployStack(DeployStackRequest request) { throw unimplemented("stacks"); }

    /** @since 1.3 */
    default ListStacksResponse listStacks(ListStacksRequest request) { throw unimplemented("stacks"); }

    /** @since 1.3 */
    default RemoveStackResponse removeStack(RemoveStackRequest request) { throw unimplemented("stacks"); }

    /**
     * A new token for the web console's actions ({@code SWLWEB-1-<id>-<secret>}), returned
     * once; only its SHA-256 is kept ({@code Cluster.web_tokens}); {@code rotate} drops
     * every earlier one. @since 1.3
     */
    default CreateWebTokenResponse createWebToken(CreateWebTokenRequest request) { throw unimplemented("web tokens"); }

    private static ControlException unimplemented(String what) {
        return new ControlException(ControlException.Code.UNIMPLEMENTED, "this manager does not serve " + what);
    }
}
