package io.swarmlet.mesh.internal;

import static io.swarmlet.mesh.internal.Tables.table;
import static io.swarmlet.mesh.internal.Tables.tcp;
import static io.swarmlet.mesh.internal.Tables.vipRoute;
import static io.swarmlet.mesh.internal.Tables.zone;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.testing.FreePorts;
import io.swarmlet.api.types.MeshBackend;
import io.swarmlet.api.types.MeshPortStats;
import io.swarmlet.api.types.MeshRoute;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.PortConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Services' virtual IPs: listeners on vip:port with SO_REUSEPORT, on 127.0.0.x "VIPs" with a fake address manager. */
class VipMeshTest {

    static final String VIP = "127.0.0.77";
    static final String VIP2 = "127.0.0.78";
    static final String DNS = "127.0.0.79";

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final List<RoutingMesh> meshes = new ArrayList<>();
    private final FakeLocalAddresses addresses = new FakeLocalAddresses();

    private RoutingMesh mesh(boolean epoll, boolean vips) throws IOException {
        Balancers balancers = new Balancers();
        balancers.add("round-robin", new Tables.CountingBalancer());
        RoutingMesh m = new RoutingMesh(Tables.settings(epoll, vips, Tables.freeUdpPort(InetAddress.getByName(DNS))),
                balancers, addresses, List::of);
        meshes.add(m);
        return m;
    }

    private TcpBackend backend(String name) throws IOException {
        TcpBackend b = new TcpBackend(name, TcpBackend.Mode.LINES);
        cleanup.add(b);
        return b;
    }

    @AfterEach
    void tearDown() throws Exception {
        for (RoutingMesh m : meshes) {
            m.close();
        }
        for (AutoCloseable c : cleanup) {
            c.close();
        }
    }

