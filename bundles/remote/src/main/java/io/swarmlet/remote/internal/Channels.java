package io.swarmlet.remote.internal;

import io.grpc.ManagedChannel;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.grpc.Transports;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Mutual-TLS channels to other nodes, one per address and expected server
 * name ("swarm-manager" for a manager's dispatcher, the node ID for a given
 * node), made with this node's credentials (their key manager always presents
 * the newest certificate, so renewal needs no new channel).
 */
final class Channels implements AutoCloseable {

    /** The server name every manager's certificate carries. */
    static final String MANAGER = "swarm-manager";

    private record Key(String addr, String authority) {}

    private final Supplier<NodeCredentials> credentials;
    private final Map<Key, ManagedChannel> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    Channels(Supplier<NodeCredentials> credentials) {
        this.credentials = credentials;
    }

    /** The channel to {@code addr} whose certificate must name {@code authority}. */
    ManagedChannel get(String addr, String authority) {
        if (closed) {
            throw new IllegalStateException("stopping");
        }
        ManagedChannel ch = channels.computeIfAbsent(new Key(addr, authority), k -> {
            NodeCredentials c = credentials.get();
            return Transports.tlsChannel(k.addr(), c.keyManager(), c.trustManager(), k.authority());
        });
        if (closed) { // closed meanwhile: close() may have missed it
            ch.shutdownNow();
            throw new IllegalStateException("stopping");
        }
        return ch;
    }

    /**
     * Forgets a channel (its peer did not answer): the next call dials afresh
     * instead of waiting out the channel's reconnect backoff. Calls still
     * running on it finish.
     */
    void evict(String addr, String authority) {
        ManagedChannel ch = channels.remove(new Key(addr, authority));
        if (ch != null) {
            ch.shutdown();
        }
    }

    @Override
    public void close() {
        closed = true;
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
