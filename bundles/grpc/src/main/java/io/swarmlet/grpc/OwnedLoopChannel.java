package io.swarmlet.grpc;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import java.util.concurrent.TimeUnit;

/** A channel that shuts its own event loop down with it. */
final class OwnedLoopChannel extends ManagedChannel {
    private final ManagedChannel delegate;
    private final EventLoopGroup loop;

    OwnedLoopChannel(ManagedChannel delegate, EventLoopGroup loop) {
        this.delegate = delegate;
        this.loop = loop;
    }

    /**
     * Calls already started go on to their end (the event loop runs their I/O
     * and deadline timers): the loop is released only once the channel has
     * terminated, from a short-lived daemon thread.
     */
    @Override
    public ManagedChannel shutdown() {
        delegate.shutdown();
        releaseLoopWhenTerminated();
        return this;
    }

    private void releaseLoopWhenTerminated() {
        Thread t = new Thread(() -> {
            try {
                // the longest call here is a long poll (30 s) plus its slack
                if (!delegate.awaitTermination(60, TimeUnit.SECONDS)) {
                    delegate.shutdownNow();
                    delegate.awaitTermination(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            }
        }, "swarmlet-channel-close");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public boolean isShutdown() { return delegate.isShutdown(); }

    @Override
    public boolean isTerminated() { return delegate.isTerminated(); }

    @Override
    public ManagedChannel shutdownNow() {
        delegate.shutdownNow(); // cancels the calls: the channel terminates at once
        releaseLoopWhenTerminated();
        return this;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return delegate.awaitTermination(timeout, unit);
    }

    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
        return delegate.newCall(method, options);
    }

    @Override
    public String authority() { return delegate.authority(); }
}
