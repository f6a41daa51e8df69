package io.swarmlet.lb.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceHashTest {

    private final SourceHash lb = new SourceHash();
    private final List<InetSocketAddress> three = Backends.of(3);

    @Test
    void aClientKeepsItsBackendWhateverItsPort() {
        InetSocketAddress first = lb.pick("svc", three, Backends.client(7, 40000));
        for (int i = 0; i < 300; i++) {
            assertEquals(first, lb.pick("svc", three, Backends.client(7, 40001 + i)));
        }
        // and a fresh instance (another node's mesh) agrees
        assertEquals(first, new SourceHash().pick("svc", three, Backends.client(7, 1)));
    }

    @Test
    void clientsSpreadOverBackends() {
        List<InetSocketAddress> picks = new ArrayList<>();
        for (int c = 0; c < 900; c++) {
            picks.add(lb.pick("svc", three, Backends.client(c, 5000)));
        }
        Map<InetSocketAddress, Integer> t = Backends.tally(picks);
        three.forEach(b -> assertTrue(t.getOrDefault(b, 0) >= 200, t.toString()));
    }

    @Test
    void removingABackendMovesOnlyItsClients() {
        Map<Integer, InetSocketAddress> before = assign(three, 900);
        InetSocketAddress gone = three.get(1);
        List<InetSocketAddress> two = List.of(three.get(0), three.get(2));
        Map<Integer, InetSocketAddress> after = assign(two, 900);
        for (int c = 0; c < 900; c++) {
            if (!before.get(c).equals(gone)) {
                assertEquals(before.get(c), after.get(c), "client " + c);
            }
        }
        // the order of the list does not matter either
        assertEquals(after, assign(List.of(three.get(2), three.get(0)), 900));
    }

    @Test
    void addingABackendMovesAboutAQuarter() {
        Map<Integer, InetSocketAddress> before = assign(three, 1000);
        List<InetSocketAddress> four = Backends.of(4);
        Map<Integer, InetSocketAddress> after = assign(four, 1000);
        int moved = 0;
        for (int c = 0; c < 1000; c++) {
            if (!before.get(c).equals(after.get(c))) {
                assertEquals(four.get(3), after.get(c), "a client moved somewhere other than the new backend");
                moved++;
            }
        }
        assertTrue(moved > 150 && moved < 350, "moved " + moved);
    }

    private Map<Integer, InetSocketAddress> assign(List<InetSocketAddress> backends, int clients) {
        Map<Integer, InetSocketAddress> m = new HashMap<>();
        for (int c = 0; c < clients; c++) {
            m.put(c, lb.pick("svc", backends, Backends.client(c, 6000 + c)));
        }
        return m;
    }
}
