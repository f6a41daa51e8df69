package io.swarmlet.executor.docker.internal;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.Ports;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.HealthConfig;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.NetworkAttachment;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.ResourceRequirements;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.executor.ExecutorException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What a task's container looks like: its name, its labels and the create
 * request made from the task's {@link ContainerSpec} (docker's
 * daemon/cluster/executor/container/container.go, in Java). Pure: no docker
 * call is made here.
 */
final class TaskContainer {

    static final String SWARMLET_PREFIX = "io.swarmlet.";
    static final String TASK_ID = "io.swarmlet.task.id";
    static final String TASK_NAME = "io.swarmlet.task.name";
    static final String SERVICE_ID = "io.swarmlet.service.id";
    static final String SERVICE_NAME = "io.swarmlet.service.name";
    static final String NODE_ID = "io.swarmlet.node.id";
    static final String DOCKER_TASK = "com.docker.swarm.task";
    static final String DOCKER_TASK_ID = "com.docker.swarm.task.id";
    static final String DOCKER_TASK_NAME = "com.docker.swarm.task.name";
    static final String DOCKER_SERVICE_ID = "com.docker.swarm.service.id";
    static final String DOCKER_SERVICE_NAME = "com.docker.swarm.service.name";
    static final String DOCKER_NODE_ID = "com.docker.swarm.node.id";

    /** The smallest memory limit the engine accepts (moby's linuxMinMemory, 6 MiB, which docker prints as 6MB). */
    static final long MIN_MEMORY_BYTES = 6L * 1024 * 1024;

    /** Highest TCP/UDP port number. */
    static final long MAX_PORT = 65_535;

    /** Stop grace period when the spec gives none (docker's default). */
    static final int DEFAULT_STOP_SECONDS = 10;

    private final Task task;
    private final ContainerSpec spec;
    private final String nodeId;
    private final String name;

    /**
     * @param task the task
     * @param localNodeId this node's ID, used when the task carries none
     */
    TaskContainer(Task task, String localNodeId) {
        this.task = task;
        this.spec = task.getSpec().getContainer();
        this.nodeId = task.getNodeId().isEmpty() ? localNodeId : task.getNodeId();
        this.name = name(task, nodeId);
    }

    /**
     * {@code <service>.<slot>.<task id>}, or {@code <service>.<node id>.<task id>}
     * for a global service's task (slot 0), as docker names swarm containers.
     */
    static String name(Task task, String nodeId) {
        String service = task.getServiceAnnotations().getName();
        if (service.isEmpty()) {
            service = task.getServiceId().isEmpty() ? "task" : task.getServiceId();
        }
        String slot = task.getSlot() > 0 ? Long.toUnsignedString(task.getSlot()) : nodeId;
        return service + "." + slot + "." + task.getId();
    }

    String name() {
        return name;
    }

    String taskId() {
        return task.getId();
    }

    String image() {
        return spec.getImage();
    }

    List<String> env() {
        return spec.getEnvList();
    }

    /** The names of the environment variables, for logs (values are never logged). */
    List<String> envNames() {
        List<String> names = new ArrayList<>(spec.getEnvCount());
        for (String e : spec.getEnvList()) {
            int eq = e.indexOf('=');
            names.add(eq < 0 ? e : e.substring(0, eq));
        }
        return names;
    }

    /**
     * The ports the task publishes: the endpoint's allocated ports (where an
     * ingress port carries the published port the managers chose), else, for
     * a task made before allocation, the ports its service's spec asks for.
     */
    List<PortConfig> ports() {
        Endpoint e = task.getEndpoint();
        return e.getPortsCount() > 0 ? e.getPortsList() : e.getSpec().getPortsList();
    }

    /** The task's cluster networks, in the task's order (the first one is the container's primary network). */
    List<NetworkAttachment> networks() {
        List<NetworkAttachment> out = new ArrayList<>();
        for (NetworkAttachment a : task.getNetworksList()) {
            if (a.hasNetwork()) {
                out.add(a);
            }
        }
        return out;
    }

