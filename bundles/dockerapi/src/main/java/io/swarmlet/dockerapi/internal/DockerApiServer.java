package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmlet.api.control.ControlApi;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The Docker Engine API server: Jetty's core HTTP/1.1 server on a unix socket and/or a
 * TCP port with mutual TLS, every request routed by the {@link Router} and answered
 * through the control API. The socket is made in a private directory, set to 0600 and
 * only then moved to its path, so no other user can connect in between; on TCP, a client
 * without a certificate signed by the configured CA does not get past the handshake.
 * Plain Java: the DS component and the tests build it.
 * Request bodies are never logged (they may carry secrets).
 */
final class DockerApiServer implements AutoCloseable {

    private static final Logger LOG = LogManager.getLogger(DockerApiServer.class);

    private final Router router;
    private final Supplier<ControlApi> control;
    private final String serverHeader;
    private Server server;
    private Path socket;
    private volatile ServerConnector tcp;
    /** How long a connection may stay silent both ways (a quiet log stream is kept: see {@link #serve}). */
    private long idleTimeoutMs = 30_000;

    DockerApiServer(Supplier<ControlApi> control, String version) {
        this.control = control;
        this.serverHeader = "Swarmlet/" + version + " (linux)";
        this.router = new Router(new SystemApi(version), new SwarmApi(), new NodesApi(), new ServicesApi(), new TasksApi(),
                new PayloadsApi(), new NetworksApi(), new ContainersApi(), new EventsApi());
    }

    /** Mutual TLS on a TCP address: the server's identity and the CA client certificates must be signed by. */
    record Tls(InetSocketAddress address, SSLContext context) {}

    /** Listens on {@code path} (an existing file there is replaced only if it is a socket). */
    void start(Path path) throws Exception {
        start(path, null);
    }

