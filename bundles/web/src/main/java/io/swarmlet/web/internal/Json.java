package io.swarmlet.web.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/** JSON in and out through Jackson's streaming API (embedded in this bundle). */
final class Json {

    private static final JsonFactory FACTORY = new JsonFactory();

    /** Writes one JSON value. */
    interface Writer {
        void write(JsonGenerator g) throws IOException;
    }

    private Json() {}

    static byte[] bytes(Writer w) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            w.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static String string(Writer w) {
        return new String(bytes(w), java.nio.charset.StandardCharsets.UTF_8);
    }

    static byte[] message(String message) {
        return bytes(g -> {
            g.writeStartObject();
            g.writeStringField("message", message);
            g.writeEndObject();
        });
    }

    /**
     * The top-level scalar fields of a JSON object: strings as String, numbers as
     * Long (integers) or Double, booleans as Boolean, null as null; nested values
     * are skipped. Anything but an object is refused.
     */
    static Map<String, Object> fields(byte[] body) {
        Map<String, Object> out = new HashMap<>();
        try (JsonParser p = FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("the body must be a JSON object");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (v) {
                    case VALUE_STRING: out.put(name, p.getText()); break;
                    case VALUE_NUMBER_INT: out.put(name, p.getLongValue()); break;
                    case VALUE_NUMBER_FLOAT: out.put(name, p.getDoubleValue()); break;
                    case VALUE_TRUE: out.put(name, Boolean.TRUE); break;
                    case VALUE_FALSE: out.put(name, Boolean.FALSE); break;
                    case VALUE_NULL: out.put(name, null); break;
                    default: p.skipChildren(); break;
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new IllegalArgumentException("the body must be one JSON object");
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("the body could not be read: " + e.getMessage());
        }
        return out;
    }
}
