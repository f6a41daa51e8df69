package io.swarmlet.mesh.internal;

import io.swarmlet.spi.lb.LoadBalancer;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The installed {@link LoadBalancer} plugins by name, with the fallback the
 * contract promises: a route whose strategy is not installed is balanced
 * round-robin, and that is logged once per strategy name. If even
 * "round-robin" is missing (the lb bundle is not installed) a built-in
 * rotation serves, so the mesh never lacks a default.
 */
final class Balancers {

    static final String DEFAULT = "round-robin";

    private static final Logger LOG = LogManager.getLogger(Balancers.class);

    private final Map<String, LoadBalancer> byName = new ConcurrentHashMap<>();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    private final LoadBalancer builtin = new BuiltinRoundRobin();

    /** A plugin appeared; with two of one name, the one added last serves. */
    void add(String name, LoadBalancer lb) {
        if (name == null || name.isEmpty()) {
            LOG.warn("load balancer {} has no {} property: ignored", lb.getClass().getName(), LoadBalancer.NAME);
            return;
        }
        byName.put(name, lb);
        warned.remove(name);
        LOG.debug("load balancer {} available", name);
    }

    void remove(String name, LoadBalancer lb) {
        if (name != null) {
            byName.remove(name, lb);
        }
    }

    /** The strategy for a route (never null). */
    LoadBalancer get(String strategy) {
        String name = strategy == null || strategy.isEmpty() ? DEFAULT : strategy;
        LoadBalancer lb = byName.get(name);
        if (lb != null) {
            return lb;
        }
        LoadBalancer fallback = byName.get(DEFAULT);
        if (warned.add(name)) {
            if (name.equals(DEFAULT)) {
                LOG.info("no {} load balancer installed (bundle io.swarmlet.lb): using the built-in rotation", DEFAULT);
            } else {
                LOG.warn("load balancing strategy {} is not installed: balancing round-robin instead", name);
            }
        }
        return fallback != null ? fallback : builtin;
    }

    /** Each service's backends in turn; the default when no plugin is installed at all. */
    private static final class BuiltinRoundRobin implements LoadBalancer {

        private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();

        @Override
        public InetSocketAddress pick(String serviceId, List<InetSocketAddress> backends, InetSocketAddress client) {
            if (backends.isEmpty()) {
                return null;
            }
            long n = counters.computeIfAbsent(serviceId, k -> new AtomicLong()).getAndIncrement();
            return backends.get((int) Math.floorMod(n, (long) backends.size()));
        }
    }
}
