package io.swarmlet.mesh.internal;

import static io.swarmlet.mesh.internal.Tables.table;
import static io.swarmlet.mesh.internal.Tables.zone;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsQueryEncoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.swarmlet.api.types.MeshRoutes;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The networks' DNS servers: real UDP queries, built with Netty's DNS codec, against a server on 127.0.0.x. */
class DnsServerTest {

    static final String DNS = "127.0.0.91";

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final FakeLocalAddresses addresses = new FakeLocalAddresses();
    private RoutingMesh mesh;
    private int port;

    private RoutingMesh mesh(boolean epoll, Supplier<List<InetSocketAddress>> resolvers) throws IOException {
        port = Tables.freeUdpPort(InetAddress.getByName(DNS));
        mesh = new RoutingMesh(Tables.settings(epoll, true, port), new Balancers(), addresses, resolvers);
        return mesh;
    }

    @AfterEach
    void tearDown() throws Exception {
        if (mesh != null) {
            mesh.close();
        }
        for (AutoCloseable c : cleanup) {
            c.close();
        }
    }

    private static MeshRoutes zones(long version, String... nameThenAddrs) {
        return MeshRoutes.newBuilder(table(version)).addDns(zone("net1", DNS, nameThenAddrs)).build();
    }

    @ParameterizedTest(name = "epoll={0}")
    @ValueSource(booleans = {true, false})
    void theZonesNamesAreAnsweredWithEveryAddressAndTtlZero(boolean epoll) throws Exception {
        mesh(epoll, List::of).apply(zones(1, "app_web", "10.0.1.130", "web", "10.0.1.130", "db", "10.0.1.131,10.0.1.132"));
        assertEquals("", mesh.dnsServers().get(DNS).error());

        Answer web = ask(7, "web", DnsRecordType.A);
        assertEquals(new Answer(7, DnsResponseCode.NOERROR, true, List.of("10.0.1.130"), List.of(0L)), web);
        assertEquals(List.of("10.0.1.130"), ask(8, "WEB.", DnsRecordType.A).addrs(), "any case, trailing dot or not");
        assertEquals(List.of("10.0.1.130"), ask(9, "App_Web", DnsRecordType.A).addrs());
        assertEquals(new Answer(10, DnsResponseCode.NOERROR, true, List.of("10.0.1.131", "10.0.1.132"), List.of(0L, 0L)),
                ask(10, "db", DnsRecordType.A));

        // other types of a zone name: no answer, no error (the name exists)
        assertEquals(new Answer(11, DnsResponseCode.NOERROR, true, List.of(), List.of()), ask(11, "web", DnsRecordType.AAAA));
        assertEquals(new Answer(12, DnsResponseCode.NOERROR, true, List.of(), List.of()), ask(12, "db", DnsRecordType.MX));

        // a new table swaps the zone
        mesh.apply(zones(2, "web", "10.0.1.140"));
        assertEquals(List.of("10.0.1.140"), ask(13, "web", DnsRecordType.A).addrs());
        assertEquals(DnsResponseCode.SERVFAIL, ask(14, "db", DnsRecordType.A).code(), "gone, and no resolver to ask");
        assertEquals(List.of(DNS), addresses.added());

        // no zone on the address any more: the server stops
        mesh.apply(table(3));
        assertTrue(mesh.dnsServers().isEmpty());
        assertEquals(List.of(DNS), addresses.removed());
    }

    @ParameterizedTest(name = "epoll={0}")
    @ValueSource(booleans = {true, false})
    void otherNamesGoToTheHostsResolversAndTheirAnswerIsRelayed(boolean epoll) throws Exception {
        Upstream silent = new Upstream(false);
        Upstream upstream = new Upstream(true);
        // the mesh's own DNS address is skipped; a resolver that does not answer makes way for the next one
        mesh(epoll, () -> List.of(new InetSocketAddress(DNS, 53), silent.address(), upstream.address()))
                .apply(zones(1, "web", "10.0.1.130"));

        Answer a = ask(21, "Example.ORG", DnsRecordType.A);
        assertEquals(new Answer(21, DnsResponseCode.NOERROR, false, List.of("192.0.2.7"), List.of(300L)), a,
                "the upstream's answer as it sent it");
        assertEquals(List.of("Example.ORG."), upstream.asked, "the query as the client sent it");
        assertEquals(List.of("Example.ORG."), silent.asked);

        assertEquals("192.0.2.7", ask(22, "tasks.web", DnsRecordType.A).addrs().get(0), "only the zone's own names");
        assertEquals(List.of("10.0.1.130"), ask(23, "web", DnsRecordType.A).addrs(), "not forwarded");
        assertEquals(2, upstream.asked.size());
    }

    @Test
    void withoutAResolverThatAnswersItIsServfail() throws Exception {
        Upstream silent = new Upstream(false);
        List<InetSocketAddress> resolvers = new CopyOnWriteArrayList<>();
        mesh(true, () -> resolvers).apply(zones(1, "web", "10.0.1.130"));
        assertEquals(new Answer(31, DnsResponseCode.SERVFAIL, false, List.of(), List.of()),
                ask(31, "example.org", DnsRecordType.A), "no resolver");
        resolvers.add(new InetSocketAddress(DNS, 53));
        assertEquals(DnsResponseCode.SERVFAIL, ask(32, "example.org", DnsRecordType.A).code(), "only itself");
        resolvers.add(silent.address());
        assertEquals(DnsResponseCode.SERVFAIL, ask(33, "example.org", DnsRecordType.A).code(), "timed out");
        assertEquals(List.of("example.org."), silent.asked);
    }

