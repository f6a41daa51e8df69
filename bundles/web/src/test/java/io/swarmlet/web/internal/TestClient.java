package io.swarmlet.web.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** HTTP and server-sent events against a running {@link WebConsole}. */
final class TestClient {

    private final HttpClient http;
    private final String base;

    TestClient(HttpClient http, String base) {
        this.http = http;
        this.base = base;
    }

    HttpResponse<String> get(String path, String... headers) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), headers);
    }

    HttpResponse<String> post(String path, String json, String... headers) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(json)), headers);
    }

    HttpResponse<String> delete(String path, String... headers) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE(), headers);
    }

    private HttpResponse<String> send(HttpRequest.Builder b, String... headers) throws Exception {
        b.timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** One server-sent event. */
    record Event(String name, String data) {}

    /** An open event stream, read on a thread of its own. */
    final class Events implements AutoCloseable {
        final HttpResponse<InputStream> response;
        private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        private final Thread reader;
        volatile int comments;
        volatile boolean ended;

        Events(String path) throws Exception {
            response = http.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            reader = new Thread(this::read, "test-sse");
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String name = "message";
                StringBuilder data = new StringBuilder();
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.isEmpty()) {
                        if (data.length() > 0) {
                            events.add(new Event(name, data.toString()));
                        }
                        name = "message";
                        data.setLength(0);
                    } else if (line.startsWith(":")) {
                        comments++;
                    } else if (line.startsWith("event: ")) {
                        name = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        data.append(line.substring(6));
                    }
                }
            } catch (IOException e) {
                // closed
            } finally {
                ended = true;
            }
        }

        /** The next event that matches, waiting at most {@code timeout}; fails the test when none comes. */
        Event next(Predicate<Event> match, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                Event e = events.poll(50, TimeUnit.MILLISECONDS);
                if (e != null && match.test(e)) {
                    return e;
                }
            }
            throw new AssertionError("no matching event within " + timeout);
        }

        @Override
        public void close() throws IOException {
            response.body().close();
        }
    }

    Events events(String path) throws Exception {
        return new Events(path);
    }
}
