package io.swarmlet.mesh.internal;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import java.net.InetSocketAddress;

/**
 * A published TCP port, or a TCP port of a virtual IP (with SO_REUSEPORT): accepts connections and hands each to a
 * {@link TcpProxy}. Accepted sockets do not read until their backend is
 * connected, so nothing is buffered for a connection that may still fail.
 * Closing the listener leaves connections already proxied running to their end.
 */
final class TcpListener extends Listener {

    TcpListener(RoutingMesh mesh, PortKey key, Target target) {
        super(mesh, key, target);
    }

    @Override
    ChannelFuture bind(InetSocketAddress address) {
        ServerBootstrap b = new ServerBootstrap()
                .group(mesh.group())
                .channel(mesh.transport().serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true) // rebinding after a restart despite TIME_WAIT; never a second listener
                .option(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        mesh.track(ch);
                        ch.pipeline().addLast("proxy", new TcpProxy(TcpListener.this));
                    }
                });
        if (key.isVip()) {
            mesh.transport().reusePort(b); // every swarmlet node of the host listens on the VIP
        }
        return b.bind(address);
    }
}
