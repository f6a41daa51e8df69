package io.swarmlet.cli;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.grpc.RemoteControlApi;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code swarmlet}, the command line client of swarmletd (swarmctl and the
 * docker node/service/swarm verbs). The root command holds the global options and a
 * {@link Supplier} of the {@link ControlApi} the subcommands call: over gRPC
 * to {@code --socket} by default (connected on first use, so {@code --help}
 * and parse errors never touch the socket), or any API given to
 * {@link #Main(Supplier)}, which lets an in-process caller (the Gogo shell)
 * run the same commands:
 *
 * <pre>
 * int rc = Main.run(new Main(() -&gt; localControlApi), out, err, "node", "ls");
 * </pre>
 *
 * Exit codes: 0 success, 1 error (one line {@code Error: <message>} on the
 * error stream), 2 usage error (the problem plus a hint to use --help).
 */
@Command(name = "swarmlet",
        description = "Control a Swarmlet cluster through the control socket of a swarmletd manager.",
        synopsisSubcommandLabel = "COMMAND",
        versionProvider = Main.ClientVersion.class,
        subcommands = {
                NodeCommands.class,
                ServiceCommands.class,
                SecretCommands.class,
                ConfigCommands.class,
                NetworkCommands.class,
                StackCommands.class,
                EventsCommand.class,
                WebCommands.class,
                ClusterCommands.class,
                SwarmCommands.class,
                ModuleCommands.class,
                PluginCommands.class,
                ConsoleCommand.class,
                VersionCommand.class,
                HelpCommand.class,
        },
        footer = {"", "Run 'swarmlet COMMAND --help' for more information on a command."})
public final class Main implements Callable<Integer>, AutoCloseable {

    /** swarmletd's default control socket (relative to the directory swarmletd was started in). */
    public static final String DEFAULT_SOCKET = "./swarmletstate/swarmletd.sock";
    /** The environment variable that overrides the default socket. */
    public static final String SOCKET_ENV = "SWARM_SOCKET";
    /** How long one call to the server may take. */
    public static final long DEADLINE_MILLIS = 20_000;

    /** How long create, update, scale and rollback wait for a service to converge before giving up. */
    public static final long CONVERGE_TIMEOUT_MILLIS = 5 * 60_000;

    public static final int EXIT_OK = 0;
    public static final int EXIT_ERROR = 1;
    public static final int EXIT_USAGE = 2;

    @Option(names = "--socket", paramLabel = "PATH", scope = ScopeType.INHERIT,
            defaultValue = "${env:" + SOCKET_ENV + ":-" + DEFAULT_SOCKET + "}",
            description = {"Control socket of swarmletd (env " + SOCKET_ENV + ").", "Default: ${DEFAULT-VALUE}"})
    Path socket;

    @Option(names = {"-D", "--debug"}, scope = ScopeType.INHERIT,
            description = "Print the stack trace of errors.")
    boolean debug;

    @Option(names = {"-h", "--help"}, usageHelp = true, scope = ScopeType.INHERIT,
            description = "Show this help message and exit.")
    boolean help;

    @Option(names = {"-v", "--version"}, versionHelp = true,
            description = "Print the client version and exit.")
    boolean version;

    @Spec
    CommandSpec spec;

    private final Supplier<ControlApi> api;
    private final Leave leave;
    /** The daemon's modules (its own business, not the managers' API); null when this caller has none. */
    private final io.swarmlet.api.node.Modules modules;
    private RemoteControlApi remote;

    /**
     * How {@code swarm leave} makes the node leave: not a {@link ControlApi}
     * call (that is the managers' API) but the node's own, served on the
     * control socket of every node, manager or worker.
     */
    @FunctionalInterface
    public interface Leave {
        /**
         * @return the node's message ("Node left the swarm.")
         * @throws ControlException with the node's reason when it refuses
         */
        String leave(boolean force);
    }

    /** What "2 minutes ago" is measured against; tests set a fixed clock. */
    Clock clock = Clock.systemUTC();
    /** How converge progress waits between polls; tests advance their clock instead of sleeping. */
    ConvergeProgress.Sleeper sleeper = Thread::sleep;
    /** Whether the output is a terminal: converge progress is then redrawn in place. */
    boolean tty;
    /** How long to wait for a service to converge. */
    long convergeTimeoutMillis = CONVERGE_TIMEOUT_MILLIS;
    /** Where {@code -e KEY} (no value) looks the value up, as docker does: this process's environment. */
    UnaryOperator<String> environment = System::getenv;
    /** The whole environment, for {@code stack deploy}'s interpolation variables (docker sends its process environment). */
    Supplier<Map<String, String>> environ = System::getenv;
    /** Where relative paths start ({@code stack deploy -c -}: the files a compose file names). */
    Supplier<Path> workingDir = () -> Path.of("").toAbsolutePath();
    /** What {@code secret create NAME -} and {@code swarm unlock} read: this process's standard input (a shell session's in Gogo). */
    Supplier<InputStream> stdin = () -> System.in;
    /**
     * Reads a line from the terminal without echoing it, after a prompt (null when there
     * is no terminal); used only when {@link #tty}. Tests replace it.
     */
    java.util.function.Function<String, char[]> readPassword = prompt -> {
        java.io.Console console = System.console();
        return console == null ? null : console.readPassword("%s", prompt);
    };

    /** The command line client: the API is reached over gRPC at {@code --socket}. */
    public Main() {
        this.api = this::connect;
        this.leave = force -> connect().leaveSwarm(force);
        this.modules = new io.swarmlet.api.node.Modules() {
            @Override
            public io.swarmlet.api.types.ListModulesResponse list() {
                return connect().listModules();
            }

            @Override
            public io.swarmlet.api.types.ChangeModuleResponse change(io.swarmlet.api.types.ChangeModuleRequest r) {
                return connect().changeModule(r);
            }
        };
    }

    /**
     * Runs the commands against {@code api} (for in-process callers); {@code --socket} is ignored,
     * and {@code swarm leave} is refused.
     */
    public Main(Supplier<ControlApi> api) {
        this(api, null);
    }

    /** Runs the commands against {@code api}, and {@code swarm leave} through {@code leave} (null: refused). */
    public Main(Supplier<ControlApi> api, Leave leave) {
        this(api, leave, null);
    }

    /** As above, and {@code module ...} through {@code modules} (null: refused). */
    public Main(Supplier<ControlApi> api, Leave leave, io.swarmlet.api.node.Modules modules) {
        this.api = Objects.requireNonNull(api, "api");
        this.leave = leave;
        this.modules = modules;
    }

    /** How {@code module ...} reaches the daemon's modules; null when this caller has none. */
    public io.swarmlet.api.node.Modules modules() {
        return modules;
    }

    /** Where the subcommands get their {@link ControlApi}; asking for it may connect. */
    public Supplier<ControlApi> api() {
        return api;
    }

    /** How {@code swarm leave} reaches the node; null when this caller cannot leave. */
    public Leave leave() {
        return leave;
    }

    private synchronized RemoteControlApi connect() {
        if (remote == null) {
            remote = RemoteControlApi.unix(socket == null ? Path.of(DEFAULT_SOCKET) : socket, DEADLINE_MILLIS);
        }
        return remote;
    }

    /** Closes the connection, if one was made. */
    @Override
    public synchronized void close() {
        if (remote != null) {
            remote.close();
            remote = null;
        }
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return EXIT_OK;
    }

    /** Kept referenced: a logger's level is lost when it is garbage collected. */
    private static final Logger GRPC_LOG = Logger.getLogger("io.grpc");

    /**
     * Netty settings for a short-lived client process, applied unless set on
     * the command line: no JFR allocation events (loading JFR costs ~40 ms)
     * and no pooled allocator (its arenas are for long-lived servers).
     */
    static final Map<String, String> CLIENT_NETTY_PROPERTIES = Map.of(
            "io.grpc.netty.shaded.io.netty.jfr.enabled", "false",
            "io.grpc.netty.shaded.io.netty.allocator.type", "unpooled");

    public static void main(String[] args) {
        CLIENT_NETTY_PROPERTIES.forEach((k, v) -> {
            if (System.getProperty(k) == null) {
                System.setProperty(k, v);
            }
        });
        // gRPC/Netty log warnings through java.util.logging to stderr; a CLI prints only its own
        // messages (Netty warns, for one, that unix sockets have no SO_KEEPALIVE)
        GRPC_LOG.setLevel(Level.SEVERE);
        PrintWriter out = new PrintWriter(System.out, false);
        PrintWriter err = new PrintWriter(System.err, true);
        Main root = new Main();
        root.tty = System.console() != null;
        // Ctrl-C: interrupt the command (a followed log or converge progress ends cleanly, output
        // flushed) and give it a moment to finish before the JVM halts
        Thread command = Thread.currentThread();
        CountDownLatch finished = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (finished.getCount() > 0) {
                command.interrupt();
                try {
                    finished.await(2, TimeUnit.SECONDS);
                } catch (InterruptedException ignored) {
                    // halting anyway
                }
            }
        }, "swarmlet-interrupt"));
        int code = run(root, out, err, args);
        finished.countDown();
        System.exit(code);
    }

    /** Parses and runs {@code args}, closes any connection made, and returns the exit code. */
    public static int run(Main root, PrintWriter out, PrintWriter err, String... args) {
        try {
            return commandLine(root, out, err).execute(args);
        } finally {
            root.close();
            out.flush();
            err.flush();
        }
    }

    /** The picocli command line for {@code root}, printing to {@code out} and {@code err}, with swarmlet's error handling. */
    public static CommandLine commandLine(Main root, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(root);
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> error(ex, cmd, root.debug));
        endOptionsAtFirstArgument(cl);
        return cl;
    }

    /** {@code service create IMAGE [COMMAND] [ARG...]}: what follows the image is not parsed as options. */
    private static void endOptionsAtFirstArgument(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommand() instanceof CliCommand && ((CliCommand) sub.getCommand()).optionsEndAtFirstArgument()) {
                sub.setStopAtPositional(true);
            }
            endOptionsAtFirstArgument(sub);
        }
    }

    private static int usageError(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("Error: " + ex.getMessage());
        UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("See '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
        Object root = cmd.getCommandSpec().root().userObject();
        if (root instanceof Main && ((Main) root).debug) {
            ex.printStackTrace(err);
        }
        return EXIT_USAGE;
    }

    private static int error(Exception ex, CommandLine cmd, boolean debug) {
        PrintWriter err = cmd.getErr();
        err.println("Error: " + message(ex));
        if (debug) {
            ex.printStackTrace(err);
        }
        return EXIT_ERROR;
    }

    /** The one-line message printed for a failed command. */
    static String message(Throwable t) {
        if (t instanceof ControlException || t instanceof CliException) {
            return t.getMessage();
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** The client's version, from a resource the build fills in (or the jar manifest). */
    public static String clientVersion() {
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "");
                if (!v.isEmpty() && !v.startsWith("${")) {
                    return v;
                }
            }
        } catch (IOException ignored) {
            // fall back to the manifest
        }
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "unknown" : v;
    }

    /** {@code swarmlet --version}. */
    static final class ClientVersion implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"swarmlet version " + clientVersion()};
        }
    }
}
