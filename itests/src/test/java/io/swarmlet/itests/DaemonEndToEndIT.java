package io.swarmlet.itests;

import io.swarmlet.api.testing.FreePorts;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real distribution as processes: start swarmletd, drive it with the
 * swarmlet CLI, SIGKILL it, start it again on the same state dir and find
 * everything as it was.
 */
class DaemonEndToEndIT {

    Path state;
    Path socket;
    Path log;
    String[] flags;
    Process daemon;

    @BeforeEach
    void setUp() throws Exception {
        assertTrue(Files.isExecutable(Dist.HOME.resolve("bin/swarmletd")), "build the distribution first: " + Dist.HOME);
        state = Files.createTempDirectory(Path.of("/tmp"), "swl-e2e-");
        socket = state.resolve("ctl.sock");
        log = state.resolve("daemon.out");
        int remote = FreePorts.next();
        int raft = FreePorts.next();
        flags = new String[] {"--state-dir", state.toString(), "--listen-control-api", socket.toString(),
                "--listen-remote-api", "127.0.0.1:" + remote, "--listen-raft-api", "127.0.0.1:" + raft,
                "--hostname", "e2e-01"};
    }

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static String selfId(String nodeLs) {
        Matcher m = Pattern.compile("(?m)^([0-9a-z]{25}) \\*\\s+e2e-01\\s").matcher(nodeLs);
        assertTrue(m.find(), "no row for this node marked * in:\n" + nodeLs);
        return m.group(1);
    }

    @Test
    void startQueryKillRestartKeepsState() throws Exception {
        daemon = Dist.daemon(log, flags);
        Dist.Result ls = Dist.awaitLeader(socket, daemon, log);
        assertTrue(ls.out().startsWith("ID"), ls.toString());
        for (String col : List.of("HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS")) {
            assertTrue(ls.out().lines().findFirst().orElse("").contains(col), ls.toString());
        }
        String id = selfId(ls.out());
        String row = ls.out().lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow();
        assertTrue(row.matches(".*\\bReady\\s+Active\\s+Leader\\b.*"), row);

        Dist.Result cluster = Dist.cli(socket, "cluster", "inspect", "default");
        assertEquals(0, cluster.exit(), cluster.toString());
        Matcher tokens = Pattern.compile("SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}").matcher(cluster.out());
        assertTrue(tokens.find(), cluster.toString());
        String firstToken = tokens.group();
        assertTrue(tokens.find(), "want a worker and a manager token:\n" + cluster);

        Dist.Result inspect = Dist.cli(socket, "node", "inspect", id.substring(0, 5));
        assertEquals(0, inspect.exit(), inspect.toString());
        assertTrue(inspect.out().contains(id), inspect.toString());

        Dist.Result unknown = Dist.cli(socket, "node", "inspect", "nosuchnode");
        assertNotEquals(0, unknown.exit(), unknown.toString());
        assertTrue(unknown.err().contains("No such node: nosuchnode"), unknown.toString());

        Dist.Result drain = Dist.cli(socket, "node", "drain", id.substring(0, 6));
        assertEquals(0, drain.exit(), drain.toString());
        assertTrue(Dist.cli(socket, "node", "ls").out().contains("Drain"));

        // a second daemon on the same control socket is refused in one line, the first keeps running
        Path log2 = state.resolve("second.out");
        Path state2 = Files.createTempDirectory(Path.of("/tmp"), "swl-e2e2-");
        Process second = Dist.daemon(log2, "--state-dir", state2.toString(), "--listen-control-api", socket.toString(),
                "--listen-remote-api", "127.0.0.1:" + FreePorts.next(), "--listen-raft-api", "127.0.0.1:" + FreePorts.next());
        assertTrue(second.waitFor(90, TimeUnit.SECONDS), "second daemon did not give up");
        assertNotEquals(0, second.exitValue());
        assertTrue(Files.readString(log2).contains("in use"), Files.readString(log2));
        assertTrue(daemon.isAlive());

        // SIGKILL, then start again on the same state dir
        daemon.destroyForcibly();
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS));
        daemon = Dist.daemon(log, flags);
        Dist.Result again = Dist.awaitLeader(socket, daemon, log);
        assertEquals(id, selfId(again.out()), again.toString());
        assertTrue(again.out().contains("Drain"), "availability lost over the restart:\n" + again);
        Dist.Result cluster2 = Dist.cli(socket, "cluster", "inspect", "default");
        assertTrue(cluster2.out().contains(firstToken), "join token changed over the restart:\n" + cluster2);

        // SIGTERM stops it cleanly
        daemon.destroy();
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, daemon.exitValue(), Files.readString(log));
    }

    @Test
    void badFlagsAreRefusedInOneLine() throws Exception {
        Dist.Result unknown = Dist.run(List.of(Dist.HOME.resolve("bin/swarmletd").toString(), "--no-such-flag"));
        assertNotEquals(0, unknown.exit(), unknown.toString());
        assertTrue((unknown.out() + unknown.err()).contains("--no-such-flag"), unknown.toString());

        Dist.Result join = Dist.run(List.of(Dist.HOME.resolve("bin/swarmletd").toString(), "--state-dir", state.toString(),
                "--join-addr", "127.0.0.1:4242", "--join-token", "SWMTKN-1-x-y"));
        assertEquals(1, join.exit(), join.toString());
        assertTrue(join.err().trim().startsWith("swarmletd: error: cannot join the cluster at 127.0.0.1:4242: invalid join token format"),
                join.toString());
        assertEquals(1, join.err().trim().lines().count(), "one line: " + join);
        try (var inState = Files.list(state)) {
            assertEquals(List.of(), inState.toList(), "a refused join wrote to the state dir");
        }

        Dist.Result noDaemon = Dist.cli(state.resolve("none.sock"), "node", "ls");
        assertEquals(1, noDaemon.exit(), noDaemon.toString());
        assertTrue(noDaemon.err().startsWith("Error: "), noDaemon.toString());
        assertTrue(noDaemon.err().contains("swarmletd running"), noDaemon.toString());
    }
}
