package io.swarmlet.dispatcher.internal;

import io.swarmlet.api.metrics.MemoryMetrics;
import static io.swarmlet.dispatcher.internal.DispatcherImplTest.cluster;
import static io.swarmlet.dispatcher.internal.DispatcherImplTest.describe;
import static io.swarmlet.dispatcher.internal.DispatcherImplTest.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dispatcher's meters: open sessions, and nodes marked down for missed heartbeats. */
class DispatcherMetricsTest {

    @TempDir
    Path dir;

    private SingleNodeStore running;
    private Store store;

    @BeforeEach
    void setUp() throws Exception {
        running = SingleNodeStore.start(dir, "manager0000000000000000001");
        store = running.store();
        store.update(tx -> {
            tx.create(Kind.CLUSTER, cluster(100));
            tx.create(Kind.NODE, node(DispatcherImplTest.A, NodeStatus.State.READY));
        });
    }

    @AfterEach
    void tearDown() {
        running.close();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void sessionsAndHeartbeatMisses() throws Exception {
        MemoryMetrics metrics = new MemoryMetrics();
        AtomicReference<Dispatcher> registered = new AtomicReference<>();
        DispatcherComponent component = new DispatcherComponent(store, d -> {
            registered.set(d);
            return () -> registered.set(null);
        });
        component.setMetrics(metrics);
        assertEquals(0.0, metrics.gaugeValue(DispatcherComponent.SESSIONS), "not leading: no sessions");

        component.leadershipChanged(true);
        await("the dispatcher", () -> registered.get() != null);
        Session s = registered.get().open(DispatcherImplTest.A, describe("a"));
        assertEquals(1.0, metrics.gaugeValue(DispatcherComponent.SESSIONS));

        // no heartbeats: the node is marked down after three periods, and that is counted
        await("node down", () -> store.view(tx -> tx.get(Kind.NODE, DispatcherImplTest.A).orElseThrow())
                .getStatus().getState() == NodeStatus.State.DOWN);
        await("a miss counted", () -> metrics.counterValue(DispatcherImpl.HEARTBEAT_MISSES) != null && metrics.counterValue(DispatcherImpl.HEARTBEAT_MISSES) >= 1.0);

        s.close();
        await("session gone", () -> metrics.gaugeValue(DispatcherComponent.SESSIONS) == 0.0);
        component.leadershipChanged(false);
        await("stopped", () -> registered.get() == null);

        component.unsetMetrics(metrics);
        assertNull(metrics.gaugeValue(DispatcherComponent.SESSIONS), "the gauge goes with the registry");
        component.deactivate();
    }
}
