package io.swarmlet.lb.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PowerOfTwoTest {

    private final PowerOfTwo lb = new PowerOfTwo();
    private final List<InetSocketAddress> three = Backends.of(3);

    @Test
    void shortConnectionsSpreadAboutEvenly() {
        List<InetSocketAddress> picks = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            InetSocketAddress b = lb.pick("svc", three, null);
            picks.add(b);
            lb.released("svc", b);
        }
        Map<InetSocketAddress, Integer> t = Backends.tally(picks);
        // binomial(300, 1/3): sd ~8.2; 60..140 is ~5 sd either side
        three.forEach(b -> assertTrue(t.getOrDefault(b, 0) >= 60 && t.get(b) <= 140, t.toString()));
        assertEquals(0, lb.active("svc"));
    }

    @Test
    void longConnectionsStayBalanced() {
        List<InetSocketAddress> picks = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            picks.add(lb.pick("svc", three, null));
        }
        Map<InetSocketAddress, Integer> t = Backends.tally(picks);
        // each pick goes to the less loaded of two: the spread stays within a few connections
        int max = t.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        int min = t.values().stream().mapToInt(Integer::intValue).min().orElseThrow();
        assertTrue(max - min <= 10, t.toString());
        assertEquals(300, lb.active("svc"));
        picks.forEach(b -> lb.released("svc", b));
        assertEquals(0, lb.active("svc"));
    }

    @Test
    void neverPicksTheBusierOfTwo() {
        List<InetSocketAddress> two = Backends.of(2);
        for (int i = 0; i < 3; i++) {
            lb.pick("svc", List.of(two.get(0)), null); // two.get(0) holds 3
        }
        for (int i = 0; i < 50; i++) {
            InetSocketAddress b = lb.pick("svc", two, null);
            assertNotEquals(two.get(0), b);
            lb.released("svc", b);
        }
    }

    @Test
    void singleBackend() {
        InetSocketAddress only = three.get(1);
        assertEquals(only, lb.pick("svc", List.of(only), null));
    }
}
