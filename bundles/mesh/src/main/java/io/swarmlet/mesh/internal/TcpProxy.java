package io.swarmlet.mesh.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.swarmlet.spi.lb.LoadBalancer;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One client connection accepted on a published TCP port: picks a backend
 * with the route's {@link LoadBalancer}, connects to it (on the client's own
 * event loop, so the pair never crosses threads) and, once connected, joins the
 * two with a {@link Relay} each way. A backend that cannot be reached counts a
 * backend error, is released and the next pick excludes it; when none is left
 * the client is closed. A backend that closes or resets before sending a byte
 * is treated the same, as long as what the client sent meanwhile is small
 * enough to send again ({@link Replay}). Each successful pick is released when
 * its backend connection closes, each failed one at once: exactly one release per pick.
 *
 * <p>The backends are read from the listener at each attempt, so a retry
 * already follows a new table.
 */
final class TcpProxy extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LogManager.getLogger(TcpProxy.class);

    private final TcpListener listener;
    private final Set<InetSocketAddress> failed = new HashSet<>(2);
    private Channel pending;
    private boolean counted;
    private boolean joined;
    /** What the client sent before its backend was connected (epoll delivers data and FIN even without reading). */
    private List<Object> early;
    private boolean earlyInputShutdown;
    private ChannelHandlerContext ctx;
    /** What the client sent since the current backend was joined, until it answers. */
    private final Replay replay = new Replay();

    TcpProxy(TcpListener listener) {
        this.listener = listener;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        listener.stats.opened();
        counted = true;
        connect(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (counted) {
            counted = false;
            listener.stats.closed();
        }
        Channel p = pending;
        if (p != null) {
            p.close(); // the client left before its backend answered
        }
        discardEarly();
        replay.discard();
        ctx.fireChannelInactive();
    }

    private void discardEarly() {
        if (early != null) {
            early.forEach(ReferenceCountUtil::release);
            early = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (joined) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (early == null) {
            early = new ArrayList<>(2);
        }
        early.add(msg); // at most one read batch: the channel does not ask for more before it is joined
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!joined && evt instanceof ChannelInputShutdownEvent) {
            earlyInputShutdown = true;
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("mesh connection from {} on {}", ctx.channel().remoteAddress(), listener.key, cause);
        ctx.close();
    }

    private void connect(ChannelHandlerContext ctx) {
        Channel client = ctx.channel();
        Target target = listener.target();
        List<InetSocketAddress> candidates = target.without(failed);
        if (candidates.isEmpty()) {
            if (failed.isEmpty()) { // no backend at all (a refusing one was already counted)
                listener.stats.backendErrors.increment();
            }
            LOG.debug("mesh: no backend left for {} of service {}; closing the client", listener.key,
                    target.serviceName());
            client.close();
            return;
        }
        LoadBalancer lb = listener.mesh.balancers().get(target.strategy());
        InetSocketAddress backend = pick(lb, target, candidates, (InetSocketAddress) client.remoteAddress());
        if (backend == null) {
            listener.stats.backendErrors.increment();
            client.close();
            return;
        }
        dial(ctx, lb, target, backend, backend);
    }

    /**
     * Connects to {@code address} for the picked {@code backend} (the same, or
     * the node port behind a container address that could not be reached).
     */
    private void dial(ChannelHandlerContext ctx, LoadBalancer lb, Target target, InetSocketAddress backend,
            InetSocketAddress address) {
        Channel client = ctx.channel();
        String serviceId = target.serviceId();
        ChannelFuture f = new Bootstrap()
                .group(client.eventLoop())
                .channel(listener.mesh.transport().socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, listener.mesh.settings().connectTimeout().toMillis()))
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(address);
        pending = f.channel();
        listener.mesh.track(f.channel());
        f.addListener((ChannelFuture done) -> {
            pending = null;
            if (done.isSuccess()) {
                Channel outbound = done.channel();
                outbound.closeFuture().addListener(x -> release(lb, serviceId, backend));
                if (!client.isActive()) {
                    outbound.close();
                    return;
                }
                if (!outbound.isActive()) {
                    // closed or reset before this listener ran (the relay would never hear of it): a refusal
                    listener.stats.backendErrors.increment();
                    failed.add(backend);
                    LOG.debug("mesh: backend {} of service {} closed at once; trying another", address,
                            target.serviceName());
                    connect(ctx);
                    return;
                }
                joined = true;
                Relay.join(client, outbound, listener.stats, replay, () -> moveOn(backend));
                // replay what arrived early through the relay, in order, then the half-close if it came too
                List<Object> pendingData = early;
                early = null;
                if (pendingData != null) {
                    pendingData.forEach(ctx::fireChannelRead);
                    ctx.fireChannelReadComplete();
                }
                if (earlyInputShutdown) {
                    ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
                }
            } else if (!client.isActive()) {
                release(lb, serviceId, backend); // the client gave up first: not the backend's fault
            } else if (address.equals(backend) && target.fallback(backend) != null) {
                LOG.debug("mesh: container address {} of service {} unreachable ({}); trying its node port {}",
                        address, target.serviceName(), String.valueOf(done.cause()), target.fallback(backend));
                dial(ctx, lb, target, backend, target.fallback(backend));
            } else {
                listener.stats.backendErrors.increment();
                release(lb, serviceId, backend);
                failed.add(backend);
                LOG.debug("mesh: backend {} of service {} refused ({}); trying another", address,
                        target.serviceName(), String.valueOf(done.cause()));
                connect(ctx);
            }
        });
    }

    /**
     * The joined backend closed or reset before answering, and the client's
     * data so far is kept: like a refusal, the connection goes to another
     * backend, with that data (and the client's FIN, if it came) sent again.
     */
    private void moveOn(InetSocketAddress backend) {
        Channel client = ctx.channel();
        joined = false;
        client.config().setAutoRead(false);
        if (client.pipeline().get("relay") != null) {
            client.pipeline().remove("relay");
        }
        failed.add(backend);
        early = replay.take();
        earlyInputShutdown = replay.wasInputShutdown();
        LOG.debug("mesh: backend {} closed {} without answering; trying another", backend, listener.key);
        connect(ctx);
    }

    private static InetSocketAddress pick(LoadBalancer lb, Target target, List<InetSocketAddress> candidates,
            InetSocketAddress client) {
        try {
            return lb.pick(target.serviceId(), candidates, client);
        } catch (RuntimeException e) {
            LOG.warn("load balancer {} failed to pick for service {}", lb.getClass().getName(),
                    target.serviceName(), e);
            return null;
        }
    }

    static void release(LoadBalancer lb, String serviceId, InetSocketAddress backend) {
        try {
            lb.released(serviceId, backend);
        } catch (RuntimeException e) {
            LOG.warn("load balancer {} failed on release", lb.getClass().getName(), e);
        }
    }
}
