package io.swarmlet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmlet.api.node.Console;
import io.swarmlet.grpc.ControlGrpcService;
import io.swarmlet.grpc.Transports;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code swarmlet console} against a real gRPC server on a unix socket, whose
 * Console is a small line-echoing shell: what the user types reaches the
 * session, what it prints reaches stdout, and the command ends when the
 * session does.
 */
class ConsoleCommandTest {

    private static Path dir;
    private static Path socket;
    private static Transports.Listener server;
    /** The console the socket serves (null: none running). */
    private static volatile Console console;
    private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

    private InputStream stdin;
    /** Lines the echo shell received, and whether each session saw its end of input. */
    private final List<String> received = new CopyOnWriteArrayList<>();

    record Result(int code, String out, String err) { }

    @BeforeAll
    static void serve() throws IOException {
        assumeTrue(Transports.unixSocketsAvailable(), "unix sockets need Linux with epoll");
        GRPC_LOG.setLevel(java.util.logging.Level.SEVERE);
        dir = Files.createTempDirectory(Path.of("/tmp"), "swcon");
        socket = dir.resolve("c.sock");
        server = Transports.serveUnix(socket, "console-test", List.of(
                new ControlGrpcService(new FakeControlApi(), e -> { }).withConsole(() -> console)));
    }

    @AfterAll
    static void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @BeforeEach
    void keepStdin() {
        stdin = System.in;
        console = new EchoConsole();
    }

    @AfterEach
    void restoreStdin() {
        System.setIn(stdin);
    }

    /**
     * A shell that prints "> " and answers each line with "echo: LINE"; "bye"
     * ends the session from the daemon's side, as exit does.
     */
    private final class EchoConsole implements Console {
        @Override
        public Session open(Consumer<byte[]> output, Runnable closed) {
            output.accept("> ".getBytes(StandardCharsets.UTF_8));
            return new Session() {
                private final StringBuilder partial = new StringBuilder();
                private boolean done;

                @Override
                public synchronized void input(byte[] data) {
                    partial.append(new String(data, StandardCharsets.UTF_8));
                    int nl;
                    while (!done && (nl = partial.indexOf("\n")) >= 0) {
                        String line = partial.substring(0, nl);
                        partial.delete(0, nl + 1);
                        received.add(line);
                        if (line.equals("bye")) {
                            close();
                            return;
                        }
                        output.accept(("echo: " + line + "\n> ").getBytes(StandardCharsets.UTF_8));
                    }
                }

                @Override
                public synchronized void close() {
                    if (!done) {
                        done = true;
                        received.add("<end>");
                        closed.run();
                    }
                }
            };
        }
    }

    private static Result console(InputStream in) {
        System.setIn(in);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new Main(), new PrintWriter(out), new PrintWriter(err), "--socket", socket.toString(), "console");
        return new Result(code, out.toString(), err.toString());
    }

    private static InputStream text(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void pipedInputRunsAndTheCommandEndsWithTheSession() {
        Result r = console(text("swarm:node ls\nlb\n"));
        assertEquals("", r.err());
        assertEquals(0, r.code());
        assertEquals("> echo: swarm:node ls\n> echo: lb\n> \n", r.out(), "the last prompt gets its newline");
        assertEquals(List.of("swarm:node ls", "lb", "<end>"), received);
    }

    @Test
    void theSessionEndingOnTheDaemonsSideEndsTheCommandWhileInputIsStillOpen() throws IOException {
        PipedOutputStream typing = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(typing);
        typing.write("hello\nbye\n".getBytes(StandardCharsets.UTF_8));
        typing.flush();
        // the input stays open (a terminal where nobody typed Ctrl-D)
        Result r = console(in);
        assertEquals(0, r.code(), r.err());
        assertEquals("> echo: hello\n> \n", r.out());
        assertEquals(List.of("hello", "bye", "<end>"), received);
        typing.close();
    }

    @Test
    void aLineSplitAcrossReadsArrivesWhole() {
        InputStream dribble = new InputStream() {
            private final byte[] data = "swarm:ser".getBytes(StandardCharsets.UTF_8);
            private final byte[] rest = "vice ls\n".getBytes(StandardCharsets.UTF_8);
            private int part;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                byte[] d = part == 0 ? data : part == 1 ? rest : null;
                part++;
                if (d == null) {
                    return -1;
                }
                System.arraycopy(d, 0, b, off, d.length);
                return d.length;
            }
        };
        Result r = console(dribble);
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("swarm:service ls", "<end>"), received);
    }

    @Test
    void withoutAConsoleTheDaemonSaysWhy() {
        console = null;
        Result r = console(text("lb\n"));
        assertEquals(1, r.code());
        assertEquals("Error: the shell console is not running on this daemon (bundle io.swarmlet.cli)\n", r.err());
    }

    @Test
    void withoutADaemonTheUsualConnectionError() {
        System.setIn(text(""));
        StringWriter err = new StringWriter();
        int code = Main.run(new Main(), new PrintWriter(new StringWriter()), new PrintWriter(err),
                "--socket", dir.resolve("none.sock").toString(), "console");
        assertEquals(1, code);
        assertTrue(err.toString().startsWith("Error: cannot connect to swarmletd: no control socket at "), err.toString());
    }

    @Test
    void inTheDaemonsShellThereIsNoConsoleInTheConsole() {
        StringWriter err = new StringWriter();
        int code = Main.run(new Main(FakeControlApi::new), new PrintWriter(new StringWriter()), new PrintWriter(err), "console");
        assertEquals(1, code);
        assertEquals("Error: swarmlet console attaches to a daemon from the command line; this is already the daemon's shell\n",
                err.toString());
    }

    @Test
    void utf8SplitAcrossMessagesIsDecodedWhole() throws IOException {
        StringWriter out = new StringWriter();
        ConsoleCommand.Utf8Writer w = new ConsoleCommand.Utf8Writer(new PrintWriter(out));
        byte[] text = "Grüße > ".getBytes(StandardCharsets.UTF_8);
        w.write(text, 0, 3); // "Gr" and the first byte of ü
        w.write(text, 3, text.length - 3);
        w.end();
        assertEquals("Grüße > \n", out.toString());
    }
}
