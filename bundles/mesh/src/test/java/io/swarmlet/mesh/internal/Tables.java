package io.swarmlet.mesh.internal;

import io.swarmlet.api.types.MeshBackend;
import io.swarmlet.api.types.MeshDnsRecord;
import io.swarmlet.api.types.MeshDnsZone;
import io.swarmlet.api.types.MeshPortStats;
import io.swarmlet.api.types.MeshRoute;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.spi.lb.LoadBalancer;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Routing tables, settings and balancers for tests. */
final class Tables {

    private Tables() {}

    static MeshRoute route(String service, PortConfig.Protocol protocol, int published, InetSocketAddress... backends) {
        MeshRoute.Builder r = MeshRoute.newBuilder()
                .setServiceId("id-" + service)
                .setServiceName(service)
                .setLbStrategy("round-robin")
                .setPort(PortConfig.newBuilder().setProtocol(protocol).setTargetPort(80).setPublishedPort(published));
        int i = 0;
        for (InetSocketAddress b : backends) {
            r.addBackends(MeshBackend.newBuilder().setTaskId(service + "-task" + (++i)).setNodeId("node1")
                    .setAddr(b.getAddress().getHostAddress()).setPort(b.getPort()));
        }
        return r.build();
    }

    static MeshRoute tcp(String service, int published, InetSocketAddress... backends) {
        return route(service, PortConfig.Protocol.TCP, published, backends);
    }

    static MeshRoute udp(String service, int published, InetSocketAddress... backends) {
        return route(service, PortConfig.Protocol.UDP, published, backends);
    }

    static MeshRoutes table(long version, MeshRoute... routes) {
        return MeshRoutes.newBuilder().setVersion(version).addAllRoutes(List.of(routes)).build();
    }

    static MeshSettings settings(boolean epoll, Duration udpIdle) {
        return new MeshSettings(InetAddress.getLoopbackAddress(), Duration.ofSeconds(2), udpIdle, 2, epoll, "local-node");
    }

    /** With virtual IPs on or off, and the networks' DNS servers on {@code dnsPort}. */
    static MeshSettings settings(boolean epoll, boolean vips, int dnsPort) {
        return new MeshSettings(InetAddress.getLoopbackAddress(), Duration.ofSeconds(2), Duration.ofSeconds(60), 2, epoll,
                "local-node", vips, dnsPort);
    }

    /** A route of a service's virtual IP: published on the target port, as the dispatcher makes them. */
    static MeshRoute vipRoute(String service, String vip, PortConfig.Protocol protocol, int port,
            InetSocketAddress... backends) {
        MeshRoute r = route(service, protocol, port, backends);
        return r.toBuilder().setVip(vip).setNetworkId("net-" + service)
                .setPort(PortConfig.newBuilder().setProtocol(protocol).setTargetPort(port).setPublishedPort(port)
                        .setPublishMode(PortConfig.PublishMode.INTERNAL))
                .build();
    }

    /** A network's DNS zone: name, address, name, address... */
    static MeshDnsZone zone(String networkId, String dnsAddr, String... nameThenAddrs) {
        MeshDnsZone.Builder z = MeshDnsZone.newBuilder().setNetworkId(networkId).setDnsAddr(dnsAddr);
        for (int i = 0; i + 1 < nameThenAddrs.length; i += 2) {
            z.addRecords(MeshDnsRecord.newBuilder().setName(nameThenAddrs[i])
                    .addAllAddrs(List.of(nameThenAddrs[i + 1].split(","))));
        }
        return z.build();
    }

    static int freeUdpPort(InetAddress at) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(at, 0))) {
            return s.getLocalPort();
        }
    }

    static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return s.getLocalPort();
        }
    }

    static MeshPortStats stats(RoutingMesh mesh, PortConfig.Protocol protocol, int port) {
        return mesh.status().getPortsList().stream()
                .filter(p -> p.getProtocol() == protocol && p.getPublishedPort() == port)
                .findFirst().orElseThrow(() -> new AssertionError("no stats for " + port + "/" + protocol));
    }

    /** Round-robin that counts its picks and releases per backend, to check that every pick is released once. */
    static final class CountingBalancer implements LoadBalancer {

        final AtomicInteger picks = new AtomicInteger();
        final AtomicInteger releases = new AtomicInteger();
        final ConcurrentHashMap<InetSocketAddress, AtomicInteger> open = new ConcurrentHashMap<>();
        private final AtomicLong next = new AtomicLong();

        @Override
        public InetSocketAddress pick(String serviceId, List<InetSocketAddress> backends, InetSocketAddress client) {
            picks.incrementAndGet();
            InetSocketAddress b = backends.get((int) Math.floorMod(next.getAndIncrement(), (long) backends.size()));
            open.computeIfAbsent(b, k -> new AtomicInteger()).incrementAndGet();
            return b;
        }

        @Override
        public void released(String serviceId, InetSocketAddress backend) {
            releases.incrementAndGet();
            open.get(backend).decrementAndGet();
        }

        boolean balanced() {
            return picks.get() == releases.get() && open.values().stream().allMatch(n -> n.get() == 0);
        }

        @Override
        public String toString() {
            return "picks " + picks + ", releases " + releases + ", open " + open;
        }
    }
}
