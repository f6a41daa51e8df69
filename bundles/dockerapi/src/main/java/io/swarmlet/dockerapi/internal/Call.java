package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmlet.api.control.ControlApi;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One API request as a route sees it: its path parameters, query, body (read on demand,
 * at most {@link Router#MAX_BODY} bytes) and the control API it is answered through.
 *
 * @param apiVersion the version the client asked for (from {@code /v1.41/...}), times 100: 141
 */
record Call(String method, String path, Map<String, String> params, Map<String, List<String>> query,
            Map<String, String> headers, Supplier<byte[]> bodyBytes, int apiVersion, Supplier<ControlApi> control) {

    /** A path parameter ({@code {id}} in the route). */
    String param(String name) {
        return params.getOrDefault(name, "");
    }

    /** The last value of a query parameter, or "". */
    String query(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? "" : v.get(v.size() - 1);
    }

    boolean hasQuery(String name) {
        return query.containsKey(name);
    }

    /** Docker's boolean query values: 1/true/True/yes are true, 0/false/""/absent false. */
    boolean flag(String name) {
        String v = query(name).toLowerCase(java.util.Locale.ROOT);
        return switch (v) {
            case "", "0", "false", "no", "off" -> false;
            case "1", "true", "yes", "on" -> true;
            default -> throw DockerError.badRequest("invalid value for " + name + ": " + query(name) + " (use true or false)");
        };
    }

    /**
     * A time query value as Docker sends it ({@code since}, {@code until}): unix seconds with an
     * optional fraction ("1700000000.5"), in milliseconds; 0 when absent.
     */
    long unixMillis(String name) {
        String s = query(name);
        if (s.isEmpty()) {
            return 0;
        }
        try {
            return new java.math.BigDecimal(s).movePointRight(3).longValue();
        } catch (NumberFormatException e) {
            throw DockerError.badRequest("invalid value for \"" + name + "\": " + s + " (unix seconds, e.g. 1700000000.5)");
        }
    }

    /** A non-negative integer query value; {@code fallback} when absent. */
    long number(String name, long fallback) {
        String v = query(name);
        if (v.isEmpty()) {
            return fallback;
        }
        long n = nonNegative(v);
        if (n < 0) {
            throw DockerError.badRequest("invalid " + name + ": " + v + " (a non-negative integer)");
        }
        return n;
    }

    /**
     * The object version an update names ({@code ?version=N}); Docker refuses an update
     * without one ("invalid node version '': ...").
     */
    long version(String kind) {
        String v = query("version");
        long n = nonNegative(v);
        if (n < 0) {
            throw DockerError.badRequest("invalid " + kind + " version '" + v
                    + "': give the Version.Index the object was last inspected at, as ?version=N");
        }
        return n;
    }

    /** {@code text} as a non-negative long, or -1. */
    private static long nonNegative(String text) {
        try {
            long n = Long.parseLong(text);
            return n < 0 ? -1 : n;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** {@code ?filters=...} parsed; both Docker encodings are accepted. */
    Filters filters() {
        return Filters.parse(query("filters"));
    }

    String header(String name) {
        return headers.getOrDefault(name.toLowerCase(java.util.Locale.ROOT), "");
    }

    /** The body as JSON: 400 when malformed or missing, 413 when too large. */
    JsonNode body() {
        return Json.parse(bodyBytes.get());
    }

    /** The raw body (for binary payloads). */
    byte[] rawBody() {
        return bodyBytes.get();
    }

    /** The control API; 503 while it is not running on this manager. */
    ControlApi api() {
        ControlApi api = control.get();
        if (api == null) {
            throw new DockerError(503, "the control API is not running on this manager: try again in a moment, or use another manager");
        }
        return api;
    }
}
