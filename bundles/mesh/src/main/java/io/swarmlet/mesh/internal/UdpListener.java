package io.swarmlet.mesh.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.swarmlet.spi.lb.LoadBalancer;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A published UDP port, or a UDP port of a virtual IP (with SO_REUSEPORT). Every client address gets a {@link UdpFlow}: a
 * datagram socket connected to the backend picked for it, so all of a
 * client's datagrams reach the same backend and the backend's replies come
 * back to that client, sent from this listening socket (the address the
 * client wrote to). A flow ends after the idle timeout without a datagram
 * either way, when its backend leaves the table (UDP has nothing to drain: the
 * client's next datagram simply opens a flow to a backend that is still
 * there), or when its backend reports the port unreachable.
 *
 * <p>The listening socket and all its flows share one event loop: the flow
 * table is only touched from that thread.
 */
final class UdpListener extends Listener {

    private static final Logger LOG = LogManager.getLogger(UdpListener.class);
    /** The largest UDP payload: a datagram is never truncated. */
    static final int MAX_DATAGRAM = 65_536;

    private final Map<InetSocketAddress, UdpFlow> flows = new HashMap<>();
    private ScheduledFuture<?> sweeper;

    UdpListener(RoutingMesh mesh, PortKey key, Target target) {
        super(mesh, key, target);
    }

    @Override
    ChannelFuture bind(InetSocketAddress address) {
        Bootstrap b = new Bootstrap()
                .group(mesh.group())
                .channel(mesh.transport().datagramChannel())
                .option(ChannelOption.SO_REUSEADDR, false)
                .option(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
                .handler(new Frontend());
        if (key.isVip()) {
            // every swarmlet node of the host listens on the VIP; the kernel hashes each client to one socket
            mesh.transport().reusePort(b);
        }
        ChannelFuture f = b.bind(address);
        f.addListener(done -> {
            if (done.isSuccess()) {
                long idle = mesh.settings().udpIdleTimeout().toNanos();
                long period = Math.max(TimeUnit.MILLISECONDS.toNanos(20), Math.min(idle / 4, TimeUnit.SECONDS.toNanos(1)));
                sweeper = f.channel().eventLoop().scheduleAtFixedRate(this::sweep, period, period, TimeUnit.NANOSECONDS);
            }
        });
        return f;
    }

    @Override
    void targetChanged(Target next) {
        Channel ch = channel();
        if (ch != null) {
            ch.eventLoop().execute(() -> {
                Set<InetSocketAddress> still = new HashSet<>(next.backends());
                for (UdpFlow flow : new ArrayList<>(flows.values())) {
                    if (!still.contains(flow.backend)) {
                        flow.close();
                    }
                }
            });
        }
    }

    @Override
    void close() {
        Channel ch = channel();
        if (ch != null) {
            EventLoop loop = ch.eventLoop();
            loop.execute(() -> {
                if (sweeper != null) {
                    sweeper.cancel(false);
                }
                new ArrayList<>(flows.values()).forEach(UdpFlow::close);
            });
        }
        super.close();
    }

    /** Closes the flows idle for longer than the timeout. On the event loop. */
    private void sweep() {
        long now = System.nanoTime();
        long idle = mesh.settings().udpIdleTimeout().toNanos();
        for (UdpFlow flow : new ArrayList<>(flows.values())) {
            if (now - flow.lastActive >= idle) {
                LOG.debug("mesh: UDP flow {} -> {} idle, closed", flow.client, flow.backend);
                flow.close();
            }
        }
    }

    /** Datagrams from clients. */
    private final class Frontend extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket packet)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            InetSocketAddress client = packet.sender();
            UdpFlow flow = flows.get(client);
            if (flow == null) {
                flow = openFlow(ctx.channel(), client);
                if (flow == null) {
                    packet.release();
                    return;
                }
            }
            flow.send(packet.content()); // the flow owns the content now
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a listening datagram socket survives errors (an ICMP error for one client, say)
            LOG.debug("mesh UDP listener {}: {}", key, cause.toString());
        }
    }

    private UdpFlow openFlow(Channel listening, InetSocketAddress client) {
        Target target = target();
        if (target.backends().isEmpty()) {
            stats.backendErrors.increment();
            return null;
        }
        LoadBalancer lb = mesh.balancers().get(target.strategy());
        InetSocketAddress backend;
        try {
            backend = lb.pick(target.serviceId(), target.backends(), client);
        } catch (RuntimeException e) {
            LOG.warn("load balancer {} failed to pick for service {}", lb.getClass().getName(), target.serviceName(), e);
            backend = null;
        }
        if (backend == null) {
            stats.backendErrors.increment();
            return null;
        }
        UdpFlow flow = new UdpFlow(this, listening, client, backend);
        ChannelFuture f = new Bootstrap()
                .group(listening.eventLoop())
                .channel(mesh.transport().datagramChannel())
                .option(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
                .handler(flow.replies())
                .bind(new InetSocketAddress(0)); // not connected: see UdpFlow
        flow.attach(f.channel());
        mesh.track(f.channel());
        flows.put(client, flow);
        stats.opened();
        String serviceId = target.serviceId();
        InetSocketAddress picked = backend;
        f.channel().closeFuture().addListener(x -> {
            flows.remove(client, flow);
            stats.closed();
            flow.discardQueued();
            TcpProxy.release(lb, serviceId, picked);
        });
        f.addListener((ChannelFuture done) -> {
            if (done.isSuccess()) {
                flow.connected();
            } else {
                stats.backendErrors.increment();
                LOG.debug("mesh: UDP backend {} of service {}: {}", picked, target.serviceName(),
                        String.valueOf(done.cause()));
                done.channel().close();
            }
        });
        return flow;
    }

    /** Counts and forwards a backend's reply from the listening socket. */
    void reply(Channel listening, InetSocketAddress client, ByteBuf content) {
        stats.bytesOut.add(content.readableBytes());
        if (listening.isActive() && listening.isWritable()) {
            listening.writeAndFlush(new DatagramPacket(content, client), listening.voidPromise());
        } else {
            content.release(); // UDP: drop rather than queue without bound
        }
    }
}
