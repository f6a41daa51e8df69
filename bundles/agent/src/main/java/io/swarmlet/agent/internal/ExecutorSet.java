package io.swarmlet.agent.internal;

import io.swarmlet.spi.executor.Executor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;

/**
 * The executors registered on this node, by task runtime (their
 * {@link Executor#RUNTIME} property, absent = {@link Executor#CONTAINER}).
 * When several run the same runtime, the agent uses one: the one matching the
 * agent's {@code executor.target} filter, then the highest service ranking,
 * then the oldest service. The {@code executor.target} one also describes the
 * node (else the executor of the first runtime in name order).
 *
 * <p>Thread-safe; every change says which runtimes now have another executor
 * (or none).
 */
final class ExecutorSet {

    /** One registered executor. */
    record Entry(Executor executor, String runtime, String type, int ranking, long serviceId) {}

    private static final Comparator<Entry> BY_PREFERENCE = Comparator.comparingInt(Entry::ranking).reversed()
            .thenComparingLong(Entry::serviceId);

    private final AtomicLong ids = new AtomicLong(Long.MAX_VALUE / 2); // for executors registered without service.id (tests)

    // guarded by this
    private final Map<Executor, Entry> entries = new IdentityHashMap<>();
    private final Map<String, Long> lostAt = new HashMap<>();
    private Filter target;
    private Map<String, Entry> chosen = Map.of();

    /** The runtime of a task's spec ("" = containers). */
    static String runtimeOf(String specRuntime) {
        return specRuntime == null || specRuntime.isEmpty() ? Executor.CONTAINER : specRuntime;
    }

    /** Adds (or, for one already there, updates) an executor; returns the runtimes whose executor changed. */
    synchronized Set<String> add(Executor e, Map<String, ?> props) {
        Object rt = props.get(Executor.RUNTIME);
        Object type = props.get(Executor.TYPE);
        Object ranking = props.get(Constants.SERVICE_RANKING);
        Object id = props.get(Constants.SERVICE_ID);
        entries.put(e, new Entry(e, runtimeOf(rt == null ? "" : rt.toString().trim()),
                type == null ? "" : type.toString(),
                ranking instanceof Integer r ? r : 0,
                id instanceof Long l ? l : ids.incrementAndGet()));
        return choose();
    }

    /** Removes an executor; returns the runtimes whose executor changed. */
    synchronized Set<String> remove(Executor e) {
        return entries.remove(e) == null ? Set.of() : choose();
    }

    /** The filter preferring one executor ({@code executor.target}); null = none. */
    synchronized Set<String> target(Filter filter) {
        target = filter;
        return choose();
    }

    /** The executor that runs tasks of that runtime, or null. */
    synchronized Executor get(String runtime) {
        Entry e = chosen.get(runtime);
        return e == null ? null : e.executor();
    }

    /** The executors in use, one per runtime, in runtime order. */
    synchronized List<Entry> inUse() {
        return new ArrayList<>(new TreeMap<>(chosen).values());
    }

    /** Every runtime an executor runs here, sorted. */
    synchronized SortedSet<String> runtimes() {
        return new TreeSet<>(chosen.keySet());
    }

    synchronized boolean isEmpty() {
        return entries.isEmpty();
    }

    /**
     * The executors to ask for the node's description, best first: the one
     * matching the target, then the others in use.
     */
    synchronized List<Entry> describers() {
        List<Entry> order = new ArrayList<>();
        entries.values().stream().filter(this::targeted).sorted(BY_PREFERENCE).findFirst().ifPresent(order::add);
        for (Entry e : inUse()) {
            if (!order.contains(e)) {
                order.add(e);
            }
        }
        return order;
    }

    /** When (System.nanoTime()) the runtime last lost its executor, or null if it never did. */
    synchronized Long lostAt(String runtime) {
        return lostAt.get(runtime);
    }

    private boolean targeted(Entry e) {
        if (target == null) {
            return false;
        }
        Map<String, Object> props = new HashMap<>();
        props.put(Executor.TYPE, e.type());
        props.put(Executor.RUNTIME, e.runtime());
        return target.matches(props);
    }

    private Set<String> choose() {
        Map<String, Entry> next = new HashMap<>();
        Comparator<Entry> order = Comparator.comparing((Entry e) -> !targeted(e)).thenComparing(BY_PREFERENCE);
        for (Entry e : entries.values()) {
            next.merge(e.runtime(), e, (a, b) -> order.compare(a, b) <= 0 ? a : b);
        }
        Set<String> changed = new HashSet<>();
        Set<String> all = new HashSet<>(chosen.keySet());
        all.addAll(next.keySet());
        long now = System.nanoTime();
        for (String rt : all) {
            Entry before = chosen.get(rt);
            Entry after = next.get(rt);
            if (!Objects.equals(before == null ? null : before.executor(), after == null ? null : after.executor())) {
                changed.add(rt);
                if (after == null) {
                    lostAt.put(rt, now);
                }
            }
        }
        chosen = Map.copyOf(next);
        return changed;
    }
}
