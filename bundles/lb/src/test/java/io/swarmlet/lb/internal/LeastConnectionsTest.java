package io.swarmlet.lb.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class LeastConnectionsTest {

    private final LeastConnections lb = new LeastConnections();
    private final List<InetSocketAddress> three = Backends.of(3);

    @Test
    void shortConnectionsSpreadEvenlyByRotation() {
        List<InetSocketAddress> picks = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            InetSocketAddress b = lb.pick("svc", three, null);
            picks.add(b);
            lb.released("svc", b);
        }
        Map<InetSocketAddress, Integer> t = Backends.tally(picks);
        three.forEach(b -> assertEquals(100, t.get(b), b.toString()));
        assertEquals(0, lb.active("svc"));
    }

    @Test
    void favoursIdleBackends() {
        // a slow backend keeps 5 connections open
        InetSocketAddress slow = three.get(0);
        List<InetSocketAddress> held = new ArrayList<>();
        while (held.size() < 5) {
            InetSocketAddress b = lb.pick("svc", List.of(slow), null);
            held.add(b);
        }
        // quick requests never go to it while the others are less loaded
        for (int i = 0; i < 100; i++) {
            InetSocketAddress b = lb.pick("svc", three, null);
            assertNotEquals(slow, b);
            lb.released("svc", b);
        }
        // long requests fill the others up to the slow one's level, then all share
        List<InetSocketAddress> picks = new ArrayList<>();
        for (int i = 0; i < 13; i++) {
            picks.add(lb.pick("svc", three, null));
        }
        Map<InetSocketAddress, Integer> t = Backends.tally(picks);
        assertEquals(1, t.getOrDefault(slow, 0), t.toString());
        assertEquals(6, t.get(three.get(1)));
        assertEquals(6, t.get(three.get(2)));
        held.forEach(b -> lb.released("svc", b));
        picks.forEach(b -> lb.released("svc", b));
        assertEquals(0, lb.active("svc"));
    }

    @Test
    void releaseWithoutPickIsIgnored() {
        lb.released("svc", three.get(1));
        assertEquals(0, lb.active("svc"));
        InetSocketAddress b = lb.pick("svc", three, null);
        assertEquals(1, lb.active("svc"));
        lb.released("svc", b);
        lb.released("svc", b);
        assertEquals(0, lb.active("svc"));
    }

    @Test
    void concurrentPicksAndReleasesBalanceOut() throws Exception {
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    List<InetSocketAddress> open = new ArrayList<>();
                    for (int i = 0; i < 20_000; i++) {
                        open.add(lb.pick("svc", three, null));
                        if (open.size() > 3 || ThreadLocalRandom.current().nextBoolean()) {
                            lb.released("svc", open.remove(0));
                        }
                    }
                    open.forEach(b -> lb.released("svc", b));
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            th.start();
            all.add(th);
        }
        start.countDown();
        for (Thread th : all) {
            th.join(30_000);
        }
        assertEquals(null, failure.get());
        assertEquals(0, lb.active("svc"));
        assertTrue(all.stream().noneMatch(Thread::isAlive));
    }
}
