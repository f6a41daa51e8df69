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
 * @param vips listen on the services' virtual IPs and serve the networks' DNS (false: ingress ports only)
 * @param dnsPort the UDP port of the networks' DNS servers (53; tests take another)
 */
record MeshSettings(InetAddress listenHost, Duration connectTimeout, Duration udpIdleTimeout, int ioThreads,
        boolean preferEpoll, String localNodeId, boolean vips, int dnsPort) {

    /** The DNS port of every network's DNS server. */
    static final int DNS_PORT = 53;

    /** With virtual IPs and DNS on port 53. */
    MeshSettings(InetAddress listenHost, Duration connectTimeout, Duration udpIdleTimeout, int ioThreads,
            boolean preferEpoll, String localNodeId) {
        this(listenHost, connectTimeout, udpIdleTimeout, ioThreads, preferEpoll, localNodeId, true, DNS_PORT);
    }

    /** The listen address as errors and logs show it. */
    String listenHostString() {
        return listenHost == null ? "0.0.0.0" : listenHost.getHostAddress();
    }
}
