package io.swarmlet.web.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.metrics.Metrics;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.GetNodeRequest;
import io.swarmlet.api.types.GetServiceRequest;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.RemoveServiceRequest;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.UpdateNodeRequest;
import io.swarmlet.api.types.UpdateServiceRequest;
import io.swarmlet.api.types.VersionRequest;
import io.swarmlet.api.types.WebToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The console's HTTP server (the JDK's {@code com.sun.net.httpserver}), as
 * {@code static/openapi.yaml} describes it: the page and its assets from this
 * bundle's {@code static/}, the JSON read API over the local store copy, live
 * changes ({@link EventStream}) and logs as server-sent events, the actions
 * through the {@link ControlApi} (a token from {@code Cluster.web_tokens}
 * needed), and {@code /metrics}. Plain Java: the DS component
 * ({@link WebServerComponent}) and the tests build it with what it reads.
 */
final class WebConsole implements AutoCloseable {

    private static final Logger LOG = LogManager.getLogger(WebConsole.class);

    static final String NO_TOKEN = "this action needs a token: run `swarmlet web token` on a manager and enter it in the page";
    static final String WRONG_TOKEN = "this token is not valid (it may have been rotated): run `swarmlet web token` on a manager for a new one";
    static final String NO_METRICS = "metrics are not available: the metrics module is not running";
    static final String NO_CONTROL_API = "the control API is not running on this manager: try again in a moment, or use another manager";

    /** Live streams (events and logs) open at once, beyond which a new one is refused with 503. */
    static final int MAX_STREAMS = 64;

