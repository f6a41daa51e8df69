package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A test client for the API's unix socket: one HTTP/1.1 request per connection
 * ({@code Connection: close}), the answer read to its end (chunked or not).
 */
final class UnixHttp {

    record Answer(int status, Map<String, String> headers, byte[] body) {
        String text() { return new String(body, StandardCharsets.UTF_8); }

        JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + text(), e);
            }
        }

        String header(String name) { return headers.getOrDefault(name.toLowerCase(Locale.ROOT), ""); }

        @Override public String toString() { return status + " " + text(); }
    }

    private final Path socket;

    UnixHttp(Path socket) {
        this.socket = socket;
    }

    Answer get(String path) throws IOException { return send("GET", path, null); }

    Answer delete(String path) throws IOException { return send("DELETE", path, null); }

    Answer post(String path, String json) throws IOException {
        return send("POST", path, json == null ? null : json.getBytes(StandardCharsets.UTF_8));
    }

    Answer send(String method, String path, byte[] body) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            StringBuilder req = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                    .append("Host: api.moby.localhost\r\nConnection: close\r\n");
            if (body != null) {
                req.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
            }
            req.append("\r\n");
            // One write for header and body: a server that answers before reading the body
            // (a refused call) and closes would otherwise break the pipe of a second write.
            byte[] head = req.toString().getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(head.length + (body == null ? 0 : body.length)).put(head);
            if (body != null) {
                b.put(body);
            }
            b.flip();
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(65536);
            while (ch.read(buf) >= 0) {
                buf.flip();
                all.write(buf.array(), 0, buf.limit());
                buf.clear();
            }
            return parse(all.toByteArray());
        }
    }

    static Answer parse(byte[] raw) {
        int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
        if (end < 0) {
            throw new AssertionError("no HTTP header in " + new String(raw, StandardCharsets.UTF_8));
        }
        String[] lines = new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        int at = end + 4;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            while (true) {
                int eol = indexOf(raw, new byte[] {'\r', '\n'}, at);
                int size = Integer.parseInt(new String(raw, at, eol - at, StandardCharsets.US_ASCII).split(";")[0].trim(), 16);
                at = eol + 2;
                if (size == 0) {
                    break;
                }
                body.write(raw, at, size);
                at += size + 2;
            }
        } else {
            body.write(raw, at, raw.length - at);
        }
        return new Answer(status, headers, body.toByteArray());
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
