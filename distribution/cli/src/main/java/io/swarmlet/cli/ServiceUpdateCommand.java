package io.swarmlet.cli;

import io.swarmlet.api.types.PayloadTargets;
import io.swarmlet.api.types.ConfigReference;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.GetNetworkRequest;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.NetworkAttachmentConfig;
import io.swarmlet.api.types.Placement;
import io.swarmlet.api.types.PlacementPreference;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.SecretReference;
import io.swarmlet.api.types.ServiceSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code swarmlet service update [OPTIONS] SERVICE}: reads the service,
 * applies docker's flags to its spec ({@code --env-add/--env-rm} and the
 * other add/remove pairs edit lists; the rest replace values) and writes it
 * back at the version read, retrying once on a concurrent change. Prints the
 * service as it was named, then (unless {@code --detach}) the converge
 * progress. {@code --rollback} asks for the previous spec instead and takes
 * no other change.
 */
@Command(name = "update",
        description = "Update a service.",
        customSynopsis = "swarmlet service update [OPTIONS] SERVICE")
final class ServiceUpdateCommand extends CliCommand {

    @Mixin
    ServiceFlags flags;

    @Option(names = "--args", paramLabel = "command", description = "Service command args (replaces them; shell words).")
    String args;

    @Option(names = "--rollback", description = "Rollback to previous specification.")
    boolean rollback;

    @Option(names = "--force", description = "Force update even if no changes require it.")
    boolean force;

    @Option(names = "--env-add", paramLabel = "list", description = "Add or update an environment variable.")
    List<String> envAdd = new ArrayList<>();

    @Option(names = "--env-rm", paramLabel = "list", description = "Remove an environment variable.")
    List<String> envRm = new ArrayList<>();

    @Option(names = "--label-add", paramLabel = "list", description = "Add or update a service label.")
    List<String> labelAdd = new ArrayList<>();

    @Option(names = "--label-rm", paramLabel = "list", description = "Remove a label by its key.")
    List<String> labelRm = new ArrayList<>();

    @Option(names = "--container-label-add", paramLabel = "list", description = "Add or update a container label.")
    List<String> containerLabelAdd = new ArrayList<>();

    @Option(names = "--container-label-rm", paramLabel = "list", description = "Remove a container label by its key.")
    List<String> containerLabelRm = new ArrayList<>();

    @Option(names = "--constraint-add", paramLabel = "list", description = "Add or update a placement constraint.")
    List<String> constraintAdd = new ArrayList<>();

    @Option(names = "--constraint-rm", paramLabel = "list", description = "Remove a constraint.")
    List<String> constraintRm = new ArrayList<>();

    @Option(names = "--placement-pref-add", paramLabel = "pref", description = "Add a placement preference.")
    List<String> prefAdd = new ArrayList<>();

    @Option(names = "--placement-pref-rm", paramLabel = "pref", description = "Remove a placement preference.")
    List<String> prefRm = new ArrayList<>();

    @Option(names = "--publish-add", paramLabel = "port", description = "Add or update a published port.")
    List<String> publishAdd = new ArrayList<>();

    @Option(names = "--publish-rm", paramLabel = "port", description = "Remove a published port by its target port.")
    List<String> publishRm = new ArrayList<>();

    @Option(names = "--lb-strategy", paramLabel = "string",
            description = "Routing mesh balancing strategy (\"\" = the cluster's default).")
    String lbStrategy;

    @Option(names = "--mount-add", paramLabel = "mount", converter = FlagValues.MountSpec.class,
            description = "Add or update a mount on a service.")
    List<Mount> mountAdd = new ArrayList<>();

    @Option(names = "--mount-rm", paramLabel = "list", description = "Remove a mount by its target path.")
    List<String> mountRm = new ArrayList<>();

    @Option(names = "--secret-add", paramLabel = "secret", converter = FlagValues.SecretRef.class,
            description = "Add or update a secret on a service: NAME or source=NAME[@VERSION],target=PATH,uid=,gid=,mode="
                    + " (replaces the one with the same target).")
    List<FlagValues.PayloadRef> secretAdd = new ArrayList<>();

