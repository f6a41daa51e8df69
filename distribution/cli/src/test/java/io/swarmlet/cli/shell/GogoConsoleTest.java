package io.swarmlet.cli.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.ListNodesResponse;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.VersionResponse;
import io.swarmlet.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.Descriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The console on a real Gogo runtime (the processor and the per-thread
 * System.out redirection the runtime's activator sets up in the daemon), with
 * the swarm commands running the CLI against a small in-memory API.
 */
class GogoConsoleTest {

    /** Where a session waits at most (a deadline, not a pause). */
    private static final long DEADLINE_SECONDS = 20;

    private ThreadIOImpl threadIO;
    private CommandProcessorImpl processor;
    private GogoConsole console;
    private final CountDownLatch blocked = new CountDownLatch(1);
    private final CountDownLatch interrupted = new CountDownLatch(1);

    /** The stack deploys {@link #api()} was asked for. */
    private static final List<io.swarmlet.api.types.DeployStackRequest> DEPLOYS = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * A one-node API: listNodes answers, deployStack says what it would create, every other
     * call is refused as the real API refuses unknown IDs.
     */
    private static ControlApi api() {
        Node node = Node.newBuilder().setId("abc0000000000000000000001").setRole(NodeRole.MANAGER)
                .setDescription(NodeDescription.newBuilder().setHostname("mgmt-01"))
                .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.READY))
                .setSpec(NodeSpec.newBuilder().setAvailability(NodeSpec.Availability.ACTIVE))
                .build();
        return (ControlApi) Proxy.newProxyInstance(GogoConsoleTest.class.getClassLoader(), new Class<?>[] {ControlApi.class},
                (p, m, a) -> {
                    if (m.getName().equals("listNodes")) {
                        return ListNodesResponse.newBuilder().addNodes(node).build();
                    }
                    if (m.getName().equals("deployStack")) {
                        io.swarmlet.api.types.DeployStackRequest q = (io.swarmlet.api.types.DeployStackRequest) a[0];
                        DEPLOYS.add(q);
                        return io.swarmlet.api.types.DeployStackResponse.newBuilder()
                                .addMessages("Creating service " + q.getName() + "_web").build();
                    }
                    if (m.getName().equals("version")) {
                        return VersionResponse.newBuilder().setNodeId(node.getId()).setVersion("1.2.3").build();
                    }
                    throw new ControlException(ControlException.Code.NOT_FOUND, "service " + m.getName() + " not found");
                });
    }

    /** Commands of scope {@code test}. */
    public class TestCommands {
        public Object answer() {
            return 42;
        }

        public void hello(String who) {
            System.out.println("hello " + who);
        }

        public void block() throws InterruptedException {
            blocked.countDown();
            try {
                new CountDownLatch(1).await();
            } finally {
                interrupted.countDown();
            }
        }
    }

    @BeforeEach
    void setUp() {
        threadIO = new ThreadIOImpl();
        threadIO.start();
        processor = new CommandProcessorImpl(threadIO);
        SwarmScopeCommands swarm = new SwarmScopeCommands(new SwarmletCommand(api()));
        for (String verb : verbs()) {
            processor.addCommand("swarm", swarm, verb);
        }
        TestCommands test = new TestCommands();
        for (String f : List.of("answer", "hello", "block")) {
            processor.addCommand("test", test, f);
        }
        console = new GogoConsole(processor);
    }

    @AfterEach
    void tearDown() {
        console.deactivate();
        processor.stop();
        threadIO.stop();
    }

    /** The CLI's top-level verbs that the shell offers: all but help (Gogo has one) and console (this is it). */
    private static Set<String> verbs() {
        Set<String> verbs = new TreeSet<>(Main.commandLine(new Main(() -> null), new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter())).getSubcommands().keySet());
        verbs.remove("help");
        verbs.remove("console");
        return verbs;
    }

    /** A session recording its output and how often it was closed. */
    private final class Recorded {
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        final AtomicInteger closed = new AtomicInteger();
        final ShellSession session;

        Recorded() {
            session = (ShellSession) console.open(b -> {
                synchronized (output) {
                    output.writeBytes(b);
                }
            }, closed::incrementAndGet);
        }

        void type(String text) {
            session.input(text.getBytes(StandardCharsets.UTF_8));
        }

        String output() {
            synchronized (output) {
                return output.toString(StandardCharsets.UTF_8);
            }
        }

        /** Waits (with a deadline) for the session to end; returns its output. */
        String awaitEnd() throws Exception {
            session.get(DEADLINE_SECONDS, TimeUnit.SECONDS);
            assertEquals(1, closed.get(), "closed runs once");
            return output();
        }
    }

    @Test
    void everyCliVerbIsASwarmFunctionWithHelp() {
        for (String verb : verbs()) {
            Method m = assertDoesNotThrow(verb);
            assertTrue(m.isVarArgs(), verb + " takes the CLI's arguments");
            assertTrue(m.isAnnotationPresent(Descriptor.class), verb + " has a description for Gogo's help");
        }
        assertTrue(verbs().containsAll(List.of("node", "service", "cluster", "swarm", "module", "version")), verbs().toString());
    }

    private static Method assertDoesNotThrow(String verb) {
        try {
            return SwarmScopeCommands.class.getMethod(verb, String[].class);
        } catch (NoSuchMethodException e) {
            throw new AssertionError("the CLI verb '" + verb + "' has no swarm:" + verb + " function in SwarmScopeCommands"
                    + " (add it there and to the component's osgi.command.function list)");
        }
    }

    @Test
    void swarmCommandsPrintWhatTheCliPrints() throws Exception {
        StringWriter cli = new StringWriter();
        assertEquals(0, Main.run(new Main(GogoConsoleTest::api), new PrintWriter(cli), new PrintWriter(new StringWriter()),
                "node", "ls"));

        Recorded r = new Recorded();
        r.type("swarm:node ls\n");
        r.type("node ls\n"); // unqualified works too: no other scope has 'node'
        r.type("exit\n");
        String out = r.awaitEnd();
        String expected = cli.toString();
        assertTrue(expected.contains("mgmt-01"), expected);
        assertEquals(ShellSession.PROMPT + expected + ShellSession.PROMPT + expected + ShellSession.PROMPT, out);
        assertEquals(0, console.openSessions());
    }

    @Test
    void stackDeployReadsTheComposeFileFromTheDaemonsFilesystem(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path compose = dir.resolve("stack.yml");
        java.nio.file.Files.writeString(compose, "services:\n  web:\n    image: nginx\n");
        java.nio.file.Files.writeString(dir.resolve(".env"), "TAG=from-the-daemons-dotenv\n");
        DEPLOYS.clear();
        Recorded r = new Recorded();
        r.type("swarm:stack deploy -c " + compose + " app\n");
        r.type("exit\n");
        String out = r.awaitEnd();
        assertEquals(ShellSession.PROMPT + "Creating service app_web\n" + ShellSession.PROMPT, out);
        assertEquals(1, DEPLOYS.size());
        assertEquals(compose.toString(), DEPLOYS.get(0).getFiles(0).getName());
        assertEquals("services:\n  web:\n    image: nginx\n", DEPLOYS.get(0).getFiles(0).getContent());
        assertEquals("from-the-daemons-dotenv", DEPLOYS.get(0).getEnvOrThrow("TAG"));
    }

    @Test
    void cliErrorsPrintAsTheCliPrintsThemAndTheSessionGoesOn() throws Exception {
        Recorded r = new Recorded();
        r.type("swarm:service inspect nosuch\nswarm:node frobnicate\ntest:hello world\n");
        r.session.close();
        String out = r.awaitEnd();
        assertTrue(out.contains("Error: service getService not found\n"), out);
        assertTrue(out.contains("Unmatched argument at index 1: 'frobnicate'"), out);
        assertTrue(out.contains("See 'swarmlet node --help'."), out);
        assertTrue(out.endsWith("hello world\n" + ShellSession.PROMPT), out);
    }

    @Test
    void resultsAreFormattedAndShellErrorsTakeOneLine() throws Exception {
        Recorded r = new Recorded();
        r.type("test:answer\n\n# a comment\nnosuch:command a b\n");
        r.type("exit\n");
        r.type("test:hello never\n");
        String out = r.awaitEnd();
        assertEquals(ShellSession.PROMPT + "42\n"
                + ShellSession.PROMPT + ShellSession.PROMPT + ShellSession.PROMPT
                + "gogo: CommandNotFoundException: Command not found: nosuch:command\n"
                + ShellSession.PROMPT, out, "nothing runs after exit");
    }

    @Test
    void endOfInputRunsWhatWasTypedThenEnds() throws Exception {
        Recorded r = new Recorded();
        r.type("test:hello one\ntest:hel");
        r.type("lo two"); // a last line without a newline counts
        r.session.close();
        r.session.close();
        String out = r.awaitEnd();
        assertEquals(ShellSession.PROMPT + "hello one\n" + ShellSession.PROMPT + "hello two\n" + ShellSession.PROMPT, out);
    }

    @Test
    void aHangUpInterruptsTheRunningCommandAndRunsNothingMore() throws Exception {
        Recorded r = new Recorded();
        r.type("test:block\ntest:hello never\n");
        assertTrue(blocked.await(DEADLINE_SECONDS, TimeUnit.SECONDS), "the command runs");
        assertFalse(r.session.isDone());
        r.session.cancel(true);
        assertTrue(interrupted.await(DEADLINE_SECONDS, TimeUnit.SECONDS), "the command is interrupted");
        String out = r.awaitEnd();
        assertFalse(out.contains("never"), out);
        assertTrue(r.session.isCancelled());
    }

    @Test
    void whenTheOutputCannotBeDeliveredTheSessionHangsUp() throws Exception {
        AtomicInteger closed = new AtomicInteger();
        ShellSession s = (ShellSession) console.open(b -> {
            throw new IllegalStateException("the client went away");
        }, closed::incrementAndGet);
        s.input("test:block\n".getBytes(StandardCharsets.UTF_8));
        s.get(DEADLINE_SECONDS, TimeUnit.SECONDS);
        assertEquals(1, closed.get());
        assertEquals(1, blocked.getCount(), "nothing ran: the prompt could not be shown");
    }

    @Test
    void stoppingTheConsoleEndsItsSessions() throws Exception {
        Recorded a = new Recorded();
        Recorded b = new Recorded();
        assertEquals(2, console.openSessions());
        console.deactivate();
        a.awaitEnd();
        b.awaitEnd();
        assertEquals(0, console.openSessions());
    }
}
