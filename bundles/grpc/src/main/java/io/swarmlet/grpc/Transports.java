package io.swarmlet.grpc;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Servers and channels with their own event loops, so that closing them (a
 * bundle stopping) leaves no thread behind. Netty stays inside this bundle.
 */
public final class Transports {

    private Transports() {}

    /** A started gRPC server plus the event loops it owns. */
    public static final class Listener implements AutoCloseable {
        private final Server server;
        private final EventLoopGroup boss;
        private final EventLoopGroup workers;
        private final Path socket;

        Listener(Server server, EventLoopGroup boss, EventLoopGroup workers, Path socket) {
            this.server = server;
            this.boss = boss;
            this.workers = workers;
            this.socket = socket;
        }

        public Server server() { return server; }

        /** The TCP port actually bound (useful with port 0), or -1 for a unix socket. */
        public int port() { return socket == null ? server.getPort() : -1; }

        @Override
        public void close() {
            server.shutdown();
            try {
                if (!server.awaitTermination(3, TimeUnit.SECONDS)) {
                    server.shutdownNow();
                    server.awaitTermination(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                server.shutdownNow();
            }
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            if (socket != null) {
                try {
                    Files.deleteIfExists(socket);
                } catch (IOException ignored) {
                    // the next start reports a socket in use if it matters
                }
            }
        }
    }

    /** Whether unix sockets can be served here (Linux with Netty's epoll library). */
    public static boolean unixSocketsAvailable() {
        return Epoll.isAvailable();
    }

    /**
     * Serves {@code services} on a unix socket, readable and writable by its owner only (0600).
     *
     * @throws IOException if the path is in use by a live server, or cannot be bound
     */
    public static Listener serveUnix(Path socket, String threadName, List<BindableService> services) throws IOException {
        if (!Epoll.isAvailable()) {
            throw new IOException("unix sockets need Linux with epoll: " + Epoll.unavailabilityCause());
        }
        Path dir = socket.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        if (Files.exists(socket)) {
            if (Files.isDirectory(socket)) {
                throw new IOException("control socket " + socket + " is a directory");
            }
            if (isLive(socket)) {
                throw new IOException("control socket " + socket + " is in use by a running daemon; stop it or choose another --listen-control-api path");
            }
            Files.delete(socket); // left over by a daemon that died
        }
        EventLoopGroup boss = new EpollEventLoopGroup(1, new DefaultThreadFactory(threadName + "-boss", true));
        EventLoopGroup workers = new EpollEventLoopGroup(2, new DefaultThreadFactory(threadName, true));
        NettyServerBuilder b = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                // gRPC sets SO_KEEPALIVE on every accepted channel; a unix socket has no such option, and
                // netty would log a warning for each client connection: null takes the option out again
                .withChildOption(ChannelOption.SO_KEEPALIVE, null)
                // module update carries a bundle (executor-docker's is over 10 MB); ModulesImpl limits it to 64 MB
                .maxInboundMessageSize(72 * 1024 * 1024)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers);
        services.forEach(b::addService);
        Server server;
        try {
            server = b.build().start();
        } catch (IOException | RuntimeException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IOException("cannot listen on " + socket + ": " + e.getMessage(), e);
        }
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        return new Listener(server, boss, workers, socket);
    }

    /** Serves {@code services} on a TCP address "host:port" (port 0 = any free port). */
    public static Listener serveTcp(String hostPort, String threadName, List<BindableService> services) throws IOException {
        InetSocketAddress addr = parseHostPort(hostPort);
        EventLoopGroup boss = new NioEventLoopGroup(1, new DefaultThreadFactory(threadName + "-boss", true));
        EventLoopGroup workers = new NioEventLoopGroup(2, new DefaultThreadFactory(threadName, true));
        NettyServerBuilder b = NettyServerBuilder.forAddress(addr)
                .channelType(NioServerSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers);
        services.forEach(b::addService);
        try {
            return new Listener(b.build().start(), boss, workers, null);
        } catch (IOException | RuntimeException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IOException("cannot listen on " + hostPort + ": " + rootMessage(e), e);
        }
    }

