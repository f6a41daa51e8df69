package io.swarmlet.cli;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.control.JoinAddresses;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.GetUnlockKeyRequest;
import io.swarmlet.api.types.ListNodesRequest;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.UnlockSwarmRequest;
import io.swarmlet.api.types.UpdateClusterRequest;
import io.swarmlet.api.types.VersionRequest;
import io.swarmlet.api.types.VersionResponse;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code swarmlet swarm ...}: docker's swarm verbs that a client can do (joining is swarmletd's). */
@Command(name = "swarm",
        description = "Manage the swarm.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {SwarmCommands.JoinToken.class, SwarmCommands.Update.class, SwarmCommands.Unlock.class,
                SwarmCommands.UnlockKey.class, SwarmCommands.Leave.class})
public final class SwarmCommands extends CliCommand.Group {

    static final String UNKNOWN_ADDR = JoinAddresses.UNKNOWN;

    enum Role { worker, manager }

    /** The address a new node should join at (see {@link JoinAddresses#of(List, String)}). */
    static String joinAddr(List<Node> nodes, String selfId) {
        return JoinAddresses.of(nodes, selfId);
    }

    @Command(name = "join-token", description = "Print the command that adds a worker or a manager to the swarm (or just its token).")
    static final class JoinToken extends CliCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display the token.")
        boolean quiet;

        @Option(names = "--rotate", description = "Replace the token with a new one first.")
        boolean rotate;

        @Parameters(paramLabel = "worker|manager", description = "Whose token: worker or manager.")
        Role role;

