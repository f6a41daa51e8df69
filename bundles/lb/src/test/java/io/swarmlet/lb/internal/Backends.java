package io.swarmlet.lb.internal;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test helpers: backend and client addresses, pick tallies. */
final class Backends {

    private Backends() {}

    static List<InetSocketAddress> of(int n) {
        List<InetSocketAddress> list = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            list.add(new InetSocketAddress("10.0.0." + i, 30000 + i));
        }
        return List.copyOf(list);
    }

    static InetSocketAddress client(int i, int port) {
        return new InetSocketAddress("192.168." + (i / 250) + "." + (1 + i % 250), port);
    }

    static Map<InetSocketAddress, Integer> tally(List<InetSocketAddress> picks) {
        Map<InetSocketAddress, Integer> t = new HashMap<>();
        picks.forEach(p -> t.merge(p, 1, Integer::sum));
        return t;
    }
}
