package io.swarmlet.cli;

import com.google.protobuf.ByteString;
import io.swarmlet.api.node.Modules;
import io.swarmlet.api.types.ChangeModuleRequest;
import io.swarmlet.api.types.ChangeModuleResponse;
import io.swarmlet.api.types.ModuleInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code swarmlet module ...}: the modules (OSGi bundles) of the daemon the CLI
 * talks to, manager or worker, which serves them itself (not the managers' API).
 */
@Command(name = "module",
        description = "Manage the modules (bundles) of the node the CLI talks to.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {ModuleCommands.Ls.class, ModuleCommands.Start.class, ModuleCommands.Stop.class,
                ModuleCommands.Update.class})
public final class ModuleCommands extends CliCommand.Group {

    static final String NAME_HELP = "A module: its symbolic name (io.swarmlet.scheduler), the part after"
            + " io.swarmlet. (scheduler, executor-docker) or its ID.";

    static Modules modules(CliCommand c) {
        Modules m = c.root().modules();
        if (m == null) {
            throw new CliException("modules are not available here: run swarmlet module with --socket (or SWARM_SOCKET)"
                    + " pointing at the daemon's control socket");
        }
        return m;
    }

    @Command(name = "ls", aliases = "list", description = "List the node's modules: ID, name, version, state and the services each provides.")
    static final class Ls extends CliCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display names.")
        boolean quiet;

        @Override
        public Integer call() {
            Table t = new Table("ID", "NAME", "VERSION", "STATE", "SERVICES");
            for (ModuleInfo m : modules(this).list().getModulesList()) {
                if (quiet) {
                    out().println(m.getName());
                    continue;
                }
                t.row(String.valueOf(m.getId()), m.getName(), m.getVersion(), m.getState(),
                        String.join(", ", m.getServicesList().stream().map(ModuleCommands::shortName).toList()));
            }
            if (!quiet) {
                t.print(out());
            }
            return Main.EXIT_OK;
        }
    }

    /** io.swarmlet.api.dispatcher.Dispatcher → Dispatcher: the table stays readable. */
    static String shortName(String type) {
        int dot = type.lastIndexOf('.');
        return dot < 0 ? type : type.substring(dot + 1);
    }

    static int change(CliCommand c, String name, ChangeModuleRequest.Action action, byte[] jar) {
        ChangeModuleRequest.Builder q = ChangeModuleRequest.newBuilder().setName(name).setAction(action);
        if (jar != null) {
            q.setJar(ByteString.copyFrom(jar));
        }
        ChangeModuleResponse r = modules(c).change(q.build());
        c.out().println(r.getMessage());
        return Main.EXIT_OK;
    }

    @Command(name = "start", description = "Start a stopped module (until the daemon restarts).")
    static final class Start extends CliCommand {
        @Parameters(paramLabel = "MODULE", description = NAME_HELP)
        String name;

        @Override
        public Integer call() {
            return change(this, name, ChangeModuleRequest.Action.START, null);
        }
    }

    @Command(name = "stop", description = "Stop a module (until it is started again or the daemon restarts).")
    static final class Stop extends CliCommand {
        @Parameters(paramLabel = "MODULE", description = NAME_HELP)
        String name;

        @Override
        public Integer call() {
            return change(this, name, ChangeModuleRequest.Action.STOP, null);
        }
    }

    @Command(name = "update", description = "Replace a module with another version of its bundle; if the new one"
            + " cannot run, the previous one is put back.")
    static final class Update extends CliCommand {
        @Parameters(index = "0", paramLabel = "MODULE", description = NAME_HELP)
        String name;

        @Parameters(index = "1", paramLabel = "FILE.jar", description = "The new bundle.")
        Path file;

        @Override
        public Integer call() {
            byte[] jar;
            try {
                jar = Files.readAllBytes(file);
            } catch (IOException e) {
                throw new CliException("cannot read " + file + ": " + e.getMessage());
            }
            return change(this, name, ChangeModuleRequest.Action.UPDATE, jar);
        }
    }
}
