package io.swarmlet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.swarmlet.api.control.ControlApi;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Parsing, usage errors and help: none of them may touch the server. */
class CliParsingTest {

    private final List<String> connects = new ArrayList<>();

    record Result(int code, String out, String err) {}

    /** A CLI whose API records that it was asked for, then fails. */
    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Main root = new Main(() -> {
            connects.add(String.join(" ", args));
            throw new AssertionError("must not connect for: " + String.join(" ", args));
        });
        int code = Main.run(root, new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    private void assertUsageError(Result r, String message, String command) {
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("Error: " + message), r.err());
        assertTrue(r.err().endsWith("See '" + command + " --help'.\n"), r.err());
        assertTrue(connects.isEmpty(), "connected: " + connects);
    }

    @Test
    void noArgumentsPrintsUsage() {
        Result r = run();
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("Usage: swarmlet "), r.out());
        assertTrue(r.out().contains("node"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void groupWithoutSubcommandPrintsItsUsage() {
        Result r = run("node");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("Usage: swarmlet node "), r.out());
        assertTrue(r.out().contains("drain"), r.out());
    }

    @Test
    void unknownFlagIsAUsageError() {
        assertUsageError(run("node", "ls", "--bogus"), "Unknown option: '--bogus'", "swarmlet node ls");
    }

    @Test
    void unknownCommandIsAUsageErrorWithSuggestions() {
        Result r = run("nod", "ls");
        assertUsageError(r, "Unmatched arguments from index 0: 'nod', 'ls'", "swarmlet");
        assertTrue(r.err().contains("node"), r.err());
    }

    @Test
    void missingArgumentIsAUsageError() {
        assertUsageError(run("node", "inspect"), "Missing required parameter: 'NODE'", "swarmlet node inspect");
        assertUsageError(run("node", "drain"), "Missing required parameter: 'NODE'", "swarmlet node drain");
        assertUsageError(run("swarm", "join-token"), "Missing required parameter: 'worker|manager'", "swarmlet swarm join-token");
    }

    @Test
    void badValuesAreUsageErrors() {
        assertUsageError(run("node", "update", "--availability", "sleep", "abc"),
                "Invalid value for option '--availability'", "swarmlet node update");
        assertUsageError(run("swarm", "join-token", "admin"),
                "Invalid value for positional parameter at index 0 (worker|manager)", "swarmlet swarm join-token");
        assertUsageError(run("node", "ls", "--format", "{{.Nope}}"), "invalid --format: template: cannot use {{.Nope}}",
                "swarmlet node ls");
        assertUsageError(run("node", "ls", "--format", "{{.ID"), "invalid --format: template: unclosed action", "swarmlet node ls");
        assertUsageError(run("node", "ls", "-f", "colour=red"), "invalid filter 'colour'", "swarmlet node ls");
        assertUsageError(run("node", "update", "--label-add", "=x", "abc"), "invalid label '=x'", "swarmlet node update");
    }

    @Test
    void helpWorksOnEveryCommand() {
        List<List<String>> paths = new ArrayList<>();
        collect(Main.commandLine(new Main(), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())),
                new ArrayList<>(), paths);
        assertTrue(paths.size() > 15, "commands: " + paths);
        for (List<String> path : paths) {
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(path);
                args.add(flag);
                Result r = run(args.toArray(String[]::new));
                assertEquals(0, r.code(), args + ": " + r.err());
                String qualified = String.join(" ", path.isEmpty() ? List.of("swarmlet") : prepend("swarmlet", path));
                assertTrue(r.out().startsWith("Usage: " + qualified), args + ": " + r.out());
                assertEquals("", r.err());
            }
        }
        assertTrue(connects.isEmpty(), "connected: " + connects);
    }

    @Test
    void helpCommand() {
        Result r = run("help", "node", "update");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Usage: swarmlet node update"), r.out());
        assertUsageError(run("help", "nodes"), "unknown command 'nodes'", "swarmlet help");
    }

    @Test
    void versionFlagPrintsClientVersion() {
        Result r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().matches("swarmlet version \\S+\n"), r.out());
        assertTrue(!r.out().contains("${"), "filtered at build time: " + r.out());
    }

    @Test
    void commandsRunInProcessAgainstAGivenApi() {
        FakeControlApi fake = new FakeControlApi();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ControlApi api = fake;
        int code = Main.run(new Main(() -> api), new PrintWriter(out), new PrintWriter(err),
                "--socket", "/nonexistent/ignored.sock", "node", "ls", "--format", "{{.Hostname}}");
        assertEquals(0, code, err.toString());
        assertEquals("manager1\nmanager2\nworker1\n", out.toString());
    }

    private static List<String> prepend(String first, List<String> rest) {
        List<String> l = new ArrayList<>();
        l.add(first);
        l.addAll(rest);
        return l;
    }

    private static void collect(CommandLine cmd, List<String> path, List<List<String>> into) {
        into.add(path);
        cmd.getSubcommands().forEach((name, sub) -> {
            if (!sub.getCommandName().equals(name)) {
                return; // an alias
            }
            List<String> p = new ArrayList<>(path);
            p.add(name);
            collect(sub, p, into);
        });
    }
}