    /** The Docker network name of an attachment (its cluster network's name). */
    static String networkName(NetworkAttachment a) {
        return a.getNetwork().getSpec().getAnnotations().getName();
    }

    /** The name of the first cluster network, or "" when the task has none (then it sits on the default bridge). */
    String primaryNetwork() {
        List<NetworkAttachment> n = networks();
        return n.isEmpty() ? "" : networkName(n.get(0));
    }

    /**
     * The container's DNS names on network {@code a} (design/networking.md):
     * {@code tasks.<service>} and {@code tasks.<alias>} for each of the
     * attachment's aliases always, and, for a dnsrr service, the service's
     * name and the aliases themselves (a vip service's names resolve to its
     * virtual IP, at the mesh's DNS server, not here).
     */
    List<String> aliases(NetworkAttachment a) {
        Set<String> out = new LinkedHashSet<>();
        String service = task.getServiceAnnotations().getName();
        boolean dnsrr = task.getEndpoint().getSpec().getMode() == EndpointSpec.ResolutionMode.DNSRR;
        List<String> names = new ArrayList<>();
        if (!service.isEmpty()) {
            names.add(service);
        }
        for (String alias : a.getAliasesList()) {
            if (!alias.isBlank()) {
                names.add(alias);
            }
        }
        for (String n : names) {
            out.add("tasks." + n);
        }
        if (dnsrr) {
            out.addAll(names);
        }
        return new ArrayList<>(out);
    }

    /** The DNS servers the container asks for names its engine does not know: each network's, in order. */
    List<String> dns() {
        Set<String> out = new LinkedHashSet<>();
        for (NetworkAttachment a : networks()) {
            if (!a.getNetwork().getDnsAddr().isEmpty()) {
                out.add(a.getNetwork().getDnsAddr());
            }
        }
        return new ArrayList<>(out);
    }

    /**
     * The spec's extra /etc/hosts lines in the engine's "host:ip" form: one per
     * host name of each "IP HOST [HOST...]" entry (docker's swarm executor's rule).
     */
    List<String> extraHosts() {
        List<String> out = new ArrayList<>();
        for (String entry : spec.getHostsList()) {
            String[] parts = entry.trim().split("\\s+");
            for (int i = 1; i < parts.length; i++) {
                out.add(parts[i] + ":" + parts[0]);
            }
        }
        return out;
    }

    /** The spec's labels, then ours (which the spec cannot override). */
    Map<String, String> labels() {
        Map<String, String> l = new LinkedHashMap<>(spec.getLabelsMap());
        String serviceName = task.getServiceAnnotations().getName();
        l.put(DOCKER_TASK, "");
        l.put(DOCKER_TASK_ID, task.getId());
        l.put(DOCKER_TASK_NAME, name);
        l.put(DOCKER_SERVICE_ID, task.getServiceId());
        l.put(DOCKER_SERVICE_NAME, serviceName);
        l.put(DOCKER_NODE_ID, nodeId);
        l.put(TASK_ID, task.getId());
        l.put(TASK_NAME, name);
        l.put(SERVICE_ID, task.getServiceId());
        l.put(SERVICE_NAME, serviceName);
        l.put(NODE_ID, nodeId);
        return l;
    }

    /** Seconds docker waits after SIGTERM before SIGKILL. */
    int stopTimeoutSeconds() {
        long ms = spec.getStopGracePeriodMs();
        return ms <= 0 ? DEFAULT_STOP_SECONDS : (int) Math.min(Integer.MAX_VALUE, (ms + 999) / 1000);
    }

    /** Whether docker-init runs as PID 1 (on unless the spec turns it off). */
    boolean init() {
        return !spec.hasInit() || spec.getInit();
    }

