package io.swarmlet.launcher;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.io.OutputStreamWriter;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * {@code swarmletd}: parses the flags, then runs the OSGi framework with the
 * distribution's bundles until it is stopped.
 *
 * <p>Exit status: 0 after a clean stop (SIGTERM/SIGINT), 1 when the daemon
 * cannot start or a component reports failure, 2 for a command-line error.
 */
public final class Main {

    /** Exit status of a command-line error (picocli's convention). */
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_ERROR = 1;

    /** What runs once the flags are parsed; the daemon itself, or a stub in tests. */
    @FunctionalInterface
    public interface Runner {
        int run(Settings settings, PrintWriter out, PrintWriter err);
    }

    private Main() {
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, Charset.defaultCharset()), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, Charset.defaultCharset()), true);
        int status = execute(args, out, err, (settings, o, e) -> new Daemon(settings, e,
                Long.getLong("swarmlet.ready.timeout", Daemon.DEFAULT_READY_TIMEOUT_S), true).run());
        out.flush();
        err.flush();
        System.exit(status);
    }

    /**
     * Parses {@code args} and hands the resolved settings to {@code runner}.
     * Prints help, the version or a one-line error as needed and returns the
     * exit status.
     */
    public static int execute(String[] args, PrintWriter out, PrintWriter err, Runner runner) {
        DaemonOptions options = new DaemonOptions();
        CommandLine cl = new CommandLine(options);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ParameterException ex, String[] a) -> {
            err.println("swarmletd: " + ex.getMessage());
            err.println("Try 'swarmletd --help' for more information.");
            err.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            err.println("swarmletd: error: " + (ex instanceof StartupException ? ex.getMessage() : Daemon.oneLine(ex)));
            err.flush();
            return EXIT_ERROR;
        });
        cl.setExecutionStrategy(parseResult -> {
            Integer helpStatus = CommandLine.executeHelpRequest(parseResult);
            if (helpStatus != null) {
                return helpStatus;
            }
            try {
                Settings settings = options.resolve();
                return runner.run(settings, out, err);
            } catch (StartupException e) {
                err.println("swarmletd: error: " + e.getMessage());
                err.flush();
                return EXIT_ERROR;
            }
        });
        return cl.execute(args);
    }
}