    @Option(names = "--secret-rm", paramLabel = "list", description = "Remove a secret by its name, ID or target.")
    List<String> secretRm = new ArrayList<>();

    @Option(names = "--config-add", paramLabel = "config", converter = FlagValues.ConfigRef.class,
            description = "Add or update a config on a service: NAME or source=NAME[@VERSION],target=PATH,uid=,gid=,mode="
                    + " (replaces the one with the same target).")
    List<FlagValues.PayloadRef> configAdd = new ArrayList<>();

    @Option(names = "--config-rm", paramLabel = "list", description = "Remove a config by its name, ID or target.")
    List<String> configRm = new ArrayList<>();

    @Option(names = "--network-add", paramLabel = "network", converter = FlagValues.NetworkRef.class,
            description = "Add a network: NAME, or name=NAME,alias=ALIAS.")
    List<NetworkAttachmentConfig> networkAdd = new ArrayList<>();

    @Option(names = "--network-rm", paramLabel = "list", description = "Remove a network (name or ID).")
    List<String> networkRm = new ArrayList<>();

    @Option(names = "--host-add", paramLabel = "list", converter = FlagValues.HostEntry.class,
            description = "Add a custom host-to-IP mapping (HOST:IP).")
    List<String> hostAdd = new ArrayList<>();

    @Option(names = "--host-rm", paramLabel = "list",
            description = "Remove a custom host-to-IP mapping (HOST:IP, or HOST for all its mappings).")
    List<String> hostRm = new ArrayList<>();

    @Parameters(paramLabel = "SERVICE", description = ServiceCommands.SERVICE_REF)
    String ref;

    /** The options that --rollback may come with. */
    private static final Set<String> WITH_ROLLBACK = Set.of("--rollback", "--detach", "--quiet", "--socket", "--debug");

    private List<String> argWords;
    private Map<String, String> labelsToAdd;
    private Map<String, String> containerLabelsToAdd;
    private List<String> envToAdd;
    private List<PortConfig> portsToAdd;
    private List<PortConfig> portsToRemove;
    private List<PlacementPreference> prefsToAdd;
    private List<PlacementPreference> prefsToRemove;
    /** The networks of --network-add and --network-rm, as the server resolved them. */
    private List<Network> networksToAdd = List.of();
    private List<Network> networksToRemove = List.of();

    @Override
    public Integer call() {
        check();
        resolveNetworks();
        ServiceCommands.Updated u = ServiceCommands.update(api(), ref, this::edit, rollback);
        out().println(ref);
        if (!flags.detach) {
            ServiceCommands.converge(this, u.after(), u.before().getUpdateStatus(), flags.quiet);
        }
        return Main.EXIT_OK;
    }

    /** Checks and parses every flag before anything is asked of the server. */
    void check() {
        if (rollback) {
            for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
                if (!WITH_ROLLBACK.contains(o.longestName())) {
                    throw usage("other flags may not be combined with --rollback (" + o.longestName() + ")");
                }
            }
        }
        flags.check(this::usage);
        try {
            argWords = args == null ? null : FlagValues.shellWords(args);
            labelsToAdd = FlagValues.labels(labelAdd, "label");
            containerLabelsToAdd = FlagValues.labels(containerLabelAdd, "container label");
            envToAdd = FlagValues.env(envAdd, root().environment);
            ServiceCreateCommand.checkMountTargets(mountAdd);
            prefsToAdd = new ArrayList<>();
            for (String p : prefAdd) {
                prefsToAdd.add(ServiceCreateCommand.placementPreference(p));
            }
            prefsToRemove = new ArrayList<>();
            for (String p : prefRm) {
                prefsToRemove.add(ServiceCreateCommand.placementPreference(p));
            }
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        portsToAdd = new ArrayList<>();
        for (String p : publishAdd) {
            portsToAdd.addAll(ports("--publish-add", p));
        }
        portsToRemove = new ArrayList<>();
        for (String p : publishRm) {
            portsToRemove.addAll(ports("--publish-rm", p));
        }
    }