        @Override
        public Integer call() {
            ControlApi api = api();
            VersionResponse v = api.version(VersionRequest.getDefaultInstance());
            Cluster cluster = ClusterCommands.get(api, v.getClusterId().isEmpty() ? "default" : v.getClusterId());
            if (rotate) {
                cluster = api.updateCluster(UpdateClusterRequest.newBuilder()
                        .setId(cluster.getId())
                        .setVersion(cluster.getMeta().getVersion())
                        .setSpec(cluster.getSpec())
                        .setRotateWorkerToken(role == Role.worker)
                        .setRotateManagerToken(role == Role.manager)
                        .build()).getCluster();
                if (!quiet) {
                    out().println("Successfully rotated " + role + " join token.");
                    out().println();
                }
            }
            String token = role == Role.worker ? cluster.getJoinTokens().getWorker() : cluster.getJoinTokens().getManager();
            if (token.isEmpty()) {
                throw new CliException("cluster " + cluster.getSpec().getAnnotations().getName() + " has no " + role
                        + " join token yet; rotate one with 'swarmlet swarm join-token --rotate " + role + "'");
            }
            if (quiet) {
                out().println(token);
                return Main.EXIT_OK;
            }
            String addr = joinAddr(api.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList(), v.getNodeId());
            out().println("To add a " + role + " to this swarm, run the following command:");
            out().println();
            out().println("    swarmletd --join-addr " + addr + " --join-token " + token);
            out().println();
            out().println(STATE_DIR_HINT);
            return Main.EXIT_OK;
        }
    }

    @Command(name = "update", description = "Update the swarm's settings.")
    static final class Update extends CliCommand {
        @Option(names = "--task-history-limit", paramLabel = "int", description = "Task history retention limit.")
        Long taskHistoryLimit;

        @Option(names = "--dispatcher-heartbeat", paramLabel = "duration", converter = FlagValues.Duration.class,
                description = "Dispatcher heartbeat period (ns|us|ms|s|m|h).")
        Long dispatcherHeartbeatMs;

        @Option(names = "--cert-expiry", paramLabel = "duration", converter = FlagValues.Duration.class,
                description = "Validity period for node certificates (ns|us|ms|s|m|h).")
        Long certExpiryMs;

        @Option(names = "--default-lb-strategy", paramLabel = "string",
                description = "Routing mesh balancing strategy of services that name none (round-robin, least-connections,"
                        + " power-of-two, source-hash, or a plugin's).")
        String defaultLbStrategy;

        @Option(names = "--default-placement-strategy", paramLabel = "string",
                description = "Placement strategy of services that name none: \"spread\" (built in) or a plugin's,"
                        + " e.g. \"binpack\" (\"\" = spread). A strategy no node provides falls back to spread.")
        String defaultPlacementStrategy;

        @Option(names = "--autolock", arity = "0..1", fallbackValue = "true", paramLabel = "true|false",
                description = "Change manager autolocking: with it on, a restarted manager stays locked until"
                        + " 'swarmlet swarm unlock' is given the unlock key (printed when it is turned on).")
        Boolean autolock;

        @Override
        public Integer call() {
            if (taskHistoryLimit == null && dispatcherHeartbeatMs == null && certExpiryMs == null && defaultLbStrategy == null
                    && defaultPlacementStrategy == null && autolock == null) {
                throw usage("nothing to update: give at least one flag (see swarmlet swarm update --help)");
            }
            ControlApi api = api();
            VersionResponse v = api.version(VersionRequest.getDefaultInstance());
            Cluster cluster = ClusterCommands.get(api, v.getClusterId().isEmpty() ? "default" : v.getClusterId());
            io.swarmlet.api.types.ClusterSpec.Builder spec = cluster.getSpec().toBuilder();
            if (taskHistoryLimit != null) {
                spec.getOrchestrationBuilder().setTaskHistoryRetentionLimit(taskHistoryLimit);
            }
            if (dispatcherHeartbeatMs != null) {
                spec.getDispatcherBuilder().setHeartbeatPeriodMs(dispatcherHeartbeatMs);
            }
            if (certExpiryMs != null) {
                spec.getCaConfigBuilder().setNodeCertExpiryMs(certExpiryMs);
            }
            if (defaultLbStrategy != null) {
                spec.getMeshBuilder().setDefaultLbStrategy(defaultLbStrategy.trim());
            }
            if (defaultPlacementStrategy != null) {
                spec.getOrchestrationBuilder().setDefaultPlacementStrategy(defaultPlacementStrategy.trim());
            }
            boolean wasAutolocked = cluster.getSpec().getEncryption().getAutoLockManagers();
            if (autolock != null) {
                spec.getEncryptionBuilder().setAutoLockManagers(autolock);
            }
            api.updateCluster(UpdateClusterRequest.newBuilder().setId(cluster.getId())
                    .setVersion(cluster.getMeta().getVersion()).setSpec(spec).build());
            out().println("Swarm updated.");
            if (autolock != null && autolock && !wasAutolocked) {
                String key;
                try {
                    key = api.getUnlockKey(GetUnlockKeyRequest.getDefaultInstance()).getUnlockKey();
                } catch (ControlException e) {
                    throw new CliException("could not fetch unlock key: " + e.getMessage());
                }
                printUnlockCommand(out(), key);
            }
            return Main.EXIT_OK;
        }
    }

    /** docker's words around an unlock key (nothing when there is none). */
    static void printUnlockCommand(PrintWriter out, String key) {
        if (key.isEmpty()) {
            return;
        }
        out.print("To unlock a swarm manager after it restarts, run the `swarmlet swarm unlock`\n"
                + "command and provide the following key:\n\n    " + key + "\n\n"
                + "Remember to store this key in a password manager, since without it you\n"
                + "will not be able to restart the manager.\n");
    }

    @Command(name = "unlock-key", description = "Manage the unlock key of an autolocked swarm: print it, or replace it with --rotate.")
    static final class UnlockKey extends CliCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display the key.")
        boolean quiet;

        @Option(names = "--rotate", description = "Rotate the unlock key first (the old one stops working once every manager has the new one).")
        boolean rotate;

        @Override
        public Integer call() {
            ControlApi api = api();
            if (rotate) {
                VersionResponse v = api.version(VersionRequest.getDefaultInstance());
                Cluster cluster = ClusterCommands.get(api, v.getClusterId().isEmpty() ? "default" : v.getClusterId());
                if (!cluster.getSpec().getEncryption().getAutoLockManagers()) {
                    throw new CliException("cannot rotate because autolock is not turned on");
                }
                api.updateCluster(UpdateClusterRequest.newBuilder()
                        .setId(cluster.getId())
                        .setVersion(cluster.getMeta().getVersion())
                        .setSpec(cluster.getSpec())
                        .setRotateUnlockKey(true)
                        .build());
                if (!quiet) {
                    out().println("Successfully rotated manager unlock key.");
                    out().println();
                }
            }
            String key;
            try {
                key = api.getUnlockKey(GetUnlockKeyRequest.getDefaultInstance()).getUnlockKey();
            } catch (ControlException e) {
                if (e.code() == ControlException.Code.UNAVAILABLE) {
                    throw e;
                }
                throw new CliException("could not fetch unlock key: " + e.getMessage());
            }
            if (key.isEmpty()) {
                throw new CliException("no unlock key is set");
            }
            if (quiet) {
                out().println(key);
            } else {
                printUnlockCommand(out(), key);
            }
            return Main.EXIT_OK;
        }
    }

    @Command(name = "unlock", description = {"Unlock a locked manager with the swarm's unlock key.",
            "At a terminal it asks for the key (without echo); else it reads the first line of standard input",
            "(swarmlet swarm unlock < key-file)."})
    static final class Unlock extends CliCommand {
        /** Longer than any key; what follows the first line is not read. */
        static final int MAX_KEY_CHARS = 4096;

        @Override
        public Integer call() {
            Main root = root();
            char[] typed = root.tty ? root.readPassword.apply("Enter unlock key: ") : null;
            String key = (typed != null ? new String(typed) : firstLine(root.stdin.get())).strip();
            if (typed != null) {
                java.util.Arrays.fill(typed, ' ');
            }
            if (key.isEmpty()) {
                throw new CliException("no unlock key given: type it when asked, or pipe it in"
                        + " (swarmlet swarm unlock < key-file)");
            }
            try {
                api().unlockSwarm(UnlockSwarmRequest.newBuilder().setUnlockKey(key).build());
            } catch (ControlException e) {
                // the server never repeats the key; make sure of it
                if (e.getMessage() != null && e.getMessage().contains(key)) {
                    throw new ControlException(e.code(), e.getMessage().replace(key, "<key>"));
                }
                throw e;
            }
            return Main.EXIT_OK;
        }

        /**
         * The first line of {@code in} (docker reads the key up to a newline), read byte by
         * byte so that nothing after it is taken from a shell session's input.
         */
        static String firstLine(java.io.InputStream in) {
            java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
            try {
                int b;
                while ((b = in.read()) >= 0 && b != '\n' && line.size() < MAX_KEY_CHARS) {
                    line.write(b);
                }
            } catch (java.io.IOException e) {
                throw new CliException("cannot read the unlock key from standard input: " + e.getMessage());
            }
            return line.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** What the join command leaves out: where the new node keeps its state, and what must differ on a shared machine. */
    static final String STATE_DIR_HINT = "Give the new node a state directory of its own with --state-dir DIR (default ./swarmletstate);\n"
            + "a node on a machine that already runs one also needs its own --listen-remote-api ADDR and --hostname NAME.";

    @Command(name = "leave", description = {"Leave the swarm: run on the node itself (the socket of its swarmletd).",
            "A worker leaves at once. A manager refuses when it is the leader, the last",
            "manager, or when its leaving would break quorum, unless --force."})
    static final class Leave extends CliCommand {
        @Option(names = {"-f", "--force"}, description = "Force this node to leave the swarm, ignoring warnings.")
        boolean force;

        @Override
        public Integer call() {
            Main.Leave leave = root().leave();
            if (leave == null) {
                throw new CliException("swarm leave is not available here: run `swarmlet swarm leave` with --socket"
                        + " (or SWARM_SOCKET) pointing at the control socket of the node that should leave");
            }
            String message = leave.leave(force);
            out().println(message == null || message.isEmpty() ? "Node left the swarm." : message);
            return Main.EXIT_OK;
        }
    }
}