    @Test
    void resolversAreTheNameserverLinesOfResolvConf() {
        assertEquals(List.of(new InetSocketAddress("10.255.255.53", 53), new InetSocketAddress("fd00::1", 53)),
                ResolvConf.parse(List.of("# generated", "search example.org", "nameserver 10.255.255.53",
                        "  nameserver   fd00::1  ", "nameserver dns.example.org", "options ndots:0")));
    }

    // ------------------------------------------------------------ a client and a resolver

    /** What a response said. */
    record Answer(int id, DnsResponseCode code, boolean authoritative, List<String> addrs, List<Long> ttls) {}

    /** One query over UDP; the response decoded. */
    private Answer ask(int id, String name, DnsRecordType type) throws IOException {
        InetSocketAddress server = new InetSocketAddress(DNS, port);
        DatagramDnsQuery q = new DatagramDnsQuery(null, server, id).setRecursionDesired(true);
        q.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(name, type));
        EmbeddedChannel enc = new EmbeddedChannel(new DatagramDnsQueryEncoder());
        enc.writeOutbound(q);
        DatagramPacket p = enc.readOutbound();
        byte[] bytes = ByteBufUtil.getBytes(p.content());
        p.release();
        enc.finishAndReleaseAll();
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            s.setSoTimeout(10_000);
            s.send(new java.net.DatagramPacket(bytes, bytes.length, server));
            java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[65_536], 65_536);
            s.receive(in);
            EmbeddedChannel dec = new EmbeddedChannel(new DatagramDnsResponseDecoder());
            dec.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(in.getData(), 0, in.getLength()),
                    (InetSocketAddress) s.getLocalSocketAddress(), server));
            DnsResponse r = dec.readInbound();
            try {
                List<String> addrs = new ArrayList<>();
                List<Long> ttls = new ArrayList<>();
                for (int i = 0; i < r.count(DnsSection.ANSWER); i++) {
                    DnsRawRecord rec = r.recordAt(DnsSection.ANSWER, i);
                    assertEquals(DnsRecordType.A, rec.type());
                    addrs.add(InetAddress.getByAddress(ByteBufUtil.getBytes(rec.content())).getHostAddress());
                    ttls.add(rec.timeToLive());
                }
                DnsQuestion echoed = r.recordAt(DnsSection.QUESTION);
                assertEquals(name.endsWith(".") ? name : name + ".", echoed.name(), "the question comes back");
                return new Answer(r.id(), r.code(), r.isAuthoritativeAnswer(), addrs, ttls);
            } finally {
                r.release();
                dec.finishAndReleaseAll();
            }
        }
    }

    /** The host's resolver: answers every A query with 192.0.2.7 (TTL 300), or never answers. */
    private final class Upstream implements AutoCloseable {
        final DatagramSocket socket;
        final List<String> asked = new CopyOnWriteArrayList<>();

        Upstream(boolean answers) throws IOException {
            socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            cleanup.add(this);
            Thread t = new Thread(() -> serve(answers), "upstream-dns");
            t.setDaemon(true);
            t.start();
        }

        InetSocketAddress address() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
        }

        private void serve(boolean answers) {
            byte[] buf = new byte[65_536];
            while (!socket.isClosed()) {
                try {
                    java.net.DatagramPacket in = new java.net.DatagramPacket(buf, buf.length);
                    socket.receive(in);
                    InetSocketAddress from = (InetSocketAddress) in.getSocketAddress();
                    EmbeddedChannel dec = new EmbeddedChannel(new DatagramDnsQueryDecoder());
                    dec.writeInbound(new DatagramPacket(Unpooled.copiedBuffer(in.getData(), 0, in.getLength()),
                            address(), from));
                    DnsQuery q = dec.readInbound();
                    DnsQuestion question = q.recordAt(DnsSection.QUESTION);
                    asked.add(question.name());
                    if (answers) {
                        DatagramDnsResponse r = new DatagramDnsResponse(address(), from, q.id());
                        r.setRecursionAvailable(true).setRecursionDesired(q.isRecursionDesired());
                        r.addRecord(DnsSection.QUESTION, question);
                        r.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), DnsRecordType.A, 300,
                                Unpooled.wrappedBuffer(new byte[] {(byte) 192, 0, 2, 7})));
                        EmbeddedChannel enc = new EmbeddedChannel(new DatagramDnsResponseEncoder());
                        enc.writeOutbound(r);
                        DatagramPacket out = enc.readOutbound();
                        byte[] bytes = ByteBufUtil.getBytes(out.content());
                        out.release();
                        enc.finishAndReleaseAll();
                        socket.send(new java.net.DatagramPacket(bytes, bytes.length, from));
                    }
                    q.release();
                    dec.finishAndReleaseAll();
                } catch (SocketException e) {
                    return; // closed
                } catch (IOException e) {
                    // next query
                }
            }
        }

        @Override
        public void close() {
            socket.close();
        }
    }
}
