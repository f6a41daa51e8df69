package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Docker's {@code filters} query parameter: {@code {"name":{"web":true}}}, or the older
 * {@code {"name":["web"]}}. Each endpoint names the keys it serves ({@link #check}); any
 * other key is a 400 "invalid filter", as Docker answers.
 */
final class Filters {

    private final Map<String, Set<String>> values;

    private Filters(Map<String, Set<String>> values) {
        this.values = values;
    }

    static Filters parse(String text) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return new Filters(out);
        }
        JsonNode n;
        try {
            n = Json.parse(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (DockerError e) {
            throw DockerError.badRequest("invalid filters: " + e.getMessage());
        }
        if (!n.isObject()) {
            throw DockerError.badRequest("invalid filters: expected a JSON object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Set<String> vs = new LinkedHashSet<>();
            JsonNode v = e.getValue();
            if (v.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> f = v.fields(); f.hasNext(); ) {
                    Map.Entry<String, JsonNode> kv = f.next();
                    if (kv.getValue().asBoolean(false)) {
                        vs.add(kv.getKey());
                    }
                }
            } else if (v.isArray()) {
                for (JsonNode s : v) {
                    vs.add(s.asText());
                }
            } else {
                throw DockerError.badRequest("invalid filters: the value of '" + e.getKey() + "' must be an object or an array");
            }
            out.put(e.getKey(), vs);
        }
        return new Filters(out);
    }

    /** Refuses keys other than {@code allowed}: "invalid filter 'x'". */
    Filters check(String... allowed) {
        Set<String> ok = Set.of(allowed);
        for (String k : values.keySet()) {
            if (!ok.contains(k)) {
                throw DockerError.badRequest("invalid filter '" + k + "'");
            }
        }
        return this;
    }

    Set<String> get(String key) {
        return values.getOrDefault(key, Set.of());
    }

    boolean has(String key) {
        return values.containsKey(key) && !values.get(key).isEmpty();
    }

    /** {@code label} filter values as a map: {@code a=b} wants a value, {@code a} only the key. */
    Map<String, String> labels() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String l : get("label")) {
            int eq = l.indexOf('=');
            out.put(eq < 0 ? l : l.substring(0, eq), eq < 0 ? "" : l.substring(eq + 1));
        }
        return out;
    }
}