    /**
     * Checks what docker would reject with a less readable message, or what
     * retrying cannot fix.
     *
     * @throws ExecutorException (fatal) naming the problem
     */
    void validate() throws ExecutorException {
        if (task.getId().isEmpty()) {
            throw fatal("the task has no ID");
        }
        if (spec.getImage().isBlank()) {
            throw fatal("the task has no container image");
        }
        for (String e : spec.getEnvList()) {
            if (e.isEmpty() || e.charAt(0) == '=' || e.indexOf('\0') >= 0) {
                int eq = e.indexOf('=');
                throw fatal("invalid environment variable name \"" + (eq < 0 ? e : e.substring(0, eq)).replace('\0', '?')
                        + "\"");
            }
        }
        ResourceRequirements r = task.getSpec().getResources();
        Resources limits = r.getLimits();
        if (limits.getMemoryBytes() < 0 || limits.getNanoCpus() < 0 || r.getPidsLimit() < 0
                || r.getReservations().getMemoryBytes() < 0) {
            throw fatal("resource limits must not be negative");
        }
        if (limits.getMemoryBytes() > 0 && limits.getMemoryBytes() < MIN_MEMORY_BYTES) {
            throw fatal("memory limit " + bytes(limits.getMemoryBytes()) + " is below the minimum of 6MB"
                    + " the docker engine accepts");
        }
        if (spec.hasHealthcheck()) {
            List<String> test = spec.getHealthcheck().getTestList();
            if (!test.isEmpty() && !List.of("NONE", "CMD", "CMD-SHELL").contains(test.get(0))) {
                throw fatal("healthcheck test must start with NONE, CMD or CMD-SHELL, not \"" + test.get(0) + "\"");
            }
        }
        for (PortConfig p : ports()) {
            validate(p);
        }
        for (String h : spec.getHostsList()) {
            if (h.isBlank() || h.trim().split("\\s+").length < 2) {
                throw fatal("hosts entry \"" + h + "\" is not of the form \"IP HOST [HOST...]\"");
            }
        }
        for (NetworkAttachment a : networks()) {
            if (networkName(a).isEmpty()) {
                throw fatal("network " + a.getNetworkId() + " has no name");
            }
        }
        for (Mount m : spec.getMountsList()) {
            if (m.getType() == Mount.Type.UNRECOGNIZED) {
                throw fatal("mount " + m.getTarget() + " has an unknown type");
            }
            if (m.getTarget().isBlank()) {
                throw fatal("a " + m.getType().name().toLowerCase() + " mount has no target");
            }
            if (m.getType() == Mount.Type.BIND && !m.getSource().startsWith("/")) {
                throw fatal("bind mount " + m.getTarget() + " needs an absolute source path, not \"" + m.getSource() + "\"");
            }
        }
    }

    private void validate(PortConfig p) throws ExecutorException {
        long target = Integer.toUnsignedLong(p.getTargetPort());
        long published = Integer.toUnsignedLong(p.getPublishedPort());
        if (p.getProtocol() == PortConfig.Protocol.SCTP) {
            throw fatal("sctp ports are not supported (port " + target + "/sctp)");
        }
        if (p.getProtocol() == PortConfig.Protocol.UNRECOGNIZED) {
            throw fatal("port " + target + " has an unknown protocol");
        }
        if (p.getPublishMode() == PortConfig.PublishMode.UNRECOGNIZED) {
            throw fatal("port " + target + " has an unknown publish mode");
        }
        if (target < 1 || target > MAX_PORT) {
            throw fatal("target port " + target + " is outside 1-65535");
        }
        if (published > MAX_PORT) {
            throw fatal("published port " + published + " is outside 1-65535");
        }
    }

    /** Fills in the create request: everything but the name and the image. */
    void configure(CreateContainerCmd cmd) {
        configure(cmd, List.of());
    }

