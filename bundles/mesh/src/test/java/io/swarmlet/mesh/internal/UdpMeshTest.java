package io.swarmlet.mesh.internal;

import static io.swarmlet.mesh.internal.Tables.table;
import static io.swarmlet.mesh.internal.Tables.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.swarmlet.api.types.MeshPortStats;
import io.swarmlet.api.types.PortConfig;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UdpMeshTest {

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final Tables.CountingBalancer lb = new Tables.CountingBalancer();
    private RoutingMesh mesh;

    @AfterEach
    void tearDown() throws Exception {
        if (mesh != null) {
            mesh.close();
        }
        for (AutoCloseable c : cleanup) {
            c.close();
        }
    }

    private RoutingMesh mesh(boolean epoll, Duration idle) {
        Balancers balancers = new Balancers();
        balancers.add("round-robin", lb);
        mesh = new RoutingMesh(Tables.settings(epoll, idle), balancers);
        return mesh;
    }

    private UdpBackend backend(String name) throws IOException {
        UdpBackend b = new UdpBackend(name);
        cleanup.add(b);
        return b;
    }

    private DatagramSocket client() throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.setSoTimeout(300);
        cleanup.add(s);
        return s;
    }

    /**
     * Sends until an answer comes (UDP may drop the first datagram of a flow
     * only if the mesh queue overflows, which it must not; the retry keeps the
     * test from hanging if the network does). Returns the answer and checks
     * that it came from the published port.
     */
    private static String exchange(DatagramSocket client, int port, String payload) throws IOException {
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < end) {
            client.send(new DatagramPacket(bytes, bytes.length, InetAddress.getLoopbackAddress(), port));
            DatagramPacket reply = new DatagramPacket(new byte[65536], 65536);
            try {
                client.receive(reply);
            } catch (SocketTimeoutException e) {
                continue;
            }
            assertEquals(port, reply.getPort(), "the reply comes from the published port");
            return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
        }
        throw new AssertionError("no answer to " + payload);
    }

    @ParameterizedTest(name = "epoll={0}")
    @ValueSource(booleans = {true, false})
    void eachClientSticksToItsBackendUntilIdle(boolean epoll) throws Exception {
        UdpBackend a = backend("a");
        UdpBackend b = backend("b");
        int port = Tables.freeUdpPort();
        mesh(epoll, Duration.ofMillis(400)).apply(table(1, udp("dns", port, a.address(), b.address())));

        DatagramSocket one = client();
        DatagramSocket two = client();
        String first = exchange(one, port, "1-0").split(" ")[0];
        String second = exchange(two, port, "2-0").split(" ")[0];
        assertEquals("a", first, "round-robin: the first flow goes to the first backend");
        assertEquals("b", second, "and the second flow to the second");
        for (int i = 1; i < 5; i++) {
            assertEquals(first + " 1-" + i, exchange(one, port, "1-" + i));
            assertEquals(second + " 2-" + i, exchange(two, port, "2-" + i));
        }
        // each backend saw one flow, i.e. one source address
        assertEquals(1, a.peers.size());
        assertEquals(1, b.peers.size());
        MeshPortStats s = Tables.stats(mesh, PortConfig.Protocol.UDP, port);
        assertEquals(2, s.getConnectionsTotal());
        assertEquals(2, s.getConnectionsActive());
        assertEquals(10 * 3, s.getBytesIn()); // "1-0".."2-4": 3 bytes each
        assertEquals(10 * 5, s.getBytesOut()); // "a 1-0": 5 bytes each

        // idle flows expire and are released
        Eventually.await(() -> Tables.stats(mesh, PortConfig.Protocol.UDP, port).getConnectionsActive() == 0,
                () -> mesh.status().toString());
        Eventually.await(lb::balanced, lb::toString);

        // the next datagram opens a new flow (the rotation moved on)
        String again = exchange(one, port, "1-again");
        assertEquals(3, Tables.stats(mesh, PortConfig.Protocol.UDP, port).getConnectionsTotal());
        assertEquals(1, Tables.stats(mesh, PortConfig.Protocol.UDP, port).getConnectionsActive());
        assertEquals("a 1-again", again, "the third pick of the rotation");
    }

    @ParameterizedTest(name = "epoll={0}")
    @ValueSource(booleans = {true})
    void aFlowWhoseBackendLeavesTheTableMovesToAnother(boolean epoll) throws Exception {
        UdpBackend a = backend("a");
        UdpBackend b = backend("b");
        int port = Tables.freeUdpPort();
        mesh(epoll, Duration.ofSeconds(60)).apply(table(1, udp("dns", port, a.address(), b.address())));
        DatagramSocket one = client();
        String first = exchange(one, port, "x").split(" ")[0];
        UdpBackend staying = first.equals("a") ? b : a;
        mesh.apply(table(2, udp("dns", port, staying.address())));
        Eventually.await(() -> Tables.stats(mesh, PortConfig.Protocol.UDP, port).getConnectionsActive() == 0,
                () -> mesh.status().toString());
        assertEquals(staying.name + " y", exchange(one, port, "y"));
        Eventually.await(() -> lb.releases.get() == 1, lb::toString);
    }
}
