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
}