    /**
     * Fills in the create request: everything but the name and the image.
     *
     * @param imagePorts the ports the image EXPOSEs: published too when the task has networks
     */
    void configure(CreateContainerCmd cmd, List<ExposedPort> imagePorts) {
        cmd.withLabels(labels()).withEnv(spec.getEnvList()).withTty(spec.getTty())
                .withStopTimeout(stopTimeoutSeconds());
        if (!spec.getStopSignal().isEmpty()) {
            cmd.withStopSignal(spec.getStopSignal());
        }
        // as docker's swarm executor: Command replaces the entrypoint and Args
        // are its arguments; Args alone are arguments to the image's entrypoint
        if (spec.getCommandCount() > 0) {
            cmd.withEntrypoint(spec.getCommandList());
            cmd.withCmd(spec.getArgsList());
        } else if (spec.getArgsCount() > 0) {
            cmd.withCmd(spec.getArgsList());
        }
        if (!spec.getDir().isEmpty()) {
            cmd.withWorkingDir(spec.getDir());
        }
        if (!spec.getUser().isEmpty()) {
            cmd.withUser(spec.getUser());
        }
        if (!spec.getHostname().isEmpty()) {
            cmd.withHostName(spec.getHostname());
        }
        HealthCheck health = healthCheck();
        if (health != null) {
            cmd.withHealthcheck(health);
        }
        List<ExposedPort> extra = imagePorts(imagePorts);
        List<ExposedPort> exposed = new ArrayList<>(exposedPorts());
        exposed.addAll(extra);
        if (!exposed.isEmpty()) {
            cmd.withExposedPorts(exposed);
        }
        HostConfig h = hostConfig(extra);
        cmd.withHostConfig(h);
        List<NetworkAttachment> networks = networks();
        if (!networks.isEmpty()) {
            // on its first network from the start, with its aliases; connected to the others before it starts
            cmd.withAliases(aliases(networks.get(0)));
        }
    }

    HostConfig hostConfig() {
        return hostConfig(List.of());
    }

    private HostConfig hostConfig(List<ExposedPort> imagePorts) {
        HostConfig h = HostConfig.newHostConfig().withInit(init());
        String network = primaryNetwork();
        if (!network.isEmpty()) {
            h.withNetworkMode(network);
        }
        List<String> dns = dns();
        if (!dns.isEmpty()) {
            h.withDns(dns);
        }
        List<String> hosts = extraHosts();
        if (!hosts.isEmpty()) {
            h.withExtraHosts(hosts.toArray(String[]::new));
        }
        ResourceRequirements r = task.getSpec().getResources();
        if (r.getLimits().getMemoryBytes() > 0) {
            h.withMemory(r.getLimits().getMemoryBytes());
        }
        if (r.getReservations().getMemoryBytes() > 0) {
            h.withMemoryReservation(r.getReservations().getMemoryBytes());
        }
        if (r.getLimits().getNanoCpus() > 0) {
            h.withNanoCPUs(r.getLimits().getNanoCpus());
        }
        if (r.getPidsLimit() > 0) {
            h.withPidsLimit(r.getPidsLimit());
        }
        Ports bindings = portBindings();
        for (ExposedPort e : imagePorts) {
            bindings.bind(e, new Ports.Binding("", ""));
        }
        if (!bindings.getBindings().isEmpty()) {
            h.withPortBindings(bindings);
        }
        if (spec.getMountsCount() > 0) {
            List<com.github.dockerjava.api.model.Mount> mounts = new ArrayList<>();
            for (Mount m : spec.getMountsList()) {
                mounts.add(mount(m));
            }
            h.withMounts(mounts);
        }
        return h;
    }

    /** Every target port the task publishes, once each. */
    List<ExposedPort> exposedPorts() {
        Set<ExposedPort> out = new LinkedHashSet<>();
        for (PortConfig p : ports()) {
            out.add(exposed(p));
        }
        return new ArrayList<>(out);
    }