    /** docker resolves the networks to add and remove before the update: a name that is none is an error. */
    private void resolveNetworks() {
        if (networkAdd.isEmpty() && networkRm.isEmpty()) {
            return;
        }
        networksToAdd = new ArrayList<>();
        for (NetworkAttachmentConfig n : networkAdd) {
            networksToAdd.add(api().getNetwork(GetNetworkRequest.newBuilder().setId(n.getTarget()).build()).getNetwork());
        }
        networksToRemove = new ArrayList<>();
        for (String n : networkRm) {
            networksToRemove.add(api().getNetwork(GetNetworkRequest.newBuilder().setId(n).build()).getNetwork());
        }
    }

    private List<PortConfig> ports(String option, String value) {
        try {
            return FlagValues.ports(value);
        } catch (IllegalArgumentException e) {
            throw usage("Invalid value for option '" + option + "': " + e.getMessage());
        }
    }

    /** The service's spec with the flags applied. */
    ServiceSpec edit(ServiceSpec current) {
        ServiceSpec.Builder b = current.toBuilder();
        Map<String, String> labels = new LinkedHashMap<>(current.getAnnotations().getLabelsMap());
        labelRm.forEach(labels::remove);
        labels.putAll(labelsToAdd);
        b.getAnnotationsBuilder().clearLabels().putAllLabels(labels);

        ContainerSpec.Builder c = b.getTaskBuilder().getContainerBuilder();
        Map<String, String> containerLabels = new LinkedHashMap<>(c.getLabelsMap());
        containerLabelRm.forEach(containerLabels::remove);
        containerLabels.putAll(containerLabelsToAdd);
        c.clearLabels().putAllLabels(containerLabels);
        if (argWords != null) {
            c.clearArgs().addAllArgs(argWords);
        }
        // each list is computed before its field is cleared: the builder's getters are live views
        List<String> env = editEnv(c.getEnvList(), envRm, envToAdd);
        c.clearEnv().addAllEnv(env);
        List<Mount> mounts = editMounts(c.getMountsList(), mountAdd, mountRm);
        c.clearMounts().addAllMounts(mounts);
        if (!secretAdd.isEmpty() || !secretRm.isEmpty()) {
            List<SecretReference> secrets = editRefs(c.getSecretsList(),
                    secretAdd.stream().map(FlagValues.PayloadRef::secret).toList(), secretRm,
                    SecretReference::getSecretName, SecretReference::getSecretId, SecretReference::getTarget, PayloadTargets::secret);
            c.clearSecrets().addAllSecrets(secrets);
        }
        if (!configAdd.isEmpty() || !configRm.isEmpty()) {
            List<ConfigReference> configs = editRefs(c.getConfigsList(),
                    configAdd.stream().map(FlagValues.PayloadRef::config).toList(), configRm,
                    ConfigReference::getConfigName, ConfigReference::getConfigId, ConfigReference::getTarget, PayloadTargets::config);
            c.clearConfigs().addAllConfigs(configs);
        }

        if (!hostAdd.isEmpty() || !hostRm.isEmpty()) {
            List<String> hosts = editHosts(c.getHostsList(), hostAdd, hostRm);
            c.clearHosts().addAllHosts(hosts);
        }
        if (!networkAdd.isEmpty() || !networkRm.isEmpty()) {
            List<NetworkAttachmentConfig> attached = current.getTask().getNetworksCount() > 0
                    ? current.getTask().getNetworksList() : current.getNetworksList();
            List<NetworkAttachmentConfig> networks = editNetworks(attached, networkAdd, networksToAdd, networksToRemove);
            b.clearNetworks();
            b.getTaskBuilder().clearNetworks().addAllNetworks(networks);
        }

        if (!constraintAdd.isEmpty() || !constraintRm.isEmpty()) {
            Placement.Builder p = b.getTaskBuilder().getPlacementBuilder();
            List<String> constraints = new ArrayList<>(p.getConstraintsList());
            constraints.addAll(constraintAdd);
            constraints.removeIf(constraintRm::contains);
            constraints.sort(null);
            p.clearConstraints().addAllConstraints(constraints);
        }
        if (!prefsToAdd.isEmpty() || !prefsToRemove.isEmpty()) {
            Placement.Builder p = b.getTaskBuilder().getPlacementBuilder();
            List<PlacementPreference> prefs = new ArrayList<>(p.getPreferencesList());
            prefs.removeIf(prefsToRemove::contains);
            prefs.addAll(prefsToAdd);
            p.clearPreferences().addAllPreferences(prefs);
        }
        if (!portsToAdd.isEmpty() || !portsToRemove.isEmpty()) {
            EndpointSpec.Builder e = b.getEndpointBuilder();
            e.clearPorts().addAllPorts(editPorts(current.getEndpoint().getPortsList(), portsToAdd, portsToRemove));
        }
        if (lbStrategy != null) {
            b.getEndpointBuilder().setLbStrategy(lbStrategy.trim());
        }
        if (flags.replicas != null) {
            switch (current.getModeCase()) {
                case REPLICATED: b.getReplicatedBuilder().setReplicas(flags.replicas); break;
                case REPLICATED_JOB: b.getReplicatedJobBuilder().setTotalCompletions(flags.replicas); break;
                default: throw new CliException("replicas can only be used with replicated or replicated-job mode");
            }
        }
        if (flags.maxConcurrent != null) {
            if (current.getModeCase() != ServiceSpec.ModeCase.REPLICATED_JOB) {
                throw new CliException("max-concurrent can only be used with replicated-job mode");
            }
            b.getReplicatedJobBuilder().setMaxConcurrent(flags.maxConcurrent);
        }
        if (Services.isJob(current) && (flags.anyUpdateFlag() || flags.anyRollbackFlag())) {
            throw new CliException("update and rollback configuration is not supported for jobs");
        }
        if (force) {
            b.getTaskBuilder().setForceUpdate(current.getTask().getForceUpdate() + 1);
        }
        flags.apply(b);
        return b.build();
    }