    private static final Pattern SERVICE_PATH = Pattern.compile("/api/v1/services/([^/]+)(/scale|/rollback|/logs)?");
    private static final Pattern NODE_PATH = Pattern.compile("/api/v1/nodes/([^/]+)/availability");
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]*");

    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("json", "application/json"),
            Map.entry("map", "application/json"),
            Map.entry("yaml", "application/yaml; charset=utf-8"),
            Map.entry("yml", "application/yaml; charset=utf-8"),
            Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("jpg", "image/jpeg"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("woff2", "font/woff2"));

    private final Supplier<Store> store;
    private final Supplier<ControlApi> controlApi;
    private final Supplier<Metrics> metrics;
    private final String bundleVersion;
    private final long pingMillis;
    private final ClassLoader resources;

    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;
    private final ThreadPoolExecutor workers;
    private HttpServer server;
    private boolean tls;
    private volatile boolean closed;

    /**
     * @param store the manager's store (reads, watches, the cluster's web tokens)
     * @param controlApi the control API for actions and logs, or null while there is none
     * @param metrics the metrics registry, or null while there is none
     * @param bundleVersion the version shown when the control API cannot say
     */
    WebConsole(Supplier<Store> store, Supplier<ControlApi> controlApi, Supplier<Metrics> metrics, String bundleVersion) {
        this(store, controlApi, metrics, bundleVersion, EventStream.PING_MILLIS);
    }

    /** @param pingMillis how often open streams get a comment line (and a gone client is noticed) */
    WebConsole(Supplier<Store> store, Supplier<ControlApi> controlApi, Supplier<Metrics> metrics, String bundleVersion,
               long pingMillis) {
        this.pingMillis = pingMillis;
        this.store = store;
        this.controlApi = controlApi;
        this.metrics = metrics;
        this.bundleVersion = bundleVersion;
        this.resources = WebConsole.class.getClassLoader();
        AtomicInteger n = new AtomicInteger();
        // streams hold their thread for as long as they are open (at most MAX_STREAMS of them): the pool is
        // large enough for them and the short requests; beyond it, requests wait in the queue
        this.workers = new ThreadPoolExecutor(MAX_STREAMS + 16, MAX_STREAMS + 16, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "swarmlet-web-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.workers.allowCoreThreadTimeOut(true);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "swarmlet-web-timer");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Listens on {@code addr} (HTTPS with {@code ssl}, else HTTP).
     *
     * @throws IOException when the address cannot be bound (taken, not local)
     */
    void start(InetSocketAddress addr, SSLContext ssl) throws IOException {
        HttpServer s;
        if (ssl != null) {
            HttpsServer https = HttpsServer.create(addr, 64);
            https.setHttpsConfigurator(new HttpsConfigurator(ssl));
            s = https;
        } else {
            s = HttpServer.create(addr, 64);
        }
        s.createContext("/", this::handle);
        s.setExecutor(workers);
        s.start();
        server = s;
        tls = ssl != null;
        timer.scheduleAtFixedRate(this::ping, pingMillis, pingMillis, TimeUnit.MILLISECONDS);
    }

    /** The address the server listens on (the port chosen when 0 was asked). */
    InetSocketAddress address() {
        return server.getAddress();
    }

    boolean tls() {
        return tls;
    }

    /** Ends every open stream, then stops the server and its threads. */
    @Override
    public void close() {
        closed = true;
        for (Stream s : streams) {
            s.close();
        }
        timer.shutdownNow();
        if (server != null) {
            server.stop(0);
        }
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An open server-sent event stream. */
    interface Stream {
        /** Writes a comment line; false when the client is gone. */
        boolean ping();

        /** Ends the stream (the server is stopping). */
        void close();
    }

    private void ping() {
        for (Stream s : streams) {
            if (!s.ping()) {
                s.close();
            }
        }
    }

    // ------------------------------------------------------------ dispatch

    /** A refusal with its HTTP status and a message for the user. */
    static final class HttpError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        HttpError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private void handle(HttpExchange ex) {
        try (ex) {
            try {
                route(ex);
            } catch (HttpError e) {
                sendJson(ex, e.status, Json.message(e.getMessage()));
            } catch (ControlException e) {
                sendJson(ex, status(e.code()), Json.message(e.getMessage()));
            } catch (StoreException e) {
                sendJson(ex, e.reason() == StoreException.Reason.NO_QUORUM ? 503 : 500, Json.message(e.getMessage()));
            } catch (IOException e) {
                LOG.debug("web console: {} {}: {}", ex.getRequestMethod(), ex.getRequestURI().getPath(), e.toString());
            } catch (RuntimeException e) {
                LOG.warn("web console: {} {} failed", ex.getRequestMethod(), ex.getRequestURI().getPath(), e);
                sendJson(ex, 500, Json.message("internal error: " + e));
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("web console: response not sent: {}", e.toString());
        } finally {
            Thread.interrupted(); // a logs stream may have been interrupted; the pool thread goes on clean
        }
    }

    static int status(ControlException.Code code) {
        switch (code) {
            case INVALID_ARGUMENT: return 400;
            case NOT_FOUND: return 404;
            case ALREADY_EXISTS:
            case FAILED_PRECONDITION:
            case ABORTED: return 409;
            case UNAVAILABLE: return 503;
            case UNIMPLEMENTED: return 501;
            default: return 500;
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        checkOrigin(ex);
        if (path.equals("/metrics")) {
            requireGet(ex);
            metrics(ex);
            return;
        }
        if (!path.startsWith("/api/")) {
            requireGet(ex);
            staticFile(ex, path);
            return;
        }
        if (path.equals("/api/openapi.yaml")) {
            requireGet(ex);
            staticFile(ex, "/static/openapi.yaml");
            return;
        }
        Map<String, String> query = query(ex.getRequestURI());
        switch (path) {
            case "/api/v1/cluster": requireGet(ex); cluster(ex); return;
            case "/api/v1/nodes": requireGet(ex); nodes(ex); return;
            case "/api/v1/services": requireGet(ex); services(ex, query); return;
            case "/api/v1/tasks": requireGet(ex); tasks(ex, query); return;
            case "/api/v1/events": requireGet(ex); events(ex); return;
            default: break;
        }
        Matcher m = SERVICE_PATH.matcher(path);
        if (m.matches()) {
            String id = m.group(1);
            String sub = m.group(2) == null ? "" : m.group(2);
            switch (sub) {
                case "":
                    if (method.equals("DELETE")) {
                        action(ex, false);
                        removeService(ex, id);
                    } else {
                        requireGet(ex);
                        service(ex, id);
                    }
                    return;
                case "/logs":
                    requireGet(ex);
                    logs(ex, id, query);
                    return;
                case "/scale":
                    requirePost(ex);
                    scale(ex, id, action(ex, true));
                    return;
                default:
                    requirePost(ex);
                    action(ex, false);
                    rollback(ex, id);
                    return;
            }
        }
        m = NODE_PATH.matcher(path);
        if (m.matches()) {
            requirePost(ex);
            availability(ex, m.group(1), action(ex, true));
            return;
        }
        throw new HttpError(404, "no such endpoint: " + method + " " + path + " (see /api/openapi.yaml)");
    }

    private static void requireGet(HttpExchange ex) {
        if (!ex.getRequestMethod().equals("GET")) {
            ex.getResponseHeaders().set("Allow", "GET");
            throw new HttpError(405, ex.getRequestMethod() + " is not allowed here (use GET)");
        }
    }

    private static void requirePost(HttpExchange ex) {
        if (!ex.getRequestMethod().equals("POST")) {
            ex.getResponseHeaders().set("Allow", "POST");
            throw new HttpError(405, ex.getRequestMethod() + " is not allowed here (use POST)");
        }
    }

    static Map<String, String> query(URI uri) {
        Map<String, String> out = new HashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }

    // ------------------------------------------------------------ CSRF and tokens

    /**
     * Refuses a request whose {@code Origin} is not this server's own (scheme, host
     * and port of its {@code Host}): another site's page cannot use a user's browser here.
     */
    private void checkOrigin(HttpExchange ex) {
        String origin = ex.getRequestHeaders().getFirst("Origin");
        if (origin == null) {
            return;
        }
        String host = ex.getRequestHeaders().getFirst("Host");
        if (!sameOrigin(origin, host, tls)) {
            throw new HttpError(403, "refused: this request comes from another site's page (Origin " + origin
                    + "); the console takes requests from its own page only");
        }
    }

    static boolean sameOrigin(String origin, String host, boolean tls) {
        if (host == null || host.isBlank()) {
            return false;
        }
        try {
            URI o = new URI(origin);
            URI h = new URI((tls ? "https" : "http") + "://" + host.trim());
            if (o.getScheme() == null || o.getHost() == null || h.getHost() == null) {
                return false;
            }
            return o.getScheme().equalsIgnoreCase(h.getScheme())
                    && o.getHost().equalsIgnoreCase(h.getHost())
                    && port(o) == port(h)
                    && (o.getRawPath() == null || o.getRawPath().isEmpty());
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    private static int port(URI u) {
        return u.getPort() != -1 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    /**
     * What every action needs: a JSON body (none allowed for DELETE), then a valid
     * token. Returns the body's fields ({@code withBody}), else an empty map.
     */
    private Map<String, Object> action(HttpExchange ex, boolean withBody) throws IOException {
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        boolean json = type != null && type.trim().toLowerCase(Locale.ROOT).matches("application/json\\s*(;.*)?");
        if (!json && !(ex.getRequestMethod().equals("DELETE") && type == null)) {
            throw new HttpError(415, "actions take a JSON body: send Content-Type: application/json");
        }
        authorize(ex.getRequestHeaders().getFirst("Authorization"));
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes(64 * 1024);
        }
        if (!withBody) {
            return Map.of();
        }
        if (body.length == 0) {
            throw new HttpError(400, "this action needs a JSON body (see /api/openapi.yaml)");
        }
        try {
            return Json.fields(body);
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, e.getMessage());
        }
    }

    /** Valid iff SHA-256 of the bearer token's text is one of the cluster's web tokens. Never logs the token. */
    private void authorize(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
            throw new HttpError(401, NO_TOKEN);
        }
        byte[] digest = sha256(header.substring(7).trim());
        List<WebToken> tokens = store.get().view(tx -> {
            List<WebToken> all = new ArrayList<>();
            for (Cluster c : tx.all(Kind.CLUSTER)) {
                all.addAll(c.getWebTokensList());
            }
            return all;
        });
        boolean ok = false;
        for (WebToken t : tokens) {
            ok |= MessageDigest.isEqual(digest, t.getSha256().toByteArray());
        }
        if (!ok) {
            throw new HttpError(403, WRONG_TOKEN);
        }
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------ reads

    private <R> R read(Function<ReadTx, R> reader) {
        return store.get().view(reader);
    }

    private String version() {
        ControlApi api = controlApi.get();
        if (api != null) {
            try {
                String v = api.version(VersionRequest.getDefaultInstance()).getVersion();
                if (!v.isEmpty()) {
                    return v;
                }
            } catch (RuntimeException e) {
                LOG.debug("version from the control API: {}", e.toString());
            }
        }
        return bundleVersion;
    }

    private void cluster(HttpExchange ex) throws IOException {
        String version = version();
        sendJson(ex, 200, read(tx -> {
            Views.State state = Views.State.read(tx);
            List<Cluster> clusters = tx.all(Kind.CLUSTER);
            return Json.bytes(g -> Views.cluster(g, clusters.isEmpty() ? null : clusters.get(0), state, version));
        }));
    }

    private void nodes(HttpExchange ex) throws IOException {
        sendJson(ex, 200, read(tx -> Json.bytes(g -> {
            g.writeStartArray();
            for (Node n : tx.all(Kind.NODE)) {
                Views.node(g, n);
            }
            g.writeEndArray();
        })));
    }

    private void services(HttpExchange ex, Map<String, String> query) throws IOException {
        String stack = query.get("stack");
        sendJson(ex, 200, read(tx -> {
            Views.State state = Views.State.read(tx);
            return Json.bytes(g -> {
                g.writeStartArray();
                for (Service s : state.services()) {
                    if (stack == null || stack.equals(Views.stack(s.getSpec().getAnnotations().getLabelsMap()))) {
                        Views.service(g, s, state.counts(s));
                    }
                }
                g.writeEndArray();
            });
        }));
    }

    private void service(HttpExchange ex, String ref) throws IOException {
        sendJson(ex, 200, read(tx -> {
            Service s = resolve(tx, Kind.SERVICE, ref);
            Views.State state = Views.State.read(tx);
            return Json.bytes(g -> {
                g.writeStartObject();
                g.writeFieldName("service");
                Views.service(g, s, state.counts(s));
                g.writeArrayFieldStart("tasks");
                for (Task t : state.tasks()) {
                    if (t.getServiceId().equals(s.getId())) {
                        Views.task(g, t, s);
                    }
                }
                g.writeEndArray();
                g.writeEndObject();
            });
        }));
    }

    private void tasks(HttpExchange ex, Map<String, String> query) throws IOException {
        boolean all = Boolean.parseBoolean(query.getOrDefault("all", "false"));
        sendJson(ex, 200, read(tx -> {
            String serviceId = query.containsKey("service") ? resolve(tx, Kind.SERVICE, query.get("service")).getId() : null;
            String nodeId = query.containsKey("node") ? resolve(tx, Kind.NODE, query.get("node")).getId() : null;
            String stack = query.get("stack");
            Views.State state = Views.State.read(tx);
            return Json.bytes(g -> {
                g.writeStartArray();
                for (Task t : state.tasks()) {
                    Service s = state.servicesById().get(t.getServiceId());
                    String taskStack = Views.stack(s != null ? s.getSpec().getAnnotations().getLabelsMap()
                            : t.getServiceAnnotations().getLabelsMap());
                    if ((all || Views.current(t))
                            && (serviceId == null || serviceId.equals(t.getServiceId()))
                            && (nodeId == null || nodeId.equals(t.getNodeId()))
                            && (stack == null || stack.equals(taskStack))) {
                        Views.task(g, t, s);
                    }
                }
                g.writeEndArray();
            });
        }));
    }

    /**
     * The object a user means, as the CLI resolves it: full ID, then name (hostname
     * for nodes), then a unique ID prefix; several matches are 400, none is 404.
     */
    static <T extends com.google.protobuf.Message> T resolve(ReadTx tx, Kind<T> kind, String ref) {
        if (ref == null || ref.isBlank()) {
            throw new HttpError(400, kind.name() + " ID or name must not be empty");
        }
        Optional<T> exact = tx.get(kind, ref);
        if (exact.isPresent()) {
            return exact.get();
        }
        List<T> named = tx.find(kind, o -> ref.equals(kind.objectName(o))
                || (kind == Kind.NODE && ref.equals(Views.hostname((Node) o))));
        if (named.size() == 1) {
            return named.get(0);
        }
        List<T> matches = named.size() > 1 ? named : tx.find(kind, o -> kind.id(o).startsWith(ref));
        if (matches.size() == 1) {
            return matches.get(0);
        }
        if (matches.size() > 1) {
            throw new HttpError(400, kind.name() + " " + ref + " is ambiguous (" + matches.size()
                    + " matches found): ambiguous ID prefix, give more of the ID");
        }
        throw new HttpError(404, "No such " + kind.name() + ": " + ref);
    }

    // ------------------------------------------------------------ streams

    private void events(HttpExchange ex) throws IOException {
        if (streams.size() >= MAX_STREAMS) {
            throw new HttpError(503, "too many live views are open on this manager (" + MAX_STREAMS + "): close some, or use another manager");
        }
        EventStream s = new EventStream(store.get(), ex);
        register(s);
        try {
            s.run();
        } finally {
            streams.remove(s);
        }
    }

    private void logs(HttpExchange ex, String ref, Map<String, String> query) throws IOException {
        String id = read(tx -> resolve(tx, Kind.SERVICE, ref)).getId();
        ControlApi api = requireControlApi();
        int tail;
        try {
            tail = Integer.parseInt(query.getOrDefault("tail", "100"));
        } catch (NumberFormatException e) {
            throw new HttpError(400, "tail must be a number of lines (negative: all)");
        }
        boolean follow = Boolean.parseBoolean(query.getOrDefault("follow", "true"));
        if (streams.size() >= MAX_STREAMS) {
            throw new HttpError(503, "too many live views are open on this manager (" + MAX_STREAMS + "): close some, or use another manager");
        }
        LogStream s = new LogStream(api, ex, id, tail, follow);
        register(s);
        try {
            s.run();
        } finally {
            streams.remove(s);
        }
    }

    private void register(Stream s) {
        streams.add(s);
        if (closed) {
            s.close();
        }
    }

    // ------------------------------------------------------------ actions

    private ControlApi requireControlApi() {
        ControlApi api = controlApi.get();
        if (api == null) {
            throw new HttpError(503, NO_CONTROL_API);
        }
        return api;
    }

    private void scale(HttpExchange ex, String ref, Map<String, Object> body) throws IOException {
        Object r = body.get("replicas");
        if (!(r instanceof Long) || (Long) r < 0) {
            throw new HttpError(400, "replicas must be a whole number, 0 or more: send {\"replicas\": 3}");
        }
        long n = (Long) r;
        Service after = updateService(ref, spec -> {
            ServiceSpec.Builder b = spec.toBuilder();
            switch (spec.getModeCase()) {
                case REPLICATED:
                    b.getReplicatedBuilder().setReplicas(n);
                    return b.build();
                case REPLICATED_JOB:
                    b.getReplicatedJobBuilder().setTotalCompletions(n);
                    return b.build();
                default:
                    throw new HttpError(400, "scale can only be used with replicated or replicated-job mode");
            }
        }, false);
        LOG.info("web console: service {} scaled to {}", after.getSpec().getAnnotations().getName(), n);
        sendService(ex, after.getId());
    }

    private void rollback(HttpExchange ex, String ref) throws IOException {
        Service after = updateService(ref, spec -> spec, true);
        LOG.info("web console: service {} rolled back", after.getSpec().getAnnotations().getName());
        sendService(ex, after.getId());
    }

    /** As the CLI: reads the service, writes the edited spec at the version read, and retries once when someone changed it meanwhile. */
    private Service updateService(String ref, java.util.function.UnaryOperator<ServiceSpec> edit, boolean rollback) {
        String id = read(tx -> resolve(tx, Kind.SERVICE, ref)).getId();
        ControlApi api = requireControlApi();
        for (int attempt = 0; ; attempt++) {
            Service current = api.getService(GetServiceRequest.newBuilder().setId(id).build()).getService();
            ServiceSpec spec = rollback ? current.getSpec() : edit.apply(current.getSpec());
            try {
                return api.updateService(UpdateServiceRequest.newBuilder().setId(current.getId())
                        .setVersion(current.getMeta().getVersion()).setSpec(spec).setRollback(rollback).build()).getService();
            } catch (ControlException e) {
                if (e.code() != ControlException.Code.ABORTED || attempt > 0) {
                    throw e;
                }
            }
        }
    }

    private void sendService(HttpExchange ex, String id) throws IOException {
        sendJson(ex, 200, read(tx -> {
            Service s = tx.get(Kind.SERVICE, id).orElseThrow(() -> new HttpError(404, "No such service: " + id));
            Views.State state = Views.State.read(tx);
            return Json.bytes(g -> Views.service(g, s, state.counts(s)));
        }));
    }

    private void removeService(HttpExchange ex, String ref) throws IOException {
        Service s = read(tx -> resolve(tx, Kind.SERVICE, ref));
        requireControlApi().removeService(RemoveServiceRequest.newBuilder().setId(s.getId()).build());
        LOG.info("web console: service {} removed", s.getSpec().getAnnotations().getName());
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(204, -1);
    }

    private void availability(HttpExchange ex, String ref, Map<String, Object> body) throws IOException {
        Object a = body.get("availability");
        NodeSpec.Availability value;
        if ("active".equals(a)) {
            value = NodeSpec.Availability.ACTIVE;
        } else if ("pause".equals(a)) {
            value = NodeSpec.Availability.PAUSE;
        } else if ("drain".equals(a)) {
            value = NodeSpec.Availability.DRAIN;
        } else {
            throw new HttpError(400, "availability must be active, pause or drain: send {\"availability\": \"drain\"}");
        }
        String id = read(tx -> resolve(tx, Kind.NODE, ref)).getId();
        ControlApi api = requireControlApi();
        Node after = null;
        for (int attempt = 0; after == null; attempt++) {
            Node current = api.getNode(GetNodeRequest.newBuilder().setId(id).build()).getNode();
            try {
                after = api.updateNode(UpdateNodeRequest.newBuilder().setId(id).setVersion(current.getMeta().getVersion())
                        .setSpec(current.getSpec().toBuilder().setAvailability(value)).build()).getNode();
            } catch (ControlException e) {
                if (e.code() != ControlException.Code.ABORTED || attempt > 0) {
                    throw e;
                }
            }
        }
        LOG.info("web console: node {} set to {}", Views.hostname(after), Views.lower(value));
        Node n = after;
        sendJson(ex, 200, Json.bytes(g -> Views.node(g, n)));
    }

    // ------------------------------------------------------------ metrics and files

    private void metrics(HttpExchange ex) throws IOException {
        Metrics m = metrics.get();
        if (m == null) {
            send(ex, 503, "text/plain; charset=utf-8", (NO_METRICS + "\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        send(ex, 200, Metrics.CONTENT_TYPE, m.scrape().getBytes(StandardCharsets.UTF_8));
    }

    /** A file of this bundle's {@code static/}: {@code /} is index.html; names are plain (no {@code ..}, no hidden files). */
    private void staticFile(HttpExchange ex, String path) throws IOException {
        String name;
        if (path.equals("/") || path.equals("/index.html")) {
            name = "index.html";
        } else if (path.startsWith("/static/")) {
            name = path.substring("/static/".length());
        } else {
            throw new HttpError(404, "not found: " + path);
        }
        String[] parts = name.split("/", -1);
        for (String p : parts) {
            if (!SAFE_NAME.matcher(p).matches() || p.contains("..")) {
                throw new HttpError(404, "not found: " + path);
            }
        }
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
        URL url = type == null ? null : resources.getResource("static/" + name);
        if (url == null) {
            throw new HttpError(404, "not found: " + path);
        }
        byte[] bytes;
        try (InputStream in = url.openStream()) {
            bytes = in.readAllBytes();
        }
        send(ex, 200, type, bytes);
    }

    // ------------------------------------------------------------ responses

    static void headers(HttpExchange ex, String contentType) {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.getResponseHeaders().set("X-Frame-Options", "DENY");
        ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
    }

    static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        headers(ex, contentType);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    static void sendJson(HttpExchange ex, int status, byte[] body) throws IOException {
        send(ex, status, "application/json", body);
    }
}
