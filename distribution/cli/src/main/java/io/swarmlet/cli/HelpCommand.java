package io.swarmlet.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code swarmlet help [COMMAND...]}: the same as {@code swarmlet [COMMAND...] --help}. */
@Command(name = "help", helpCommand = true, description = "Show help for a command: swarmlet help node ls.")
final class HelpCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "The command, and its subcommand.")
    List<String> path = new ArrayList<>();

    @Override
    public Integer call() {
        CommandLine cmd = spec.root().commandLine();
        for (String name : path) {
            CommandLine sub = cmd.getSubcommands().get(name);
            if (sub == null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "unknown command '" + String.join(" ", path) + "'; '" + cmd.getCommandName() + "' has: "
                                + String.join(", ", cmd.getSubcommands().keySet()));
            }
            cmd = sub;
        }
        cmd.usage(spec.commandLine().getOut());
        return Main.EXIT_OK;
    }
}