    /** docker's env edit: remove by name, then add or replace (a replaced variable keeps its place). */
    static List<String> editEnv(List<String> current, List<String> remove, List<String> add) {
        Map<String, String> byKey = new LinkedHashMap<>();
        for (String e : current) {
            byKey.put(FlagValues.envKey(e), e);
        }
        remove.forEach(k -> byKey.remove(FlagValues.envKey(k)));
        for (String e : add) {
            byKey.put(FlagValues.envKey(e), e);
        }
        return new ArrayList<>(byKey.values());
    }

    /**
     * docker's hosts edit: {@code HOST:IP} removes HOST from the lines of that IP,
     * {@code HOST} from every line; lines left without a name go; the added lines
     * ("IP HOST") are appended; duplicates dropped, first kept.
     */
    static List<String> editHosts(List<String> current, List<String> add, List<String> remove) {
        List<String> out = new ArrayList<>();
        for (String entry : current) {
            String[] parts = entry.trim().split("\\s+");
            if (parts.length == 0 || parts[0].isEmpty()) {
                continue;
            }
            String ip = parts[0];
            List<String> names = new ArrayList<>(List.of(parts).subList(1, parts.length));
            for (String rm : remove) {
                int sep = rm.indexOf('=') >= 0 ? rm.indexOf('=') : rm.indexOf(':');
                String host = sep < 0 ? rm.trim() : rm.substring(0, sep).trim();
                String rmIp = sep < 0 ? "" : rm.substring(sep + 1).trim().replaceAll("^\\[(.*)]$", "$1");
                if (!rmIp.isEmpty() && !rmIp.equals(ip)) {
                    continue;
                }
                names.removeIf(host::equals);
            }
            if (!names.isEmpty()) {
                out.add(ip + " " + String.join(" ", names));
            }
        }
        out.addAll(add);
        return new ArrayList<>(new java.util.LinkedHashSet<>(out));
    }

