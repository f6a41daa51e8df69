package io.swarmlet.mesh.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.swarmlet.api.types.MeshPortStats;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One published port (protocol and number) on this node's listen address,
 * or one port of a service's virtual IP: its socket, its
 * current {@link Target} and its counters. The routing mesh opens it when the
 * port appears in the table, swaps its target as the table changes and closes
 * it when the port leaves the table. A port that cannot be taken records why
 * ({@code listen_error}) and is tried again later; the other ports are not affected.
 *
 * <p>Opened, updated and closed from the mesh's control thread (under the
 * mesh's lock); the target is read by the event loops.
 */
abstract class Listener {

    private static final Logger LOG = LogManager.getLogger(Listener.class);

    final RoutingMesh mesh;
    final PortKey key;
    final PortStats stats = new PortStats();
    private volatile Target target;
    private volatile Channel channel;
    private String lastLoggedError = "";

    Listener(RoutingMesh mesh, PortKey key, Target target) {
        this.mesh = mesh;
        this.key = key;
        this.target = target;
    }

    Target target() {
        return target;
    }

    /** A new table: new connections use the new backends; those already open are left alone. */
    void update(Target next) {
        Target previous = target;
        target = next;
        if (!previous.equals(next)) {
            LOG.debug("{} of service {}: backends {}", key, next.serviceName(), next.backends());
            targetChanged(next);
        }
    }

    /** Hook for listeners that must act on a new target (UDP flows). */
    void targetChanged(Target next) {}

    boolean isOpen() {
        Channel c = channel;
        return c != null && c.isOpen();
    }

    /** Takes the port if not taken yet; records (and logs once) why it cannot be. */
    final void open() {
        if (isOpen()) {
            return;
        }
        String problem = null;
        InetSocketAddress address;
        if (key.isVip()) {
            InetAddress vip = Addresses.literal(key.vip());
            address = vip == null ? null : new InetSocketAddress(vip, key.port());
            problem = vip == null ? "not an IP address" : mesh.makeLocal(key.vip());
        } else {
            address = mesh.settings().listenHost() == null
                    ? new InetSocketAddress(key.port())
                    : new InetSocketAddress(mesh.settings().listenHost(), key.port());
        }
        if (problem != null) {
            failed("listen " + key.protocolName() + " " + host() + ":" + key.port() + ": " + problem);
            return;
        }
        ChannelFuture f = bind(address);
        boolean done = f.awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (done && f.isSuccess()) {
            channel = f.channel();
            stats.listenError = "";
            lastLoggedError = "";
            Target t = target;
            LOG.info("mesh listening on {} {}:{} for service {} ({} backends, {})", key.protocolName(),
                    host(), key.port(), t.serviceName(), t.backends().size(),
                    t.strategy().isEmpty() ? Balancers.DEFAULT : t.strategy());
            return;
        }
        if (!done) {
            f.channel().close();
        }
        failed("listen " + key.protocolName() + " " + host() + ":" + key.port() + ": "
                + (done ? describe(f.cause()) : "timed out"));
    }

    /** The address the port is taken on, as errors and logs show it. */
    String host() {
        return key.isVip() ? key.vip() : mesh.settings().listenHostString();
    }

    private void failed(String error) {
        stats.listenError = error;
        if (!error.equals(lastLoggedError)) {
            lastLoggedError = error;
            LOG.warn("mesh cannot take {} for service {}: {} (retried every few seconds)", key,
                    target.serviceName(), error);
        }
    }

    /** Starts binding the port's socket. */
    abstract ChannelFuture bind(InetSocketAddress address);

    /** Frees the port. Connections already proxied are not cut (TCP); UDP flows end with their socket. */
    void close() {
        Channel c = channel;
        channel = null;
        if (c != null) {
            c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            LOG.info("mesh stopped listening on {} {}:{}", key.protocolName(), host(), key.port());
        }
    }

    Channel channel() {
        return channel;
    }

    MeshPortStats snapshot() {
        return MeshPortStats.newBuilder()
                .setServiceId(target.serviceId())
                .setProtocol(key.protocol())
                .setPublishedPort(key.port())
                .setConnectionsTotal(stats.connectionsTotal.sum())
                .setConnectionsActive(Math.max(0, stats.connectionsActive.sum()))
                .setBytesIn(stats.bytesIn.sum())
                .setBytesOut(stats.bytesOut.sum())
                .setBackendErrors(stats.backendErrors.sum())
                .setListenError(stats.listenError)
                .build();
    }

    /** "address already in use", whatever the transport's wording ("bind(..) failed: Address already in use"). */
    static String describe(Throwable cause) {
        if (cause == null) {
            return "unknown error";
        }
        String m = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        if (m.startsWith("bind(") && m.contains(": ")) {
            m = m.substring(m.lastIndexOf(": ") + 2);
        }
        if (m.toLowerCase(Locale.ROOT).contains("already in use")) {
            return "address already in use";
        }
        return m.isEmpty() ? m : Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }
}
