package io.swarmlet.web.internal;

import com.sun.net.httpserver.HttpExchange;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.LogMessage;
import io.swarmlet.api.types.LogsRequest;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * {@code /api/v1/services/{id}/logs}: the service's output through
 * {@link ControlApi#logs}, one {@code log} event per line. It ends when the
 * output does (no follow), when the client goes (a write or the periodic
 * ping fails: the reading thread is interrupted), or when the server stops.
 * A refusal after the stream opened (no dispatcher here) is sent as an
 * {@code error} event with {@code {"message": ...}}.
 */
final class LogStream implements WebConsole.Stream {

    private final ControlApi api;
    private final HttpExchange exchange;
    private final LogsRequest request;
    private volatile Thread reader;
    private volatile Sse sse;
    private volatile boolean closed;

    LogStream(ControlApi api, HttpExchange exchange, String serviceId, int tail, boolean follow) {
        this.api = api;
        this.exchange = exchange;
        this.request = LogsRequest.newBuilder().setId(serviceId).setTail(tail).setFollow(follow).build();
    }

    void run() throws IOException {
        reader = Thread.currentThread();
        if (closed) {
            return;
        }
        Sse s = Sse.open(exchange);
        sse = s;
        try {
            api.logs(request, m -> {
                try {
                    s.event("log", line(m));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (InterruptedException e) {
            // the client went, or the server stops
        } catch (UncheckedIOException e) {
            // the client went
        } catch (ControlException e) {
            if (!closed && !s.broken()) {
                s.event("error", new String(Json.message(e.getMessage()), java.nio.charset.StandardCharsets.UTF_8));
            }
        } finally {
            reader = null;
        }
    }

    static String line(LogMessage m) {
        return Json.string(g -> {
            g.writeStartObject();
            g.writeStringField("taskId", m.getTaskId());
            g.writeStringField("nodeId", m.getNodeId());
            g.writeStringField("stream", m.getStderr() ? "stderr" : "stdout");
            g.writeNumberField("time", m.getTimestamp());
            g.writeStringField("line", m.getLine());
            g.writeEndObject();
        });
    }

    @Override
    public boolean ping() {
        Sse s = sse;
        return s == null || s.comment("ping");
    }

    @Override
    public void close() {
        closed = true;
        Thread t = reader;
        if (t != null) {
            t.interrupt();
        }
    }
}
