package io.swarmlet.mesh.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.atomic.LongAdder;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One direction of a proxied TCP connection: what this channel reads is
 * written to its peer as is (the same direct buffer, no copy).
 *
 * <p>Backpressure: when the peer's outbound buffer passes its high-water mark
 * this side stops reading, and it resumes when the peer has drained (its
 * writability changes back). Half-close: end of input on one side is passed
 * on as a shutdown of the peer's output once everything before it was written;
 * when both directions have ended, both close. When either side closes (or
 * resets), the other is flushed and closed.
 */
final class Relay extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LogManager.getLogger(Relay.class);

    private final Channel peer;
    private final LongAdder bytes;
    private final PortStats stats;
    private final boolean backendSide;
    private final Replay replay;
    /** Called when the backend closes or resets before answering and the connection can move (backend side only). */
    private final Runnable silentClose;
    /** The connection moved to another backend: this backend channel's end must not touch the client. */
    private boolean abandoned;

    private Relay(Channel peer, LongAdder bytes, PortStats stats, boolean backendSide, Replay replay, Runnable silentClose) {
        this.peer = peer;
        this.bytes = bytes;
        this.stats = stats;
        this.backendSide = backendSide;
        this.replay = replay;
        this.silentClose = silentClose;
    }

    /**
     * Joins a client and its connected backend, and starts reading both. Called
     * on their event loop. Until the backend answers, what the client sends is
     * kept in {@code replay}; should the backend close or reset first,
     * {@code silentClose} runs instead of the client being closed.
     */
    static void join(Channel client, Channel backend, PortStats stats, Replay replay, Runnable silentClose) {
        client.pipeline().addLast("relay", new Relay(backend, stats.bytesIn, stats, false, replay, null));
        backend.pipeline().addLast("relay", new Relay(client, stats.bytesOut, stats, true, replay, silentClose));
        resume(client);
        resume(backend);
    }

    /** The backend left without a byte while the client's data can still be replayed elsewhere. */
    private boolean movesOn() {
        if (!backendSide || abandoned || !replay.possible() || !peer.isActive()) {
            return false;
        }
        abandoned = true;
        stats.backendErrors.increment();
        silentClose.run();
        return true;
    }

    /**
     * Reads again, unless the input has ended: there is nothing left to read,
     * and with Netty 4.2.18's epoll a channel whose input ended while it was
     * not reading has left the epoll set, so asking it to read would fail and
     * close it (with the other direction possibly still in flight).
     */
    private static void resume(Channel ch) {
        if (ch instanceof DuplexChannel d && d.isInputShutdown()) {
            return;
        }
        ch.config().setAutoRead(true);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            // recorded first: a backend that is already gone (its close not yet handled) gets it replayed elsewhere
            if (backendSide) {
                replay.answered();
            } else {
                replay.sent(buf);
            }
        }
        if (!peer.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ByteBuf buf) {
            bytes.add(buf.readableBytes());
        }
        peer.write(msg, peer.voidPromise()); // a failed write surfaces as the peer's exceptionCaught, which closes it
        if (!peer.isWritable()) {
            // pause first: the flush may drain the peer at once and report it writable right away
            ctx.channel().config().setAutoRead(false);
            peer.flush();
            if (peer.isWritable()) {
                resume(ctx.channel());
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && !peer.config().isAutoRead()) {
            resume(peer); // drained: the peer may read again
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            // this side will send no more: pass the FIN on once everything it sent is written
            Channel self = ctx.channel();
            if (backendSide && (abandoned || movesOn())) {
                self.close();
                return;
            }
            if (!backendSide) {
                replay.inputShutdown();
            }
            if (peer.isActive()) {
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess() || !(peer instanceof DuplexChannel duplex)) {
                        closeBoth(self);
                        return;
                    }
                    duplex.shutdownOutput().addListener(g -> {
                        if (!g.isSuccess() || duplex.isInputShutdown()) {
                            closeBoth(self); // both directions have ended
                        }
                    });
                });
            } else {
                self.close();
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!backendSide) {
            replay.discard();
        } else if (abandoned || movesOn()) {
            ctx.fireChannelInactive();
            return;
        }
        if (peer.isActive()) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (backendSide && !abandoned && !replay.possible()) {
            stats.backendErrors.increment(); // (one that can still move is counted when it does)
        }
        LOG.debug("mesh {} connection {}: {}", backendSide ? "backend" : "client", ctx.channel(), cause.toString());
        ctx.close();
    }

    private void closeBoth(Channel self) {
        self.close();
        peer.close();
    }
}
