package io.swarmlet.itests;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A recording forwarder between the docker CLI and a Docker API socket: it listens on a
 * unix socket of its own, forwards every connection byte for byte to the target socket,
 * and on the way reads the HTTP/1.1 messages (keep-alive, Content-Length or chunked
 * bodies, streamed answers) to record each request (method, path and query, body) with
 * its answer's status and (small) body, under the label of the CLI command that made it
 * ({@link #command}). Secret payloads ({@code Data} of {@code /secrets/create}) are
 * replaced by {@link #TEST_SECRET} before they are kept: a recording never holds a
 * secret value.
 */
final class DockerCliRecorder implements AutoCloseable {

    /** What a recorded secret's Data says instead of the value the CLI sent. */
    static final String TEST_SECRET = "recorded-test-secret";
    /** Answer bodies kept up to this size (logs and big lists are cut). */
    static final int MAX_KEPT = 64 * 1024;

    /** One request and its answer. */
    record Exchange(long seq, String command, String method, String path, byte[] body, int status, byte[] answer,
            boolean answerCut) {}

    private final Path listen;
    private final Path target;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final ConcurrentLinkedQueue<Exchange> recorded = new ConcurrentLinkedQueue<>();
    private final List<SocketChannel> open = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile String command = "";
    /** Orders the exchanges by when their requests came (answers of two connections may be read in another order). */
    private final java.util.concurrent.atomic.AtomicLong seq = new java.util.concurrent.atomic.AtomicLong();
    /** Requests read whose answers are not recorded yet. */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closed;

    DockerCliRecorder(Path listen, Path target) throws IOException {
        this.listen = listen;
        this.target = target;
        Files.deleteIfExists(listen);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(listen));
        acceptor = new Thread(this::accept, "docker-cli-recorder");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The socket the CLI talks to ({@code DOCKER_HOST=unix://...}). */
    Path socket() {
        return listen;
    }

    /** Labels what is recorded from now on (the command line the test runs). */
    void command(String line) {
        command = line;
    }

    /** What was recorded so far, in the order the requests came, after the answers in flight (at most 5 s). */
    List<Exchange> exchanges() {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<Exchange> all = new ArrayList<>(recorded);
        all.sort(java.util.Comparator.comparingLong(Exchange::seq));
        return all;
    }

    private void accept() {
        while (!closed) {
            try {
                SocketChannel client = server.accept();
                SocketChannel upstream = SocketChannel.open(StandardProtocolFamily.UNIX);
                upstream.connect(UnixDomainSocketAddress.of(target));
                open.add(client);
                open.add(upstream);
                LinkedBlockingQueue<Pending> pending = new LinkedBlockingQueue<>();
                start(() -> requests(client, upstream, pending));
                start(() -> answers(upstream, client, pending));
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("docker-cli-recorder: " + e);
                }
            }
        }
    }

    private static void start(Runnable r) {
        Thread t = new Thread(r, "docker-cli-recorder-pump");
        t.setDaemon(true);
        t.start();
    }

    /** A request forwarded, waiting for its answer. */
    private record Pending(long seq, String command, String method, String path, byte[] body) {}

    /** Client to target: one request after another, each recorded before its answer is read. */
    private void requests(SocketChannel from, SocketChannel to, LinkedBlockingQueue<Pending> pending) {
        try (Message in = new Message(from, to)) {
            while (true) {
                String head = in.head();
                if (head == null) {
                    break;
                }
                String[] first = head.split("\r\n", 2)[0].split(" ");
                Map<String, String> headers = headers(head);
                long n = seq.incrementAndGet();
                String label = command;
                inFlight.incrementAndGet();
                byte[] body = in.body(headers, false, Integer.MAX_VALUE);
                // Go's client sends one request at a time on a connection: answers come in this order
                pending.add(new Pending(n, label, first[0], first[1], body));
            }
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(from, to);
        }
    }

    /** Target to client: one answer per request, in order. */
    private void answers(SocketChannel from, SocketChannel to, LinkedBlockingQueue<Pending> pending) {
        try (Message in = new Message(from, to)) {
            while (true) {
                String head = in.head();
                if (head == null) {
                    break;
                }
                int status = Integer.parseInt(head.split(" ", 3)[1]);
                Pending p = pending.poll(30, java.util.concurrent.TimeUnit.SECONDS);
                String method = p == null ? "?" : p.method;
                boolean noBody = method.equals("HEAD") || status == 204 || status == 304 || status / 100 == 1;
                byte[] answer = noBody ? new byte[0] : in.body(headers(head), true, MAX_KEPT);
                if (p != null) {
                    recorded.add(new Exchange(p.seq, p.command, p.method, p.path, redact(p.path, p.body), status, answer,
                            in.cut));
                    inFlight.decrementAndGet();
                }
            }
            to.shutdownOutput();
        } catch (IOException | InterruptedException e) {
            closeQuietly(from, to);
        } finally {
            // requests that got no answer (the connection broke) are not waited for
            inFlight.addAndGet(-pending.size());
            pending.clear();
        }
    }

    private static Map<String, String> headers(String head) {
        Map<String, String> h = new LinkedHashMap<>();
        String[] lines = head.split("\r\n");
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                h.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
        }
        return h;
    }

    /** A secret's payload never reaches a recording. */
    static byte[] redact(String path, byte[] body) {
        if (body == null || body.length == 0 || !path.matches("(/v[0-9.]+)?/secrets/create.*")) {
            return body;
        }
        try {
            JsonObject o = JsonParser.parseString(new String(body, StandardCharsets.UTF_8)).getAsJsonObject();
            if (o.has("Data")) {
                o.addProperty("Data", Base64.getEncoder().encodeToString(TEST_SECRET.getBytes(StandardCharsets.UTF_8)));
            }
            return o.toString().getBytes(StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            return "\"(not JSON: left out)\"".getBytes(StandardCharsets.UTF_8);
        }
    }

    private static void closeQuietly(SocketChannel... channels) {
        for (SocketChannel c : channels) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    /**
     * Writes what was recorded for one section (commands labelled {@code section + ": "}) as JSON: {@code {"hosts": {...}, "exchanges": [{command, method,
     * path, body, status, answer}]}}, bodies as JSON where they are JSON; a request one command
     * sends again with the same answer status (the CLI's progress polls) is kept once, with a
     * {@code repeat} count and its last answer.
     */
    void write(Path file, String section, Map<String, String> hosts) throws IOException {
        Files.createDirectories(file.getParent());
        JsonObject root = new JsonObject();
        root.add("hosts", new Gson().toJsonTree(hosts));
        com.google.gson.JsonArray all = new com.google.gson.JsonArray();
        Map<String, JsonObject> seen = new java.util.HashMap<>();
        for (Exchange e : exchanges()) {
            if (!e.command().startsWith(section + ": ")) {
                continue;
            }
            JsonObject o = new JsonObject();
            o.addProperty("command", e.command().substring(section.length() + 2));
            o.addProperty("method", e.method());
            o.addProperty("path", e.path());
            if (e.body() != null && e.body().length > 0) {
                o.add("body", json(e.body()));
            }
            o.addProperty("status", e.status());
            if (e.answer().length > 0) {
                o.add("answer", e.answerCut() ? new com.google.gson.JsonPrimitive("(cut at " + MAX_KEPT + " bytes)")
                        : json(e.answer()));
            }
            // a poll (the same request again by the same command, same status) is folded into its first time
            String key = e.command() + "\n" + e.method() + " " + e.path() + "\n" + (o.has("body") ? o.get("body").toString() : "")
                    + "\n" + e.status();
            JsonObject first = seen.get(key);
            if (first != null) {
                first.addProperty("repeat", (first.has("repeat") ? first.get("repeat").getAsInt() : 1) + 1);
                if (o.has("answer")) {
                    first.add("answer", o.get("answer")); // the last answer: where the polling ended
                }
                continue;
            }
            seen.put(key, o);
            all.add(o);
        }
        root.add("exchanges", all);
        Gson gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
        Files.writeString(file, gson.toJson(root) + "\n");
    }

    private static JsonElement json(byte[] b) {
        String s = new String(b, StandardCharsets.UTF_8);
        try {
            return JsonParser.parseString(s);
        } catch (RuntimeException e) {
            return new com.google.gson.JsonPrimitive(s);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        synchronized (open) {
            for (SocketChannel c : open) {
                closeQuietly(c);
            }
        }
        Files.deleteIfExists(listen);
    }

    /**
     * One direction of a connection: reads HTTP messages from {@code from} and writes every
     * byte read on to {@code to} as it comes (so streamed answers stream), keeping the body.
     * Reads and writes the channels directly: the streams of {@code Channels} would lock the
     * channel's read and write against each other.
     */
    private static final class Message implements AutoCloseable {
        private final SocketChannel from;
        private final SocketChannel to;
        private final ByteBuffer buf = ByteBuffer.allocate(65536);
        boolean cut;

        Message(SocketChannel from, SocketChannel to) {
            this.from = from;
            this.to = to;
            buf.flip();
        }

        private int read() throws IOException {
            if (!buf.hasRemaining()) {
                flush();
                buf.clear();
                forwarded = 0;
                int n = from.read(buf);
                buf.flip();
                if (n < 0) {
                    return -1;
                }
                if (n == 0) {
                    return read();
                }
            }
            return buf.get() & 0xff;
        }

        /** Writes what was read so far and not yet forwarded. */
        private int forwarded;

        private void flush() throws IOException {
            ByteBuffer out = buf.duplicate();
            out.limit(buf.position());
            out.position(forwarded);
            while (out.hasRemaining()) {
                to.write(out);
            }
            forwarded = buf.position();
        }

        /** The header block up to the blank line, or null at the end of the connection. */
        String head() throws IOException {
            ByteArrayOutputStream h = new ByteArrayOutputStream();
            int state = 0;
            while (true) {
                int c = read();
                if (c < 0) {
                    flush();
                    return null;
                }
                h.write(c);
                state = switch (state) {
                    case 0, 2 -> c == '\r' ? state + 1 : 0;
                    case 1 -> c == '\n' ? 2 : 0;
                    case 3 -> c == '\n' ? 4 : 0;
                    default -> 0;
                };
                if (state == 4) {
                    flush();
                    String s = h.toString(StandardCharsets.ISO_8859_1);
                    return s.substring(0, s.length() - 4);
                }
            }
        }

        /** The body after a head (Content-Length, chunked, or to the end for an answer without either). */
        byte[] body(Map<String, String> headers, boolean toEndIfUnsized, int keep) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            cut = false;
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                while (true) {
                    String line = line();
                    int size = Integer.parseInt(line.split(";")[0].trim(), 16);
                    if (size == 0) {
                        while (!line().isEmpty()) {
                            // trailers
                        }
                        break;
                    }
                    copy(size, b, keep);
                    line();
                }
            } else if (headers.containsKey("content-length")) {
                copy(Long.parseLong(headers.get("content-length")), b, keep);
            } else if (toEndIfUnsized) {
                int c;
                while ((c = read()) >= 0) {
                    keep(b, c, keep);
                }
            }
            flush();
            return b.toByteArray();
        }

        private void copy(long n, ByteArrayOutputStream b, int keep) throws IOException {
            for (long i = 0; i < n; i++) {
                int c = read();
                if (c < 0) {
                    throw new IOException("connection closed in a body");
                }
                keep(b, c, keep);
            }
            flush();
        }

        private void keep(ByteArrayOutputStream b, int c, int keep) {
            if (b.size() < keep) {
                b.write(c);
            } else {
                cut = true;
            }
        }

        private String line() throws IOException {
            ByteArrayOutputStream l = new ByteArrayOutputStream();
            int c;
            while ((c = read()) >= 0 && c != '\n') {
                if (c != '\r') {
                    l.write(c);
                }
            }
            flush();
            return l.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() {
        }
    }
}