    /**
     * docker's networks edit: attachments to a removed network go (matched by the
     * network's ID or name); each added one must not be there yet and is stored with
     * the network's ID; sorted by target.
     */
    static List<NetworkAttachmentConfig> editNetworks(List<NetworkAttachmentConfig> current, List<NetworkAttachmentConfig> add,
                                                      List<Network> added, List<Network> removed) {
        List<NetworkAttachmentConfig> out = new ArrayList<>();
        for (NetworkAttachmentConfig n : current) {
            if (removed.stream().noneMatch(r -> isNetwork(n.getTarget(), r))) {
                out.add(n);
            }
        }
        for (int i = 0; i < add.size(); i++) {
            Network net = added.get(i);
            if (out.stream().anyMatch(n -> isNetwork(n.getTarget(), net))) {
                throw new CliException("service is already attached to network " + add.get(i).getTarget());
            }
            out.add(add.get(i).toBuilder().setTarget(net.getId()).build());
        }
        out.sort(Comparator.comparing(NetworkAttachmentConfig::getTarget));
        return out;
    }

    private static boolean isNetwork(String target, Network n) {
        return target.equals(n.getId()) || target.equals(n.getSpec().getAnnotations().getName());
    }

    /** docker's mount edit: added mounts replace those with the same target, then targets are removed; sorted by source, target. */
    static List<Mount> editMounts(List<Mount> current, List<Mount> add, List<String> removeTargets) {
        Map<String, Mount> byTarget = new LinkedHashMap<>();
        add.forEach(m -> byTarget.put(m.getTarget(), m));
        current.forEach(m -> byTarget.putIfAbsent(m.getTarget(), m));
        List<Mount> out = new ArrayList<>();
        for (Mount m : byTarget.values()) {
            if (!removeTargets.contains(m.getTarget())) {
                out.add(m);
            }
        }
        if (add.isEmpty() && removeTargets.isEmpty()) {
            return current;
        }
        out.sort(Comparator.comparing(Mount::getSource).thenComparing(Mount::getTarget));
        return out;
    }

    /**
     * The secret (or config) edit: references named by a {@code -rm} value (its
     * name, ID or target, as given or as the path it makes) go, then each added
     * one replaces any reference to the same file, else it is appended. Two added
     * references to one file are refused, as docker refuses them.
     */
    static <R> List<R> editRefs(List<R> current, List<R> add, List<String> remove, Function<R, String> name,
                                Function<R, String> id, Function<R, String> target, Function<R, String> path) {
        List<R> out = new ArrayList<>();
        for (R r : current) {
            boolean removed = remove.stream().anyMatch(x -> x.equals(name.apply(r)) || (!id.apply(r).isEmpty() && x.equals(id.apply(r)))
                    || x.equals(target.apply(r)) || x.equals(path.apply(r)));
            if (!removed) {
                out.add(r);
            }
        }
        Set<String> added = new HashSet<>();
        for (R r : add) {
            String p = path.apply(r);
            if (!added.add(p)) {
                throw new CliException("duplicate target " + p + " for " + name.apply(r) + " not allowed");
            }
            out.removeIf(x -> path.apply(x).equals(p));
            out.add(r);
        }
        return out;
    }

    /**
     * docker's port edit: ports whose target, protocol and mode match a
     * {@code --publish-rm} are removed, {@code --publish-add} ports not yet
     * there are added; sorted.
     */
    static List<PortConfig> editPorts(List<PortConfig> current, List<PortConfig> add, List<PortConfig> remove) {
        List<PortConfig> out = new ArrayList<>();
        Set<String> present = new HashSet<>();
        for (PortConfig p : current) {
            boolean removed = remove.stream().anyMatch(r -> r.getTargetPort() == p.getTargetPort()
                    && r.getProtocol() == p.getProtocol() && r.getPublishMode() == p.getPublishMode());
            if (!removed && present.add(key(p))) {
                out.add(p);
            }
        }
        for (PortConfig p : add) {
            if (present.add(key(p))) {
                out.add(p);
            }
        }
        out.sort(Comparator.comparing(ServiceUpdateCommand::key));
        return out;
    }

    private static String key(PortConfig p) {
        return p.getPublishedPort() + ":" + p.getTargetPort() + "/" + Services.protocol(p) + "/"
                + p.getPublishMode().name().toLowerCase(java.util.Locale.ROOT);
    }
}
