package io.swarmlet.cli;

import io.swarmlet.api.types.CreateWebTokenRequest;
import io.swarmlet.api.types.CreateWebTokenResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code swarmlet web ...}: the managers' web console (design/web.md). Reading
 * it needs nothing; its actions (scale, roll back, remove, node availability)
 * need a token from {@code swarmlet web token}, of which the cluster keeps only
 * the SHA-256: the token is printed once and cannot be shown again.
 */
@Command(name = "web",
        description = "Manage the web console's access.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
                WebCommands.Token.class,
        })
public final class WebCommands extends CliCommand.Group {

    /** The line printed after the token (without -q). */
    static final String HOW_TO_USE = "Enter it in the web console's token field, or send it as"
            + " Authorization: Bearer <token>.";

    @Command(name = "token", description = {"Make a new token for the web console's actions and print it.",
            "It is shown only this once (the cluster keeps its SHA-256); earlier tokens keep working unless --rotate."})
    static final class Token extends CliCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display the token.")
        boolean quiet;

        @Option(names = "--rotate", description = "Make every earlier web token stop working.")
        boolean rotate;

        @Override
        public Integer call() {
            CreateWebTokenResponse r = api().createWebToken(CreateWebTokenRequest.newBuilder().setRotate(rotate).build());
            if (quiet) {
                out().println(r.getToken());
            } else {
                if (rotate) {
                    out().println("Earlier web tokens no longer work.");
                }
                out().println(r.getToken());
                out().println();
                out().println(HOW_TO_USE);
            }
            return Main.EXIT_OK;
        }
    }
}
