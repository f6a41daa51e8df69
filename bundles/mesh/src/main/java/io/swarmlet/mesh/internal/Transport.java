package io.swarmlet.mesh.internal;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.StandardSocketOptions;

/**
 * The Netty transport the mesh runs on: epoll when its native library loads
 * (Linux), NIO otherwise. Both move bytes between direct buffers only.
 */
record Transport(String name, IoHandlerFactory ioHandler, Class<? extends ServerChannel> serverChannel,
        Class<? extends Channel> socketChannel, Class<? extends DatagramChannel> datagramChannel) {

    /**
     * Direct, pooled buffers for every channel: what a socket reads is written
     * to the other socket from the same native memory, never through a heap array.
     */
    static final ByteBufAllocator ALLOCATOR = new PooledByteBufAllocator(true);

    /** Epoll if wanted and available, else NIO. */
    static Transport select(boolean preferEpoll) {
        if (preferEpoll && Epoll.isAvailable()) {
            return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                    EpollSocketChannel.class, EpollDatagramChannel.class);
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class,
                NioSocketChannel.class, NioDatagramChannel.class);
    }

    /** Why epoll is not used (null if it is available). */
    static Throwable epollUnavailability() {
        return Epoll.unavailabilityCause();
    }

    /**
     * Sets SO_REUSEPORT on the channel {@code b} binds, so that several sockets (several swarmlet nodes on
     * one host) can take the same address and port: the kernel spreads connections and datagrams over them.
     */
    <B extends AbstractBootstrap<B, C>, C extends Channel> B reusePort(B b) {
        if (name.equals("epoll")) {
            return b.option(EpollChannelOption.SO_REUSEPORT, true);
        }
        return b.option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true);
    }

    EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("swarmlet-mesh", true), ioHandler);
    }
}
