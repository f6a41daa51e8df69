package io.swarmlet.mesh.internal;

import java.util.concurrent.atomic.LongAdder;

/**
 * One published port's counters on this node. Written from the event loops
 * (LongAdder: no contention between them), read by status reports.
 */
final class PortStats {

    final LongAdder connectionsTotal = new LongAdder();
    final LongAdder connectionsActive = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    final LongAdder backendErrors = new LongAdder();
    /** Why the port could not be taken ("" when it is listening). */
    volatile String listenError = "";

    void opened() {
        connectionsTotal.increment();
        connectionsActive.increment();
    }

    void closed() {
        connectionsActive.decrement();
    }
}