    /**
     * Serves {@code services} on a TCP address "host:port" with TLS: this node's
     * certificate from {@code keyManager}; client certificates are asked for but
     * optional (a joining node has none yet), and when given must pass
     * {@code trustManager}. Each call's verified client certificate, if any, is
     * in {@link PeerIdentity#CERTIFICATE} of its gRPC {@code Context}.
     */
    public static Listener serveTls(String hostPort, String threadName, List<io.grpc.ServerServiceDefinition> services,
            javax.net.ssl.KeyManager keyManager, javax.net.ssl.TrustManager trustManager) throws IOException {
        InetSocketAddress addr = parseHostPort(hostPort);
        io.grpc.ServerCredentials creds = io.grpc.TlsServerCredentials.newBuilder()
                .keyManager(keyManager)
                .trustManager(trustManager)
                .clientAuth(io.grpc.TlsServerCredentials.ClientAuth.OPTIONAL)
                .build();
        EventLoopGroup boss = new NioEventLoopGroup(1, new DefaultThreadFactory(threadName + "-boss", true));
        EventLoopGroup workers = new NioEventLoopGroup(2, new DefaultThreadFactory(threadName, true));
        NettyServerBuilder b = NettyServerBuilder.forAddress(addr, creds)
                .channelType(NioServerSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .maxInboundMessageSize(64 * 1024 * 1024)
                .permitKeepAliveTime(5, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
        services.forEach(s -> b.addService(io.grpc.ServerInterceptors.intercept(s, new PeerIdentity())));
        try {
            return new Listener(b.build().start(), boss, workers, null);
        } catch (IOException | RuntimeException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IOException("cannot listen on " + hostPort + ": " + rootMessage(e), e);
        }
    }

    /**
     * A TLS channel to "host:port". {@code keyManager} may be null (no client
     * certificate: joining). {@code authority} is the name the server's
     * certificate must carry (e.g. "swarm-manager" or a node ID; node
     * certificates carry both as DNS names), so IP addresses need no SAN.
     * The caller shuts the channel down (its event loop goes with it).
     */
    public static ManagedChannel tlsChannel(String hostPort, javax.net.ssl.KeyManager keyManager,
            javax.net.ssl.TrustManager trustManager, String authority) {
        InetSocketAddress addr = parseHostPort(hostPort);
        io.grpc.TlsChannelCredentials.Builder cb = io.grpc.TlsChannelCredentials.newBuilder().trustManager(trustManager);
        if (keyManager != null) {
            cb.keyManager(keyManager);
        }
        NioEventLoopGroup loop = new NioEventLoopGroup(1, new DefaultThreadFactory("swarmlet-remote-client", true));
        NettyChannelBuilder b = NettyChannelBuilder.forAddress(addr, cb.build())
                .eventLoopGroup(loop)
                .channelType(io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel.class)
                .maxInboundMessageSize(64 * 1024 * 1024)
                .keepAliveTime(10, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true);
        if (authority != null) {
            b.overrideAuthority(authority);
        }
        return new OwnedLoopChannel(b.build(), loop);
    }

    /** A plaintext channel to a unix socket; the caller shuts it down. */
    public static ManagedChannel unixChannel(Path socket) {
        EpollEventLoopGroup loop = new EpollEventLoopGroup(1, new DefaultThreadFactory("swarmlet-client", true));
        ManagedChannel ch = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .eventLoopGroup(loop)
                .channelType(EpollDomainSocketChannel.class)
                .usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024)
                .build();
        return new OwnedLoopChannel(ch, loop);
    }

    /** Whether something accepts connections on that unix socket. */
    public static boolean isLive(Path socket) {
        try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            c.connect(java.net.UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** "host:port", "[v6]:port" or ":port" (all interfaces). */
    public static InetSocketAddress parseHostPort(String hostPort) {
        int i = hostPort.lastIndexOf(':');
        if (i < 0) {
            throw new IllegalArgumentException("address " + hostPort + " has no port; use host:port");
        }
        String host = hostPort.substring(0, i);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(i + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("address " + hostPort + " has an invalid port; use host:port");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("address " + hostPort + " has a port out of range 0-65535");
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
