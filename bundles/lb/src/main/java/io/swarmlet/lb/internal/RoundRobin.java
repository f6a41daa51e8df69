package io.swarmlet.lb.internal;

import io.swarmlet.spi.lb.LoadBalancer;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.osgi.service.component.annotations.Component;

/**
 * The default strategy: each service's backends in turn. One counter per
 * service, so two services behind the same mesh do not disturb each other's
 * rotation; a retry (shorter list) simply continues the rotation over what is left.
 * Each rotation starts at a random place, so the nodes of a cluster (one
 * instance each) do not all send their first connections to the same backend.
 *
 * <p>Registered for the mesh; the mesh also falls back to it when a route names
 * a strategy that is not installed.
 */
@Component(property = LoadBalancer.NAME + "=" + RoundRobin.NAME)
public final class RoundRobin implements LoadBalancer {

    static final String NAME = "round-robin";

    private final ConcurrentMap<String, AtomicLong> counters = new ConcurrentHashMap<>();

    @Override
    public InetSocketAddress pick(String serviceId, List<InetSocketAddress> backends, InetSocketAddress client) {
        if (backends.isEmpty()) {
            return null;
        }
        long n = counters.computeIfAbsent(serviceId, k -> new AtomicLong(java.util.concurrent.ThreadLocalRandom.current().nextInt(1 << 16))).getAndIncrement();
        return backends.get((int) Math.floorMod(n, (long) backends.size()));
    }
}
