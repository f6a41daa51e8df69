package io.swarmlet.scheduler.internal;

import io.swarmlet.spi.placement.NodeFilter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@link NodeFilter} whiteboard as the scheduler sees it: every filter
 * service bound right now, highest {@code service.ranking} first (ties: the
 * earlier registration first), published as an immutable list the loop takes
 * once per round. Bind and unbind come from SCR's threads at any time; each
 * change bumps {@link #generation()} so the loop re-tries waiting tasks.
 */
final class FilterRegistry {

    static final String SERVICE_RANKING = "service.ranking";
    static final String SERVICE_ID = "service.id";

    private record Entry(NodeFilter filter, int ranking, long serviceId) {}

    private static final Comparator<Entry> ORDER = Comparator.comparingInt(Entry::ranking).reversed()
            .thenComparingLong(Entry::serviceId);

    private final List<Entry> entries = new ArrayList<>();
    private volatile List<NodeFilter> ordered = List.of();
    private volatile long generation;
    private long registrations;

    synchronized void add(NodeFilter f, Map<String, ?> props) {
        entries.removeIf(e -> e.filter() == f);
        entries.add(new Entry(f, ranking(props), serviceId(props)));
        publish();
    }

    synchronized void remove(NodeFilter f) {
        if (entries.removeIf(e -> e.filter() == f)) {
            publish();
        }
    }

    /** The filters, in pipeline order. */
    List<NodeFilter> ordered() {
        return ordered;
    }

    /** Changes on every bind, unbind and ranking change. */
    long generation() {
        return generation;
    }

    /** Which of those filter names no bound filter has. */
    Set<String> missing(Collection<String> names) {
        Set<String> out = new LinkedHashSet<>(names);
        for (NodeFilter f : ordered) {
            try {
                out.remove(f.name());
            } catch (RuntimeException e) {
                // a filter that cannot name itself is not one of the required ones
            }
        }
        return out;
    }

    private void publish() {
        entries.sort(ORDER);
        List<NodeFilter> l = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            l.add(e.filter());
        }
        ordered = List.copyOf(l);
        generation++;
    }

    private static int ranking(Map<String, ?> props) {
        Object r = props == null ? null : props.get(SERVICE_RANKING);
        return r instanceof Integer i ? i : 0;
    }

    private long serviceId(Map<String, ?> props) {
        Object id = props == null ? null : props.get(SERVICE_ID);
        // outside a framework (tests) registration order stands in for the service ID
        return id instanceof Long l ? l : ++registrations + (1L << 40);
    }
}
