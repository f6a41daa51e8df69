package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.WatchEvent;
import io.swarmlet.api.types.WatchRefs;
import io.swarmlet.api.types.WatchRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /events}: Docker's swarm events ({@code docker events}), from the control API's
 * watch of nodes, services, secrets, configs and networks: one JSON message per line,
 * {@code {"Type","Action","Actor":{"ID","Attributes"},"scope":"swarm","time","timeNano"}},
 * with the attributes dockerd gives (name; for an update what changed: {@code replicas.old/new},
 * {@code image.old/new}, {@code updatestate.old/new}, {@code availability.old/new},
 * {@code role.old/new}, {@code state.old/new}). Filters: type, event, scope, and the objects by
 * ID or name, prefixes too, as dockerd (service, node, secret, config, network); filters on the engine's own objects
 * (container, image, volume, plugin, daemon) match nothing here. {@code since} replays what the
 * manager kept (its last 256 events, as dockerd keeps its last 256); {@code until} ends the stream.
 * The control API applies all of it.
 */
final class EventsApi implements Router.Group {

    /** The watched kinds: Docker's swarm event types (tasks and the cluster object make no events). */
    private static final List<String> KINDS = List.of("node", "service", "secret", "config", "network");
    private static final Set<String> ACTIONS = Set.of("create", "update", "remove");
    private static final Set<String> ENGINE_TYPES = Set.of("container", "image", "volume", "plugin", "daemon");

    @Override
    public void register(Router r) {
        r.get("/events", this::events);
    }

    private Router.Streamed events(Call c) {
        Filters f = c.filters().check("type", "event", "scope", "service", "node", "secret", "config", "network",
                "container", "image", "volume", "plugin", "daemon", "label");
        for (String t : f.get("type")) {
            if (!KINDS.contains(t) && !ENGINE_TYPES.contains(t)) {
                throw DockerError.badRequest("invalid filter 'type=" + t + "'");
            }
        }
        for (String a : f.get("event")) {
            if (!a.matches("[a-z_:.-]+")) {
                throw DockerError.badRequest("invalid filter 'event=" + a + "'");
            }
        }
        long until = c.unixMillis("until");
        long since = c.unixMillis("since");
        WatchRequest request = request(f);
        ControlApi api = c.api();
        return new Router.Streamed() {
            @Override
            public String contentType() {
                return "application/json";
            }

            @Override
            public boolean open() {
                return true;
            }

            @Override
            public void write(OutputStream out) throws IOException, InterruptedException {
                out.flush(); // the status and headers go now: the first event may be long in coming
                if (request == null) {
                    // nothing can match: the stream lasts until its until, or until the client goes
                    long left = until == 0 ? Long.MAX_VALUE : until - System.currentTimeMillis();
                    if (left > 0) {
                        Thread.sleep(left);
                    }
                    return;
                }
                try {
                    api.watch(request.toBuilder().setSince(since).setUntil(until).build(), e -> {
                        try {
                            out.write(Json.bytes(json(e)));
                            out.write('\n');
                            out.flush();
                        } catch (IOException x) {
                            throw new UncheckedIOException(x);
                        }
                    });
                } catch (UncheckedIOException e) {
                    // the client went away
                } catch (ControlException e) {
                    // the stream has begun: dockerd ends it the same way when its watch fails
                }
            }
        };
    }

    /**
     * The control API watch that gives what dockerd's filters let through (the control API
     * applies them: every key given must match, objects by ID or name, prefixes too), or null
     * when they can match no swarm event (the engine's own objects, labels, the local scope, or
     * only actions swarm objects do not have).
     */
    static WatchRequest request(Filters f) {
        boolean engineOnly = f.has("container") || f.has("image") || f.has("volume") || f.has("plugin") || f.has("daemon")
                || f.has("label") || (f.has("scope") && !f.get("scope").contains("swarm"));
        List<String> kinds = f.has("type") ? KINDS.stream().filter(f.get("type")::contains).toList() : KINDS;
        List<String> actions = f.get("event").stream().filter(ACTIONS::contains).sorted().toList();
        if (engineOnly || kinds.isEmpty() || (f.has("event") && actions.isEmpty())) {
            return null;
        }
        WatchRequest.Builder b = WatchRequest.newBuilder().addAllKinds(kinds).addAllActions(actions);
        for (String kind : KINDS) {
            if (f.has(kind)) {
                b.putRefs(kind, WatchRefs.newBuilder().addAllValues(f.get(kind).stream().sorted().toList()).build());
            }
        }
        return b.build();
    }

    /** One event in Docker's shape. */
    static ObjectNode json(WatchEvent e) {
        ObjectNode o = Json.object();
        o.put("Type", e.getKind());
        o.put("Action", e.getAction());
        ObjectNode actor = o.putObject("Actor");
        actor.put("ID", e.getId());
        ObjectNode attrs = actor.putObject("Attributes");
        if (!e.getName().isEmpty()) {
            attrs.put("name", e.getName());
        }
        for (Map.Entry<String, String> a : new java.util.TreeMap<>(e.getAttributesMap()).entrySet()) {
            attrs.put(a.getKey(), a.getValue());
        }
        o.put("scope", "swarm");
        o.put("time", e.getTimestamp() / 1000);
        o.put("timeNano", e.getTimestamp() * 1_000_000L);
        return o;
    }
}
