package io.swarmlet.mesh.internal;

import java.net.InetAddress;
import java.time.Duration;

/**
 * How the mesh runs.
 *
 * @param listenHost the address every published port is taken on; null = all addresses
 * @param connectTimeout how long connecting to one backend may take before the next is tried
 * @param udpIdleTimeout a UDP flow without a datagram either way for this long is closed
 * @param ioThreads event loop threads (0 = one per processor)
 * @param preferEpoll use epoll when available (false: NIO, for tests)
 * @param localNodeId this node: its own tasks are dialled at their container address when they have one
 *                    ("" = always through node ports)
 */
record MeshSettings(InetAddress listenHost, Duration connectTimeout, Duration udpIdleTimeout, int ioThreads,
        boolean preferEpoll, String localNodeId) {

    /** The listen address as errors and logs show it. */
    String listenHostString() {
        return listenHost == null ? "0.0.0.0" : listenHost.getHostAddress();
    }
}
