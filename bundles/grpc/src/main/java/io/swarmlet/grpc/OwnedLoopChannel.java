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

    @Override
    public ManagedChannel shutdown() {
        delegate.shutdown();
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        return this;
    }

    @Override
    public boolean isShutdown() { return delegate.isShutdown(); }

    @Override
    public boolean isTerminated() { return delegate.isTerminated(); }

    @Override
    public ManagedChannel shutdownNow() {
        delegate.shutdownNow();
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
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
