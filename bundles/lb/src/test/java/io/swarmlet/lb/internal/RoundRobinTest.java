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
        // each rotation starts at a random place, then goes in turn, whatever another service does
        int a = three.indexOf(lb.pick("a", three, null));
        assertEquals(three.get((a + 1) % 3), lb.pick("a", three, null));
        int b = three.indexOf(lb.pick("b", three, null));
        assertEquals(three.get((a + 2) % 3), lb.pick("a", three, null));
        assertEquals(three.get((b + 1) % 3), lb.pick("b", three, null));
    }

    @Test
    void rotationsStartAtRandomPlaces() {
        // 3 nodes (instances) each sending their first connection: not always the same backend
        java.util.Set<InetSocketAddress> firsts = new java.util.HashSet<>();
        for (int node = 0; node < 30; node++) {
            firsts.add(new RoundRobin().pick("svc", three, null));
        }
        assertEquals(3, firsts.size(), "30 fresh rotations start on every backend: " + firsts);
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
