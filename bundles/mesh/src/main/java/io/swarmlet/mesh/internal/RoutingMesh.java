package io.swarmlet.mesh.internal;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.swarmlet.api.types.MeshDnsRecord;
import io.swarmlet.api.types.MeshDnsZone;
import io.swarmlet.api.types.MeshRoute;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.MeshStatus;
import io.swarmlet.api.types.PortConfig;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The mesh's data plane on this node, without OSGi: one {@link Listener} per
 * (protocol, published port) of the routing table's ingress routes and per
 * (VIP, protocol, port) of its VIP routes, one {@link DnsServer} per DNS
 * address of its zones, all on one Netty event loop group. {@link #apply}
 * brings them in line with a table: new ports are opened, ports gone are
 * closed, the others get the new backends (or names); connections already
 * proxied are never cut by a table change.
 *
 * <p>VIPs and DNS addresses are made local ({@link LocalAddresses}) before
 * they are listened on, and the ones this mesh added are removed when they
 * leave the table, not when the mesh stops: other swarmlet nodes of the same
 * host may still listen on them (SO_REUSEPORT).
 *
 * <p>Tables are applied and failed ports retried from the control threads
 * (serialised by this object's lock); the event loops only read each
 * listener's current target.
 */
final class RoutingMesh implements AutoCloseable {

    private static final Logger LOG = LogManager.getLogger(RoutingMesh.class);

    private final MeshSettings settings;
    private final Balancers balancers;
    private final Transport transport;
    private final EventLoopGroup group;
    private final ChannelGroup channels = new DefaultChannelGroup("swarmlet-mesh", GlobalEventExecutor.INSTANCE);
    private final Set<PortConfig.Protocol> unsupportedLogged = new HashSet<>();
    private final Set<String> badAddressLogged = new HashSet<>();
    private final LocalAddresses addresses;
    private final Supplier<List<InetSocketAddress>> resolvers;
    /** Addresses known to be local (added by this mesh, or found there). */
    private final Set<String> local = new HashSet<>();
    /** The local addresses this mesh added: removed when they leave the table. */
    private final Set<String> added = new HashSet<>();
    /** Why addresses could not be made local, in this round of opening (each is tried once per round). */
    private final Map<String, String> notLocal = new HashMap<>();
    private volatile Map<PortKey, Listener> listeners = Map.of();
    private volatile Map<String, DnsServer> dnsServers = Map.of();
    private volatile MeshRoutes routes = MeshRoutes.getDefaultInstance();
    private boolean closed;

    RoutingMesh(MeshSettings settings, Balancers balancers) {
        this(settings, balancers, new LoopbackAddresses(), new ResolvConf(ResolvConf.DEFAULT));
    }

    /**
     * @param addresses makes VIPs and DNS addresses local
     * @param resolvers where the DNS servers forward the names of no zone (the host's resolvers)
     */
    RoutingMesh(MeshSettings settings, Balancers balancers, LocalAddresses addresses,
            Supplier<List<InetSocketAddress>> resolvers) {
        this.settings = settings;
        this.balancers = balancers;
        this.addresses = addresses;
        this.resolvers = resolvers;
        this.transport = Transport.select(settings.preferEpoll());
        if (settings.preferEpoll() && transport.name().equals("nio")) {
            LOG.info("mesh: epoll unavailable ({}), using NIO", String.valueOf(Transport.epollUnavailability()));
        }
        this.group = transport.newGroup(settings.ioThreads());
        LOG.info("mesh data plane on {} with {} listen address", transport.name(),
                settings.listenHost() == null ? "every" : settings.listenHostString() + " as");
    }

    MeshSettings settings() {
        return settings;
    }

    Balancers balancers() {
        return balancers;
    }

    Transport transport() {
        return transport;
    }

    EventLoopGroup group() {
        return group;
    }

    /** Every proxied connection and flow, so that closing the mesh ends them all. */
    void track(Channel channel) {
        channels.add(channel);
    }

    /** The table in use. */
    MeshRoutes routes() {
        return routes;
    }

    /** Brings the listeners in line with a routing table, then retries the ports that could not be taken. */
    synchronized void apply(MeshRoutes table) {
        if (closed) {
            return;
        }
        notLocal.clear();
        Map<PortKey, Target> wanted = new TreeMap<>();
        for (MeshRoute route : table.getRoutesList()) {
            String vip = "";
            if (!route.getVip().isEmpty()) {
                if (!settings.vips()) {
                    continue;
                }
                InetAddress a = Addresses.literal(route.getVip());
                if (!(a instanceof Inet4Address)) {
                    if (badAddressLogged.add(route.getVip())) {
                        LOG.warn("mesh: service {} has a virtual IP that is no IPv4 address ({}): ignored",
                                route.getServiceName(), route.getVip());
                    }
                    continue;
                }
                vip = a.getHostAddress();
            }
            PortConfig port = route.getPort();
            int number = port.getPublishedPort();
            if (number <= 0 || number > 65535) {
                LOG.warn("mesh: service {} has an invalid published port {}: ignored", route.getServiceName(), number);
                continue;
            }
            if (port.getProtocol() != PortConfig.Protocol.TCP && port.getProtocol() != PortConfig.Protocol.UDP) {
                if (unsupportedLogged.add(port.getProtocol())) {
                    LOG.warn("mesh: {} ports are not proxied (service {}, port {})", port.getProtocol(),
                            route.getServiceName(), number);
                }
                continue;
            }
            PortKey key = new PortKey(vip, port.getProtocol(), number);
            if (wanted.putIfAbsent(key, Target.of(route, settings.localNodeId())) != null) {
                LOG.warn("mesh: {} routed twice in table {}; service {} ignored", key, table.getVersion(),
                        route.getServiceName());
            }
        }
        Map<PortKey, Listener> current = listeners;
        Map<PortKey, Listener> next = new TreeMap<>();
        for (Map.Entry<PortKey, Listener> e : current.entrySet()) {
            if (!wanted.containsKey(e.getKey())) {
                e.getValue().close();
            }
        }
        for (Map.Entry<PortKey, Target> e : wanted.entrySet()) {
            Listener l = current.get(e.getKey());
            if (l != null) {
                l.update(e.getValue());
            } else {
                l = e.getKey().protocol() == PortConfig.Protocol.TCP
                        ? new TcpListener(this, e.getKey(), e.getValue())
                        : new UdpListener(this, e.getKey(), e.getValue());
            }
            next.put(e.getKey(), l);
        }
        listeners = Map.copyOf(next);

        Map<String, Map<String, List<byte[]>>> zones = settings.vips() ? zones(table) : Map.of();
        Map<String, DnsServer> servers = new TreeMap<>(Addresses::compare);
        for (Map.Entry<String, DnsServer> e : dnsServers.entrySet()) {
            if (!zones.containsKey(e.getKey())) {
                e.getValue().close();
            }
        }
        for (Map.Entry<String, Map<String, List<byte[]>>> e : zones.entrySet()) {
            DnsServer d = dnsServers.get(e.getKey());
            if (d != null) {
                d.update(e.getValue());
            } else {
                d = new DnsServer(this, e.getKey(), e.getValue());
            }
            servers.put(e.getKey(), d);
        }
        dnsServers = Map.copyOf(servers);

        // addresses that left the table (their sockets are closed by now): the ones this mesh added go
        Set<String> inUse = new HashSet<>(servers.keySet());
        next.keySet().forEach(k -> inUse.add(k.vip()));
        for (String a : new ArrayList<>(local)) {
            if (!inUse.contains(a)) {
                local.remove(a);
                if (added.remove(a)) {
                    try {
                        addresses.remove(a);
                        LOG.info("mesh: removed {} from this host (no longer in the routing table)", a);
                    } catch (IOException e) {
                        LOG.warn("mesh: {}", e.getMessage());
                    }
                }
            }
        }

        for (Listener l : next.values()) {
            l.open(); // new ones, and those that could not be taken before
        }
        for (DnsServer d : servers.values()) {
            d.open();
        }
        routes = table; // in use once its ports are taken
        LOG.debug("mesh: table {} applied ({} ports, {} DNS servers)", table.getVersion(), next.size(), servers.size());
    }

    /** The names of each DNS address (several zones on one address are merged), as 4-byte IPv4 addresses. */
    private Map<String, Map<String, List<byte[]>>> zones(MeshRoutes table) {
        Map<String, Map<String, List<byte[]>>> out = new HashMap<>();
        for (MeshDnsZone z : table.getDnsList()) {
            InetAddress server = Addresses.literal(z.getDnsAddr());
            if (!(server instanceof Inet4Address)) {
                if (badAddressLogged.add(z.getDnsAddr())) {
                    LOG.warn("mesh: network {} has a DNS address that is no IPv4 address ({}): no DNS for it",
                            z.getNetworkId(), z.getDnsAddr());
                }
                continue;
            }
            Map<String, List<byte[]>> names = out.computeIfAbsent(server.getHostAddress(), k -> new HashMap<>());
            for (MeshDnsRecord r : z.getRecordsList()) {
                List<byte[]> addrs = names.computeIfAbsent(DnsServer.normal(r.getName()), k -> new ArrayList<>());
                for (String a : r.getAddrsList()) {
                    InetAddress ip = Addresses.literal(a);
                    if (ip instanceof Inet4Address && addrs.stream().noneMatch(x -> Arrays.equals(x, ip.getAddress()))) {
                        addrs.add(ip.getAddress());
                    }
                }
            }
        }
        out.replaceAll((k, v) -> {
            Map<String, List<byte[]>> m = new HashMap<>();
            v.forEach((n, a) -> m.put(n, List.copyOf(a)));
            return Map.copyOf(m);
        });
        return out;
    }

    /**
     * Makes {@code address} local to this host if it is not known to be; null when it is, else why not.
     * Each address is tried at most once per round of opening (a table, or a retry).
     */
    String makeLocal(String address) {
        if (local.contains(address)) {
            return null;
        }
        String known = notLocal.get(address);
        if (known != null) {
            return known;
        }
        try {
            if (addresses.add(address)) {
                added.add(address);
                LOG.info("mesh: added {} to this host", address);
            } else {
                LOG.debug("mesh: {} is already local", address);
            }
            local.add(address);
            return null;
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            notLocal.put(address, why);
            return why;
        }
    }

    /** The resolvers a DNS server forwards to: the host's, minus the mesh's own DNS addresses. */
    List<InetSocketAddress> dnsUpstreams() {
        List<InetSocketAddress> all = resolvers.get();
        Map<String, DnsServer> own = dnsServers;
        List<InetSocketAddress> out = new ArrayList<>(all.size());
        for (InetSocketAddress r : all) {
            if (r.getAddress() == null || !own.containsKey(r.getAddress().getHostAddress())) {
                out.add(r);
            }
        }
        return out;
    }

    /** The DNS servers by address (tests). */
    Map<String, DnsServer> dnsServers() {
        return dnsServers;
    }

    /** The addresses this mesh added to the host and still uses (tests). */
    synchronized Set<String> addedAddresses() {
        return new TreeSet<>(added);
    }

    /** Tries again to take the ports that could not be taken. */
    synchronized void retryFailed() {
        if (closed) {
            return;
        }
        notLocal.clear();
        for (Listener l : listeners.values()) {
            l.open();
        }
        for (DnsServer d : dnsServers.values()) {
            d.open();
        }
    }

    /**
     * Counters and listen errors of every port in the table: ingress ports by protocol then port, then the
     * VIPs' ports (published_port = the target port; the address shows only in a listen error).
     */
    MeshStatus status() {
        MeshStatus.Builder b = MeshStatus.newBuilder().setTimestamp(System.currentTimeMillis());
        new TreeMap<>(listeners).values().forEach(l -> b.addPorts(l.snapshot()));
        return b.build();
    }

    /** Closes the listeners and every connection, and stops the event loops; within about a second. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        listeners.values().forEach(Listener::close);
        listeners = Map.of();
        dnsServers.values().forEach(DnsServer::close);
        dnsServers = Map.of();
        // the addresses stay: other swarmlet nodes of this host may listen on them too
        channels.close().awaitUninterruptibly(500, TimeUnit.MILLISECONDS);
        group.shutdownGracefully(20, 500, TimeUnit.MILLISECONDS).awaitUninterruptibly(1_000, TimeUnit.MILLISECONDS);
    }
}