    /**
     * One host binding per published port, on all addresses (empty host IP):
     * an ingress port on a port the engine picks (the routing mesh, not the
     * client, connects to it; the mesh's own listener holds the published
     * port), a host-mode port on its published port, or one the engine picks
     * when that is 0.
     */
    Ports portBindings() {
        Ports out = new Ports();
        for (PortConfig p : ports()) {
            boolean fixed = p.getPublishMode() == PortConfig.PublishMode.HOST && p.getPublishedPort() != 0;
            out.bind(exposed(p), new Ports.Binding("", fixed ? Integer.toUnsignedString(p.getPublishedPort()) : ""));
        }
        return out;
    }

    /**
     * Of the ports the image EXPOSEs, those published besides the task's own:
     * none for a task without cluster networks (they are reached through the
     * virtual IPs of its networks only); else each TCP or UDP one the task's
     * endpoint does not have already, on a port the engine picks.
     */
    List<ExposedPort> imagePorts(List<ExposedPort> image) {
        if (networks().isEmpty() || image == null) {
            return List.of();
        }
        Set<ExposedPort> own = new HashSet<>(exposedPorts());
        Set<ExposedPort> out = new LinkedHashSet<>();
        for (ExposedPort e : image) {
            if (e != null && e.getPort() > 0 && (e.getProtocol() == com.github.dockerjava.api.model.InternetProtocol.TCP
                    || e.getProtocol() == com.github.dockerjava.api.model.InternetProtocol.UDP) && !own.contains(e)) {
                out.add(e);
            }
        }
        return new ArrayList<>(out);
    }

    /**
     * The bound ports of the container that are not among the task's
     * {@code ports} (the image's EXPOSE ports, see {@link #imagePorts}), as
     * INTERNAL ports published on their host port, by protocol and port.
     */
    static List<PortConfig> extraPublished(List<PortConfig> ports, Map<ExposedPort, Ports.Binding[]> bindings) {
        Set<ExposedPort> own = new HashSet<>();
        for (PortConfig p : ports) {
            own.add(exposed(p));
        }
        Map<String, PortConfig> out = new TreeMap<>();
        for (Map.Entry<ExposedPort, Ports.Binding[]> e : bindings.entrySet()) {
            ExposedPort x = e.getKey();
            PortConfig.Protocol protocol = x.getProtocol() == com.github.dockerjava.api.model.InternetProtocol.UDP
                    ? PortConfig.Protocol.UDP
                    : x.getProtocol() == com.github.dockerjava.api.model.InternetProtocol.TCP ? PortConfig.Protocol.TCP
                    : null;
            List<Integer> host = hostPorts(e.getValue());
            if (protocol == null || own.contains(x) || host.isEmpty()) {
                continue;
            }
            out.put(String.format("%s/%05d", protocol, x.getPort()), PortConfig.newBuilder().setProtocol(protocol)
                    .setTargetPort(x.getPort()).setPublishedPort(host.get(0))
                    .setPublishMode(PortConfig.PublishMode.INTERNAL).build());
        }
        return new ArrayList<>(out.values());
    }

    static ExposedPort exposed(PortConfig p) {
        return p.getProtocol() == PortConfig.Protocol.UDP ? ExposedPort.udp(p.getTargetPort())
                : ExposedPort.tcp(p.getTargetPort());
    }

