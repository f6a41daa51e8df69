package io.swarmlet.grpc;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.grpc.ControlGrpc;
import io.swarmlet.api.types.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A {@link ControlApi} reached over gRPC (the CLI's way in), plus the node's own
 * {@link #leaveSwarm}. gRPC statuses come back as {@link ControlException}s of the
 * same code, with the server's message.
 */
public final class RemoteControlApi implements ControlApi, AutoCloseable {

    private final ManagedChannel channel;
    private final ControlGrpc.ControlBlockingStub stub;
    private final String target;
    private final long deadlineMillis;

    private RemoteControlApi(ManagedChannel channel, String target, long deadlineMillis) {
        this.channel = channel;
        this.stub = ControlGrpc.newBlockingStub(channel);
        this.target = target;
        this.deadlineMillis = deadlineMillis;
    }

    /**
     * Connects to the control socket of a manager.
     *
     * @throws ControlException UNAVAILABLE, saying what to do, if no daemon listens there
     */
    public static RemoteControlApi unix(Path socket, long deadlineMillis) {
        if (!Files.exists(socket)) {
            throw new ControlException(ControlException.Code.UNAVAILABLE,
                    "cannot connect to swarmletd: no control socket at " + socket
                            + " (is swarmletd running? start it, or point --socket / SWARM_SOCKET at its --listen-control-api path)");
        }
        return new RemoteControlApi(Transports.unixChannel(socket), socket.toString(), deadlineMillis);
    }

    private <R> R call(Supplier<R> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw failure(e);
        }
    }

    private ControlException failure(StatusRuntimeException e) {
        ControlException.Code code = Errors.controlCode(e.getStatus().getCode());
        String msg = e.getStatus().getDescription();
        if (code == ControlException.Code.UNAVAILABLE && (msg == null || msg.startsWith("io exception") || msg.contains("Connection refused"))) {
            msg = "cannot connect to swarmletd at " + target + " (is it running? start it, or point --socket / SWARM_SOCKET at its --listen-control-api path)";
        }
        return new ControlException(code, msg == null ? e.getStatus().getCode().name() : msg, e);
    }

    private ControlGrpc.ControlBlockingStub s() {
        return stub.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
    }

    @Override public VersionResponse version(VersionRequest q) { return call(() -> s().version(q)); }
    @Override public GetNodeResponse getNode(GetNodeRequest q) { return call(() -> s().getNode(q)); }
    @Override public ListNodesResponse listNodes(ListNodesRequest q) { return call(() -> s().listNodes(q)); }
    @Override public UpdateNodeResponse updateNode(UpdateNodeRequest q) { return call(() -> s().updateNode(q)); }
    @Override public RemoveNodeResponse removeNode(RemoveNodeRequest q) { return call(() -> s().removeNode(q)); }
    @Override public GetClusterResponse getCluster(GetClusterRequest q) { return call(() -> s().getCluster(q)); }
    @Override public ListClustersResponse listClusters(ListClustersRequest q) { return call(() -> s().listClusters(q)); }
    @Override public UpdateClusterResponse updateCluster(UpdateClusterRequest q) { return call(() -> s().updateCluster(q)); }
    @Override public GetServiceResponse getService(GetServiceRequest q) { return call(() -> s().getService(q)); }
    @Override public ListServicesResponse listServices(ListServicesRequest q) { return call(() -> s().listServices(q)); }
    @Override public CreateServiceResponse createService(CreateServiceRequest q) { return call(() -> s().createService(q)); }
    @Override public UpdateServiceResponse updateService(UpdateServiceRequest q) { return call(() -> s().updateService(q)); }
    @Override public RemoveServiceResponse removeService(RemoveServiceRequest q) { return call(() -> s().removeService(q)); }
    @Override public GetTaskResponse getTask(GetTaskRequest q) { return call(() -> s().getTask(q)); }
    @Override public ListTasksResponse listTasks(ListTasksRequest q) { return call(() -> s().listTasks(q)); }

    /** How long installing a plugin may take: through the Raft log (cluster), or installed and started here. */
    static final long PLUGIN_DEADLINE_MILLIS = 60_000;

    @Override
    public InstallPluginResponse installPlugin(InstallPluginRequest q) {
        return call(() -> stub.withDeadlineAfter(Math.max(deadlineMillis, PLUGIN_DEADLINE_MILLIS), TimeUnit.MILLISECONDS)
                .installPlugin(q));
    }

    @Override public ListPluginsResponse listPlugins(ListPluginsRequest q) { return call(() -> s().listPlugins(q)); }
    @Override public RemovePluginResponse removePlugin(RemovePluginRequest q) { return call(() -> s().removePlugin(q)); }

    @Override public CreateSecretResponse createSecret(CreateSecretRequest q) { return call(() -> s().createSecret(q)); }
    @Override public GetSecretResponse getSecret(GetSecretRequest q) { return call(() -> s().getSecret(q)); }
    @Override public ListSecretsResponse listSecrets(ListSecretsRequest q) { return call(() -> s().listSecrets(q)); }
    @Override public RemoveSecretResponse removeSecret(RemoveSecretRequest q) { return call(() -> s().removeSecret(q)); }
    @Override public RotateSecretResponse rotateSecret(RotateSecretRequest q) { return call(() -> s().rotateSecret(q)); }
    @Override public UpdateSecretResponse updateSecret(UpdateSecretRequest q) { return call(() -> s().updateSecret(q)); }
    @Override public CreateConfigResponse createConfig(CreateConfigRequest q) { return call(() -> s().createConfig(q)); }
    @Override public GetConfigResponse getConfig(GetConfigRequest q) { return call(() -> s().getConfig(q)); }
    @Override public ListConfigsResponse listConfigs(ListConfigsRequest q) { return call(() -> s().listConfigs(q)); }
    @Override public RemoveConfigResponse removeConfig(RemoveConfigRequest q) { return call(() -> s().removeConfig(q)); }
    @Override public RotateConfigResponse rotateConfig(RotateConfigRequest q) { return call(() -> s().rotateConfig(q)); }
    @Override public UpdateConfigResponse updateConfig(UpdateConfigRequest q) { return call(() -> s().updateConfig(q)); }
    // networks, stacks (1.3)
    @Override public CreateNetworkResponse createNetwork(CreateNetworkRequest q) { return call(() -> s().createNetwork(q)); }
    @Override public GetNetworkResponse getNetwork(GetNetworkRequest q) { return call(() -> s().getNetwork(q)); }
    @Override public ListNetworksResponse listNetworks(ListNetworksRequest q) { return call(() -> s().listNetworks(q)); }
    @Override public RemoveNetworkResponse removeNetwork(RemoveNetworkRequest q) { return call(() -> s().removeNetwork(q)); }
    @Override public DeployStackResponse deployStack(DeployStackRequest q) { return call(() -> s().deployStack(q)); }
    @Override public ListStacksResponse listStacks(ListStacksRequest q) { return call(() -> s().listStacks(q)); }
    @Override public RemoveStackResponse removeStack(RemoveStackRequest q) { return call(() -> s().removeStack(q)); }
    @Override public CreateWebTokenResponse createWebToken(CreateWebTokenRequest q) { return call(() -> s().createWebToken(q)); }
    @Override public GetUnlockKeyResponse getUnlockKey(GetUnlockKeyRequest q) { return call(() -> s().getUnlockKey(q)); }
    @Override public UnlockSwarmResponse unlockSwarm(UnlockSwarmRequest q) { return call(() -> s().unlockSwarm(q)); }

    /** How long {@link #leaveSwarm} may take at least: a manager leaves the Raft group and the node stops its tasks. */
    static final long LEAVE_DEADLINE_MILLIS = 120_000;

    /**
     * Makes the node behind the socket (manager or worker) leave the swarm: the
     * control service's {@code LeaveSwarm}, which is not part of {@link ControlApi}.
     *
     * @return the node's message for the user ("Node left the swarm.")
     * @throws ControlException FAILED_PRECONDITION with the reason when the node refuses
     *         (a manager whose leaving would break the cluster, without {@code force})
     */
    public String leaveSwarm(boolean force) {
        LeaveSwarmRequest q = LeaveSwarmRequest.newBuilder().setForce(force).build();
        return call(() -> stub.withDeadlineAfter(Math.max(deadlineMillis, LEAVE_DEADLINE_MILLIS), TimeUnit.MILLISECONDS)
                .leaveSwarm(q)).getMessage();
    }

    /** How long a module change may take: an update stops, replaces and starts a bundle. */
    static final long MODULE_DEADLINE_MILLIS = 120_000;

    /** The modules of the daemon behind the socket (not part of {@link ControlApi}: the node's own). */
    public io.swarmlet.api.types.ListModulesResponse listModules() {
        return call(() -> s().listModules(io.swarmlet.api.types.ListModulesRequest.getDefaultInstance()));
    }

    /** Starts, stops or updates a module of the daemon behind the socket. */
    public io.swarmlet.api.types.ChangeModuleResponse changeModule(io.swarmlet.api.types.ChangeModuleRequest q) {
        return call(() -> stub.withDeadlineAfter(Math.max(deadlineMillis, MODULE_DEADLINE_MILLIS), TimeUnit.MILLISECONDS)
                .changeModule(q));
    }

    @Override
    public void logs(LogsRequest q, java.util.function.Consumer<LogMessage> sink) throws InterruptedException {
        serverStream(() -> stub.logs(q), sink);
    }

    @Override
    public void watch(io.swarmlet.api.types.WatchRequest q, java.util.function.Consumer<io.swarmlet.api.types.WatchEvent> sink)
            throws InterruptedException {
        serverStream(() -> stub.watch(q), sink);
    }

    /** A server-streaming call: no deadline (it lasts until the caller stops); cancelling the context ends it. */
    private <T> void serverStream(java.util.function.Supplier<java.util.Iterator<T>> open, java.util.function.Consumer<T> sink)
            throws InterruptedException {
        io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
        io.grpc.Context previous = ctx.attach();
        try {
            java.util.Iterator<T> it = call(open::get);
            while (call(it::hasNext)) {
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                sink.accept(it.next());
            }
        } finally {
            ctx.detach(previous);
            ctx.cancel(null);
        }
    }

    /**
     * Attaches to a shell session of the daemon behind the socket ({@code swarmlet console}):
     * copies {@code in} to the session as it comes (a line at a time from a terminal), and
     * what the shell prints to {@code out}; the end of {@code in} ends the session once what
     * was typed has run. Returns when the session has ended ({@code exit}, end of input, or
     * the daemon's shell went away). No deadline: a session lasts as long as the user wants.
     *
     * @throws ControlException UNAVAILABLE when the daemon has no console running, or cannot be reached
     * @throws InterruptedException if interrupted while attached; the session is then hung up
     */
    public void console(java.io.InputStream in, java.io.OutputStream out) throws InterruptedException {
        java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        io.grpc.stub.StreamObserver<ConsoleInput> requests = ControlGrpc.newStub(channel).console(
                new io.grpc.stub.StreamObserver<ConsoleOutput>() {
                    @Override
                    public void onNext(ConsoleOutput o) {
                        if (o.getData().isEmpty()) {
                            return;
                        }
                        try {
                            o.getData().writeTo(out);
                            out.flush();
                        } catch (java.io.IOException e) {
                            // our output is gone (a closed pipe): nothing left to show the session to
                            failed.compareAndSet(null, e);
                            ended.countDown();
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        failed.compareAndSet(null, t);
                        ended.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        ended.countDown();
                    }
                });
        Thread reader = new Thread(() -> copyInput(in, requests, ended), "swarmlet-console-input");
        reader.setDaemon(true); // may stay blocked reading a terminal after the session ended
        reader.start();
        try {
            ended.await();
        } catch (InterruptedException e) {
            synchronized (requests) {
                requests.onError(io.grpc.Status.CANCELLED.withDescription("the client was interrupted").asRuntimeException());
            }
            throw e;
        }
        Throwable t = failed.get();
        if (t instanceof StatusRuntimeException e) {
            if (e.getStatus().getCode() == io.grpc.Status.Code.UNIMPLEMENTED) {
                throw new ControlException(ControlException.Code.UNIMPLEMENTED,
                        "the swarmletd at " + target + " has no console (it is older than this client): upgrade it", e);
            }
            throw failure(e);
        }
        if (t instanceof java.io.IOException) {
            synchronized (requests) {
                requests.onError(io.grpc.Status.CANCELLED.withDescription("the client's output is closed").asRuntimeException());
            }
        } else if (t != null) {
            throw new ControlException(ControlException.Code.INTERNAL, "console: " + Transports.rootMessage(t), t);
        }
    }

    /** Sends what the user types until the end of input (then says eof), or until the session has ended. */
    private static void copyInput(java.io.InputStream in, io.grpc.stub.StreamObserver<ConsoleInput> requests,
                                  java.util.concurrent.CountDownLatch ended) {
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (n == 0) {
                    continue;
                }
                synchronized (requests) {
                    if (ended.getCount() == 0) {
                        return;
                    }
                    requests.onNext(ConsoleInput.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(buf, 0, n)).build());
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // end of our input, as far as the session is concerned
        }
        synchronized (requests) {
            if (ended.getCount() > 0) {
                try {
                    requests.onNext(ConsoleInput.newBuilder().setEof(true).build());
                    requests.onCompleted();
                } catch (RuntimeException e) {
                    // the call ended meanwhile
                }
            }
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
