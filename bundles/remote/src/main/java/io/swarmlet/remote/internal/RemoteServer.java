package io.swarmlet.remote.internal;

import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.dispatcher.LogProvider;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.store.RaftMembership;
import io.swarmlet.api.store.Store;
import io.swarmlet.grpc.Transports;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Serves the remote API ({@code --listen-remote-api}) with mutual TLS: the
 * dispatcher protocol ({@link NodeDispatcherService}), task logs
 * ({@link NodeLogsService}), and every {@link BindableService} registered
 * with the property {@value #API_PROPERTY} (the ca bundle's NodeCA).
 *
 * <p>Such services are reached through a stand-in that calls the current one
 * (or answers UNAVAILABLE while there is none), so a service that is
 * replaced or goes away needs no restart; only a service of a name the
 * server does not serve yet rebuilds it (debounced), which drops open calls:
 * their clients retry.
 */
@Component(service = {}, immediate = true)
public final class RemoteServer implements Locals {

    /** Service property of the gRPC services to serve on the remote API; its value names them (e.g. "ca"). */
    static final String API_PROPERTY = "swarmlet.remote.api";
    static final long REBUILD_DELAY_MS = 200;
    static final long RETRY_MS = 5_000;

    private static final Logger LOG = LogManager.getLogger(RemoteServer.class);

    @Reference
    private LocalNode local;

    @Reference
    private NodeCredentials credentials;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Store store;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile RaftMembership raft;

    /** This node's RemoteDispatcher: where the agent's log provider is. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            target = "(" + RemoteDispatcher.KIND + "=" + RemoteDispatcher.REMOTE + ")")
    private volatile Dispatcher remote;

    private volatile Dispatcher localDispatcher;

    private final Object lock = new Object();
    /** The extra services by their registration, latest last. Guarded by lock. */
    private final Map<BindableService, ServerServiceDefinition> extra = new LinkedHashMap<>();

    private String nodeId;
    private String addr;
    private Channels channels;
    private NodeDispatcherService dispatcherService;
    private NodeLogsService logsService;
    private ScheduledExecutorService serial;
    // written on the serial thread only
    private volatile Transports.Listener listener;
    private Set<String> served = Set.of();
    /** Every service ever served (their stand-ins stay). */
    private Map<String, ServiceDescriptor> knownDescriptors = Map.of();
    private ScheduledFuture<?> pending;

    public RemoteServer() {}

    /** For tests outside OSGi; {@link #start} serves. */
    RemoteServer(String nodeId, String addr, NodeCredentials credentials, Store store, RaftMembership raft) {
        this.credentials = credentials;
        this.store = store;
        this.raft = raft;
        init(nodeId, addr);
    }

    // ------------------------------------------------------------ references

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY,
            target = "(" + RemoteDispatcher.KIND + "=" + RemoteDispatcher.LOCAL + ")", unbind = "unbindLocalDispatcher")
    void bindLocalDispatcher(Dispatcher d) {
        Dispatcher old = localDispatcher;
        localDispatcher = d;
        if (old != null && old != d && dispatcherService != null) {
            dispatcherService.dispatcherGone(old);
        }
    }

    void unbindLocalDispatcher(Dispatcher d) {
        if (localDispatcher == d) {
            localDispatcher = null;
        }
        if (dispatcherService != null) {
            dispatcherService.dispatcherGone(d);
        }
    }

    @Reference(service = BindableService.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, target = "(" + API_PROPERTY + "=*)", unbind = "removeService")
    void addService(BindableService service) {
        ServerServiceDefinition def = service.bindService();
        synchronized (lock) {
            extra.put(service, def);
        }
        LOG.debug("remote API service {} added", def.getServiceDescriptor().getName());
        changed();
    }

    void removeService(BindableService service) {
        synchronized (lock) {
            extra.remove(service);
        }
        // its stand-in answers UNAVAILABLE until another one comes: no rebuild
    }

    // ------------------------------------------------------------ life cycle

    @Activate
    void activate() {
        init(local.nodeId(), local.remoteApiAddr());
        start();
    }

    private void init(String id, String hostPort) {
        nodeId = id;
        addr = hostPort;
        channels = new Channels(() -> credentials);
        dispatcherService = new NodeDispatcherService(this, channels);
        logsService = new NodeLogsService(this);
        serial = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "swarmlet-remote-server");
            t.setDaemon(true);
            return t;
        });
    }

    /** Serves now (on the calling thread, so that a bind failure is logged during activation). */
    void start() {
        try {
            serial.submit(this::rebuild).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.error("cannot serve the remote API on {}: {}", addr, e.getCause().toString());
        }
    }

    @Deactivate
    void deactivate() {
        serial.shutdownNow();
        try {
            serial.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Transports.Listener l = listener;
        listener = null;
        if (l != null) {
            l.close();
        }
        channels.close();
    }

    /** The TCP port served (tests: address port 0); -1 when not serving. */
    int port() {
        Transports.Listener l = listener;
        return l == null ? -1 : l.port();
    }

    NodeDispatcherService dispatcherService() {
        return dispatcherService;
    }

    /** A service came: rebuild soon if it is one the server does not serve yet. */
    private void changed() {
        if (serial == null) {
            return; // bound before activation: the first build takes it
        }
        try {
            serial.execute(() -> {
                if (served.containsAll(names()) && listener != null) {
                    return;
                }
                if (pending != null) {
                    pending.cancel(false);
                }
                pending = serial.schedule(this::rebuild, REBUILD_DELAY_MS, TimeUnit.MILLISECONDS);
            });
        } catch (RejectedExecutionException stopping) {
            // deactivated meanwhile
        }
    }

    private Set<String> names() {
        Set<String> names = new TreeSet<>();
        synchronized (lock) {
            extra.values().forEach(d -> names.add(d.getServiceDescriptor().getName()));
        }
        return names;
    }

    /** (Re)starts the server with every service known now. Serial thread. */
    private void rebuild() {
        pending = null;
        Map<String, ServiceDescriptor> descriptors = new LinkedHashMap<>();
        synchronized (lock) {
            extra.values().forEach(d -> descriptors.put(d.getServiceDescriptor().getName(), d.getServiceDescriptor()));
        }
        // names served before stay served (their stand-ins answer UNAVAILABLE while the service is away)
        Map<String, ServiceDescriptor> all = new LinkedHashMap<>(knownDescriptors);
        all.putAll(descriptors);
        List<ServerServiceDefinition> services = new ArrayList<>();
        services.add(dispatcherService.bindService());
        services.add(logsService.bindService());
        for (ServiceDescriptor sd : all.values()) {
            services.add(standIn(sd));
        }
        Transports.Listener old = listener;
        listener = null;
        if (old != null) {
            old.close();
        }
        try {
            listener = Transports.serveTls(addr, "swarmlet-remote", services, credentials.keyManager(), credentials.trustManager());
            knownDescriptors = all;
            served = new TreeSet<>(all.keySet());
            String where = addr.endsWith(":0") ? addr.substring(0, addr.length() - 1) + listener.port() : addr;
            LOG.info("remote API listening on {}{}", where, served.isEmpty() ? "" : " (and " + served + ")");
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot serve the remote API on {}: {}; other nodes cannot reach this one. Trying again in {} s",
                    addr, e.getMessage(), RETRY_MS / 1000);
            try {
                pending = serial.schedule(this::rebuild, RETRY_MS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                // deactivated
            }
        }
    }

    /** A service that calls the current registration of the service of that name. */
    private ServerServiceDefinition standIn(ServiceDescriptor sd) {
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(sd);
        for (MethodDescriptor<?, ?> m : sd.getMethods()) {
            addStandIn(b, m, sd.getName());
        }
        return b.build();
    }

    private <Q, R> void addStandIn(ServerServiceDefinition.Builder b, MethodDescriptor<Q, R> method, String service) {
        b.addMethod(method, new ServerCallHandler<Q, R>() {
            @Override
            public ServerCall.Listener<Q> startCall(ServerCall<Q, R> call, Metadata headers) {
                ServerMethodDefinition<?, ?> target = current(service, method.getFullMethodName());
                if (target == null) {
                    call.close(Status.UNAVAILABLE.withDescription(service + " is not served by this node now"), new Metadata());
                    return new ServerCall.Listener<>() {};
                }
                @SuppressWarnings("unchecked")
                ServerCallHandler<Q, R> h = (ServerCallHandler<Q, R>) target.getServerCallHandler();
                return h.startCall(call, headers);
            }
        });
    }

    /** The method of the latest registered service of that name, or null. */
    private ServerMethodDefinition<?, ?> current(String service, String fullMethodName) {
        synchronized (lock) {
            ServerMethodDefinition<?, ?> found = null;
            for (ServerServiceDefinition d : extra.values()) {
                if (d.getServiceDescriptor().getName().equals(service)) {
                    ServerMethodDefinition<?, ?> m = d.getMethod(fullMethodName);
                    if (m != null) {
                        found = m;
                    }
                }
            }
            return found;
        }
    }

    // ------------------------------------------------------------ Locals

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public NodeCredentials credentials() {
        return credentials;
    }

    @Override
    public Dispatcher localDispatcher() {
        return localDispatcher;
    }

    @Override
    public Store store() {
        return store;
    }

    @Override
    public RaftMembership raft() {
        return raft;
    }

    @Override
    public LogProvider agentLogs() {
        return remote instanceof RemoteDispatcher rd ? rd.agentLogs() : null;
    }

    // ------------------------------------------------------------ for tests

    void setLocalDispatcher(Dispatcher d) {
        if (d == null) {
            Dispatcher old = localDispatcher;
            if (old != null) {
                unbindLocalDispatcher(old);
            }
        } else {
            bindLocalDispatcher(d);
        }
    }

    void setRemoteDispatcher(RemoteDispatcher d) {
        remote = d;
    }
}
