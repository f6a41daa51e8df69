package io.swarmlet.stack.internal;

import io.swarmlet.api.control.Stacks;
import io.swarmlet.api.types.ConfigReference;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.GlobalJob;
import io.swarmlet.api.types.GlobalService;
import io.swarmlet.api.types.HealthConfig;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.NetworkAttachmentConfig;
import io.swarmlet.api.types.Placement;
import io.swarmlet.api.types.PlacementPreference;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.ReplicatedJob;
import io.swarmlet.api.types.ReplicatedService;
import io.swarmlet.api.types.ResourceRequirements;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.SecretReference;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.UpdateConfig;
import io.swarmlet.stack.internal.compose.Project;
import io.swarmlet.stack.internal.compose.Project.Deploy;
import io.swarmlet.stack.internal.compose.Project.FileRef;
import io.swarmlet.stack.internal.compose.Project.Limits;
import io.swarmlet.stack.internal.compose.Project.Port;
import io.swarmlet.stack.internal.compose.Project.Service;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * One compose service as the {@link ServiceSpec} a stack deploys, the way Docker's {@code stack deploy}
 * converts it ({@code cli/compose/convert/service.go}): named {@code <stack>_<service>}, labelled with the
 * namespace (service and container labels), {@code entrypoint} as the command and {@code command} as its
 * arguments, {@code env_file} contents under {@code environment}, sorted, and so on. {@code expose} becomes
 * INTERNAL ports (reachable at the service's virtual IPs), which Docker ignores. Keys the loader warns
 * about are not mapped. Problems (things the cluster could not run) are collected, never thrown, so a
 * deploy reports them all at once.
 */
final class ServiceMapper {

    private final Namespace ns;
    private final Project project;
    private final Function<String, byte[]> localFiles;
    private final Map<String, String> env;
    private final List<String> problems;

    /**
     * @param localFiles the content of a local file by its path as written (env files); never null for a
     *        path the project names (the caller made sure every one was sent)
     * @param env the client's variables, for env-file lines that name a variable without a value
     * @param problems where problems go, one message each
     */
    ServiceMapper(Namespace ns, Project project, Function<String, byte[]> localFiles, Map<String, String> env,
            List<String> problems) {
        this.ns = ns;
        this.project = project;
        this.localFiles = localFiles;
        this.env = env;
        this.problems = problems;
    }

    ServiceSpec map(Service s) {
        String path = "services." + s.name();
        ServiceSpec.Builder b = ServiceSpec.newBuilder();
        Deploy d = s.deploy();
        Map<String, String> serviceLabels = new TreeMap<>(d == null ? Map.of() : d.labels());
        serviceLabels.put(Stacks.NAMESPACE_LABEL, ns.name());
        b.getAnnotationsBuilder().setName(ns.scope(s.name())).putAllLabels(serviceLabels);

        TaskSpec.Builder t = b.getTaskBuilder();
        t.setContainer(container(s, path));
        if (d != null) {
            resources(d.resources(), t);
            if (d.restartPolicy() != null) {
                t.setRestart(restart(d.restartPolicy(), path));
            }
            if (d.placement() != null) {
                Placement.Builder p = t.getPlacementBuilder().addAllConstraints(d.placement().constraints());
                d.placement().preferences().forEach(spread -> p.addPreferences(PlacementPreference.newBuilder().setSpread(spread)));
                if (d.placement().maxReplicasPerNode() != null) {
                    p.setMaxReplicas(d.placement().maxReplicasPerNode());
                }
            }
            if (d.updateConfig() != null) {
                b.setUpdate(update(d.updateConfig(), path + ".deploy.update_config"));
            }
            if (d.rollbackConfig() != null) {
                b.setRollback(update(d.rollbackConfig(), path + ".deploy.rollback_config"));
            }
        }
        t.addAllNetworks(networks(s));
        mode(s, d, path, b);
        b.setEndpoint(endpoint(s, d, path));
        return b.build();
    }

    // ------------------------------------------------------------ container

    private ContainerSpec container(Service s, String path) {
        ContainerSpec.Builder c = ContainerSpec.newBuilder().setImage(s.image() == null ? "" : s.image());
        Map<String, String> labels = new TreeMap<>(s.labels());
        labels.put(Stacks.NAMESPACE_LABEL, ns.name());
        c.putAllLabels(labels);
        // Docker's convert: the compose entrypoint is the container's command, the compose command its args
        if (s.entrypoint() != null) {
            c.addAllCommand(s.entrypoint());
        }
        if (s.command() != null) {
            c.addAllArgs(s.command());
        }
        c.addAllEnv(environment(s, path));
        if (s.hostname() != null) {
            c.setHostname(s.hostname());
        }
        if (s.workingDir() != null) {
            c.setDir(s.workingDir());
        }
        if (s.user() != null) {
            c.setUser(s.user());
        }
        if (s.init() != null) {
            c.setInit(s.init());
        }
        if (s.stopGracePeriod() != null) {
            c.setStopGracePeriodMs(s.stopGracePeriod().toMillis());
        }
        if (s.stopSignal() != null) {
            c.setStopSignal(s.stopSignal());
        }
        for (String h : s.extraHosts()) {
            String host = hostsLine(h);
            if (host == null) {
                problems.add(path + ".extra_hosts: invalid host \"" + h + "\": use HOST:IP (or HOST=IP)");
            } else {
                c.addHosts(host);
            }
        }
        if (s.healthcheck() != null) {
            c.setHealthcheck(health(s.healthcheck(), path));
        }
        for (Project.Mount m : s.volumes()) {
            Mount mount = mount(m, path);
            if (mount != null) {
                c.addMounts(mount);
            }
        }
        for (FileRef r : s.secrets()) {
            SecretReference.Builder ref = SecretReference.newBuilder()
                    .setSecretName(ns.fileObject(r.source(), project.secrets().get(r.source())))
                    .setTarget(r.target());
            if (r.uid() != null) {
                ref.setUid(r.uid());
            }
            if (r.gid() != null) {
                ref.setGid(r.gid());
            }
            if (r.mode() != null) {
                ref.setMode(r.mode());
            }
            c.addSecrets(ref);
        }
        for (FileRef r : s.configs()) {
            ConfigReference.Builder ref = ConfigReference.newBuilder()
                    .setConfigName(ns.fileObject(r.source(), project.configs().get(r.source())))
                    .setTarget(r.target());
            if (r.uid() != null) {
                ref.setUid(r.uid());
            }
            if (r.gid() != null) {
                ref.setGid(r.gid());
            }
            if (r.mode() != null) {
                ref.setMode(r.mode());
            }
            c.addConfigs(ref);
        }
        return c.build();
    }

    /**
     * {@code KEY=VALUE}, sorted as Docker's convert sorts them: the env files in order (later ones win),
     * then {@code environment} over them.
     */
    private List<String> environment(Service s, String path) {
        Map<String, String> vars = new LinkedHashMap<>();
        for (String file : s.envFiles()) {
            byte[] content = localFiles.apply(file);
            if (content != null) {
                parseEnvFile(file, new String(content, StandardCharsets.UTF_8), env, vars, problems, path);
            }
        }
        vars.putAll(s.environment());
        List<String> out = new ArrayList<>();
        vars.forEach((k, v) -> out.add(k + "=" + v));
        out.sort(null);
        return out;
    }

    /**
     * Docker's env-file format ({@code opts.ParseEnvFile}): one {@code KEY=VALUE} a line, the value taken as
     * written (no quotes removed); blank lines and lines starting with {@code #} skipped; a line with a
     * name only takes the variable from the client's environment, and is skipped when it has none.
     */
    static void parseEnvFile(String file, String text, Map<String, String> env, Map<String, String> into,
            List<String> problems, String path) {
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            line = line.stripLeading();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            String key = eq < 0 ? line : line.substring(0, eq);
            if (key.isEmpty()) {
                problems.add(path + ".env_file: " + file + ":" + (i + 1) + ": no variable name on line '" + line + "'");
                continue;
            }
            if (key.chars().anyMatch(Character::isWhitespace)) {
                problems.add(path + ".env_file: " + file + ":" + (i + 1) + ": variable '" + key + "' contains whitespaces");
                continue;
            }
            if (eq >= 0) {
                into.put(key, line.substring(eq + 1));
            } else if (env.containsKey(key)) {
                into.put(key, env.get(key));
            }
        }
    }

    /** Docker's {@code /etc/hosts} form, {@code IP HOST}, of a compose {@code HOST:IP} or {@code HOST=IP}. */
    static String hostsLine(String entry) {
        int at = entry.indexOf('=');
        if (at < 0) {
            at = entry.indexOf(':');
        }
        if (at <= 0 || at == entry.length() - 1) {
            return null;
        }
        String host = entry.substring(0, at).trim();
        String ip = entry.substring(at + 1).trim();
        if (ip.startsWith("[") && ip.endsWith("]")) {
            ip = ip.substring(1, ip.length() - 1);
        }
        return host.isEmpty() || ip.isEmpty() ? null : ip + " " + host;
    }

    private HealthConfig health(Project.Healthcheck h, String path) {
        HealthConfig.Builder b = HealthConfig.newBuilder();
        if (h.disable()) {
            if (h.test() != null && !h.test().isEmpty() || h.interval() != null || h.timeout() != null
                    || h.startPeriod() != null || h.retries() != null) {
                problems.add(path + ".healthcheck: test and disable can't be set at the same time");
            }
            return b.addTest("NONE").build();
        }
        if (h.test() != null) {
            b.addAllTest(h.test());
        }
        if (h.interval() != null) {
            b.setIntervalMs(h.interval().toMillis());
        }
        if (h.timeout() != null) {
            b.setTimeoutMs(h.timeout().toMillis());
        }
        if (h.startPeriod() != null) {
            b.setStartPeriodMs(h.startPeriod().toMillis());
        }
        if (h.retries() != null) {
            b.setRetries(h.retries());
        }
        return b.build();
    }

    private Mount mount(Project.Mount m, String path) {
        Mount.Builder b = Mount.newBuilder().setTarget(m.target()).setReadOnly(m.readOnly());
        switch (m.type()) {
            case "bind" -> {
                if (m.source() == null || !m.source().startsWith("/")) {
                    problems.add(path + ".volumes: bind mount source \"" + m.source() + "\" must be an absolute path:"
                            + " the managers deploy the stack and cannot resolve a path relative to the compose file");
                    return null;
                }
                b.setType(Mount.Type.BIND).setSource(m.source());
            }
            case "volume" -> {
                b.setType(Mount.Type.VOLUME);
                if (m.source() != null) {
                    b.setSource(ns.volume(m.source(), project.volumes().get(m.source())));
                }
            }
            case "tmpfs" -> b.setType(Mount.Type.TMPFS);
            default -> {
                problems.add(path + ".volumes: mount type " + m.type() + " is not supported by stacks (use volume, bind or tmpfs)");
                return null;
            }
        }
        return b.build();
    }

    // ------------------------------------------------------------ task, mode, endpoint

    private static void resources(Project.Resources r, TaskSpec.Builder t) {
        if (r == null) {
            return;
        }
        ResourceRequirements.Builder b = t.getResourcesBuilder();
        if (r.limits() != null) {
            b.setLimits(resources(r.limits()));
            if (r.limits().pids() != null) {
                b.setPidsLimit(r.limits().pids());
            }
        }
        if (r.reservations() != null) {
            b.setReservations(resources(r.reservations()));
        }
    }

    private static Resources resources(Limits l) {
        Resources.Builder b = Resources.newBuilder();
        if (l.nanoCpus() != null) {
            b.setNanoCpus(l.nanoCpus());
        }
        if (l.memoryBytes() != null) {
            b.setMemoryBytes(l.memoryBytes());
        }
        return b.build();
    }

    /** Docker's restart policy; a delay left out is the cluster's default (5s). */
    private RestartPolicy restart(Project.RestartPolicy r, String path) {
        RestartPolicy.Builder b = RestartPolicy.newBuilder();
        String condition = r.condition() == null ? "any" : r.condition();
        switch (condition) {
            case "none", "no" -> b.setCondition(RestartPolicy.Condition.NONE);
            case "on-failure" -> b.setCondition(RestartPolicy.Condition.ON_FAILURE);
            case "any", "always", "unless-stopped" -> b.setCondition(RestartPolicy.Condition.ANY);
            default -> problems.add(path + ".deploy.restart_policy.condition: invalid condition \"" + condition
                    + "\": use none, on-failure or any");
        }
        b.setDelayMs(r.delay() == null ? 5_000 : r.delay().toMillis());
        if (r.maxAttempts() != null) {
            b.setMaxAttempts(r.maxAttempts());
        }
        if (r.window() != null) {
            b.setWindowMs(r.window().toMillis());
        }
        return b.build();
    }

    /** Docker's update (or rollback) config: parallelism 1 and the cluster's defaults where the file says nothing. */
    private UpdateConfig update(Project.UpdateConfig u, String path) {
        UpdateConfig.Builder b = UpdateConfig.newBuilder()
                .setParallelism(u.parallelism() == null ? 1 : u.parallelism())
                .setMonitorMs(u.monitor() == null ? 5_000 : u.monitor().toMillis());
        if (u.delay() != null) {
            b.setDelayMs(u.delay().toMillis());
        }
        if (u.maxFailureRatio() != null) {
            b.setMaxFailureRatio(u.maxFailureRatio().floatValue());
        }
        String action = u.failureAction() == null ? "pause" : u.failureAction();
        switch (action) {
            case "pause" -> b.setFailureAction(UpdateConfig.FailureAction.PAUSE);
            case "continue" -> b.setFailureAction(UpdateConfig.FailureAction.CONTINUE);
            case "rollback" -> b.setFailureAction(UpdateConfig.FailureAction.ROLLBACK);
            default -> problems.add(path + ".failure_action: invalid failure action \"" + action + "\": use pause, continue or rollback");
        }
        String order = u.order() == null ? "stop-first" : u.order();
        switch (order) {
            case "stop-first" -> b.setOrder(UpdateConfig.UpdateOrder.STOP_FIRST);
            case "start-first" -> b.setOrder(UpdateConfig.UpdateOrder.START_FIRST);
            default -> problems.add(path + ".order: invalid order \"" + order + "\": use stop-first or start-first");
        }
        return b.build();
    }

    /**
     * Docker's network attachments: the declared networks, or the stack's default one; the target is the
     * network's cluster name, the aliases the compose service name and the declared aliases; by target.
     */
    private List<NetworkAttachmentConfig> networks(Service s) {
        Map<String, Project.NetworkAttachment> nets = s.networks().isEmpty()
                ? Map.of(Namespace.DEFAULT_NETWORK, new Project.NetworkAttachment(List.of())) : s.networks();
        List<NetworkAttachmentConfig> out = new ArrayList<>();
        nets.forEach((key, a) -> {
            List<String> aliases = new ArrayList<>();
            aliases.add(s.name());
            a.aliases().stream().filter(x -> !aliases.contains(x)).forEach(aliases::add);
            out.add(NetworkAttachmentConfig.newBuilder().setTarget(ns.network(key, project.networks().get(key)))
                    .addAllAliases(aliases).build());
        });
        out.sort(Comparator.comparing(NetworkAttachmentConfig::getTarget));
        return out;
    }

    private void mode(Service s, Deploy d, String path, ServiceSpec.Builder b) {
        String mode = d == null || d.mode() == null ? "replicated" : d.mode();
        Integer replicas = d == null ? null : d.replicas();
        switch (mode) {
            case "replicated" -> b.setReplicated(ReplicatedService.newBuilder().setReplicas(replicas == null ? 1 : replicas));
            case "replicated-job" -> {
                long n = replicas == null ? 1 : replicas;
                b.setReplicatedJob(ReplicatedJob.newBuilder().setMaxConcurrent(n).setTotalCompletions(n));
            }
            case "global", "global-job" -> {
                if (replicas != null) {
                    problems.add(path + ".deploy.replicas: replicas can only be used with replicated or replicated-job mode");
                }
                if (mode.equals("global")) {
                    b.setGlobal(GlobalService.getDefaultInstance());
                } else {
                    b.setGlobalJob(GlobalJob.getDefaultInstance());
                }
            }
            default -> problems.add(path + ".deploy.mode: invalid mode \"" + mode
                    + "\": use replicated, global, replicated-job or global-job");
        }
        if (replicas != null && replicas < 0) {
            problems.add(path + ".deploy.replicas must not be negative");
        }
    }

    /** Published ports (published left 0 when not given: the cluster picks one), then the exposed ones. */
    private EndpointSpec endpoint(Service s, Deploy d, String path) {
        EndpointSpec.Builder b = EndpointSpec.newBuilder();
        String mode = d == null || d.endpointMode() == null ? "vip" : d.endpointMode();
        switch (mode) {
            case "vip" -> b.setMode(EndpointSpec.ResolutionMode.VIP);
            case "dnsrr" -> b.setMode(EndpointSpec.ResolutionMode.DNSRR);
            default -> problems.add(path + ".deploy.endpoint_mode: invalid endpoint mode \"" + mode + "\": use vip or dnsrr");
        }
        List<PortConfig> ports = new ArrayList<>();
        for (Port p : s.ports()) {
            PortConfig.PublishMode publishMode = "host".equals(p.mode()) ? PortConfig.PublishMode.HOST : PortConfig.PublishMode.INGRESS;
            if (mode.equals("dnsrr") && publishMode == PortConfig.PublishMode.INGRESS) {
                problems.add(path + ".ports: port published with ingress mode can't be used with dnsrr mode"
                        + " (publish it in host mode, or use endpoint_mode: vip)");
            }
            ports.add(PortConfig.newBuilder().setTargetPort(p.target())
                    .setPublishedPort(p.published() == null ? 0 : p.published())
                    .setProtocol(protocol(p.protocol())).setPublishMode(publishMode).build());
        }
        // Docker's convert sorts the published ports
        ports.sort(Comparator.comparingInt(PortConfig::getPublishedPort).thenComparingInt(PortConfig::getTargetPort));
        b.addAllPorts(ports);
        for (Port p : s.expose()) {
            b.addPorts(PortConfig.newBuilder().setTargetPort(p.target()).setProtocol(protocol(p.protocol()))
                    .setPublishMode(PortConfig.PublishMode.INTERNAL));
        }
        return b.build();
    }

    private static PortConfig.Protocol protocol(String p) {
        return switch (p == null ? "tcp" : p.toLowerCase(Locale.ROOT)) {
            case "udp" -> PortConfig.Protocol.UDP;
            case "sctp" -> PortConfig.Protocol.SCTP;
            default -> PortConfig.Protocol.TCP;
        };
    }
}
