package io.swarmlet.cli;

import com.google.protobuf.ByteString;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.control.Stacks;
import io.swarmlet.api.types.DeployStackRequest;
import io.swarmlet.api.types.DeployStackResponse;
import io.swarmlet.api.types.ListFilters;
import io.swarmlet.api.types.ListServicesRequest;
import io.swarmlet.api.types.ListStacksRequest;
import io.swarmlet.api.types.RemoveStackRequest;
import io.swarmlet.api.types.RemoveStackResponse;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.StackFile;
import io.swarmlet.api.types.StackSummary;
import io.swarmlet.api.types.UpdateStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code swarmlet stack ...}: docker's stack verbs. The compose files are read
 * here and parsed by the manager (the stack bundle), so the shell deploys the same
 * way; {@code stack services} and {@code stack ps} are {@code service ls} and
 * {@code service ps} over the services labelled {@code com.docker.stack.namespace=STACK}.
 */
@Command(name = "stack",
        description = "Manage Swarm stacks.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
                StackCommands.Deploy.class,
                StackCommands.Ls.class,
                StackCommands.Ps.class,
                StackCommands.Rm.class,
                StackCommands.ServicesOf.class,
        })
public final class StackCommands extends CliCommand.Group {

    /** docker's only rule on the client: a stack name is not blank. */
    static String checkName(String name) {
        if (name == null || name.isBlank()) {
            throw new CliException("invalid stack name: \"" + (name == null ? "" : name) + "\"");
        }
        return name;
    }

    /** The services of {@code stack} (those with its namespace label). */
    static List<Service> services(ControlApi api, String stack) {
        List<Service> all = api.listServices(ListServicesRequest.newBuilder()
                .setFilters(ListFilters.newBuilder().putLabels(Stacks.NAMESPACE_LABEL, stack)).build()).getServicesList();
        List<Service> mine = new ArrayList<>();
        for (Service s : all) {
            if (stack.equals(s.getSpec().getAnnotations().getLabelsMap().get(Stacks.NAMESPACE_LABEL))) {
                mine.add(s);
            }
        }
        return mine;
    }

