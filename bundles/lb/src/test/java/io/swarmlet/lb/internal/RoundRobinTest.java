package io.swarmlet.lb.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoundRobinTest {

    private final RoundRobin lb = new RoundRobin();
    private final List<InetSocketAddress> three = Backends.of(3);

    @Test
    void spreads300PicksExactlyEvenly() {
        List<InetSocketAddress> picks = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            picks.add(lb.pick("svc", three, Backends.client(0, 40000 + i)));
        }
        Map<InetSocketAddress, Integer> t = Backends.tally(picks);
        assertEquals(3, t.size());
        three.forEach(b -> assertEquals(100, t.get(b), b.toString()));
        // strictly in turn
        for (int i = 1; i < picks.size(); i++) {
            assertEquals(three.get((three.indexOf(picks.get(i - 1)) + 1) % 3), picks.get(i));
        }
    }

    @Test
    void servicesRotateIndependently() {
        assertEquals(three.get(0), lb.pick("a", three, null));
        assertEquals(three.get(1), lb.pick("a", three, null));
        assertEquals(three.get(0), lb.pick("b", three, null));
        assertEquals(three.get(2), lb.pick("a", three, null));
    }

    @Test
    void retryListAndEmpty() {
        List<InetSocketAddress> one = List.of(three.get(2));
        for (int i = 0; i < 5; i++) {
            assertEquals(three.get(2), lb.pick("svc", one, null));
        }
        assertNull(lb.pick("svc", List.of(), null));
    }
}
