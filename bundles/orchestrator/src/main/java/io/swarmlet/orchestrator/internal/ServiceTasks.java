package io.swarmlet.orchestrator.internal;

import io.swarmlet.api.types.Task;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The tasks of one service as the open transaction sees them: read once at
 * the start of a pass and kept up to date with every write the pass makes, so
 * that each step sees what the steps before it did.
 */
final class ServiceTasks {

    private final String serviceId;
    private final Map<String, Task> byId = new LinkedHashMap<>();

    ServiceTasks(String serviceId) {
        this.serviceId = serviceId;
    }

    String serviceId() {
        return serviceId;
    }

    void put(Task t) {
        byId.put(t.getId(), t);
    }

    void remove(String id) {
        byId.remove(id);
    }

    /** A copy: safe to iterate while writing. */
    List<Task> all() {
        return new ArrayList<>(byId.values());
    }

    List<Task> where(Predicate<Task> p) {
        List<Task> out = new ArrayList<>();
        for (Task t : byId.values()) {
            if (p.test(t)) {
                out.add(t);
            }
        }
        return out;
    }

    /** The tasks matching {@code p}, grouped by {@code key}, each group oldest first. */
    <K> Map<K, List<Task>> groupBy(Predicate<Task> p, Function<Task, K> key) {
        return byId.values().stream().filter(p).sorted(Tasks.OLDEST_FIRST)
                .collect(Collectors.groupingBy(key, LinkedHashMap::new, Collectors.toList()));
    }

    boolean isEmpty() {
        return byId.isEmpty();
    }
}
