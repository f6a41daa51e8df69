package io.swarmlet.mesh.internal;

import static io.swarmlet.mesh.internal.Tables.table;
import static io.swarmlet.mesh.internal.Tables.tcp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.testing.FreePorts;
import io.swarmlet.api.types.MeshStatus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ControlLoopTest {

    private final AtomicReference<Dispatcher> current = new AtomicReference<>();
    private RoutingMesh mesh;
    private ControlLoop loop;
    private TcpBackend backend;

    @BeforeEach
    void setUp() throws IOException {
        backend = new TcpBackend("a", TcpBackend.Mode.LINES);
        mesh = new RoutingMesh(Tables.settings(true, Duration.ofSeconds(60)), new Balancers());
        loop = new ControlLoop(mesh, current::get, () -> "node-1", Duration.ofMillis(100));
        loop.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        loop.close();
        mesh.close();
        backend.close();
    }

    private void swap(Dispatcher d) {
        current.set(d);
        loop.dispatcherChanged();
    }

    private static String request(int port, String line) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    private static boolean reportShows(FakeDispatcher d, int port, long total) {
        MeshStatus s = d.lastReport();
        return s != null && s.getPortsList().stream()
                .anyMatch(p -> p.getPublishedPort() == port && p.getConnectionsTotal() == total);
    }

    @Test
    void followsTheTableAndReportsCountersWhenTheyChange() throws Exception {
        FakeDispatcher leader = new FakeDispatcher();
        int port = FreePorts.next();
        leader.publish(table(1, tcp("web", port, backend.address())));
        swap(leader);
        Eventually.await(() -> mesh.routes().getVersion() == 1, () -> "table 1 applied");
        assertEquals("a hi", request(port, "hi"));
        Eventually.await(() -> reportShows(leader, port, 1), () -> "reported: " + leader.reports);
        assertEquals("node-1", leader.reporters.get(0));

        // nothing changes: no further report (a few periods of 100 ms pass)
        Eventually.await(() -> reportShows(leader, port, 1)
                && leader.lastReport().getPorts(0).getConnectionsActive() == 0, () -> "idle reported");
        int reports = leader.reports.size();
        long polls = leader.polls.get();
        Eventually.await(() -> leader.polls.get() >= polls, () -> "");
        Thread.sleep(350); // the absence of reports is what is checked here
        assertEquals(reports, leader.reports.size(), "unchanged counters are not reported again");

        // a new table version is picked up by the long poll
        int second = FreePorts.next();
        leader.publish(table(2, tcp("web", port, backend.address()), tcp("api", second, backend.address())));
        Eventually.await(() -> mesh.routes().getVersion() == 2, () -> "table 2 applied");
        assertEquals("a there", request(second, "there"));
        Eventually.await(() -> reportShows(leader, second, 1), () -> "reported: " + leader.lastReport());
    }

    @Test
    void aNewLeaderIsAskedAtOnceEvenWithTheSameVersionNumber() throws Exception {
        FakeDispatcher old = new FakeDispatcher();
        int port = FreePorts.next();
        old.publish(table(5, tcp("web", port, backend.address())));
        swap(old);
        Eventually.await(() -> mesh.routes().getVersion() == 5, () -> "old table");

        FakeDispatcher fresh = new FakeDispatcher();
        int other = FreePorts.next();
        fresh.publish(table(5, tcp("api", other, backend.address()))); // numbered its own way
        long start = System.nanoTime();
        swap(fresh);
        Eventually.await(() -> mesh.routes().getRoutesCount() == 1
                && mesh.routes().getRoutes(0).getServiceName().equals("api"), () -> "new leader's table");
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(3).toNanos(),
                "the old long poll (10 s) was cut short");
        assertEquals("a new", request(other, "new"));
        // the new leader gets a report too, even though the counters did not change since the last one
        Eventually.await(() -> fresh.lastReport() != null, () -> "report to the new leader");
    }

    @Test
    void keepsTheLastTableWhileTheDispatcherFailsAndRecovers() throws Exception {
        FakeDispatcher leader = new FakeDispatcher();
        int port = FreePorts.next();
        leader.failures.set(3);
        leader.publish(table(1, tcp("web", port, backend.address())));
        swap(leader);
        Eventually.await(() -> mesh.routes().getVersion() == 1, () -> "applied after the failures");
        assertTrue(leader.polls.get() >= 4);

        swap(null); // no dispatcher at all (between leaders)
        assertEquals("a still", request(port, "still"));
        assertEquals(1, mesh.routes().getVersion());
        swap(leader);
        leader.publish(table(2));
        Eventually.await(() -> mesh.routes().getVersion() == 2 && mesh.status().getPortsCount() == 0,
                () -> "emptied");
    }
}
