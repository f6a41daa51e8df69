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
}
