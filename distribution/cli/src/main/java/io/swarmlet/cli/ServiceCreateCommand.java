package io.swarmlet.cli;

import io.swarmlet.api.types.PayloadTargets;
import io.swarmlet.api.types.ConfigReference;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.CreateServiceRequest;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.NetworkAttachmentConfig;
import io.swarmlet.api.types.PlacementPreference;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.SecretReference;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.UpdateStatus;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code swarmlet service create [OPTIONS] IMAGE [COMMAND] [ARG...]}: builds a
 * service spec from docker's flags (checked before anything is sent), creates
 * the service, prints its ID and, unless {@code --detach}, shows the converge
 * progress. Options end at IMAGE: what follows is the container's command.
 * swarmctl's {@code --image} names the image instead, and then every
 * argument is the command.
 */
@Command(name = "create",
        description = "Create a new service.",
        customSynopsis = "swarmlet service create [OPTIONS] IMAGE [COMMAND] [ARG...]")
final class ServiceCreateCommand extends CliCommand {

    /** The service modes {@code --mode} takes. */
    static final List<String> MODES = List.of("replicated", "global", "replicated-job", "global-job");

    @Mixin
    ServiceFlags flags;

    @Option(names = "--name", paramLabel = "string", description = "Service name.")
    String name;

    @Option(names = "--mode", paramLabel = "string",
            description = "Service mode (\"replicated\", \"global\", \"replicated-job\", \"global-job\") (default \"replicated\").")
    String mode = "replicated";

    @Option(names = {"-l", "--label"}, paramLabel = "list", description = "Service labels (KEY=VALUE, repeatable).")
    List<String> labels = new ArrayList<>();

    @Option(names = "--container-label", paramLabel = "list", description = "Container labels (KEY=VALUE, repeatable).")
    List<String> containerLabels = new ArrayList<>();

    @Option(names = {"-e", "--env"}, paramLabel = "list", description = "Set environment variables (KEY=VALUE, or KEY for this shell's value).")
    List<String> env = new ArrayList<>();

    @Option(names = "--mount", paramLabel = "mount", converter = FlagValues.MountSpec.class,
            description = "Attach a filesystem mount to the service: type=bind|volume|tmpfs,source=SRC,target=DST[,readonly].")
    List<Mount> mounts = new ArrayList<>();

    @Option(names = "--secret", paramLabel = "secret", converter = FlagValues.SecretRef.class,
            description = "Give the service a secret: NAME, or source=NAME[@VERSION],target=PATH,uid=UID,gid=GID,mode=0400"
                    + " (default target /run/secrets/NAME, mode 0444; @VERSION pins a version).")
    List<FlagValues.PayloadRef> secrets = new ArrayList<>();

    @Option(names = "--config", paramLabel = "config", converter = FlagValues.ConfigRef.class,
            description = "Give the service a config: NAME, or source=NAME[@VERSION],target=PATH,uid=UID,gid=GID,mode=0400"
                    + " (default target /NAME, mode 0444; @VERSION pins a version).")
    List<FlagValues.PayloadRef> configs = new ArrayList<>();

    @Option(names = "--network", paramLabel = "network", converter = FlagValues.NetworkRef.class,
            description = "Network attachments: NAME, or name=NAME,alias=ALIAS (repeatable).")
    List<NetworkAttachmentConfig> networks = new ArrayList<>();

    @Option(names = "--host", paramLabel = "list", converter = FlagValues.HostEntry.class,
            description = "Set one or more custom host-to-IP mappings (HOST:IP).")
    List<String> hosts = new ArrayList<>();

    @Option(names = "--constraint", paramLabel = "list", description = "Placement constraints (e.g. node.role==manager).")
    List<String> constraints = new ArrayList<>();

    @Option(names = "--placement-pref", paramLabel = "pref", description = "Add a placement preference (spread=node.labels.KEY).")
    List<String> placementPrefs = new ArrayList<>();

    @Option(names = {"-p", "--publish"}, paramLabel = "port",
            description = "Publish a port as a node port: [PUBLISHED:]TARGET[/PROTOCOL] or mode=ingress|host,published=N,target=N,protocol=tcp|udp.")
    List<String> publish = new ArrayList<>();

    @Option(names = "--lb-strategy", paramLabel = "string",
            description = "Routing mesh balancing strategy for the published ports: round-robin, least-connections,"
                    + " power-of-two, source-hash, or a plugin's (default: the cluster's, round-robin).")
    String lbStrategy;

    @Parameters(paramLabel = "IMAGE [COMMAND] [ARG...]", arity = "0..*",
            description = "The image to run, then the command and its arguments (with --image: only the command).")
    List<String> positional = new ArrayList<>();

    @Override
    boolean optionsEndAtFirstArgument() {
        return true;
    }

    @Override
    public Integer call() {
        ServiceSpec spec = spec();
        Service created = api().createService(CreateServiceRequest.newBuilder().setSpec(spec).build()).getService();
        out().println(created.getId());
        if (!flags.detach) {
            ServiceCommands.converge(this, created, UpdateStatus.getDefaultInstance(), flags.quiet);
        }
        return Main.EXIT_OK;
    }

