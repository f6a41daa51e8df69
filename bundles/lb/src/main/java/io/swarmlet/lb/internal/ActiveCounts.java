package io.swarmlet.lb.internal;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Connections in progress per service and backend: picks minus releases, as
 * the mesh reports them. Entries disappear when they reach zero, so backends
 * that left the table do not accumulate. Shared by the strategies that prefer
 * idle backends; each strategy instance keeps its own, since the mesh tells
 * releases only to the strategy that picked.
 */
final class ActiveCounts {

    private final ConcurrentMap<String, ConcurrentMap<InetSocketAddress, Integer>> byService =
            new ConcurrentHashMap<>();

    /** The backend's current count (0 if unknown). */
    int get(String serviceId, InetSocketAddress backend) {
        Map<InetSocketAddress, Integer> m = byService.get(serviceId);
        if (m == null) {
            return 0;
        }
        Integer n = m.get(backend);
        return n == null ? 0 : n;
    }

    void increment(String serviceId, InetSocketAddress backend) {
        byService.computeIfAbsent(serviceId, k -> new ConcurrentHashMap<>()).merge(backend, 1, Integer::sum);
    }

    /** One less; never below zero (a release without a pick is ignored). */
    void decrement(String serviceId, InetSocketAddress backend) {
        ConcurrentMap<InetSocketAddress, Integer> m = byService.get(serviceId);
        if (m != null) {
            m.computeIfPresent(backend, (k, v) -> v <= 1 ? null : v - 1);
        }
    }

    /** Sum over every backend of the service (for tests). */
    int total(String serviceId) {
        Map<InetSocketAddress, Integer> m = byService.get(serviceId);
        return m == null ? 0 : m.values().stream().mapToInt(Integer::intValue).sum();
    }
}