    /**
     * Listens on the unix socket {@code path} (if not null; an existing file there is replaced only if
     * it is a socket) and on {@code tls}'s TCP address (if not null), where every client must present a
     * certificate signed by the configured CA.
     */
    synchronized void start(Path path, Tls tls) throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool(64, 4);
        pool.setName("docker-api");
        Server s = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(true);
        s.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                serve(request, response, callback);
                return true;
            }
        });
        ServerConnector tcp = null;
        if (tls != null) {
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setSslContext(tls.context());
            ssl.setNeedClientAuth(true);
            ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
            tcp = new ServerConnector(s, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
            tcp.setHost(tls.address().getHostString());
            tcp.setPort(tls.address().getPort());
            tcp.setIdleTimeout(idleTimeoutMs);
            s.addConnector(tcp);
        }
        if (path == null) {
            try {
                s.start();
            } catch (Exception e) {
                s.stop();
                throw e;
            }
            server = s;
            this.tcp = tcp;
            return;
        }
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        if (Files.exists(abs, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (!isSocket(abs)) {
                throw new IOException(abs + " exists and is not a socket; choose another path for --listen-docker-api");
            }
            Files.delete(abs);
        }
        Path staging = Files.createTempDirectory(dir, ".swarmlet-docker-api-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tmp = staging.resolve("s");
        UnixDomainServerConnector connector = new UnixDomainServerConnector(s, new HttpConnectionFactory(http));
        connector.setUnixDomainPath(tmp);
        connector.setIdleTimeout(idleTimeoutMs);
        s.addConnector(connector);
        try {
            s.start();
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        } catch (Exception e) {
            s.stop();
            throw e;
        } finally {
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(staging);
        }
        server = s;
        socket = abs;
        this.tcp = tcp;
    }

    /** Before {@link #start}: the connections' idle timeout (tests shorten it). */
    void idleTimeout(long ms) {
        idleTimeoutMs = ms;
    }

    /** The TCP address actually listened on (the port chosen if 0 was asked), or null. */
    InetSocketAddress tcpAddress() {
        ServerConnector c = tcp;
        return c == null ? null : new InetSocketAddress(c.getHost() == null ? "0.0.0.0" : c.getHost(), c.getLocalPort());
    }

    private static boolean isSocket(Path p) throws IOException {
        Object type = Files.readAttributes(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS).get("mode");
        return type instanceof Integer mode && (mode & 0170000) == 0140000;
    }

    Path socket() { return socket; }

    Router router() { return router; }

    private void serve(Request request, Response response, Callback callback) {
        String method = request.getMethod();
        String fullPath = request.getHttpURI().getDecodedPath();
        int status = 200;
        boolean[] bodyRead = {false};
        try {
            int version = Router.version(fullPath);
            String path = Router.unversioned(fullPath);
            Router.Match match = router.match(method, path);
            Map<String, List<String>> query = new LinkedHashMap<>();
            Fields fields = Request.extractQueryParameters(request);
            for (Fields.Field f : fields) {
                query.put(f.getName(), new ArrayList<>(f.getValues()));
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (HttpField f : request.getHeaders()) {
                headers.put(f.getLowerCaseName(), f.getValue());
            }
            Call call = new Call(method, path, match.params(), query, headers, () -> {
                bodyRead[0] = true;
                return readBody(request);
            }, version, control);
            Object result = Router.run(match, call);
            discardUnread(request, bodyRead);
            if (result instanceof Router.Streamed streamed) {
                headers(response, 200, streamed.contentType());
                ClientWatch watch = null;
                if (streamed.open()) {
                    response.getHeaders().put(HttpHeader.CONNECTION, "close");
                    request.addIdleTimeoutListener(timeout -> false); // quiet is fine: Jetty would fail the request
                    watch = ClientWatch.start(request, Thread.currentThread());
                }
                try (OutputStream out = Content.Sink.asOutputStream(response)) {
                    streamed.write(out);
                } catch (InterruptedException e) {
                    if (watch == null || !watch.gone()) {
                        throw e;
                    }
                    LOG.debug("{} {}: the client went away", method, fullPath);
                } finally {
                    if (watch != null) {
                        watch.stop();
                    }
                }
                callback.succeeded();
                return;
            }
            byte[] body;
            String type = "application/json";
            if (result instanceof Router.Reply reply) {
                status = reply.status();
                body = reply.body() == null ? null : Json.bytes(reply.body());
            } else if (result instanceof Router.Text text) {
                status = text.status();
                body = text.body().getBytes(StandardCharsets.UTF_8);
                type = "text/plain; charset=utf-8";
            } else if (result instanceof JsonNode node) {
                body = Json.bytes(node);
            } else {
                throw new IllegalStateException("route returned " + result);
            }
            send(response, callback, status, type, body);
        } catch (DockerError e) {
            status = e.status();
            discardUnread(request, bodyRead);
            sendError(response, callback, e.status(), e.getMessage());
        } catch (Throwable e) {
            status = 500;
            if (response.isCommitted()) {
                LOG.debug("{} {} failed after the answer began: {}", method, fullPath, e.toString());
                callback.failed(e);
                return;
            }
            discardUnread(request, bodyRead);
            LOG.warn("{} {} failed", method, fullPath, e);
            sendError(response, callback, 500, "internal error: " + e.getMessage());
        } finally {
            LOG.debug("{} {} -> {}", method, fullPath, status);
        }
    }

    /**
     * Notices a client going away during an open stream (a follow log stream that may be silent
     * for hours, so no write would fail): it asks the connection's endpoint to say when it has
     * something to read; at end of stream (or a failure), the client is gone and the writing
     * thread is interrupted, which ends the control API's {@code logs} call. Bytes a client sends
     * meanwhile are dropped: the connection is closed after such an answer anyway.
     */
    static final class ClientWatch implements Callback {

        private final EndPoint endPoint;
        private final Thread worker;
        private boolean stopped;
        private boolean gone;

        private ClientWatch(EndPoint endPoint, Thread worker) {
            this.endPoint = endPoint;
            this.worker = worker;
        }

        static ClientWatch start(Request request, Thread worker) {
            ClientWatch w = new ClientWatch(request.getConnectionMetaData().getConnection().getEndPoint(), worker);
            if (!w.endPoint.tryFillInterested(w)) {
                LOG.debug("cannot watch the connection of an open stream: someone else reads it");
            }
            return w;
        }

        @Override
        public void succeeded() {
            ByteBuffer drop = BufferUtil.allocate(512);
            try {
                int n;
                do {
                    BufferUtil.clear(drop);
                    n = endPoint.fill(drop);
                } while (n > 0);
                if (n < 0) {
                    goneNow();
                } else {
                    endPoint.tryFillInterested(this);
                }
            } catch (IOException e) {
                goneNow();
            }
        }

        @Override
        public void failed(Throwable x) {
            if (x instanceof java.util.concurrent.TimeoutException && endPoint.isOpen()) {
                endPoint.tryFillInterested(this); // a quiet stream is not a gone client: watch on
                return;
            }
            goneNow();
        }

        private synchronized void goneNow() {
            if (!stopped && !gone) {
                gone = true;
                worker.interrupt();
            }
        }

        synchronized boolean gone() {
            return gone;
        }

        /** The stream has ended: no interrupt from now on (and none pending on the worker). */
        synchronized void stop() {
            stopped = true;
            if (gone) {
                Thread.interrupted();
            }
        }
    }

    /**
     * Reads and drops a request body the route did not read (a refusal before the body was
     * needed, e.g. {@code POST /swarm/init}), up to the size limit, so that the answer does not
     * close the connection under a client still writing it (the docker CLI saw "broken pipe").
     */
    private static void discardUnread(Request request, boolean[] bodyRead) {
        if (bodyRead[0]) {
            return;
        }
        bodyRead[0] = true;
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] buf = new byte[8192];
            long left = Router.MAX_BODY;
            int n;
            while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
                left -= n;
            }
        } catch (IOException e) {
            LOG.debug("dropping an unread request body: {}", e.toString());
        }
    }

    private static byte[] readBody(Request request) {
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] b = in.readNBytes(Router.MAX_BODY + 1);
            if (b.length > Router.MAX_BODY) {
                throw new DockerError(413, "the request body is too large: more than " + Router.MAX_BODY + " bytes");
            }
            return b;
        } catch (IOException e) {
            throw DockerError.badRequest("cannot read the request body: " + e.getMessage());
        }
    }

    private void headers(Response response, int status, String type) {
        response.setStatus(status);
        response.getHeaders().put("Api-Version", Router.API_VERSION_TEXT);
        response.getHeaders().put("Docker-Experimental", "false");
        response.getHeaders().put("Ostype", "linux");
        response.getHeaders().put(HttpHeader.SERVER, serverHeader);
        if (type != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        }
    }

    private void send(Response response, Callback callback, int status, String type, byte[] body) {
        headers(response, status, body == null ? null : type);
        if (body == null) {
            response.write(true, null, callback);
        } else {
            response.write(true, ByteBuffer.wrap(body), callback);
        }
    }

    private void sendError(Response response, Callback callback, int status, String message) {
        if (response.isCommitted()) {
            callback.failed(new IOException(message));
            return;
        }
        send(response, callback, status, "application/json", Json.bytes(Json.object().put("message", message)));
    }

    @Override
    public synchronized void close() {
        Server s = server;
        server = null;
        tcp = null;
        if (s != null) {
            try {
                s.stop();
            } catch (Exception e) {
                LOG.debug("stopping the Docker API server: {}", e.toString());
            }
        }
        if (socket != null) {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                LOG.debug("cannot remove {}: {}", socket, e.toString());
            }
        }
    }
}
