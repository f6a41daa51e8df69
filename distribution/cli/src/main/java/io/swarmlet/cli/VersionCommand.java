package io.swarmlet.cli;

import io.swarmlet.api.types.VersionRequest;
import io.swarmlet.api.types.VersionResponse;
import java.util.Locale;
import picocli.CommandLine.Command;

/** {@code swarmlet version}: the client's version, then the server's (which needs a running swarmletd). */
@Command(name = "version", description = "Show the swarmlet client and swarmletd server versions.")
final class VersionCommand extends CliCommand {

    @Override
    public Integer call() {
        new Output.Pretty()
                .section("Client")
                .field("Version", Main.clientVersion())
                .field("Java version", System.getProperty("java.version"))
                .field("OS/Arch", System.getProperty("os.name").toLowerCase(Locale.ROOT) + "/" + System.getProperty("os.arch"))
                .end()
                .print(out(), true);
        out().println();
        out().flush();
        VersionResponse v = api().version(VersionRequest.getDefaultInstance());
        new Output.Pretty()
                .section("Server")
                .field("Version", v.getVersion())
                .field("Git commit", v.getGitCommit().isEmpty() ? null : v.getGitCommit())
                .field("Java version", v.getJavaVersion())
                .field("OS/Arch", v.getOsArch())
                .field("Node ID", v.getNodeId())
                .field("Cluster ID", v.getClusterId())
                .field("Leader", v.getLeader())
                .end()
                .print(out(), true);
        return Main.EXIT_OK;
    }
}