    private static String request(String host, int port, String line) throws IOException {
        try (Socket s = new Socket(InetAddress.getByName(host), port)) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    @ParameterizedTest(name = "epoll={0}")
    @ValueSource(booleans = {true, false})
    void severalMeshesOfOneHostListenOnTheSameVip(boolean epoll) throws Exception {
        TcpBackend a = backend("a");
        int port = FreePorts.next();
        int ingress = FreePorts.next();
        MeshRoutes t = table(1, tcp("web", ingress, a.address()), vipRoute("web", VIP, PortConfig.Protocol.TCP, port,
                a.address()));
        RoutingMesh one = mesh(epoll, true);
        RoutingMesh two = mesh(epoll, true);
        one.apply(t);
        two.apply(t); // SO_REUSEPORT: the second node of the host takes the VIP's port as well

        for (RoutingMesh m : List.of(one, two)) {
            MeshPortStats vip = Tables.stats(m, PortConfig.Protocol.TCP, port);
            assertEquals("", vip.getListenError(), () -> "VIP port: " + m.status());
            assertEquals("id-web", vip.getServiceId());
        }
        assertEquals("", Tables.stats(one, PortConfig.Protocol.TCP, ingress).getListenError());
        assertTrue(Tables.stats(two, PortConfig.Protocol.TCP, ingress).getListenError()
                .endsWith(":" + ingress + ": address already in use"), "the ingress port is not shared");
        assertEquals(List.of(VIP), addresses.added(), "made local once: the second mesh found it there");

        for (int i = 0; i < 20; i++) {
            assertEquals("a vip " + i, request(VIP, port, "vip " + i));
        }
        assertEquals("a hello", request("127.0.0.1", ingress, "hello"), "the ingress port as before");

        // the kernel spread the 20 connections over both listeners (each has a good chance of at least one)
        Eventually.await(() -> Tables.stats(one, PortConfig.Protocol.TCP, port).getConnectionsTotal()
                + Tables.stats(two, PortConfig.Protocol.TCP, port).getConnectionsTotal() == 20,
                () -> one.status() + " / " + two.status());
    }

    @ParameterizedTest(name = "epoll={0}")
    @ValueSource(booleans = {true, false})
    void udpOnAVipToo(boolean epoll) throws Exception {
        UdpBackend b = new UdpBackend("u");
        cleanup.add(b);
        int port = Tables.freeUdpPort(InetAddress.getByName(VIP));
        MeshRoutes t = table(1, vipRoute("dns", VIP, PortConfig.Protocol.UDP, port, b.address()));
        RoutingMesh one = mesh(epoll, true);
        RoutingMesh two = mesh(epoll, true);
        one.apply(t);
        two.apply(t);
        assertEquals("", Tables.stats(one, PortConfig.Protocol.UDP, port).getListenError());
        assertEquals("", Tables.stats(two, PortConfig.Protocol.UDP, port).getListenError());
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            client.setSoTimeout(5_000);
            for (int i = 0; i < 3; i++) {
                byte[] ask = ("q" + i).getBytes(StandardCharsets.UTF_8);
                client.send(new DatagramPacket(ask, ask.length, InetAddress.getByName(VIP), port));
                DatagramPacket reply = new DatagramPacket(new byte[1024], 1024);
                client.receive(reply);
                assertEquals("u q" + i, new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8));
                assertEquals(InetAddress.getByName(VIP), reply.getAddress(), "the reply comes from the VIP");
                assertEquals(port, reply.getPort());
            }
        }
    }

    @Test
    void aVipListenerDialsTheLocalTasksAtTheirContainerAddress() throws Exception {
        TcpBackend task = backend("task");
        // the VIP route's port is the target port: the task's container listens on it (here on 127.0.0.1)
        int port = task.port();
        MeshRoute r = vipRoute("web", VIP, PortConfig.Protocol.TCP, port).toBuilder()
                .addBackends(MeshBackend.newBuilder().setTaskId("t1").setNodeId("local-node").setAddr("127.0.0.1")
                        .setPort(1).setContainerAddr("127.0.0.1")) // node port 1: nothing there
                .build();
        RoutingMesh m = mesh(false, true);
        m.apply(table(1, r));
        assertEquals("task direct", request(VIP, port, "direct"));
        assertEquals(0, Tables.stats(m, PortConfig.Protocol.TCP, port).getBackendErrors());
    }

    @Test
    void addressesAreMadeLocalBeforeListeningAndTheOnesAddedLeaveWithTheTable() throws Exception {
        TcpBackend a = backend("a");
        int port = FreePorts.next();
        addresses.present.add(VIP2); // another node of this host added it
        RoutingMesh m = mesh(false, true);
        m.apply(MeshRoutes.newBuilder(table(1, vipRoute("web", VIP, PortConfig.Protocol.TCP, port, a.address()),
                        vipRoute("db", VIP2, PortConfig.Protocol.TCP, port, a.address())))
                .addDns(zone("net-web", DNS, "web", VIP)).build());
        assertEquals(Set.of(VIP, VIP2, DNS), Set.copyOf(addresses.present));
        assertEquals(List.of(VIP, DNS), addresses.added(), "the VIPs' listeners first, then the DNS servers");
        assertEquals(Set.of(VIP, DNS), m.addedAddresses());
        assertEquals("a hi", request(VIP, port, "hi"));
        assertEquals("a hi", request(VIP2, port, "hi"));

        // the VIP leaves the table: its listener closes, then the address this mesh added goes
        m.apply(MeshRoutes.newBuilder(table(2, vipRoute("db", VIP2, PortConfig.Protocol.TCP, port, a.address())))
                .addDns(zone("net-web", DNS, "db", VIP2)).build());
        assertEquals(List.of(VIP), addresses.removed());
        assertEquals(Set.of(DNS), m.addedAddresses());

        // everything leaves: the DNS address too, but not the one another node added
        m.apply(table(3));
        assertEquals(List.of(VIP, DNS), addresses.removed());
        assertTrue(addresses.present.contains(VIP2));

        // stopping the mesh leaves the addresses alone (other nodes of the host may use them)
        m.apply(MeshRoutes.newBuilder(table(4, vipRoute("web", VIP, PortConfig.Protocol.TCP, port, a.address())))
                .build());
        m.close();
        assertEquals(List.of(VIP, DNS), addresses.removed());
        assertTrue(addresses.present.contains(VIP));
    }

    @Test
    void aVipThatCannotBeMadeLocalIsAListenErrorAndRetried() throws Exception {
        TcpBackend a = backend("a");
        int port = FreePorts.next();
        addresses.failing = true;
        RoutingMesh m = mesh(false, true);
        m.apply(table(1, vipRoute("web", VIP, PortConfig.Protocol.TCP, port, a.address())));
        String error = Tables.stats(m, PortConfig.Protocol.TCP, port).getListenError();
        assertEquals("listen tcp " + VIP + ":" + port + ": cannot add " + VIP + " to the loopback device (ip addr add "
                + VIP + "/32 dev lo: RTNETLINK answers: Operation not permitted)", error);

        addresses.failing = false;
        m.retryFailed();
        assertEquals("", Tables.stats(m, PortConfig.Protocol.TCP, port).getListenError());
        assertEquals("a ok", request(VIP, port, "ok"));
    }

    @Test
    void withVipsOffOnlyTheIngressPortsAreTaken() throws Exception {
        TcpBackend a = backend("a");
        int port = FreePorts.next();
        int ingress = FreePorts.next();
        RoutingMesh m = mesh(false, false);
        m.apply(MeshRoutes.newBuilder(table(1, tcp("web", ingress, a.address()),
                vipRoute("web", VIP, PortConfig.Protocol.TCP, port, a.address())))
                .addDns(zone("net-web", DNS, "web", VIP)).build());
        assertEquals(1, m.status().getPortsCount());
        assertEquals(ingress, m.status().getPorts(0).getPublishedPort());
        assertTrue(m.dnsServers().isEmpty());
        assertEquals(List.of(), addresses.added());
    }
}
