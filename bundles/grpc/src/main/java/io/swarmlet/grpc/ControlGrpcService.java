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

    /** What serves {@code Console}; asked once per call, may supply null (then UNAVAILABLE). */
    private Supplier<? extends io.swarmlet.api.node.Console> console = () -> null;

    /**
     * Serves {@code Console} sessions through what {@code console} supplies at
     * the time of each call (null: UNAVAILABLE, the shell is not running).
     * Set it before the service is served.
     *
     * @return this service
     */
    public ControlGrpcService withConsole(Supplier<? extends io.swarmlet.api.node.Console> console) {
        this.console = Objects.requireNonNull(console, "console");
        return this;
    }

    /** Refusal of {@code Console} when no {@link io.swarmlet.api.node.Console} is registered. */
    public static final String NO_CONSOLE = "the shell console is not running on this daemon (bundle io.swarmlet.cli)";

    /**
     * A shell session: each input message goes to the session, what the shell
     * prints comes back as output messages, and the last one says
     * {@code closed}. The client's end of input ({@code eof}, or half-close)
     * ends the session once what it typed has run; a client that goes away
     * hangs the session up (its running command is interrupted).
     */
    @Override
    public StreamObserver<ConsoleInput> console(StreamObserver<ConsoleOutput> o) {
        io.grpc.stub.ServerCallStreamObserver<ConsoleOutput> out = (io.grpc.stub.ServerCallStreamObserver<ConsoleOutput>) o;
        io.swarmlet.api.node.Console c = console.get();
        if (c == null) {
            out.onError(Status.UNAVAILABLE.withDescription(NO_CONSOLE).asRuntimeException());
            return ConsoleCall.IGNORE;
        }
        ConsoleCall call = new ConsoleCall(out);
        out.setOnCancelHandler(call::hangUp);
        try {
            call.session = c.open(call::output, call::closed);
        } catch (RuntimeException e) {
            onInternalError.accept(e);
            out.onError(Status.INTERNAL.withDescription("cannot open a console session: " + Transports.rootMessage(e)).asRuntimeException());
            return ConsoleCall.IGNORE;
        }
        return call;
    }

    /** One {@code Console} call: the session's output goes out in order, and the call ends once. */
    private static final class ConsoleCall implements StreamObserver<ConsoleInput> {
        static final StreamObserver<ConsoleInput> IGNORE = new StreamObserver<>() {
            @Override public void onNext(ConsoleInput value) { }
            @Override public void onError(Throwable t) { }
            @Override public void onCompleted() { }
        };

        private final io.grpc.stub.ServerCallStreamObserver<ConsoleOutput> out;
        volatile io.swarmlet.api.node.Console.Session session;
        private boolean finished;

        ConsoleCall(io.grpc.stub.ServerCallStreamObserver<ConsoleOutput> out) {
            this.out = out;
        }

        /** What the shell printed; throws once the client is gone, so that the session hangs up. */
        void output(byte[] data) {
            synchronized (this) {
                if (finished || out.isCancelled()) {
                    throw new java.util.concurrent.CancellationException("the console client went away");
                }
                out.onNext(ConsoleOutput.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(data)).build());
            }
        }

        synchronized void closed() {
            if (finished) {
                return;
            }
            finished = true;
            if (!out.isCancelled()) {
                out.onNext(ConsoleOutput.newBuilder().setClosed(true).build());
                out.onCompleted();
            }
        }

        /**
         * The client went away: the session ends now. The Console contract has no
         * hang-up of its own (close() is the end of input, which lets typed commands
         * run): a session that is also a Future is cancelled, which interrupts its command.
         */
        void hangUp() {
            io.swarmlet.api.node.Console.Session s = session;
            if (s != null) {
                s.close();
                if (s instanceof java.util.concurrent.Future<?> f) {
                    f.cancel(true);
                }
            }
        }

        @Override
        public void onNext(ConsoleInput in) {
            io.swarmlet.api.node.Console.Session s = session;
            if (!in.getData().isEmpty()) {
                s.input(in.getData().toByteArray());
            }
            if (in.getEof()) {
                s.close();
            }
        }

        @Override
        public void onError(Throwable t) {
            hangUp();
        }

        @Override
        public void onCompleted() {
            session.close();
        }
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
        serverStream(q, o, (r, sink) -> api().logs(r, sink));
    }

    @Override
    public void watch(io.swarmlet.api.types.WatchRequest q, StreamObserver<io.swarmlet.api.types.WatchEvent> o) {
        serverStream(q, o, (r, sink) -> api().watch(r, sink));
    }

    /** A call that streams to a sink until it ends or its thread is interrupted. */
    private interface StreamCall<Q, T> {
        void run(Q request, java.util.function.Consumer<T> sink) throws InterruptedException;
    }

    /** Runs a streaming call until it ends, fails, or the client cancels (which interrupts it). */
    private <Q, T> void serverStream(Q q, StreamObserver<T> o, StreamCall<Q, T> call) {
        io.grpc.stub.ServerCallStreamObserver<T> out = (io.grpc.stub.ServerCallStreamObserver<T>) o;
        Thread caller = Thread.currentThread();
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        out.setOnCancelHandler(() -> { }); // cancellation comes through the context below
        // the call's context is cancelled on the transport's thread the moment the client goes; the
        // observer's cancel handler would wait for this (blocked) thread to return first
        io.grpc.Context.CancellationListener cancelled = ctx -> {
            synchronized (running) {
                if (running.get()) {
                    caller.interrupt();
                }
            }
        };
        io.grpc.Context.current().addListener(cancelled, Runnable::run);
        try {
            call.run(q, m -> {
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
        } finally {
            io.grpc.Context.current().removeListener(cancelled);
            synchronized (running) {
                running.set(false);
                Thread.interrupted(); // an interrupt meant for the call is not the pool thread's
            }
        }
    }

    @Override public void listTasks(ListTasksRequest q, StreamObserver<ListTasksResponse> o) { unary(q, o, r -> api().listTasks(r)); }

    // plugins: the API of the moment routes them (cluster ones need a manager; local ones are this node's)
    @Override public void installPlugin(InstallPluginRequest q, StreamObserver<InstallPluginResponse> o) { unary(q, o, r -> api().installPlugin(r)); }
    @Override public void listPlugins(ListPluginsRequest q, StreamObserver<ListPluginsResponse> o) { unary(q, o, r -> api().listPlugins(r)); }
    @Override public void removePlugin(RemovePluginRequest q, StreamObserver<RemovePluginResponse> o) { unary(q, o, r -> api().removePlugin(r)); }

    // secrets, configs, autolock (UnlockSwarm: the locked API of a locked manager serves it)
    @Override public void createSecret(CreateSecretRequest q, StreamObserver<CreateSecretResponse> o) { unary(q, o, r -> api().createSecret(r)); }
    @Override public void getSecret(GetSecretRequest q, StreamObserver<GetSecretResponse> o) { unary(q, o, r -> api().getSecret(r)); }
    @Override public void listSecrets(ListSecretsRequest q, StreamObserver<ListSecretsResponse> o) { unary(q, o, r -> api().listSecrets(r)); }
    @Override public void removeSecret(RemoveSecretRequest q, StreamObserver<RemoveSecretResponse> o) { unary(q, o, r -> api().removeSecret(r)); }
    @Override public void rotateSecret(RotateSecretRequest q, StreamObserver<RotateSecretResponse> o) { unary(q, o, r -> api().rotateSecret(r)); }
    @Override public void updateSecret(UpdateSecretRequest q, StreamObserver<UpdateSecretResponse> o) { unary(q, o, r -> api().updateSecret(r)); }
    @Override public void createConfig(CreateConfigRequest q, StreamObserver<CreateConfigResponse> o) { unary(q, o, r -> api().createConfig(r)); }
    @Override public void getConfig(GetConfigRequest q, StreamObserver<GetConfigResponse> o) { unary(q, o, r -> api().getConfig(r)); }
    @Override public void listConfigs(ListConfigsRequest q, StreamObserver<ListConfigsResponse> o) { unary(q, o, r -> api().listConfigs(r)); }
    @Override public void removeConfig(RemoveConfigRequest q, StreamObserver<RemoveConfigResponse> o) { unary(q, o, r -> api().removeConfig(r)); }
    @Override public void rotateConfig(RotateConfigRequest q, StreamObserver<RotateConfigResponse> o) { unary(q, o, r -> api().rotateConfig(r)); }
    @Override public void updateConfig(UpdateConfigRequest q, StreamObserver<UpdateConfigResponse> o) { unary(q, o, r -> api().updateConfig(r)); }
    @Override public void getUnlockKey(GetUnlockKeyRequest q, StreamObserver<GetUnlockKeyResponse> o) { unary(q, o, r -> api().getUnlockKey(r)); }
    @Override public void unlockSwarm(UnlockSwarmRequest q, StreamObserver<UnlockSwarmResponse> o) { unary(q, o, r -> api().unlockSwarm(r)); }
    // networks, stacks (1.3)
    @Override public void createNetwork(CreateNetworkRequest q, StreamObserver<CreateNetworkResponse> o) { unary(q, o, r -> api().createNetwork(r)); }
    @Override public void getNetwork(GetNetworkRequest q, StreamObserver<GetNetworkResponse> o) { unary(q, o, r -> api().getNetwork(r)); }
    @Override public void listNetworks(ListNetworksRequest q, StreamObserver<ListNetworksResponse> o) { unary(q, o, r -> api().listNetworks(r)); }
    @Override public void removeNetwork(RemoveNetworkRequest q, StreamObserver<RemoveNetworkResponse> o) { unary(q, o, r -> api().removeNetwork(r)); }
    @Override public void deployStack(DeployStackRequest q, StreamObserver<DeployStackResponse> o) { unary(q, o, r -> api().deployStack(r)); }
    @Override public void listStacks(ListStacksRequest q, StreamObserver<ListStacksResponse> o) { unary(q, o, r -> api().listStacks(r)); }
    @Override public void removeStack(RemoveStackRequest q, StreamObserver<RemoveStackResponse> o) { unary(q, o, r -> api().removeStack(r)); }
    @Override public void createWebToken(CreateWebTokenRequest q, StreamObserver<CreateWebTokenResponse> o) { unary(q, o, r -> api().createWebToken(r)); }

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
