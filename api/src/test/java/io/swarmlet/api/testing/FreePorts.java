package io.swarmlet.api.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for the daemons a test starts, taken from below the kernel's ephemeral range.
 *
 * <p>A port the kernel hands out for {@code bind(0)} comes from the same range it uses for the
 * source port of every outgoing connection. Between a test closing such a port and the daemon
 * it starts binding it, any connection on the machine (the cluster's own gRPC and Raft traffic,
 * the docker CLI, dockerd) may take it as its source port, and the daemon fails with "address
 * already in use". Below that range only listeners bind, so a port that binds now stays free
 * until someone asks for it on purpose. Each call hands out a new port: the JVM starts at a
 * random place in the range and walks on, skipping ports that are taken.
 */
public final class FreePorts {

    private static final int FIRST = 20_000;
    private static final int LAST = lowestEphemeral() - 1;
    private static int next = FIRST + ThreadLocalRandom.current().nextInt(LAST - FIRST);

    private FreePorts() {}

    /** A loopback TCP port that nothing listens on and no earlier call returned. */
    public static synchronized int next() {
        for (int tried = 0; tried <= LAST - FIRST; tried++) {
            int port = next;
            next = next >= LAST ? FIRST : next + 1;
            if (bindable(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port between " + FIRST + " and " + LAST);
    }

    /** The wildcard address binds only if no listener holds the port on any address, loopback ones included. */
    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int lowestEphemeral() {
        try {
            // readAllLines: readString trusts the size procfs reports and reads too little
            String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
            int low = Integer.parseInt(range.split("\\s+")[0]);
            if (low <= FIRST + 1_000) {
                throw new IllegalStateException("the ephemeral port range starts at " + low
                        + "; tests need free ports below it, from " + FIRST);
            }
            return low;
        } catch (IOException e) {
            return 32_768; // not Linux: the IANA range starts higher still
        } catch (NumberFormatException e) {
            throw new UncheckedIOException(new IOException("cannot read ip_local_port_range", e));
        }
    }
}
