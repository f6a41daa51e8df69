package io.swarmlet.grpc;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.grpc.ControlGrpc;
import io.swarmlet.api.node.NodeMembership;
import io.swarmlet.api.types.*;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Serves a {@link ControlApi} over gRPC; {@link ControlException}s become statuses of the same code.
 * {@code LeaveSwarm} is not part of the ControlApi (it is the node's own business, manager or worker):
 * it is served through a {@link NodeMembership}, whose refusals ({@link IllegalStateException})
 * become FAILED_PRECONDITION with their message.
 */
public final class ControlGrpcService extends ControlGrpc.ControlImplBase {

    private final Supplier<? extends ControlApi> api;
    private final Supplier<? extends NodeMembership> membership;
    private final Supplier<? extends io.swarmlet.api.node.Modules> modules;
    private final java.util.function.Consumer<Throwable> onInternalError;

    /**
     * Serves a fixed API; {@code LeaveSwarm} is refused (UNAVAILABLE).
     *
     * @param api what to serve
     * @param onInternalError told of every failure that is not a {@link ControlException} (for the log)
     */
    public ControlGrpcService(ControlApi api, java.util.function.Consumer<Throwable> onInternalError) {
        this(() -> api, () -> null, onInternalError);
    }

    /**
     * Serves whatever API {@code api} supplies at the time of each call (so the API
     * behind a socket can change, e.g. when a worker is promoted), and
     * {@code LeaveSwarm} through what {@code membership} supplies (null: UNAVAILABLE).
     *
     * @param api asked once per call; must not supply null
     * @param membership asked once per LeaveSwarm call; may supply null
     * @param onInternalError told of every failure that is not a {@link ControlException} (for the log)
     */
    public ControlGrpcService(Supplier<? extends ControlApi> api, Supplier<? extends NodeMembership> membership,
                              java.util.function.Consumer<Throwable> onInternalError) {
        this(api, membership, () -> null, onInternalError);
    }

    /**
     * As above, and {@code ListModules}/{@code ChangeModule} through what
     * {@code modules} supplies (null: UNAVAILABLE).
     */
    public ControlGrpcService(Supplier<? extends ControlApi> api, Supplier<? extends NodeMembership> membership,
                              Supplier<? extends io.swarmlet.api.node.Modules> modules,
                              java.util.function.Consumer<Throwable> onInternalError) {
        this.api = Objects.requireNonNull(api, "api");
        this.membership = Objects.requireNonNull(membership, "membership");
        this.modules = Objects.requireNonNull(modules, "modules");
        this.onInternalError = onInternalError;
    }

    private io.swarmlet.api.node.Modules modules() {
        io.swarmlet.api.node.Modules m = modules.get();
        if (m == null) {
            throw new ControlException(ControlException.Code.UNAVAILABLE,
                    "this daemon cannot list or change its modules right now: its node component is not running (see its log)");
        }
        return m;
    }

    @Override
    public void listModules(io.swarmlet.api.types.ListModulesRequest q,
                            StreamObserver<io.swarmlet.api.types.ListModulesResponse> o) {
        unary(q, o, r -> modules().list());
    }

    @Override
    public void changeModule(io.swarmlet.api.types.ChangeModuleRequest q,
                             StreamObserver<io.swarmlet.api.types.ChangeModuleResponse> o) {
        unary(q, o, r -> modules().change(r));
    }

    private ControlApi api() {
        return api.get();
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

    @Override public void version(VersionRequest q, StreamObserver<VersionResponse> o) { unary(q, o, r -> api().version(r)); }
    @Override public void getNode(GetNodeRequest q, StreamObserver<GetNodeResponse> o) { unary(q, o, r -> api().getNode(r)); }
    @Override public void listNodes(ListNodesRequest q, StreamObserver<ListNodesResponse> o) { unary(q, o, r -> api().listNodes(r)); }
    @Override public void updateNode(UpdateNodeRequest q, StreamObserver<UpdateNodeResponse> o) { unary(q, o, r -> api().updateNode(r)); }
    @Override public void removeNode(RemoveNodeRequest q, StreamObserver<RemoveNodeResponse> o) { unary(q, o, r -> api().removeNode(r)); }
    @Override public void getCluster(GetClusterRequest q, StreamObserver<GetClusterResponse> o) { unary(q, o, r -> api().getCluster(r)); }
    @Override public void listClusters(ListClustersRequest q, StreamObserver<ListClustersResponse> o) { unary(q, o, r -> api().listClusters(r)); }
    @Override public void updateCluster(UpdateClusterRequest q, StreamObserver<UpdateClusterResponse> o) { unary(q, o, r -> api().updateCluster(r)); }
    @Override public void getService(GetServiceRequest q, StreamObserver<GetServiceResponse> o) { unary(q, o, r -> api().getService(r)); }
    @Override public void listServices(ListServicesRequest q, StreamObserver<ListServicesResponse> o) { unary(q, o, r -> api().listServices(r)); }
    @Override public void createService(CreateServiceRequest q, StreamObserver<CreateServiceResponse> o) { unary(q, o, r -> api().createService(r)); }
    @Override public void updateService(UpdateServiceRequest q, StreamObserver<UpdateServiceResponse> o) { unary(q, o, r -> api().updateService(r)); }
    @Override public void removeService(RemoveServiceRequest q, StreamObserver<RemoveServiceResponse> o) { unary(q, o, r -> api().removeService(r)); }
    @Override public void getTask(GetTaskRequest q, StreamObserver<GetTaskResponse> o) { unary(q, o, r -> api().getTask(r)); }
    @Override
    public void logs(LogsRequest q, StreamObserver<LogMessage> o) {
        io.grpc.stub.ServerCallStreamObserver<LogMessage> out = (io.grpc.stub.ServerCallStreamObserver<LogMessage>) o;
        Thread caller = Thread.currentThread();
        out.setOnCancelHandler(caller::interrupt);
        try {
            api().logs(q, m -> {
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

    @Override public void listTasks(ListTasksRequest q, StreamObserver<ListTasksResponse> o) { unary(q, o, r -> api().listTasks(r)); }

    @Override
    public void leaveSwarm(LeaveSwarmRequest q, StreamObserver<LeaveSwarmResponse> o) {
        unary(q, o, r -> {
            NodeMembership m = membership.get();
            if (m == null) {
                throw new ControlException(ControlException.Code.UNAVAILABLE,
                        "this daemon cannot leave the swarm right now: its node component is not running (see its log)");
            }
            try {
                return LeaveSwarmResponse.newBuilder().setMessage(m.leave(r.getForce())).build();
            } catch (IllegalStateException e) {
                throw new ControlException(ControlException.Code.FAILED_PRECONDITION, e.getMessage());
            }
        });
    }
}
