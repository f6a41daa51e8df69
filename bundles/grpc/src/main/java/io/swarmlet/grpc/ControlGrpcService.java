package io.swarmlet.grpc;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.grpc.ControlGrpc;
import io.swarmlet.api.types.*;
import java.util.function.Function;

/** Serves a {@link ControlApi} over gRPC; {@link ControlException}s become statuses of the same code. */
public final class ControlGrpcService extends ControlGrpc.ControlImplBase {

    private final ControlApi api;
    private final java.util.function.Consumer<Throwable> onInternalError;

    /**
     * @param api what to serve
     * @param onInternalError told of every failure that is not a {@link ControlException} (for the log)
     */
    public ControlGrpcService(ControlApi api, java.util.function.Consumer<Throwable> onInternalError) {
        this.api = api;
        this.onInternalError = onInternalError;
    }

    private <Q, R> void unary(Q request, StreamObserver<R> out, Function<Q, R> call) {
        R response;
        try {
            response = call.apply(request);
        } catch (ControlException e) {
            out.onError(Status.fromCodeValue(Errors.grpcCode(e.code()).value()).withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (RuntimeException e) {
            onInternalError.accept(e);
            out.onError(Status.INTERNAL.withDescription("internal error: " + Transports.rootMessage(e)).asRuntimeException());
            return;
        }
        out.onNext(response);
        out.onCompleted();
    }

    @Override public void version(VersionRequest q, StreamObserver<VersionResponse> o) { unary(q, o, api::version); }
    @Override public void getNode(GetNodeRequest q, StreamObserver<GetNodeResponse> o) { unary(q, o, api::getNode); }
    @Override public void listNodes(ListNodesRequest q, StreamObserver<ListNodesResponse> o) { unary(q, o, api::listNodes); }
    @Override public void updateNode(UpdateNodeRequest q, StreamObserver<UpdateNodeResponse> o) { unary(q, o, api::updateNode); }
    @Override public void removeNode(RemoveNodeRequest q, StreamObserver<RemoveNodeResponse> o) { unary(q, o, api::removeNode); }
    @Override public void getCluster(GetClusterRequest q, StreamObserver<GetClusterResponse> o) { unary(q, o, api::getCluster); }
    @Override public void listClusters(ListClustersRequest q, StreamObserver<ListClustersResponse> o) { unary(q, o, api::listClusters); }
    @Override public void updateCluster(UpdateClusterRequest q, StreamObserver<UpdateClusterResponse> o) { unary(q, o, api::updateCluster); }
    @Override public void getService(GetServiceRequest q, StreamObserver<GetServiceResponse> o) { unary(q, o, api::getService); }
    @Override public void listServices(ListServicesRequest q, StreamObserver<ListServicesResponse> o) { unary(q, o, api::listServices); }
    @Override public void createService(CreateServiceRequest q, StreamObserver<CreateServiceResponse> o) { unary(q, o, api::createService); }
    @Override public void updateService(UpdateServiceRequest q, StreamObserver<UpdateServiceResponse> o) { unary(q, o, api::updateService); }
    @Override public void removeService(RemoveServiceRequest q, StreamObserver<RemoveServiceResponse> o) { unary(q, o, api::removeService); }
    @Override public void getTask(GetTaskRequest q, StreamObserver<GetTaskResponse> o) { unary(q, o, api::getTask); }
    @Override
    public void logs(LogsRequest q, StreamObserver<LogMessage> o) {
        io.grpc.stub.ServerCallStreamObserver<LogMessage> out = (io.grpc.stub.ServerCallStreamObserver<LogMessage>) o;
        Thread caller = Thread.currentThread();
        out.setOnCancelHandler(caller::interrupt);
        try {
            api.logs(q, m -> {
                if (out.isCancelled()) {
                    throw new java.util.concurrent.CancellationException("client went away");
                }
                out.onNext(m);
            });
            out.onCompleted();
        } catch (ControlException e) {
            out.onError(Status.fromCodeValue(Errors.grpcCode(e.code()).value()).withDescription(e.getMessage()).asRuntimeException());
        } catch (InterruptedException | java.util.concurrent.CancellationException e) {
            Thread.interrupted();
            if (!out.isCancelled()) {
                out.onCompleted();
            }
        } catch (RuntimeException e) {
            onInternalError.accept(e);
            out.onError(Status.INTERNAL.withDescription("internal error: " + Transports.rootMessage(e)).asRuntimeException());
        }
    }

    @Override public void listTasks(ListTasksRequest q, StreamObserver<ListTasksResponse> o) { unary(q, o, api::listTasks); }
}