    /**
     * The task's ports as the engine published them ({@code bindings} is the
     * container's NetworkSettings.Ports): one entry per task port that got a
     * host port, in the task's order, with its published port set to that
     * host port. Only IPv4 bindings count; the engine lists a port once for
     * 0.0.0.0 and once more for [::]. When a target is published more than
     * once, a host-mode port with a fixed published port takes the binding of
     * that port and the others take the remaining ones in order.
     */
    static List<PortConfig> published(List<PortConfig> ports, Map<ExposedPort, Ports.Binding[]> bindings) {
        Map<ExposedPort, List<Integer>> free = new HashMap<>();
        for (PortConfig p : ports) {
            free.computeIfAbsent(exposed(p), e -> hostPorts(bindings.get(e)));
        }
        Map<Integer, Integer> chosen = new HashMap<>(); // index in ports -> host port
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < ports.size(); i++) {
                PortConfig p = ports.get(i);
                if (p.getProtocol() == PortConfig.Protocol.SCTP) {
                    continue;
                }
                boolean fixed = p.getPublishMode() == PortConfig.PublishMode.HOST && p.getPublishedPort() != 0;
                List<Integer> left = free.get(exposed(p));
                if (pass == 0 && fixed) {
                    if (left.remove((Integer) p.getPublishedPort())) {
                        chosen.put(i, p.getPublishedPort());
                    }
                } else if (pass == 1 && !fixed && !left.isEmpty()) {
                    chosen.put(i, left.remove(0));
                }
            }
        }
        List<PortConfig> out = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++) {
            Integer host = chosen.get(i);
            if (host != null) {
                out.add(ports.get(i).toBuilder().setPublishedPort(host).build());
            }
        }
        return out;
    }

    /** The distinct host ports of IPv4 (or address-less) bindings, in order. */
    private static List<Integer> hostPorts(Ports.Binding[] bindings) {
        List<Integer> out = new ArrayList<>();
        if (bindings == null) {
            return out;
        }
        Set<Integer> seen = new HashSet<>();
        for (Ports.Binding b : bindings) {
            String ip = b == null ? null : b.getHostIp();
            if (b == null || ip != null && ip.indexOf(':') >= 0) {
                continue; // IPv6: the same port again
            }
            try {
                int port = Integer.parseInt(b.getHostPortSpec());
                if (port > 0 && seen.add(port)) {
                    out.add(port);
                }
            } catch (NumberFormatException e) {
                // no port (not bound yet) or a range, which we never ask for
            }
        }
        return out;
    }

    static com.github.dockerjava.api.model.Mount mount(Mount m) {
        com.github.dockerjava.api.model.Mount d = new com.github.dockerjava.api.model.Mount()
                .withTarget(m.getTarget())
                .withReadOnly(m.getReadOnly());
        switch (m.getType()) {
            case BIND -> d.withType(MountType.BIND).withSource(m.getSource());
            case VOLUME -> {
                d.withType(MountType.VOLUME);
                if (!m.getSource().isEmpty()) {
                    d.withSource(m.getSource()); // named; without a source docker makes an anonymous volume
                }
            }
            case TMPFS -> d.withType(MountType.TMPFS);
            default -> throw new IllegalArgumentException("unknown mount type " + m.getType());
        }
        return d;
    }

    /**
     * The spec's health check in docker's terms, or null to keep the image's.
     * ["NONE"] disables the image's check; zero durations and retries keep
     * docker's defaults.
     */
    HealthCheck healthCheck() {
        if (!spec.hasHealthcheck()) {
            return null;
        }
        HealthConfig c = spec.getHealthcheck();
        HealthCheck h = new HealthCheck();
        if (c.getTestCount() > 0) {
            h.withTest(c.getTestList());
        }
        if (c.getIntervalMs() > 0) {
            h.withInterval(TimeUnit.MILLISECONDS.toNanos(c.getIntervalMs()));
        }
        if (c.getTimeoutMs() > 0) {
            h.withTimeout(TimeUnit.MILLISECONDS.toNanos(c.getTimeoutMs()));
        }
        if (c.getRetries() > 0) {
            h.withRetries(c.getRetries());
        }
        if (c.getStartPeriodMs() > 0) {
            h.withStartPeriod(TimeUnit.MILLISECONDS.toNanos(c.getStartPeriodMs()));
        }
        return h;
    }

    /** 1048576 to "1MB" (binary units, as docker prints them), else the bytes. */
    static String bytes(long b) {
        if (b >= 1024 * 1024 && b % (1024 * 1024) == 0) {
            return b / (1024 * 1024) + "MB";
        }
        if (b >= 1024 && b % 1024 == 0) {
            return b / 1024 + "KB";
        }
        return b + " bytes";
    }

    private ExecutorException fatal(String problem) {
        return new ExecutorException("invalid spec for task " + task.getId() + ": " + problem, true);
    }
}
