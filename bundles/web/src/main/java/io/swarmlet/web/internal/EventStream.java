package io.swarmlet.web.internal;

import io.swarmlet.api.types.ServiceColumns;
import com.sun.net.httpserver.HttpExchange;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /api/v1/events}: a snapshot of nodes, services and tasks, then one
 * {@code change} per object the store's watch reports, sent within a quarter of
 * a second of its commit. A service's {@code running} and {@code desired} move
 * with its tasks and nodes, not with the service object: when a commit changes
 * them, the service is sent again as an {@code update}. The store closes a
 * watcher that falls behind; then the stream ends and the browser's
 * EventSource reconnects and starts over from a new snapshot.
 */
final class EventStream implements WebConsole.Stream {

    static final long PING_MILLIS = 15_000;
    private static final Duration POLL = Duration.ofMillis(250);

    private final Store store;
    private final HttpExchange exchange;
    private volatile boolean closed;
    private volatile Sse sse;
    private volatile Watch<?> watch;

    /** What the snapshot sent, and the counts each service showed. */
    private record Snapshot(String json, Map<String, ServiceColumns.Counts> counts) {}

    EventStream(Store store, HttpExchange exchange) {
        this.store = store;
        this.exchange = exchange;
    }

    void run() throws IOException {
        Watch<Snapshot> w = store.watch(tx -> {
            Views.State state = Views.State.read(tx);
            Map<String, ServiceColumns.Counts> counts = new HashMap<>();
            String json = Json.string(g -> {
                g.writeStartObject();
                g.writeArrayFieldStart("nodes");
                for (Node n : state.nodes()) {
                    Views.node(g, n);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("services");
                for (Service s : state.services()) {
                    ServiceColumns.Counts c = state.counts(s);
                    counts.put(s.getId(), c);
                    Views.service(g, s, c);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("tasks");
                for (Task t : state.tasks()) {
                    Views.task(g, t, state.servicesById().get(t.getServiceId()));
                }
                g.writeEndArray();
                g.writeEndObject();
            });
            return new Snapshot(json, counts);
        });
        watch = w;
        try {
            if (closed) {
                return;
            }
            sse = Sse.open(exchange);
            sse.event("snapshot", w.initial().json());
            Map<String, ServiceColumns.Counts> shown = new HashMap<>(w.initial().counts());
            List<StoreEvent> batch = new ArrayList<>();
            while (!closed && !sse.broken()) {
                StoreEvent e;
                try {
                    e = w.poll(POLL);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (e != null && e.action() != StoreEvent.Action.COMMIT) {
                    if (e.kind() == Kind.NODE || e.kind() == Kind.SERVICE || e.kind() == Kind.TASK) {
                        batch.add(e);
                    }
                    continue;
                }
                if (!batch.isEmpty()) {
                    send(batch, shown);
                    batch.clear();
                }
                if (e == null && w.isClosed()) {
                    return; // fell behind, or the store stopped: the client reconnects
                }
            }
        } finally {
            w.close();
        }
    }

    /** The changes of one commit, then the services whose counts they moved. */
    private void send(List<StoreEvent> batch, Map<String, ServiceColumns.Counts> shown) throws IOException {
        Views.State state = store.view(Views.State::read);
        Set<String> recount = new LinkedHashSet<>();
        boolean nodes = false;
        List<String> out = new ArrayList<>();
        for (StoreEvent e : batch) {
            String kind = e.kind().name();
            String action = e.action() == StoreEvent.Action.CREATE ? "create"
                    : e.action() == StoreEvent.Action.UPDATE ? "update" : "delete";
            String id;
            Json.Writer object;
            if (e.kind() == Kind.NODE) {
                Node n = (Node) e.object();
                id = n.getId();
                object = g -> Views.node(g, n);
                nodes = true;
            } else if (e.kind() == Kind.SERVICE) {
                Service s = (Service) e.object();
                id = s.getId();
                if (e.action() == StoreEvent.Action.REMOVE) {
                    shown.remove(id);
                    object = null;
                } else {
                    ServiceColumns.Counts c = state.counts(s);
                    shown.put(id, c);
                    object = g -> Views.service(g, s, c);
                }
                recount.remove(id);
            } else {
                Task t = (Task) e.object();
                id = t.getId();
                object = g -> Views.task(g, t, state.servicesById().get(t.getServiceId()));
                if (shown.containsKey(t.getServiceId())) {
                    recount.add(t.getServiceId());
                }
            }
            Json.Writer obj = e.action() == StoreEvent.Action.REMOVE ? null : object;
            out.add(change(kind, action, id, obj));
        }
        if (nodes) {
            recount.addAll(shown.keySet());
        }
        for (String sid : recount) {
            Service s = state.servicesById().get(sid);
            if (s == null) {
                continue;
            }
            ServiceColumns.Counts c = state.counts(s);
            if (!c.equals(shown.get(sid))) {
                shown.put(sid, c);
                out.add(change("service", "update", sid, g -> Views.service(g, s, c)));
            }
        }
        for (String data : out) {
            sse.event("change", data);
        }
    }

    private static String change(String kind, String action, String id, Json.Writer object) {
        return Json.string(g -> {
            g.writeStartObject();
            g.writeStringField("kind", kind);
            g.writeStringField("action", action);
            g.writeStringField("id", id);
            if (object != null) {
                g.writeFieldName("object");
                object.write(g);
            }
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
        Watch<?> w = watch;
        if (w != null) {
            w.close();
        }
    }
}
