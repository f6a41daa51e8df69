package io.swarmlet.cli;

import com.google.protobuf.ByteString;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.types.InstallPluginRequest;
import io.swarmlet.api.types.InstallPluginResponse;
import io.swarmlet.api.types.ListPluginsRequest;
import io.swarmlet.api.types.PluginEntry;
import io.swarmlet.api.types.PluginStatus;
import io.swarmlet.api.types.RemovePluginRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code swarmlet plugin ...}: plugins (bundles) installed on the node the CLI
 * talks to, or with {@code --cluster} on every node of the cluster (through the
 * replicated store; needs a manager). The daemon behind the socket routes each
 * call; these commands only parse, check the file and print.
 */
@Command(name = "plugin",
        description = "Manage plugins: bundles installed on this node, or with --cluster on every node.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {PluginCommands.Install.class, PluginCommands.Ls.class, PluginCommands.Rm.class})
public final class PluginCommands extends CliCommand.Group {

    /** Characters of the ERROR column unless {@code --no-trunc}. */
    static final int MAX_ERROR = 60;

    @Command(name = "install", description = "Install a plugin (an OSGi bundle built against the api bundle) on this"
            + " node, or with --cluster on every node, including nodes that join later.")
    static final class Install extends CliCommand {
        @Option(names = "--cluster", description = "Install it on every node of the cluster (needs a manager).")
        boolean cluster;

        @Option(names = "--name", paramLabel = "NAME", description = "The plugin's name (default: the bundle's symbolic name).")
        String name;

        @Parameters(paramLabel = "FILE.jar", description = "The plugin's bundle, at most 4 MiB.")
        Path file;

        @Override
        public Integer call() {
            byte[] jar = read(file);
            InstallPluginRequest.Builder q = InstallPluginRequest.newBuilder().setJar(ByteString.copyFrom(jar))
                    .setCluster(cluster).setSha256(sha256(jar));
            if (name != null) {
                q.setName(name);
            }
            InstallPluginResponse r = api().installPlugin(q.build());
            out().println(r.getPlugin().getName());
            if (cluster) {
                out().flush();
                err().println("installing on every node; see 'swarmlet plugin ls'");
            }
            return Main.EXIT_OK;
        }
    }

    /** The jar, checked as the daemon will check it, so that errors name the file. */
    static byte[] read(Path file) {
        byte[] jar;
        try {
            long size = Files.size(file);
            if (size > ControlApi.MAX_PLUGIN_BYTES) {
                throw new CliException(tooBig(size));
            }
            jar = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CliException("cannot read " + file + ": no such file");
        } catch (IOException e) {
            throw new CliException("cannot read " + file + ": " + e.getMessage());
        }
        Manifest m;
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            m = in.getManifest();
        } catch (IOException e) {
            m = null;
        }
        String bsn = m == null ? null : m.getMainAttributes().getValue("Bundle-SymbolicName");
        if (bsn == null || bsn.isBlank()) {
            throw new CliException(file + " is not an OSGi bundle: its manifest has no Bundle-SymbolicName");
        }
        return jar;
    }

    static String tooBig(long bytes) {
        return String.format(Locale.ROOT, "plugin jar is %.1f MB; the limit is %d MiB", bytes / (1024.0 * 1024.0),
                ControlApi.MAX_PLUGIN_BYTES / (1024 * 1024));
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Command(name = "ls", aliases = "list", description = "List plugins: on a manager every node's, on a worker its own.")
    static final class Ls extends CliCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display IDs (names for plugins of one node).")
        boolean quiet;

        @Option(names = "--no-trunc", description = "Do not truncate output.")
        boolean noTrunc;

        @Override
        public Integer call() {
            List<PluginEntry> entries = api().listPlugins(ListPluginsRequest.getDefaultInstance()).getPluginsList();
            if (quiet) {
                Set<String> seen = new LinkedHashSet<>();
                for (PluginEntry e : entries) {
                    seen.add(ref(e.getStatus(), !noTrunc));
                }
                seen.forEach(out()::println);
                return Main.EXIT_OK;
            }
            table(entries, !noTrunc).print(out());
            return Main.EXIT_OK;
        }
    }

    /** ID NAME VERSION SCOPE NODE STATUS ERROR, one row per plugin per node. */
    static Table table(List<PluginEntry> entries, boolean trunc) {
        Table t = new Table("ID", "NAME", "VERSION", "SCOPE", "NODE", "STATUS", "ERROR");
        for (PluginEntry e : entries) {
            PluginStatus s = e.getStatus();
            String id = s.getPluginId().isEmpty() ? "-" : trunc ? Services.shortId(s.getPluginId()) : s.getPluginId();
            t.row(id, s.getName(), s.getVersion(), s.getCluster() ? "cluster" : "local",
                    e.getNodeHostname().isEmpty() ? Services.shortId(e.getNodeId()) : e.getNodeHostname(),
                    s.getState().name().toLowerCase(Locale.ROOT), error(s.getError(), trunc));
        }
        return t;
    }

    /** What {@code plugin rm} takes: the ID of a cluster plugin, the name of a local one. */
    static String ref(PluginStatus s, boolean trunc) {
        if (s.getPluginId().isEmpty()) {
            return s.getName();
        }
        return trunc ? Services.shortId(s.getPluginId()) : s.getPluginId();
    }

    static String error(String err, boolean trunc) {
        if (err.isEmpty()) {
            return "";
        }
        String e = err;
        if (trunc && e.codePointCount(0, e.length()) > MAX_ERROR) {
            e = e.substring(0, e.offsetByCodePoints(0, MAX_ERROR - 1)) + "…";
        }
        return "\"" + e + "\"";
    }

    @Command(name = "rm", aliases = "remove", description = "Remove plugins: a cluster plugin from every node (needs a"
            + " manager), else this node's plugin of that name.")
    static final class Rm extends CliCommand {
        @Parameters(paramLabel = "PLUGIN", arity = "1..*", description = "A plugin: its name, ID or unique ID prefix.")
        List<String> refs;

        @Override
        public Integer call() {
            ControlApi api = api();
            Lookup<String> result = lookupEach(refs, ref -> {
                api.removePlugin(RemovePluginRequest.newBuilder().setName(ref).build());
                out().println(ref);
                return ref;
            });
            return result.finish();
        }
    }
}
