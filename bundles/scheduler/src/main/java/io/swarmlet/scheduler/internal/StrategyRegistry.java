package io.swarmlet.scheduler.internal;

import io.swarmlet.spi.placement.PlacementStrategy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The {@link PlacementStrategy} whiteboard as the scheduler sees it: every
 * strategy service bound right now, by its {@link PlacementStrategy#NAME}
 * property. When two services claim one name, the higher
 * {@code service.ranking} wins (ties: the earlier registration). Bind and
 * unbind come from SCR's threads at any time; {@link #get} is called from the
 * loop thread and sees an immutable map.
 *
 * <p>"spread" is built in and never looked up here: a service naming itself
 * "spread" is ignored (and logged). A name that is asked for but not bound
 * is logged once ({@link #missing}) until a strategy of that name comes.
 */
final class StrategyRegistry {

    private static final Logger LOG = LogManager.getLogger(StrategyRegistry.class);

    private record Entry(PlacementStrategy strategy, String name, int ranking, long serviceId) {}

    private static final Comparator<Entry> ORDER = Comparator.comparingInt(Entry::ranking).reversed()
            .thenComparingLong(Entry::serviceId);

    private final List<Entry> entries = new ArrayList<>();
    private volatile Map<String, PlacementStrategy> byName = Map.of();
    private volatile long generation;
    private long registrations;
    /** names asked for and found missing since they were last bound (logged once each) */
    private final Set<String> warned = new HashSet<>();

    synchronized void add(PlacementStrategy s, Map<String, ?> props) {
        String name = name(props);
        Entry old = remove0(s);
        if (name == null) {
            LOG.warn("placement strategy {} has no {} property: ignored", s.getClass().getName(), PlacementStrategy.NAME);
        } else if (PlacementStrategy.SPREAD.equals(name)) {
            LOG.warn("placement strategy {} calls itself '{}', the built-in one's name: ignored",
                    s.getClass().getName(), name);
        } else {
            entries.add(new Entry(s, name, ranking(props), serviceId(props)));
            warned.remove(name);
            if (old == null || !old.name().equals(name)) {
                LOG.info("placement strategy '{}' registered ({})", name, s.getClass().getName());
            }
        }
        publish();
    }

    synchronized void remove(PlacementStrategy s) {
        Entry old = remove0(s);
        if (old != null) {
            publish();
            if (!byName.containsKey(old.name())) {
                LOG.warn("placement strategy '{}' unregistered (its plugin went away): the scheduler places tasks"
                        + " of services that name it with spread", old.name());
            }
        }
    }

    private Entry remove0(PlacementStrategy s) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).strategy() == s) {
                return entries.remove(i);
            }
        }
        return null;
    }

    /** The strategy bound under that name, or null. */
    PlacementStrategy get(String name) {
        return byName.get(name);
    }

    /** The names bound right now (tests, logs). */
    Set<String> names() {
        return byName.keySet();
    }

    /** Changes on every bind, unbind and property change. */
    long generation() {
        return generation;
    }

    /**
     * A task asked for {@code name} and none is bound: logs it, once per name
     * until a strategy of that name registers.
     *
     * @return whether it was logged now
     */
    synchronized boolean missing(String name) {
        if (!byName.containsKey(name) && warned.add(name)) {
            LOG.warn("placement strategy '{}' is not available (no plugin provides it): using spread", name);
            return true;
        }
        return false;
    }

    private void publish() {
        entries.sort(ORDER);
        Map<String, PlacementStrategy> m = new HashMap<>();
        for (Entry e : entries) {
            m.putIfAbsent(e.name(), e.strategy());
        }
        byName = Map.copyOf(m);
        generation++;
    }

    private static String name(Map<String, ?> props) {
        Object n = props == null ? null : props.get(PlacementStrategy.NAME);
        if (n instanceof String[] a) {
            n = a.length > 0 ? a[0] : null;
        }
        return n instanceof String s && !s.isBlank() ? s.trim() : null;
    }

    private static int ranking(Map<String, ?> props) {
        Object r = props == null ? null : props.get(FilterRegistry.SERVICE_RANKING);
        return r instanceof Integer i ? i : 0;
    }

    private long serviceId(Map<String, ?> props) {
        Object id = props == null ? null : props.get(FilterRegistry.SERVICE_ID);
        return id instanceof Long l ? l : ++registrations + (1L << 40);
    }
}