    /**
     * A refusal that came after some writes: the manager's message starts with what was
     * done ("Creating service app_web", "Removing network app_default"); those lines go to
     * {@code out} as Docker would have printed them, and the rest is the error.
     */
    static ControlException progressFirst(ControlException e, java.io.PrintWriter out) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        String[] lines = m.split("\n", -1);
        int done = 0;
        while (done < lines.length - 1 && (lines[done].startsWith("Creating ") || lines[done].startsWith("Updating ")
                || lines[done].startsWith("Removing "))) {
            done++;
        }
        if (done == 0) {
            return e;
        }
        for (int i = 0; i < done; i++) {
            out.println(lines[i]);
        }
        out.flush();
        return new ControlException(e.code(), String.join("\n", java.util.Arrays.asList(lines).subList(done, lines.length)), e);
    }

    /** docker's words when a stack has nothing. */
    static String nothingFound(String stack) {
        return "Nothing found in stack: " + stack;
    }

    // ------------------------------------------------------------ deploy

    /** Where {@code stack deploy} reads from: the compose files and the files they name. */
    record Sources(List<StackFile> files, Path dir) {}

    @Command(name = "deploy", aliases = "up", description = "Deploy a new stack or update an existing stack.")
    static final class Deploy extends CliCommand {
        @Option(names = {"-c", "--compose-file"}, paramLabel = "strings", split = ",",
                description = "Path to a Compose file, or \"-\" to read from stdin (repeatable: later files override earlier ones).")
        List<String> composeFiles = new ArrayList<>();

        @Option(names = "--prune", description = "Prune services that are no longer referenced.")
        boolean prune;

        @Option(names = "--resolve-image", paramLabel = "string", defaultValue = "always",
                description = "Query the registry to resolve image digest and supported platforms (\"always\", \"changed\", \"never\")"
                        + " (default \"always\").")
        String resolveImage;

        @Option(names = {"-d", "--detach"}, arity = "0..1", fallbackValue = "true", defaultValue = "true", paramLabel = "true|false",
                description = "Exit immediately instead of waiting for the stack services to converge (default true).")
        boolean detach;

        @Option(names = {"-q", "--quiet"}, description = "Suppress progress output.")
        boolean quiet;

        @Option(names = "--with-registry-auth", description = "Send registry authentication details to Swarm agents (accepted; no effect).")
        boolean withRegistryAuth;

        @Parameters(paramLabel = "STACK", description = "The stack's name (its services are named STACK_SERVICE).")
        String stack;

        @Override
        public Integer call() {
            checkName(stack);
            if (!List.of("always", "changed", "never").contains(resolveImage)) {
                throw usage("invalid option " + resolveImage + " for flag --resolve-image (use always, changed or never)");
            }
            if (composeFiles.isEmpty()) {
                throw new CliException("Please specify a Compose file (with --compose-file)");
            }
            Main root = root();
            Sources sources = read(composeFiles, root);
            DeployStackRequest.Builder request = DeployStackRequest.newBuilder()
                    .setName(stack)
                    .addAllFiles(sources.files())
                    .putAllEnv(environment(sources.dir(), root))
                    .setPrune(prune)
                    .setResolveImage(resolveImage);
            ControlApi api = api();
            Map<String, UpdateStatus> before = new HashMap<>();
            if (!detach) {
                for (Service s : services(api, stack)) {
                    before.put(s.getId(), s.getUpdateStatus());
                }
            }
            DeployStackResponse r;
            try {
                r = api.deployStack(request.build());
                if (r.getMissingFilesCount() > 0) {
                    for (String f : r.getMissingFilesList()) {
                        request.putLocalFiles(f, readLocal(sources.dir(), f));
                    }
                    r = api.deployStack(request.build());
                    if (r.getMissingFilesCount() > 0) {
                        throw new CliException("the manager asks again for files it was sent: "
                                + String.join(", ", r.getMissingFilesList()));
                    }
                }
            } catch (ControlException e) {
                throw progressFirst(e, out());
            }
            for (String w : r.getWarningsList()) {
                err().println(w);
            }
            if (r.getWarningsCount() > 0) {
                err().println();
            }
            r.getMessagesList().forEach(out()::println);
            if (detach) {
                return Main.EXIT_OK;
            }
            return waitFor(api, before);
        }

        /** Without --detach: each service of the stack, by name, until it converged (docker's progress). */
        private int waitFor(ControlApi api, Map<String, UpdateStatus> before) {
            List<Service> services = new ArrayList<>(services(api, stack));
            services.sort(Comparator.comparing(Services::name, Output.NATURAL));
            List<String> errors = new ArrayList<>();
            for (Service s : services) {
                if (!quiet) {
                    out().println(Services.name(s)); // which service the progress below is about
                }
                try {
                    ServiceCommands.converge(this, s, before.getOrDefault(s.getId(), UpdateStatus.getDefaultInstance()), quiet);
                } catch (CliException e) {
                    errors.add("Failed to wait on service " + Services.name(s) + ": " + e.getMessage());
                }
                if (Thread.currentThread().isInterrupted()) {
                    break;
                }
            }
            out().flush();
            errors.forEach(m -> err().println("Error: " + m));
            return errors.isEmpty() ? Main.EXIT_OK : Main.EXIT_ERROR;
        }
    }

    /**
     * The compose files as given ({@code -}: standard input, read once) and the
     * directory relative paths start from: the first file's, or the working directory
     * when it is standard input (docker's rule).
     */
    static Sources read(List<String> names, Main root) {
        List<StackFile> files = new ArrayList<>();
        String stdin = null;
        for (String name : names) {
            String content;
            if ("-".equals(name)) {
                if (stdin == null) {
                    try {
                        stdin = new String(root.stdin.get().readAllBytes(), StandardCharsets.UTF_8);
                    } catch (IOException e) {
                        throw new CliException("read standard input: " + e.getMessage());
                    }
                    content = stdin;
                } else {
                    content = ""; // standard input was read whole by the first "-", as docker reads it
                }
            } else {
                Path path;
                try {
                    path = absolute(root, Path.of(name));
                } catch (InvalidPathException e) {
                    throw new CliException("open " + name + ": no such file or directory");
                }
                content = new String(readFile(path, name), StandardCharsets.UTF_8);
            }
            files.add(StackFile.newBuilder().setName(name).setContent(content).build());
        }
        String first = names.get(0);
        Path dir = "-".equals(first) ? root.workingDir.get()
                : absolute(root, Path.of(first)).getParent();
        return new Sources(files, dir);
    }

    private static Path absolute(Main root, Path p) {
        return (p.isAbsolute() ? p : root.workingDir.get().resolve(p)).normalize();
    }

    /** A file's bytes; errors in Go's words for {@code shown} (the path as the user will recognise it). */
    static byte[] readFile(Path path, String shown) {
        try {
            if (Files.isDirectory(path)) {
                throw new CliException("read " + shown + ": is a directory");
            }
            return Files.readAllBytes(path);
        } catch (NoSuchFileException | InvalidPathException e) {
            throw new CliException("open " + shown + ": no such file or directory");
        } catch (AccessDeniedException e) {
            throw new CliException("open " + shown + ": permission denied");
        } catch (IOException e) {
            throw new CliException("open " + shown + ": " + e.getMessage());
        }
    }

    /** A file a compose file names (env_file, a file secret or config): relative to {@code dir}; errors name the absolute path. */
    static ByteString readLocal(Path dir, String path) {
        Path p;
        try {
            p = Path.of(path);
        } catch (InvalidPathException e) {
            throw new CliException("open " + path + ": no such file or directory");
        }
        Path abs = (p.isAbsolute() ? p : dir.resolve(p)).normalize();
        return ByteString.copyFrom(readFile(abs, abs.toString()));
    }

    /**
     * The interpolation variables: the {@code .env} file of {@code dir} (as docker compose
     * reads it), overridden by this process's environment.
     */
    static Map<String, String> environment(Path dir, Main root) {
        Map<String, String> env = new TreeMap<>();
        Path dotEnv = dir.resolve(".env");
        if (Files.isRegularFile(dotEnv)) {
            String text = new String(readFile(dotEnv, dotEnv.toString()), StandardCharsets.UTF_8);
            try {
                env.putAll(DotEnv.parse(text, root.environment));
            } catch (IllegalArgumentException e) {
                throw new CliException("failed to read " + dotEnv + ": " + e.getMessage());
            }
        }
        Map<String, String> process = root.environ.get();
        if (process != null) {
            env.putAll(process);
        }
        return env;
    }

    // ------------------------------------------------------------ ls

    static List<Field<StackSummary>> fields() {
        return List.of(
                Field.column("Name", "NAME", StackSummary::getName),
                Field.column("Services", "SERVICES", s -> String.valueOf(s.getServices())));
    }

    @Command(name = "ls", aliases = "list", description = "List stacks.")
    static final class Ls extends CliCommand {
        @Option(names = "--format", paramLabel = "FORMAT",
                description = "'table' (default), 'json', 'table TEMPLATE' or a TEMPLATE with fields {{.Name}}, {{.Services}} or {{json .}}.")
        String format;

        @Override
        public Integer call() {
            Format fmt = format(format, Format.Kind.TABLE, fields());
            if (fmt.is(Format.Kind.PRETTY)) {
                throw usage("--format pretty is not available for stack ls; use table, json or a template");
            }
            List<StackSummary> stacks = new ArrayList<>(api().listStacks(ListStacksRequest.getDefaultInstance()).getStacksList());
            stacks.sort(Comparator.comparing(StackSummary::getName, Output.NATURAL));
            fmt.print(out(), stacks, fields(), s -> s);
            return Main.EXIT_OK;
        }
    }

    // ------------------------------------------------------------ services

    @Command(name = "services", description = "List the services in the stack.")
    static final class ServicesOf extends ServiceCommands.ServiceList {
        @Parameters(paramLabel = "STACK", description = "The stack's name.")
        String stack;

        @Override
        List<Service> candidates(ControlApi api) {
            return services(api, checkName(stack));
        }

        @Override
        Integer none() {
            out().flush();
            err().println(nothingFound(stack));
            return Main.EXIT_OK;
        }
    }

    // ------------------------------------------------------------ ps

    @Command(name = "ps", description = "List the tasks in the stack.")
    static final class Ps extends ServiceCommands.TaskList {
        @Parameters(paramLabel = "STACK", description = "The stack's name.")
        String stack;

        @Override
        Lookup<Service> services(ControlApi api) {
            Lookup<Service> l = lookupEach(List.of(), ref -> null);
            l.found.addAll(StackCommands.services(api, checkName(stack)));
            return l;
        }

        @Override
        void none() {
            throw new CliException("nothing found in stack: " + stack);
        }
    }

    // ------------------------------------------------------------ rm

    @Command(name = "rm", aliases = {"remove", "down"}, description = "Remove one or more stacks.")
    static final class Rm extends CliCommand {
        @Option(names = {"-d", "--detach"}, arity = "0..1", fallbackValue = "true", defaultValue = "true", paramLabel = "true|false",
                description = "Do not wait for stack removal (accepted; removal does not wait).")
        boolean detach;

        @Parameters(paramLabel = "STACK", arity = "1..*", description = "A stack's name.")
        List<String> stacks;

        @Override
        public Integer call() {
            for (String s : stacks) {
                checkName(s);
            }
            ControlApi api = api();
            Lookup<String> done = lookupEach(stacks, stack -> {
                RemoveStackResponse r;
                try {
                    r = api.removeStack(RemoveStackRequest.newBuilder().setName(stack).build());
                } catch (ControlException e) {
                    if (e.code() != ControlException.Code.NOT_FOUND) {
                        throw progressFirst(e, out());
                    }
                    r = RemoveStackResponse.getDefaultInstance();
                }
                if (r.getMessagesCount() == 0) {
                    out().flush();
                    err().println(nothingFound(stack));
                } else {
                    r.getMessagesList().forEach(out()::println);
                }
                return stack;
            });
            return done.finish();
        }
    }
}
