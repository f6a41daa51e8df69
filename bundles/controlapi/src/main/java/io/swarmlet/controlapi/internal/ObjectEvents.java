package io.swarmlet.controlapi.internal;

import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.types.Config;
import io.swarmlet.api.types.Meta;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Secret;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.WatchEvent;
import io.swarmlet.api.types.WatchRequest;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The control API's {@code watch}: the store's changes as {@link WatchEvent}s (SwarmKit's watch
 * API, the stuff of Docker's swarm events), read from the {@link EventHub}, one watch of this manager's replica.
 * Only names and a few fields go out: never a secret's or config's data.
 */
final class ObjectEvents {

    /** What a watch without kinds gets: everything but tasks, which change all the time. */
    static final Set<String> DEFAULT_KINDS = Set.of("node", "service", "secret", "config", "network", "cluster");
    /** Every kind a watch may ask for. */
    static final Set<String> KINDS = Set.of("node", "service", "task", "secret", "config", "network", "cluster");
    private static final Set<String> ACTIONS = Set.of("create", "update", "remove");

    private ObjectEvents() {}

    /**
     * Serves one watch from the hub: the kept events since {@code since} first, then the live
     * ones, each of the asked kinds that passes the filters, until {@code until}.
     */
    static void watch(EventHub hub, WatchRequest request, Consumer<WatchEvent> sink) throws InterruptedException {
        Set<String> kinds = kinds(request);
        Predicate<WatchEvent> wanted = filter(request);
        long since = request.getSince();
        long until = request.getUntil();
        if (since < 0 || until < 0 || (until > 0 && until < since)) {
            throw ControlException.invalid("since and until are unix milliseconds, since not after until");
        }
        Predicate<WatchEvent> passes = e -> kinds.contains(e.getKind()) && wanted.test(e);
        try (EventHub.Subscription s = hub.subscribe()) {
            if (since > 0) {
                for (WatchEvent e : s.replay()) {
                    if (e.getTimestamp() >= since && (until == 0 || e.getTimestamp() <= until) && passes.test(e)) {
                        sink.accept(e);
                    }
                }
            }
            while (true) {
                long wait = 1_000;
                if (until > 0) {
                    wait = Math.min(wait, until - System.currentTimeMillis());
                    if (wait <= 0) {
                        return;
                    }
                }
                WatchEvent e = s.poll(wait);
                if (e == null) {
                    String ended = s.ended();
                    if (ended != null) {
                        throw new ControlException(ControlException.Code.UNAVAILABLE, ended);
                    }
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                } else if (passes.test(e)) {
                    sink.accept(e);
                }
            }
        }
    }

    static Set<String> kinds(WatchRequest request) {
        if (request.getKindsCount() == 0) {
            return DEFAULT_KINDS;
        }
        Set<String> out = new LinkedHashSet<>();
        for (String k : request.getKindsList()) {
            String kind = k.trim().toLowerCase(Locale.ROOT);
            if (!KINDS.contains(kind)) {
                throw ControlException.invalid("cannot watch '" + k + "': the kinds are " + String.join(", ", KINDS.stream().sorted().toList()));
            }
            out.add(kind);
        }
        return out;
    }

    /**
     * The request's actions and object filters, checked, as one test. Docker's semantics: each
     * filter given must match (any of its values); an object filter matches an event whose ID or
     * name starts with the value, whatever the event's kind (as dockerd's {@code service=web}).
     */
    static Predicate<WatchEvent> filter(WatchRequest request) {
        Set<String> actions = new LinkedHashSet<>();
        for (String a : request.getActionsList()) {
            String action = a.trim().toLowerCase(Locale.ROOT);
            if (!ACTIONS.contains(action)) {
                throw ControlException.invalid("cannot watch the action '" + a + "': the actions are create, update and remove");
            }
            actions.add(action);
        }
        Map<String, List<String>> refs = new TreeMap<>();
        request.getRefsMap().forEach((kind, values) -> {
            if (!KINDS.contains(kind)) {
                throw ControlException.invalid("cannot filter events by '" + kind + "': the object filters are "
                        + String.join(", ", KINDS.stream().sorted().toList()));
            }
            if (values.getValuesCount() == 0 || values.getValuesList().stream().anyMatch(String::isEmpty)) {
                throw ControlException.invalid("the '" + kind + "' filter needs an ID or a name");
            }
            refs.put(kind, values.getValuesList());
        });
        return e -> (actions.isEmpty() || actions.contains(e.getAction()))
                && refs.values().stream().allMatch(values -> values.stream()
                        .anyMatch(v -> e.getId().startsWith(v) || (!e.getName().isEmpty() && e.getName().startsWith(v))));
    }

    /** The event of one store change, or null for a commit marker or a kind not asked for. */
    static WatchEvent event(StoreEvent e, Set<String> kinds) {
        if (e.action() == StoreEvent.Action.COMMIT || e.kind() == null || !kinds.contains(e.kind().name())) {
            return null;
        }
        WatchEvent.Builder b = WatchEvent.newBuilder()
                .setKind(e.kind().name())
                .setAction(e.action().name().toLowerCase(Locale.ROOT))
                .setIndex(e.index());
        Object o = e.object();
        Object old = e.old();
        if (o instanceof Service s) {
            b.setId(s.getId()).setName(s.getSpec().getAnnotations().getName()).setTimestamp(time(s.getMeta()));
            if (old instanceof Service before) {
                changed(b, "image", before, s, x -> x.getSpec().getTask().getContainer().getImage());
                changed(b, "replicas", before, s, ObjectEvents::replicas);
                changed(b, "updatestate", before, s, x -> x.hasUpdateStatus() ? x.getUpdateStatus().getState().name().toLowerCase(Locale.ROOT) : "");
            }
        } else if (o instanceof Node n) {
            if (old instanceof Node before && countersOnly(before, n)) {
                return null; // a node's mesh writes its counters every 2 s under traffic: no event for those
            }
            b.setId(n.getId()).setName(n.getDescription().getHostname()).setTimestamp(time(n.getMeta()));
            if (old instanceof Node before) {
                changed(b, "state", before, n, x -> x.getStatus().getState().name().toLowerCase(Locale.ROOT));
                changed(b, "availability", before, n, x -> x.getSpec().getAvailability().name().toLowerCase(Locale.ROOT));
                changed(b, "role", before, n, x -> x.getRole().name().toLowerCase(Locale.ROOT));
            }
        } else if (o instanceof Task t) {
            b.setId(t.getId()).setTimestamp(time(t.getMeta()));
            if (old instanceof Task before) {
                changed(b, "state", before, t, x -> x.getStatus().getState().name().toLowerCase(Locale.ROOT));
                changed(b, "desiredstate", before, t, x -> x.getDesiredState().name().toLowerCase(Locale.ROOT));
            }
        } else if (o instanceof Secret s) {
            b.setId(s.getId()).setName(s.getSpec().getAnnotations().getName()).setTimestamp(time(s.getMeta()));
        } else if (o instanceof Config c) {
            b.setId(c.getId()).setName(c.getSpec().getAnnotations().getName()).setTimestamp(time(c.getMeta()));
        } else if (o instanceof Network n) {
            b.setId(n.getId()).setName(n.getSpec().getAnnotations().getName()).setTimestamp(time(n.getMeta()));
        } else if (o instanceof io.swarmlet.api.types.Cluster c) {
            b.setId(c.getId()).setName(c.getSpec().getAnnotations().getName()).setTimestamp(time(c.getMeta()));
        } else {
            return null;
        }
        if (b.getTimestamp() == 0 || e.action() == StoreEvent.Action.REMOVE) {
            b.setTimestamp(System.currentTimeMillis()); // a removal's object is as it was before
        }
        return b.build();
    }

    /** Whether a node update changed its mesh counters only. */
    static boolean countersOnly(Node before, Node after) {
        return before.toBuilder().clearMeta().clearMesh().build().equals(after.toBuilder().clearMeta().clearMesh().build());
    }

    private static long time(Meta m) {
        return m.getUpdatedAt() != 0 ? m.getUpdatedAt() : m.getCreatedAt();
    }

    private static String replicas(Service s) {
        ServiceSpec spec = s.getSpec();
        return spec.hasReplicated() ? Long.toString(spec.getReplicated().getReplicas()) : "";
    }

    private static <T> void changed(WatchEvent.Builder b, String field, T before, T after, Function<T, String> read) {
        String was = read.apply(before);
        String is = read.apply(after);
        if (!Objects.equals(was, is)) {
            b.putAttributes(field + ".old", was);
            b.putAttributes(field + ".new", is);
        }
    }
}
