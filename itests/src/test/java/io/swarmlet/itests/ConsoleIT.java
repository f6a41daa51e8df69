package io.swarmlet.itests;

import io.swarmlet.api.testing.FreePorts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code swarmlet console} against the real distribution: the swarm:* commands
 * typed into a manager's shell (piped in, as a script would) print what the
 * CLI prints and really create a service; a worker's control socket serves a
 * console too, where Gogo's own commands work and cluster commands give the
 * worker's answer.
 */
class ConsoleIT {

    static final String IMAGE = "swarmlet/busybox:1";
    static final String PROMPT = "swarmlet> ";

    private Path root;
    private final List<Process> daemons = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();
    private String managerId;

    @RegisterExtension
    final AnyFailed failed = new AnyFailed();

    @BeforeEach
    void setUp() throws Exception {
        Dist.requireDistributionAndImages(IMAGE);
        root = Files.createTempDirectory(Path.of("/tmp"), "swl-console-");
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (managerId != null && !daemons.isEmpty() && daemons.get(0).isAlive()) {
                Dist.cli(root.resolve("m1.sock"), "service", "rm", "c1");
            }
            for (Process p : daemons) {
                p.destroy();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                }
            }
        } finally {
            removeContainers();
        }
        if (failed.get()) {
            System.err.println("ConsoleIT: state kept for a look: " + root);
        } else {
            try (var paths = Files.walk(root)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** docker rm -f what swarmlet ran for the manager of this test. */
    private void removeContainers() throws Exception {
        if (managerId == null) {
            return;
        }
        Dist.Result ps = Dist.docker("ps", "-aq", "--no-trunc", "--filter", "label=com.docker.swarm.node.id=" + managerId);
        List<String> ids = ps.out().lines().filter(l -> !l.isBlank()).toList();
        if (!ids.isEmpty()) {
            List<String> rm = new ArrayList<>(List.of("rm", "-f", "-v"));
            rm.addAll(ids);
            Dist.docker(rm.toArray(String[]::new));
        }
    }

    /** Starts a daemon named {@code name} (state, socket and log under the test's directory); waits until it is ready. */
    private Path start(String name, String... extra) throws Exception {
        Path socket = root.resolve(name + ".sock");
        List<String> flags = new ArrayList<>(List.of("--state-dir", root.resolve(name).toString(),
                "--listen-control-api", socket.toString(),
                "--listen-remote-api", "127.0.0.1:" + FreePorts.next(), "--listen-raft-api", "127.0.0.1:" + FreePorts.next(),
                "--hostname", name));
        flags.addAll(List.of(extra));
        Path log = root.resolve(name + ".out");
        Process p = Dist.daemon(log, flags.toArray(String[]::new));
        daemons.add(p);
        logs.add(log);
        Dist.await(name + " to be ready", 90, () -> {
            if (!p.isAlive()) {
                throw new AssertionError(name + " exited with " + p.exitValue() + ":\n" + Files.readString(log));
            }
            return null;
        }, () -> Files.readString(log), o -> o.contains("swarmletd: ready"), String::valueOf, () -> "");
        return socket;
    }

    /** Runs {@code swarmlet --socket SOCKET console} with {@code input} piped to it (at most 120 s). */
    private Dist.Result console(Path socket, String input) throws IOException, InterruptedException {
        Path in = Files.writeString(root.resolve("console.in"), input, StandardCharsets.UTF_8);
        Path out = root.resolve("console.out");
        Path err = root.resolve("console.err");
        Process p = new ProcessBuilder(Dist.HOME.resolve("bin/swarmlet").toString(), "--socket", socket.toString(), "console")
                .redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("swarmlet console did not end within 120 s:\n" + Files.readString(out) + Files.readString(err));
        }
        return new Dist.Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void aScriptPipedIntoAManagersConsoleRunsTheClisCommands() throws Exception {
        Path socket = start("m1");
        Dist.awaitLeader(socket, daemons.get(0), logs.get(0));
        // the engine version comes with the agent's first report: wait for it, so both listings show the same row
        Dist.Result cli = ClusterIT.await("m1's engine version in node ls", 60, () -> Dist.cli(socket, "node", "ls"),
                x -> x.out().lines().anyMatch(l -> l.matches(".*\\s+m1\\s+.*Leader\\s+\\S+\\s*")));
        Matcher self = Pattern.compile("(?m)^([0-9a-z]{25}) \\*\\s+m1\\s").matcher(cli.out());
        assertTrue(self.find(), cli.toString());
        managerId = self.group(1);

        Dist.Result r = console(socket, "swarm:node ls\n"
                + "swarm:service create --name c1 " + IMAGE + " sleep 1000\n"
                + "swarm:service ls\n"
                + "exit\n");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("", r.err(), r.toString());
        String[] answers = r.out().split(Pattern.quote(PROMPT), -1);
        assertEquals(5, answers.length, "a prompt before each of the 4 lines, and nothing after exit:\n" + r);
        assertEquals("", answers[0]);
        assertEquals("\n", answers[4], "the CLI ends the output with a newline");

        // swarm:node ls prints what swarmlet node ls prints
        assertEquals(cli.out(), answers[1], r.toString());

        // swarm:service create waits for the service to converge, as the CLI does
        String create = answers[2];
        String serviceId = create.lines().findFirst().orElse("");
        assertTrue(serviceId.matches("[0-9a-z]{25}"), "the first line is the new service's ID:\n" + create);
        assertTrue(create.contains("verify: Service converged"), create);

        Matcher row = Pattern.compile("(?m)^" + serviceId.substring(0, 12) + "\\s+c1\\s+replicated\\s+1/1\\s+" + Pattern.quote(IMAGE))
                .matcher(answers[3]);
        assertTrue(row.find(), "service ls shows c1 with its replica running:\n" + answers[3]);
        assertTrue(answers[3].startsWith("ID"), answers[3]);

        // the service is real: its container runs in the engine
        Dist.Result ps = Dist.docker("ps", "-q", "--filter", "label=com.docker.swarm.service.id=" + serviceId);
        assertEquals(1, ps.out().lines().filter(l -> !l.isBlank()).count(), ps.toString());
    }

    @Test
    void aWorkersSocketServesAConsoleToo() throws Exception {
        Path manager = start("m1");
        Dist.Result ls = Dist.awaitLeader(manager, daemons.get(0), logs.get(0));
        Matcher self = Pattern.compile("(?m)^([0-9a-z]{25}) \\*\\s+m1\\s").matcher(ls.out());
        assertTrue(self.find(), ls.toString());
        managerId = self.group(1);
        Dist.Result token = Dist.cli(manager, "swarm", "join-token", "-q", "worker");
        assertEquals(0, token.exit(), token.toString());
        String remote = Files.readString(logs.get(0)).lines()
                .map(l -> Pattern.compile("remote API listening on (\\S+)").matcher(l))
                .filter(Matcher::find).map(m -> m.group(1)).findFirst().orElseThrow();
        Path worker = start("w1", "--join-addr", remote, "--join-token", token.out().trim());

        Dist.Result r = console(worker, "lb\nswarm:node ls\nswarm:nosuch\n");
        assertEquals(0, r.exit(), r.toString());
        String[] answers = r.out().split(Pattern.quote(PROMPT), -1);
        assertEquals(5, answers.length, r.toString());
        assertTrue(answers[1].contains("Swarmlet CLI"), "Gogo's lb lists the bundles:\n" + answers[1]);
        assertTrue(answers[2].startsWith("Error: This node is not a swarm manager."), answers[2]);
        assertEquals("gogo: CommandNotFoundException: Command not found: swarm:nosuch\n", answers[3]);
    }
}
