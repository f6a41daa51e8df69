package io.swarmlet.cli;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * What every swarmlet command shares: the {@link ControlApi} of the root
 * command (asked for only when a command runs) and the writers picocli was
 * given, so that the same commands run in a terminal and in a shell.
 */
abstract class CliCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** The API to call; connects on first use. */
    protected ControlApi api() {
        return root().api().get();
    }

    protected Main root() {
        return (Main) spec.root().userObject();
    }

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /**
     * Whether options end at the first positional argument (docker's
     * {@code service create IMAGE [COMMAND] [ARG...]}: {@code -x} after the
     * image belongs to the command).
     */
    boolean optionsEndAtFirstArgument() {
        return false;
    }

    /** A usage error found after parsing: printed like picocli's own, exit code 2. */
    protected ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** Parses {@code --format} before anything is asked of the server; a bad template is a usage error. */
    protected <T> Format format(String value, Format.Kind absent, List<Field<T>> fields) {
        try {
            return Format.parse(value, absent, fields);
        } catch (IllegalArgumentException e) {
            throw usage("invalid --format: " + e.getMessage());
        }
    }

    /**
     * Looks each reference up, docker style: what was found is returned, and
     * each failure is printed as an {@code Error:} line once the caller has
     * printed the rest (see {@link Lookup#finish}).
     */
    protected <T> Lookup<T> lookupEach(List<String> refs, Function<String, T> get) {
        Lookup<T> l = new Lookup<>();
        for (String ref : refs) {
            try {
                l.found.add(get.apply(ref));
            } catch (ControlException | CliException e) {
                // a lost connection fails every other lookup too: say it once
                if (e instanceof ControlException && ((ControlException) e).code() == ControlException.Code.UNAVAILABLE) {
                    throw e;
                }
                l.errors.add(Main.message(e));
            }
        }
        return l;
    }

    /** The result of {@link #lookupEach}. */
    protected final class Lookup<T> {
        final List<T> found = new ArrayList<>();
        final List<String> errors = new ArrayList<>();

        /** Prints the error lines and returns the exit code. */
        int finish() {
            out().flush();
            for (String e : errors) {
                err().println("Error: " + e);
            }
            return errors.isEmpty() ? Main.EXIT_OK : Main.EXIT_ERROR;
        }
    }

    /** A command that only groups subcommands: run alone, it prints its usage. */
    abstract static class Group implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(spec.commandLine().getOut());
            return Main.EXIT_OK;
        }
    }
}
