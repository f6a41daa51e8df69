package io.swarmlet.mesh.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * One UDP client's conversation with its backend through a published port:
 * an outbound datagram socket of its own (an ephemeral port) that sends to the
 * backend and takes as replies the datagrams that come from the backend's
 * port. The socket is not connected: a backend node with several addresses
 * may answer from another one than it was sent to (docker-proxy, bound to all
 * addresses, replies from the address the kernel routes by), which a connected
 * socket would drop. The few datagrams that arrive before the socket is bound
 * wait (a handful at most; more are dropped, as UDP may). Lives on its
 * listener's event loop.
 */
final class UdpFlow {

    private static final int MAX_QUEUED = 64;

    private final UdpListener listener;
    private final Channel listening;
    final InetSocketAddress client;
    final InetSocketAddress backend;
    private Channel outbound;
    private boolean connected;
    private ArrayDeque<ByteBuf> queued = new ArrayDeque<>();
    volatile long lastActive = System.nanoTime();

    UdpFlow(UdpListener listener, Channel listening, InetSocketAddress client, InetSocketAddress backend) {
        this.listener = listener;
        this.listening = listening;
        this.client = client;
        this.backend = backend;
    }

    void attach(Channel outbound) {
        this.outbound = outbound;
    }

    /** A datagram from the client (the flow owns it). */
    void send(ByteBuf content) {
        lastActive = System.nanoTime();
        listener.stats.bytesIn.add(content.readableBytes());
        if (connected) {
            write(content);
        } else if (queued != null && queued.size() < MAX_QUEUED) {
            queued.add(content);
        } else {
            content.release();
        }
    }

    void connected() {
        connected = true;
        ArrayDeque<ByteBuf> q = queued;
        queued = null;
        if (q != null) {
            q.forEach(this::write);
        }
    }

    private void write(ByteBuf content) {
        if (outbound.isActive() && outbound.isWritable()) {
            outbound.writeAndFlush(new DatagramPacket(content, backend), outbound.voidPromise());
        } else {
            content.release();
        }
    }

    void close() {
        if (outbound != null) {
            outbound.close();
        }
    }

    void discardQueued() {
        ArrayDeque<ByteBuf> q = queued;
        queued = null;
        if (q != null) {
            q.forEach(ByteBuf::release);
        }
    }

    /** The outbound socket's handler: replies go back to the client. */
    ChannelInboundHandlerAdapter replies() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof DatagramPacket packet && packet.sender() != null
                        && packet.sender().getPort() == backend.getPort()) {
                    lastActive = System.nanoTime();
                    listener.reply(listening, client, packet.content());
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                // the backend is gone or the socket failed: the client's next datagram picks again
                listener.stats.backendErrors.increment();
                ctx.close();
            }
        };
    }
}