    /** The spec the flags describe; a bad value or combination is a usage error. */
    ServiceSpec spec() {
        flags.check(this::usage);
        String image = flags.image;
        List<String> args = positional;
        if (image == null) {
            if (positional.isEmpty()) {
                throw usage("Missing required parameter: 'IMAGE' (or --image)");
            }
            image = positional.get(0);
            args = positional.subList(1, positional.size());
        }
        if (!MODES.contains(mode)) {
            throw usage("Invalid value for option '--mode': '" + mode + "' (use replicated, global, replicated-job or global-job)");
        }
        ServiceSpec.Builder b = ServiceSpec.newBuilder();
        switch (mode) {
            case "global":
                if (flags.replicas != null) {
                    throw usage("replicas can only be used with replicated or replicated-job mode");
                }
                if (flags.maxPerNode != null && flags.maxPerNode > 0) {
                    throw usage("replicas-max-per-node can only be used with replicated or replicated-job mode");
                }
                if (flags.maxConcurrent != null) {
                    throw usage("max-concurrent can only be used with replicated-job mode");
                }
                b.getGlobalBuilder();
                break;
            case "global-job":
                if (flags.replicas != null) {
                    throw usage("replicas can only be used with replicated or replicated-job mode");
                }
                if (flags.maxPerNode != null && flags.maxPerNode > 0) {
                    throw usage("replicas-max-per-node can only be used with replicated or replicated-job mode");
                }
                if (flags.maxConcurrent != null) {
                    throw usage("max-concurrent can only be used with replicated-job mode");
                }
                b.getGlobalJobBuilder();
                break;
            case "replicated-job": {
                Long concurrent = flags.maxConcurrent != null ? flags.maxConcurrent : flags.replicas;
                b.getReplicatedJobBuilder()
                        .setMaxConcurrent(concurrent == null ? 0 : concurrent)
                        .setTotalCompletions(flags.replicas == null ? 0 : flags.replicas);
                break;
            }
            default:
                if (flags.maxConcurrent != null) {
                    throw usage("max-concurrent can only be used with replicated-job mode");
                }
                b.getReplicatedBuilder().setReplicas(flags.replicas == null ? 1 : flags.replicas);
                break;
        }
        if (Services.isJob(b.build()) && (flags.anyUpdateFlag() || flags.anyRollbackFlag())) {
            throw usage("update and rollback configuration is not supported for jobs");
        }
        try {
            if (name != null) {
                b.getAnnotationsBuilder().setName(name);
            }
            if (!labels.isEmpty()) {
                b.getAnnotationsBuilder().putAllLabels(FlagValues.labels(labels, "label"));
            }
            ContainerSpec.Builder c = b.getTaskBuilder().getContainerBuilder()
                    .setImage(image)
                    .addAllArgs(args)
                    .addAllEnv(FlagValues.env(env, root().environment))
                    .putAllLabels(FlagValues.labels(containerLabels, "container label"))
                    .addAllMounts(mounts);
            checkMountTargets(c.getMountsList());
            for (FlagValues.PayloadRef r : secrets) {
                c.addSecrets(r.secret());
            }
            for (FlagValues.PayloadRef r : configs) {
                c.addConfigs(r.config());
            }
            checkPayloadTargets(c.getSecretsList(), c.getConfigsList());
            c.addAllHosts(hosts);
            checkNetworks(networks);
            b.getTaskBuilder().addAllNetworks(networks);
            if (!constraints.isEmpty()) {
                b.getTaskBuilder().getPlacementBuilder().addAllConstraints(constraints);
            }
            for (String pref : placementPrefs) {
                b.getTaskBuilder().getPlacementBuilder().addPreferences(placementPreference(pref));
            }
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        for (String p : publish) {
            b.getEndpointBuilder().addAllPorts(ports("--publish", p));
        }
        if (lbStrategy != null) {
            b.getEndpointBuilder().setLbStrategy(lbStrategy.trim());
        }
        flags.apply(b);
        return b.build();
    }

    List<PortConfig> ports(String option, String value) {
        try {
            return FlagValues.ports(value);
        } catch (IllegalArgumentException e) {
            throw usage("Invalid value for option '" + option + "': " + e.getMessage());
        }
    }

    /** docker's {@code --placement-pref spread=node.labels.zone}; spread is the only strategy. */
    static PlacementPreference placementPreference(String value) {
        int eq = value.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("placement preference must be of the format \"<strategy>=<arg>\"");
        }
        String strategy = value.substring(0, eq);
        if (!strategy.equals("spread")) {
            throw new IllegalArgumentException("unsupported placement preference " + strategy + " (only spread is supported)");
        }
        return PlacementPreference.newBuilder().setSpread(value.substring(eq + 1)).build();
    }

    /** docker's rule: two secrets (or two configs) may not be the same file. */
    static void checkPayloadTargets(List<SecretReference> secrets, List<ConfigReference> configs) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (SecretReference r : secrets) {
            if (!seen.add(PayloadTargets.secret(r))) {
                throw new IllegalArgumentException("duplicate secret target for " + r.getSecretName() + " not allowed ("
                        + PayloadTargets.secret(r) + ")");
            }
        }
        seen.clear();
        for (ConfigReference r : configs) {
            if (!seen.add(PayloadTargets.config(r))) {
                throw new IllegalArgumentException("duplicate config target for " + r.getConfigName() + " not allowed ("
                        + PayloadTargets.config(r) + ")");
            }
        }
    }

    /** docker's rule: a service is attached to a network once. */
    static void checkNetworks(List<NetworkAttachmentConfig> networks) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (NetworkAttachmentConfig n : networks) {
            if (!seen.add(n.getTarget())) {
                throw new IllegalArgumentException("service cannot be attached to the same network " + n.getTarget() + " more than once");
            }
        }
    }

    static void checkMountTargets(List<Mount> mounts) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (Mount m : mounts) {
            if (!seen.add(m.getTarget())) {
                throw new IllegalArgumentException("duplicate mount target " + m.getTarget());
            }
        }
    }
}
