package io.swarmlet.lb.internal;

import io.swarmlet.spi.lb.LoadBalancer;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.osgi.service.component.annotations.Component;

/**
 * The backend with the fewest connections this node's mesh has open to it
 * (picks minus releases). Ties go round-robin: the scan starts one position
 * further at every pick, and the first backend with the lowest count wins, so
 * equally idle backends take turns instead of the first one taking everything.
 *
 * <p>Counts are per node: each node's mesh balances what it forwards itself.
 * Two concurrent picks may both see the same minimum; the error is one
 * connection and corrects itself at the next pick.
 */
@Component(property = LoadBalancer.NAME + "=" + LeastConnections.NAME)
public final class LeastConnections implements LoadBalancer {

    static final String NAME = "least-connections";

    private final ActiveCounts active = new ActiveCounts();
    private final ConcurrentMap<String, AtomicLong> rotation = new ConcurrentHashMap<>();

    @Override
    public InetSocketAddress pick(String serviceId, List<InetSocketAddress> backends, InetSocketAddress client) {
        int size = backends.size();
        if (size == 0) {
            return null;
        }
        int start = (int) Math.floorMod(rotation.computeIfAbsent(serviceId, k -> new AtomicLong(java.util.concurrent.ThreadLocalRandom.current().nextInt(1 << 16))).getAndIncrement(),
                (long) size);
        InetSocketAddress best = null;
        int bestCount = Integer.MAX_VALUE;
        for (int i = 0; i < size; i++) {
            InetSocketAddress b = backends.get((start + i) % size);
            int n = active.get(serviceId, b);
            if (n < bestCount) {
                best = b;
                bestCount = n;
                if (n == 0) {
                    break; // nothing beats idle
                }
            }
        }
        active.increment(serviceId, best);
        return best;
    }

    @Override
    public void released(String serviceId, InetSocketAddress backend) {
        active.decrement(serviceId, backend);
    }

    /** For tests: connections counted as open to the service's backends. */
    int active(String serviceId) {
        return active.total(serviceId);
    }
}
