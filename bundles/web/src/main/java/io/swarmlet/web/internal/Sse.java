package io.swarmlet.web.internal;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** The writing end of one server-sent event stream; writes are whole events, from any thread. */
final class Sse {

    private final OutputStream out;
    private volatile boolean broken;

    private Sse(OutputStream out) {
        this.out = out;
    }

    /** Sends the 200 and the stream's headers. */
    static Sse open(HttpExchange ex) throws IOException {
        WebConsole.headers(ex, "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("X-Accel-Buffering", "no");
        ex.sendResponseHeaders(200, 0);
        return new Sse(ex.getResponseBody());
    }

    /** One event; {@code data} is one line of JSON. */
    synchronized void event(String name, String data) throws IOException {
        write("event: " + name + "\ndata: " + data + "\n\n");
    }

    /** A comment line (keeps proxies and the browser from timing out); false when the client is gone. */
    synchronized boolean comment(String text) {
        try {
            write(": " + text + "\n\n");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    boolean broken() {
        return broken;
    }

    private void write(String s) throws IOException {
        try {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }
}
