package io.swarmlet.lb.internal;

import io.swarmlet.spi.lb.LoadBalancer;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.osgi.service.component.annotations.Component;

/**
 * Power of two choices: two distinct backends at random, the one with fewer
 * open connections (a coin decides a tie). Nearly as good as least-connections
 * at avoiding busy backends, without every node's mesh herding onto the same
 * "least loaded" one when their counts agree.
 */
@Component(property = LoadBalancer.NAME + "=" + PowerOfTwo.NAME)
public final class PowerOfTwo implements LoadBalancer {

    static final String NAME = "power-of-two";

    private final ActiveCounts active = new ActiveCounts();

    @Override
    public InetSocketAddress pick(String serviceId, List<InetSocketAddress> backends, InetSocketAddress client) {
        int size = backends.size();
        if (size == 0) {
            return null;
        }
        InetSocketAddress chosen;
        if (size == 1) {
            chosen = backends.get(0);
        } else {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            int i = random.nextInt(size);
            int j = random.nextInt(size - 1);
            if (j >= i) {
                j++; // distinct from i, uniformly
            }
            InetSocketAddress a = backends.get(i);
            InetSocketAddress b = backends.get(j);
            int na = active.get(serviceId, a);
            int nb = active.get(serviceId, b);
            chosen = na < nb ? a : nb < na ? b : random.nextBoolean() ? a : b;
        }
        active.increment(serviceId, chosen);
        return chosen;
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
