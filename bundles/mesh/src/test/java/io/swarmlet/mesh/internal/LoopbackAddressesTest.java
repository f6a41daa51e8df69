package io.swarmlet.mesh.internal;

import static io.swarmlet.mesh.internal.Tables.table;
import static io.swarmlet.mesh.internal.Tables.vipRoute;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmlet.api.testing.FreePorts;
import io.swarmlet.api.types.PortConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real address manager: /32s on the loopback device with iproute2. Needs root; skipped otherwise. */
class LoopbackAddressesTest {

    static final String A = "10.250.77.1";
    static final String B = "10.250.77.2";

    @BeforeEach
    void root() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to change the loopback device");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")), "needs iproute2");
        cleanUp();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (String a : List.of(A, B)) {
            if (onLoopback().contains(a + "/32")) {
                new ProcessBuilder("ip", "addr", "del", a + "/32", "dev", "lo").start().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** What {@code ip -4 addr show dev lo} says. */
    private static String onLoopback() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "-4", "addr", "show", "dev", "lo").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(5, TimeUnit.SECONDS);
        return out;
    }

    @Test
    void anAddressIsAddedOnceAndRemoved() throws Exception {
        LoopbackAddresses lo = new LoopbackAddresses();
        assertTrue(lo.add(A));
        assertTrue(onLoopback().contains("inet " + A + "/32 "), onLoopback());
        assertFalse(lo.add(A), "already there (File exists): not added by this call");
        lo.remove(A);
        assertFalse(onLoopback().contains(A + "/32"));
        lo.remove(A); // already gone: no error
    }

    @Test
    void withoutIpTheErrorSaysWhatToDo() {
        IOException e = assertThrows(IOException.class, () -> new LoopbackAddresses("/nonexistent/ip").add(A));
        assertTrue(e.getMessage().startsWith("cannot add " + A + " to the loopback device: cannot run /nonexistent/ip"),
                e.getMessage());
        assertTrue(e.getMessage().contains("vips=false"), e.getMessage());
    }

    @Test
    void theMeshListensOnAVipItAddsAndRemovesItWhenItLeavesTheTable() throws Exception {
        TcpBackend backend = new TcpBackend("task", TcpBackend.Mode.LINES);
        RoutingMesh mesh = new RoutingMesh(Tables.settings(false, true, 53), new Balancers());
        try (backend; mesh) {
            int port = FreePorts.next();
            mesh.apply(table(1, vipRoute("web", B, PortConfig.Protocol.TCP, port, backend.address())));
            assertTrue(onLoopback().contains("inet " + B + "/32 "), onLoopback());
            assertEquals("", Tables.stats(mesh, PortConfig.Protocol.TCP, port).getListenError());
            try (Socket s = new Socket(InetAddress.getByName(B), port)) {
                s.setSoTimeout(5_000);
                s.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                assertEquals("task hello",
                        new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine());
            }
            mesh.apply(table(2));
            assertFalse(onLoopback().contains(B + "/32"), onLoopback());
        }
    }
}
