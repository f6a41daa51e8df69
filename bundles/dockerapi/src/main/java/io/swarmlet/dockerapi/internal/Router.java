package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmlet.api.control.ControlException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API's routes: {@code METHOD /path/{param}} to a handler, after the version prefix
 * ({@code /v1.41}) is taken off and checked as the engine does. A handler returns a JSON
 * node (200), a {@link Reply} (another status, or no body), or a {@link Streamed} body
 * (logs). Paths of the engine outside swarm ({@link #ENGINE_ONLY}) answer 501; anything
 * else 404 "page not found", as dockerd.
 */
final class Router {

    /** The newest API version served, and the oldest a client may ask for. */
    static final int API_VERSION = 141;
    static final int MIN_API_VERSION = 124;
    static final String API_VERSION_TEXT = "1.41";
    static final String MIN_API_VERSION_TEXT = "1.24";

    /** Largest request body read (a secret of 500 KB is ~670 KB in base64). */
    static final int MAX_BODY = 4 << 20;

    /** First path segments of the engine's own (non-swarm) API: 501 unless a route serves them. */
    static final Set<String> ENGINE_ONLY = Set.of("containers", "images", "build", "exec", "volumes", "plugins",
            "system", "auth", "commit", "session", "grpc", "distribution");

    @FunctionalInterface
    interface Handler {
        Object handle(Call call) throws Exception;
    }

    /** The routes of one API area, registered by it. */
    @FunctionalInterface
    interface Group {
        void register(Router router);
    }

    /** A status other than 200, with a JSON body or none ({@code body == null}). */
    record Reply(int status, JsonNode body) {
        static Reply noContent() { return new Reply(204, null); }
        static Reply created(JsonNode body) { return new Reply(201, body); }
        static Reply ok() { return new Reply(200, null); }
    }

    /** A body written as it comes (logs); the status is 200. */
    interface Streamed {
        String contentType();

        void write(OutputStream out) throws IOException, InterruptedException;

        /**
         * Whether the body may stay silent for long (a follow log stream): the server then watches the
         * connection and interrupts {@link #write} when the client goes away, and closes the
         * connection after the answer.
         */
        default boolean open() {
            return false;
        }
    }

    /** A plain-text answer ({@code /_ping}'s "OK"). */
    record Text(int status, String body) {}

    private record Route(String method, Pattern pattern, List<String> names, Handler handler) {}

    record Match(Handler handler, Map<String, String> params) {}

    private static final Pattern VERSIONED = Pattern.compile("/v(\\d+)\\.(\\d+)(/.*)");
    private static final Pattern PARAM = Pattern.compile("\\{(\\w+)(:([^}]+))?}");

    private final List<Route> routes = new ArrayList<>();

    Router(Group... groups) {
        for (Group g : groups) {
            g.register(this);
        }
    }

    void get(String path, Handler h) { add("GET", path, h); }

    void post(String path, Handler h) { add("POST", path, h); }

    void delete(String path, Handler h) { add("DELETE", path, h); }

    void head(String path, Handler h) { add("HEAD", path, h); }

    /** {@code /services/{id}/update}; {@code {name:.+}} takes slashes too. */
    void add(String method, String path, Handler h) {
        Matcher m = PARAM.matcher(path);
        StringBuilder re = new StringBuilder();
        List<String> names = new ArrayList<>();
        int last = 0;
        while (m.find()) {
            re.append(Pattern.quote(path.substring(last, m.start())));
            re.append('(').append(m.group(3) != null ? m.group(3) : "[^/]+").append(')');
            names.add(m.group(1));
            last = m.end();
        }
        re.append(Pattern.quote(path.substring(last)));
        routes.add(new Route(method, Pattern.compile(re.toString()), names, h));
    }

    /** The version a path asks for (times 100), or {@link #API_VERSION} when it names none. */
    static int version(String path) {
        Matcher m = VERSIONED.matcher(path);
        if (!m.matches()) {
            return API_VERSION;
        }
        int v;
        try {
            v = Integer.parseInt(m.group(1)) * 100 + Integer.parseInt(m.group(2));
        } catch (NumberFormatException e) {
            throw DockerError.badRequest("invalid API version in " + path);
        }
        String asked = m.group(1) + "." + m.group(2);
        if (v > API_VERSION) {
            throw DockerError.badRequest("client version " + asked + " is too new. Maximum supported API version is "
                    + API_VERSION_TEXT);
        }
        if (v < MIN_API_VERSION) {
            throw DockerError.badRequest("client version " + asked + " is too old. Minimum supported API version is "
                    + MIN_API_VERSION_TEXT + ", please upgrade your client to a newer version");
        }
        return v;
    }

    /** The path without its version prefix. */
    static String unversioned(String path) {
        Matcher m = VERSIONED.matcher(path);
        return m.matches() ? m.group(3) : path;
    }

    /** The route for a request, or the 501/404/405 Docker gives. */
    Match match(String method, String path) {
        boolean pathKnown = false;
        for (Route r : routes) {
            Matcher m = r.pattern.matcher(path);
            if (m.matches()) {
                if (r.method.equals(method) || (method.equals("HEAD") && r.method.equals("GET"))) {
                    Map<String, String> params = new LinkedHashMap<>();
                    for (int i = 0; i < r.names.size(); i++) {
                        params.put(r.names.get(i), m.group(i + 1));
                    }
                    return new Match(r.handler, params);
                }
                pathKnown = true;
            }
        }
        if (pathKnown) {
            throw new DockerError(405, method + " is not allowed on " + path);
        }
        String first = path.length() > 1 ? path.substring(1).split("/", 2)[0] : "";
        if (ENGINE_ONLY.contains(first)) {
            throw new DockerError(501, "Swarmlet serves the swarm part of the Docker Engine API only: " + method + " " + path
                    + " is not implemented here (run it against the Docker Engine of a node)");
        }
        throw DockerError.notFound("page not found");
    }

    /** Runs a handler, turning the control API's refusals into Docker's errors. */
    static Object run(Match match, Call call) throws Exception {
        try {
            return match.handler().handle(call);
        } catch (ControlException e) {
            throw DockerError.of(e);
        }
    }
}
