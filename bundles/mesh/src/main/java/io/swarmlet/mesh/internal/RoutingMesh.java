package io.swarmlet.mesh.internal;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.swarmlet.api.types.MeshRoute;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.MeshStatus;
import io.swarmlet.api.types.PortConfig;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The mesh's data plane on this node, without OSGi: one {@link Listener} per
 * (protocol, published port) of the routing table, all on one Netty event
 * loop group. {@link #apply} brings the listeners in line with a table:
 * new ports are opened, ports gone are closed, the others get the new
 * backends; connections already proxied are never cut by a table change.
 *
 * <p>Tables are applied and failed ports retried from the control threads
 * (serialised by this object's lock); the event loops only read each
 * listener's current target.
 */
final class RoutingMesh implements AutoCloseable {

    private static final Logger LOG = LogManager.getLogger(RoutingMesh.class);

    private final MeshSettings settings;
    private final Balancers balancers;
    private final Transport transport;
    private final EventLoopGroup group;
    private final ChannelGroup channels = new DefaultChannelGroup("swarmlet-mesh", GlobalEventExecutor.INSTANCE);
    private final Set<PortConfig.Protocol> unsupportedLogged = new HashSet<>();
    private volatile Map<PortKey, Listener> listeners = Map.of();
    private volatile MeshRoutes routes = MeshRoutes.getDefaultInstance();
    private boolean closed;

    RoutingMesh(MeshSettings settings, Balancers balancers) {
        this.settings = settings;
        this.balancers = balancers;
        this.transport = Transport.select(settings.preferEpoll());
        if (settings.preferEpoll() && transport.name().equals("nio")) {
            LOG.info("mesh: epoll unavailable ({}), using NIO", String.valueOf(Transport.epollUnavailability()));
        }
        this.group = transport.newGroup(settings.ioThreads());
        LOG.info("mesh data plane on {} with {} listen address", transport.name(),
                settings.listenHost() == null ? "every" : settings.listenHostString() + " as");
    }

    MeshSettings settings() {
        return settings;
    }

    Balancers balancers() {
        return balancers;
    }

    Transport transport() {
        return transport;
    }

    EventLoopGroup group() {
        return group;
    }

    /** Every proxied connection and flow, so that closing the mesh ends them all. */
    void track(Channel channel) {
        channels.add(channel);
    }

    /** The table in use. */
    MeshRoutes routes() {
        return routes;
    }

    /** Brings the listeners in line with a routing table, then retries the ports that could not be taken. */
    synchronized void apply(MeshRoutes table) {
        if (closed) {
            return;
        }
        Map<PortKey, Target> wanted = new TreeMap<>();
        for (MeshRoute route : table.getRoutesList()) {
            PortConfig port = route.getPort();
            int number = port.getPublishedPort();
            if (number <= 0 || number > 65535) {
                LOG.warn("mesh: service {} has an invalid published port {}: ignored", route.getServiceName(), number);
                continue;
            }
            if (port.getProtocol() != PortConfig.Protocol.TCP && port.getProtocol() != PortConfig.Protocol.UDP) {
                if (unsupportedLogged.add(port.getProtocol())) {
                    LOG.warn("mesh: {} ports are not proxied (service {}, port {})", port.getProtocol(),
                            route.getServiceName(), number);
                }
                continue;
            }
            PortKey key = new PortKey(port.getProtocol(), number);
            if (wanted.putIfAbsent(key, Target.of(route, settings.localNodeId())) != null) {
                LOG.warn("mesh: {} routed twice in table {}; service {} ignored", key, table.getVersion(),
                        route.getServiceName());
            }
        }
        Map<PortKey, Listener> current = listeners;
        Map<PortKey, Listener> next = new TreeMap<>();
        for (Map.Entry<PortKey, Listener> e : current.entrySet()) {
            if (!wanted.containsKey(e.getKey())) {
                e.getValue().close();
            }
        }
        for (Map.Entry<PortKey, Target> e : wanted.entrySet()) {
            Listener l = current.get(e.getKey());
            if (l != null) {
                l.update(e.getValue());
            } else {
                l = e.getKey().protocol() == PortConfig.Protocol.TCP
                        ? new TcpListener(this, e.getKey(), e.getValue())
                        : new UdpListener(this, e.getKey(), e.getValue());
            }
            next.put(e.getKey(), l);
        }
        listeners = Map.copyOf(next);
        for (Listener l : next.values()) {
            l.open(); // new ones, and those that could not be taken before
        }
        routes = table; // in use once its ports are taken
        LOG.debug("mesh: table {} applied ({} ports)", table.getVersion(), next.size());
    }

    /** Tries again to take the ports that could not be taken. */
    synchronized void retryFailed() {
        if (closed) {
            return;
        }
        for (Listener l : listeners.values()) {
            l.open();
        }
    }

    /** Counters and listen errors of every port in the table, by protocol then port. */
    MeshStatus status() {
        MeshStatus.Builder b = MeshStatus.newBuilder().setTimestamp(System.currentTimeMillis());
        new TreeMap<>(listeners).values().forEach(l -> b.addPorts(l.snapshot()));
        return b.build();
    }

    /** Closes the listeners and every connection, and stops the event loops; within about a second. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        listeners.values().forEach(Listener::close);
        listeners = Map.of();
        channels.close().awaitUninterruptibly(500, TimeUnit.MILLISECONDS);
        group.shutdownGracefully(20, 500, TimeUnit.MILLISECONDS).awaitUninterruptibly(1_000, TimeUnit.MILLISECONDS);
    }
}
