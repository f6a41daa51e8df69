package io.swarmlet.mesh.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link LocalAddresses} for tests on 127.0.0.0/8 (every address of it is local already): records what the
 * mesh adds and removes; addresses in {@link #present} count as added by someone else; {@link #failing}
 * makes every add fail as iproute2 does without root.
 */
final class FakeLocalAddresses implements LocalAddresses {

    final List<String> added = new ArrayList<>();
    final List<String> removed = new ArrayList<>();
    final Set<String> present = ConcurrentHashMap.newKeySet();
    volatile boolean failing;

    @Override
    public synchronized boolean add(String address) throws IOException {
        if (failing) {
            throw new IOException("cannot add " + address + " to the loopback device (ip addr add " + address
                    + "/32 dev lo: RTNETLINK answers: Operation not permitted)");
        }
        if (!present.add(address)) {
            return false;
        }
        added.add(address);
        return true;
    }

    @Override
    public synchronized void remove(String address) {
        present.remove(address);
        removed.add(address);
    }

    synchronized List<String> added() {
        return List.copyOf(added);
    }

    synchronized List<String> removed() {
        return List.copyOf(removed);
    }
}
