package io.swarmlet.api.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FreePortsTest {

    @Test
    void portsAreBelowTheEphemeralRangeDistinctAndBindable() throws Exception {
        int lowestEphemeral = Integer.parseInt(
                Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim().split("\\s+")[0]);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            int port = FreePorts.next();
            assertTrue(port >= 20_000 && port < lowestEphemeral, port + " outside [20000, " + lowestEphemeral + ")");
            assertTrue(seen.add(port), port + " handed out twice");
        }
        int port = FreePorts.next();
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            assertEquals(port, s.getLocalPort());
        }
    }

    @Test
    void aPortSomeoneListensOnIsSkipped() throws Exception {
        int first = FreePorts.next();
        // the next call would look at first + 1 (or wrap): hold it, and it must not come back
        int held = first + 1;
        try (ServerSocket s = new ServerSocket()) {
            try {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), held));
            } catch (java.io.IOException alreadyTaken) {
                // someone else holds it: the same case
            }
            int next = FreePorts.next();
            assertFalse(next == held, "returned the held port " + held);
        }
    }
}
