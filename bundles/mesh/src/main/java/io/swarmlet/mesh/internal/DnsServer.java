package io.swarmlet.mesh.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A network's DNS server (design/networking.md), on its {@code dns_addr}, UDP port 53 (with SO_REUSEPORT:
 * every swarmlet node of a host serves the same address). Answers the zone's names (case-insensitive, with or
 * without the trailing dot): A queries with every address of the name, TTL 0; other types with no answer
 * (NOERROR). Every other query is forwarded, byte for byte, to the host's resolvers in turn (each gets
 * {@link #FORWARD_TIMEOUT_MS}) and the first answer relayed as it came; SERVFAIL when there is no resolver
 * or none answered.
 *
 * <p>The zone is swapped whole ({@link #update}) with each routing table; the event loop reads whichever
 * zone is current. Opened, updated and closed from the mesh's control thread (under its lock).
 */
final class DnsServer {

    private static final Logger LOG = LogManager.getLogger(DnsServer.class);
    static final long FORWARD_TIMEOUT_MS = 2_000;

    private final RoutingMesh mesh;
    final String address;
    /** Names (lower case, no trailing dot) to IPv4 addresses (4 bytes each). */
    private volatile Map<String, List<byte[]>> names;
    private volatile Channel channel;
    private volatile String error = "";
    private String lastLoggedError = "";

    DnsServer(RoutingMesh mesh, String address, Map<String, List<byte[]>> names) {
        this.mesh = mesh;
        this.address = address;
        this.names = names;
    }

    /** A new zone: queries from now on are answered from it. */
    void update(Map<String, List<byte[]>> zone) {
        names = zone;
    }

    boolean isOpen() {
        Channel c = channel;
        return c != null && c.isOpen();
    }

    /** Why the server is not running ("" when it is). */
    String error() {
        return error;
    }

    /** Takes the address's DNS port if not taken yet; records (and logs once) why it cannot be. */
    void open() {
        if (isOpen()) {
            return;
        }
        String where = "listen udp " + address + ":" + mesh.settings().dnsPort() + ": ";
        InetAddress ip = Addresses.literal(address);
        String problem = ip == null ? "not an IP address" : mesh.makeLocal(address);
        if (problem == null) {
            ChannelFuture f = mesh.transport().reusePort(new Bootstrap()
                    .group(mesh.group())
                    .channel(mesh.transport().datagramChannel())
                    .option(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(UdpListener.MAX_DATAGRAM))
                    .handler(new Handler()))
                    .bind(new InetSocketAddress(ip, mesh.settings().dnsPort()));
            boolean done = f.awaitUninterruptibly(5, TimeUnit.SECONDS);
            if (done && f.isSuccess()) {
                channel = f.channel();
                error = "";
                lastLoggedError = "";
                LOG.info("mesh DNS listening on udp {}:{} ({} names)", address, mesh.settings().dnsPort(),
                        names.size());
                return;
            }
            if (!done) {
                f.channel().close();
            }
            problem = done ? Listener.describe(f.cause()) : "timed out";
        }
        error = where + problem;
        if (!error.equals(lastLoggedError)) {
            lastLoggedError = error;
            LOG.warn("mesh cannot serve DNS on {}: {} (retried every few seconds)", address, error);
        }
    }

    void close() {
        Channel c = channel;
        channel = null;
        if (c != null) {
            c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            LOG.info("mesh DNS stopped on udp {}:{}", address, mesh.settings().dnsPort());
        }
    }

    /** A name as the zone keeps it: lower case, without the trailing dot. */
    static String normal(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        while (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        return n;
    }

    /** Netty's query decoder, called directly: the raw query stays intact for forwarding. */
    private static final class QueryDecoder extends DatagramDnsQueryDecoder {
        DnsQuery decodeQuery(ChannelHandlerContext ctx, DatagramPacket packet) throws Exception {
            List<Object> out = new ArrayList<>(1);
            decode(ctx, packet, out);
            return (DnsQuery) out.get(0);
        }
    }

    /** Netty's response encoder, called directly: relayed answers are raw datagrams and must bypass it. */
    private static final class ResponseEncoder extends DatagramDnsResponseEncoder {
        @SuppressWarnings("unchecked")
        DatagramPacket encodeResponse(ChannelHandlerContext ctx, DatagramDnsResponse response) throws Exception {
            List<Object> out = new ArrayList<>(1);
            encode(ctx, (AddressedEnvelope<DnsResponse, InetSocketAddress>) (AddressedEnvelope<?, ?>) response, out);
            return (DatagramPacket) out.get(0);
        }
    }

    /** What a response needs of its query. */
    private record Asked(int id, DnsOpCode opCode, boolean recursionDesired, DnsQuestion question,
            InetSocketAddress server, InetSocketAddress client) {}

    /** Queries, on the server's event loop. */
    private final class Handler extends ChannelInboundHandlerAdapter {

        private final QueryDecoder decoder = new QueryDecoder();
        private final ResponseEncoder encoder = new ResponseEncoder();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket packet)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            DnsQuery query = null;
            try {
                ByteBuf raw = packet.content();
                query = decoder.decodeQuery(ctx, new DatagramPacket(raw.duplicate(), packet.recipient(), packet.sender()));
                DnsQuestion q = query.recordAt(DnsSection.QUESTION);
                if (q == null) {
                    return; // nothing asked: nothing to answer
                }
                Asked asked = new Asked(query.id(), query.opCode(), query.isRecursionDesired(), q, packet.recipient(),
                        packet.sender());
                List<byte[]> addrs = query.opCode() == DnsOpCode.QUERY ? names.get(normal(q.name())) : null;
                if (addrs != null) {
                    answer(ctx, asked, addrs);
                } else {
                    new Forward(ctx, asked, raw.retain(), mesh.dnsUpstreams()).next();
                }
            } catch (Exception e) {
                LOG.debug("mesh DNS on {}: a query from {} could not be read: {}", address, packet.sender(), e.toString());
            } finally {
                ReferenceCountUtil.release(query);
                packet.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("mesh DNS on {}: {}", address, cause.toString());
        }

        private void answer(ChannelHandlerContext ctx, Asked asked, List<byte[]> addrs) {
            DatagramDnsResponse r = response(asked, DnsResponseCode.NOERROR).setAuthoritativeAnswer(true);
            if (asked.question().type() == DnsRecordType.A) {
                for (byte[] a : addrs) {
                    r.addRecord(DnsSection.ANSWER,
                            new DefaultDnsRawRecord(asked.question().name(), DnsRecordType.A, 0, Unpooled.wrappedBuffer(a)));
                }
            }
            send(ctx, r);
        }

        DatagramDnsResponse response(Asked asked, DnsResponseCode code) {
            DatagramDnsResponse r = new DatagramDnsResponse(asked.server(), asked.client(), asked.id(), asked.opCode(), code);
            r.setRecursionDesired(asked.recursionDesired()).setRecursionAvailable(true);
            r.addRecord(DnsSection.QUESTION, asked.question());
            return r;
        }

        void send(ChannelHandlerContext ctx, DatagramDnsResponse r) {
            try {
                ctx.writeAndFlush(encoder.encodeResponse(ctx, r), ctx.voidPromise());
            } catch (Exception e) {
                LOG.debug("mesh DNS on {}: cannot encode the answer to {}: {}", address, r.recipient(), e.toString());
            } finally {
                r.release();
            }
        }

        /** One forwarded query: the resolvers in turn until one answers; SERVFAIL if none does. On the event loop. */
        private final class Forward {
            private final ChannelHandlerContext ctx;
            private final Asked asked;
            private final ByteBuf raw;
            private final List<InetSocketAddress> upstreams;
            private int tried;

            Forward(ChannelHandlerContext ctx, Asked asked, ByteBuf raw, List<InetSocketAddress> upstreams) {
                this.ctx = ctx;
                this.asked = asked;
                this.raw = raw;
                this.upstreams = upstreams;
            }

            void next() {
                if (tried >= upstreams.size() || !ctx.channel().isActive()) {
                    raw.release();
                    if (ctx.channel().isActive()) {
                        LOG.debug("mesh DNS on {}: {} not answered by {}: SERVFAIL", address, asked.question().name(),
                                upstreams);
                        send(ctx, response(asked, DnsResponseCode.SERVFAIL));
                    }
                    return;
                }
                InetSocketAddress upstream = upstreams.get(tried++);
                Attempt attempt = new Attempt(upstream);
                ChannelFuture f = new Bootstrap()
                        .group(ctx.channel().eventLoop())
                        .channel(mesh.transport().datagramChannel())
                        .option(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                        .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(UdpListener.MAX_DATAGRAM))
                        .handler(attempt)
                        .connect(upstream);
                attempt.ch = f.channel();
                mesh.track(f.channel());
                attempt.timeout = ctx.channel().eventLoop().schedule(() -> attempt.fail("timed out"),
                        FORWARD_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                f.addListener((ChannelFuture done) -> {
                    if (!done.isSuccess()) {
                        attempt.fail(String.valueOf(done.cause()));
                    } else {
                        done.channel().writeAndFlush(raw.retainedDuplicate()).addListener((ChannelFuture w) -> {
                            if (!w.isSuccess()) {
                                attempt.fail(String.valueOf(w.cause()));
                            }
                        });
                    }
                });
            }

            /** One resolver's turn. */
            private final class Attempt extends ChannelInboundHandlerAdapter {
                private final InetSocketAddress upstream;
                private boolean settled;
                Channel ch;
                ScheduledFuture<?> timeout;

                Attempt(InetSocketAddress upstream) {
                    this.upstream = upstream;
                }

                @Override
                public void channelRead(ChannelHandlerContext c, Object msg) {
                    ByteBuf content = msg instanceof DatagramPacket p ? p.content() : msg instanceof ByteBuf b ? b : null;
                    try {
                        if (settled || content == null || content.readableBytes() < 12
                                || content.getUnsignedShort(content.readerIndex()) != asked.id()) {
                            return; // not the answer to this query
                        }
                        settled = true;
                        timeout.cancel(false);
                        c.close();
                        raw.release();
                        if (ctx.channel().isActive()) {
                            ctx.writeAndFlush(new DatagramPacket(content.retain(), asked.client()), ctx.voidPromise());
                        }
                    } finally {
                        ReferenceCountUtil.release(msg);
                    }
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                    fail(cause.toString()); // ICMP port unreachable and the like: the next resolver at once
                }

                void fail(String why) {
                    if (settled) {
                        return;
                    }
                    settled = true;
                    if (timeout != null) {
                        timeout.cancel(false);
                    }
                    if (ch != null) {
                        ch.close();
                    }
                    LOG.debug("mesh DNS on {}: resolver {} for {}: {}", address, upstream, asked.question().name(), why);
                    next();
                }
            }
        }
    }
}
