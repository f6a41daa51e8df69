package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** The one JSON mapper of this bundle: strict on input (duplicate keys, trailing data), plain on output. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {}

    static ObjectNode object() { return JsonNodeFactory.instance.objectNode(); }

    static ArrayNode array() { return JsonNodeFactory.instance.arrayNode(); }

    /** Parses a request body; malformed JSON is a 400 naming where it broke. */
    static JsonNode parse(byte[] body) {
        try {
            JsonNode n = MAPPER.readTree(body);
            if (n == null || n.isMissingNode()) {
                throw DockerError.badRequest("the request needs a JSON body");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw DockerError.badRequest("invalid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr() : ""));
        } catch (IOException e) {
            throw DockerError.badRequest("invalid JSON: " + e.getMessage());
        }
    }

    static byte[] bytes(JsonNode n) {
        try {
            return MAPPER.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Docker's time format (RFC 3339 with nanoseconds, UTC); the zero time for 0. */
    static String time(long millis) {
        return millis <= 0 ? "0001-01-01T00:00:00Z" : Instant.ofEpochMilli(millis).toString();
    }

    /** Labels as Docker shows them: always an object, never null. */
    static ObjectNode labels(Map<String, String> labels) {
        ObjectNode o = object();
        labels.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> o.put(e.getKey(), e.getValue()));
        return o;
    }

    /** True for what Go's encoder leaves when a field is not set: null, false, 0, "", [], {} (recursively). */
    static boolean empty(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return true;
        }
        if (n.isBoolean()) {
            return !n.booleanValue();
        }
        if (n.isNumber()) {
            return n.asDouble() == 0;
        }
        if (n.isTextual()) {
            return n.textValue().isEmpty();
        }
        for (JsonNode c : n) {
            if (!empty(c)) {
                return false;
            }
        }
        return true;
    }

    /**
     * A request object read field by field. Each read marks the field as known; {@link #done}
     * then refuses any field left over: one this API does not know is "unknown field", one it
     * knows but Swarmlet does not honour ({@link #unsupported}) is refused only when it carries
     * a value, so the zero values the docker CLI always sends pass. Messages name the field by
     * its path ({@code TaskTemplate.ContainerSpec.Privileges}).
     */
    static final class Obj {

        private final JsonNode node;
        private final String path;
        private final Map<String, Boolean> seen = new LinkedHashMap<>();

        Obj(JsonNode node, String path) {
            if (node != null && !node.isNull() && !node.isMissingNode() && !node.isObject()) {
                throw DockerError.badRequest((path.isEmpty() ? "the request body" : path) + ": expected a JSON object");
            }
            this.node = node == null || node.isNull() ? null : node;
            this.path = path;
        }

        /** The body as a top-level object. */
        static Obj root(JsonNode body) {
            return new Obj(body, "");
        }

        String path(String field) {
            return path.isEmpty() ? field : path + "." + field;
        }

        boolean has(String field) {
            seen.put(field, true);
            JsonNode v = raw(field);
            return v != null && !v.isNull();
        }

        JsonNode raw(String field) {
            seen.put(field, true);
            return node == null ? null : node.get(field);
        }

        String str(String field) {
            JsonNode v = raw(field);
            if (v == null || v.isNull()) {
                return "";
            }
            if (!v.isTextual()) {
                throw type(field, "a string");
            }
            return v.textValue();
        }

        long lng(String field) {
            JsonNode v = raw(field);
            if (v == null || v.isNull()) {
                return 0;
            }
            if (!v.isIntegralNumber()) {
                throw type(field, "an integer");
            }
            return v.longValue();
        }

        double dbl(String field) {
            JsonNode v = raw(field);
            if (v == null || v.isNull()) {
                return 0;
            }
            if (!v.isNumber()) {
                throw type(field, "a number");
            }
            return v.doubleValue();
        }

        boolean bool(String field) {
            JsonNode v = raw(field);
            if (v == null || v.isNull()) {
                return false;
            }
            if (!v.isBoolean()) {
                throw type(field, "true or false");
            }
            return v.booleanValue();
        }

        /** A nested object; an absent one reads as empty. */
        Obj obj(String field) {
            return new Obj(raw(field), path(field));
        }

        java.util.List<Obj> objs(String field) {
            java.util.List<Obj> out = new java.util.ArrayList<>();
            JsonNode v = raw(field);
            if (v == null || v.isNull()) {
                return out;
            }
            if (!v.isArray()) {
                throw type(field, "an array");
            }
            for (int i = 0; i < v.size(); i++) {
                out.add(new Obj(v.get(i), path(field) + "[" + i + "]"));
            }
            return out;
        }

        java.util.List<String> strs(String field) {
            java.util.List<String> out = new java.util.ArrayList<>();
            JsonNode v = raw(field);
            if (v == null || v.isNull()) {
                return out;
            }
            if (!v.isArray()) {
                throw type(field, "an array of strings");
            }
            for (JsonNode e : v) {
                if (!e.isTextual()) {
                    throw type(field, "an array of strings");
                }
                out.add(e.textValue());
            }
            return out;
        }

        Map<String, String> map(String field) {
            Map<String, String> out = new LinkedHashMap<>();
            JsonNode v = raw(field);
            if (v == null || v.isNull()) {
                return out;
            }
            if (!v.isObject()) {
                throw type(field, "an object of strings");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw type(field + "." + e.getKey(), "a string");
                }
                out.put(e.getKey(), e.getValue().textValue());
            }
            return out;
        }

        /** Known to Docker, not honoured here: refused when it carries a value. */
        void unsupported(String... fields) {
            for (String f : fields) {
                JsonNode v = raw(f);
                if (!empty(v)) {
                    throw DockerError.badRequest(path(f) + " is not supported by Swarmlet; remove it from the request"
                            + " (see design/docker-api.md for the fields honoured)");
                }
            }
        }

        /** Known and accepted without effect (documented in design/docker-api.md). */
        void ignore(String... fields) {
            for (String f : fields) {
                seen.put(f, true);
            }
        }

        /** Refuses any field not read. */
        void done() {
            if (node == null) {
                return;
            }
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!seen.containsKey(f)) {
                    throw DockerError.badRequest("unknown field \"" + f + "\"" + (path.isEmpty() ? "" : " in " + path));
                }
            }
        }

        boolean isEmpty() {
            return empty(node);
        }

        private DockerError type(String field, String expected) {
            return DockerError.badRequest(path(field) + ": expected " + expected);
        }
    }
}
