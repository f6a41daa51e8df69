package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmlet.api.types.ConfigReference;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.HealthConfig;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.NetworkAttachmentConfig;
import io.swarmlet.api.types.Placement;
import io.swarmlet.api.types.PlacementPreference;
import io.swarmlet.api.types.Platform;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.ResourceRequirements;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.SecretReference;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.UpdateConfig;
import io.swarmlet.api.types.UpdateStatus;
import io.swarmlet.api.types.VirtualIP;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Docker's ServiceSpec JSON (API 1.41) to Swarmlet's {@link ServiceSpec} and back, and a
 * {@link Service} as {@code GET /services/{id}} shows it. Reading is strict
 * ({@link Json.Obj}): every Docker field is either mapped, accepted without effect, or
 * refused when it carries a value ("... is not supported by Swarmlet"). Durations are Go's
 * int64 nanoseconds on the wire and milliseconds here: a value that is not a whole number
 * of milliseconds is refused rather than rounded. What the output shows, sent back
 * unchanged, converts to the same spec (see {@link #carryOver}).
 */
final class ServiceJson {

    static final long NANOS_PER_MILLI = 1_000_000L;
    /** Docker's restart delay when a RestartPolicy gives none. */
    static final long DEFAULT_RESTART_DELAY_MS = 5_000;

    private ServiceJson() {}

    // ================================================================ JSON -> proto

    /** A ServiceSpec body (create, update) as Swarmlet's spec. */
    static ServiceSpec toSpec(JsonNode body) {
        Json.Obj o = Json.Obj.root(body);
        ServiceSpec.Builder b = ServiceSpec.newBuilder();
        b.getAnnotationsBuilder().setName(o.str("Name")).putAllLabels(o.map("Labels"));
        b.setTask(taskSpec(o.obj("TaskTemplate")));
        mode(o.obj("Mode"), b);
        if (o.has("UpdateConfig")) {
            b.setUpdate(updateConfig(o.obj("UpdateConfig")));
        }
        if (o.has("RollbackConfig")) {
            b.setRollback(updateConfig(o.obj("RollbackConfig")));
        }
        Json.Obj ep = o.obj("EndpointSpec");
        EndpointSpec endpoint = endpointSpec(ep);
        if (!ep.isEmpty()) {
            b.setEndpoint(endpoint);
        }
        // deprecated since API 1.25: the control API moves them into the task spec
        for (Json.Obj n : o.objs("Networks")) {
            b.addNetworks(network(n));
        }
        o.done();
        return b.build();
    }

    static TaskSpec taskSpec(Json.Obj t) {
        TaskSpec.Builder b = TaskSpec.newBuilder();
        String runtime = t.str("Runtime");
        switch (runtime) {
            case "", "container" -> { }
            case "plugin", "attachment" -> throw DockerError.badRequest(t.path("Runtime") + " \"" + runtime
                    + "\" is not supported by Swarmlet: use \"container\"");
            default -> b.setRuntime(runtime); // a Swarmlet runtime ("process"), checked by the control API
        }
        t.unsupported("PluginSpec", "NetworkAttachmentSpec", "LogDriver");
        Json.Obj c = t.obj("ContainerSpec");
        if (c.isEmpty() || c.str("Image").isEmpty()) {
            throw DockerError.badRequest("ContainerSpec: image reference must be provided");
        }
        b.setContainer(containerSpec(c));
        Json.Obj res = t.obj("Resources");
        ResourceRequirements resources = resources(res);
        if (!res.isEmpty()) {
            b.setResources(resources);
        }
        if (t.has("RestartPolicy")) {
            b.setRestart(restartPolicy(t.obj("RestartPolicy")));
        }
        Json.Obj p = t.obj("Placement");
        Placement placement = placement(p);
        if (!p.isEmpty()) {
            b.setPlacement(placement);
        }
        for (Json.Obj n : t.objs("Networks")) {
            b.addNetworks(network(n));
        }
        b.setForceUpdate(unsigned(t, "ForceUpdate"));
        t.done();
        return b.build();
    }

    static ContainerSpec containerSpec(Json.Obj c) {
        ContainerSpec.Builder b = ContainerSpec.newBuilder()
                .setImage(c.str("Image"))
                .putAllLabels(c.map("Labels"))
                .addAllCommand(c.strs("Command"))
                .addAllArgs(c.strs("Args"))
                .setHostname(c.str("Hostname"))
                .addAllEnv(c.strs("Env"))
                .setDir(c.str("Dir"))
                .setUser(c.str("User"))
                .setStopSignal(c.str("StopSignal"))
                .setTty(c.bool("TTY"))
                .addAllHosts(c.strs("Hosts"))
                .setStopGracePeriodMs(millis(c, "StopGracePeriod"));
        if (c.has("Init")) {
            b.setInit(c.bool("Init"));
        }
        String isolation = c.str("Isolation");
        if (!isolation.isEmpty() && !isolation.equals("default")) {
            throw DockerError.badRequest(c.path("Isolation") + " \"" + isolation
                    + "\" is not supported by Swarmlet; remove it from the request (or use \"default\")");
        }
        c.unsupported("Groups", "Privileges", "OpenStdin", "ReadOnly", "DNSConfig", "Sysctls", "CapabilityAdd",
                "CapabilityDrop", "Ulimits", "OomScoreAdj");
        for (Json.Obj m : c.objs("Mounts")) {
            b.addMounts(mount(m));
        }
        if (c.has("Healthcheck")) {
            b.setHealthcheck(health(c.obj("Healthcheck")));
        }
        for (Json.Obj s : c.objs("Secrets")) {
            Json.Obj f = s.obj("File");
            SecretReference.Builder r = SecretReference.newBuilder().setSecretId(s.str("SecretID"))
                    .setSecretName(s.str("SecretName")).setTarget(f.str("Name")).setUid(f.str("UID"))
                    .setGid(f.str("GID")).setMode(fileMode(f, "Mode"));
            f.done();
            s.done();
            b.addSecrets(r);
        }
        for (Json.Obj s : c.objs("Configs")) {
            s.unsupported("Runtime");
            Json.Obj f = s.obj("File");
            ConfigReference.Builder r = ConfigReference.newBuilder().setConfigId(s.str("ConfigID"))
                    .setConfigName(s.str("ConfigName")).setTarget(f.str("Name")).setUid(f.str("UID"))
                    .setGid(f.str("GID")).setMode(fileMode(f, "Mode"));
            f.done();
            s.done();
            b.addConfigs(r);
        }
        c.done();
        return b.build();
    }

    static Mount mount(Json.Obj m) {
        Mount.Builder b = Mount.newBuilder().setSource(m.str("Source")).setTarget(m.str("Target")).setReadOnly(m.bool("ReadOnly"));
        String type = m.str("Type");
        switch (type) {
            case "", "bind" -> b.setType(Mount.Type.BIND);
            case "volume" -> b.setType(Mount.Type.VOLUME);
            case "tmpfs" -> b.setType(Mount.Type.TMPFS);
            default -> throw DockerError.badRequest(m.path("Type") + " \"" + type
                    + "\" is not supported by Swarmlet: use bind, volume or tmpfs");
        }
        String consistency = m.str("Consistency");
        if (!consistency.isEmpty() && !consistency.equals("default")) {
            m.unsupported("Consistency");
        }
        Json.Obj vo = m.obj("VolumeOptions");
        // docker stack deploy labels every volume with its stack: accepted, not kept (the engine's volume has none)
        vo.ignore("Labels");
        vo.unsupported("NoCopy", "DriverConfig", "Subpath");
        vo.done();
        m.unsupported("BindOptions", "TmpfsOptions", "ClusterOptions", "ImageOptions");
        m.done();
        return b.build();
    }

    static HealthConfig health(Json.Obj h) {
        HealthConfig.Builder b = HealthConfig.newBuilder().addAllTest(h.strs("Test"))
                .setIntervalMs(millis(h, "Interval")).setTimeoutMs(millis(h, "Timeout"))
                .setStartPeriodMs(millis(h, "StartPeriod"));
        long retries = h.lng("Retries");
        if (retries < 0 || retries > Integer.MAX_VALUE) {
            throw DockerError.badRequest(h.path("Retries") + ": expected a non-negative integer");
        }
        b.setRetries((int) retries);
        h.unsupported("StartInterval");
        h.done();
        return b.build();
    }

    static ResourceRequirements resources(Json.Obj r) {
        ResourceRequirements.Builder b = ResourceRequirements.newBuilder();
        Json.Obj l = r.obj("Limits");
        Resources limits = Resources.newBuilder().setNanoCpus(l.lng("NanoCPUs")).setMemoryBytes(l.lng("MemoryBytes")).build();
        if (!limits.equals(Resources.getDefaultInstance())) {
            b.setLimits(limits); // Pids alone is Swarmlet's pids_limit, beside the limits
        }
        b.setPidsLimit(l.lng("Pids"));
        l.done();
        Json.Obj v = r.obj("Reservations");
        if (!v.isEmpty()) {
            b.setReservations(Resources.newBuilder().setNanoCpus(v.lng("NanoCPUs")).setMemoryBytes(v.lng("MemoryBytes")));
        }
        v.ignore("NanoCPUs", "MemoryBytes");
        v.unsupported("GenericResources");
        v.done();
        r.unsupported("SwapBytes", "MemorySwappiness");
        r.done();
        return b.build();
    }

    static RestartPolicy restartPolicy(Json.Obj r) {
        RestartPolicy.Builder b = RestartPolicy.newBuilder();
        String cond = r.str("Condition");
        switch (cond) {
            case "", "any" -> b.setCondition(RestartPolicy.Condition.ANY);
            case "none" -> b.setCondition(RestartPolicy.Condition.NONE);
            case "on-failure" -> b.setCondition(RestartPolicy.Condition.ON_FAILURE);
            default -> throw DockerError.badRequest("invalid RestartCondition: \"" + cond + "\" (use none, on-failure or any)");
        }
        b.setDelayMs(r.has("Delay") ? millis(r, "Delay") : DEFAULT_RESTART_DELAY_MS);
        b.setMaxAttempts(unsigned(r, "MaxAttempts"));
        b.setWindowMs(millis(r, "Window"));
        r.done();
        return b.build();
    }

    static Placement placement(Json.Obj p) {
        Placement.Builder b = Placement.newBuilder().addAllConstraints(p.strs("Constraints"))
                .setMaxReplicas(unsigned(p, "MaxReplicas"));
        for (Json.Obj pref : p.objs("Preferences")) {
            Json.Obj spread = pref.obj("Spread");
            if (!spread.isEmpty()) {
                b.addPreferences(PlacementPreference.newBuilder().setSpread(spread.str("SpreadDescriptor")));
            }
            spread.done();
            pref.done();
        }
        for (Json.Obj pl : p.objs("Platforms")) {
            b.addPlatforms(Platform.newBuilder().setArchitecture(pl.str("Architecture")).setOs(pl.str("OS")));
            pl.done();
        }
        p.done();
        return b.build();
    }

    static NetworkAttachmentConfig network(Json.Obj n) {
        NetworkAttachmentConfig c = NetworkAttachmentConfig.newBuilder().setTarget(n.str("Target"))
                .addAllAliases(n.strs("Aliases")).build();
        n.unsupported("DriverOpts");
        n.done();
        return c;
    }

    static void mode(Json.Obj m, ServiceSpec.Builder b) {
        int modes = 0;
        if (m.has("Replicated")) {
            modes++;
            Json.Obj r = m.obj("Replicated");
            b.getReplicatedBuilder().setReplicas(r.has("Replicas") ? unsigned(r, "Replicas") : 1);
            r.done();
        }
        if (m.has("Global")) {
            modes++;
            m.obj("Global").done();
            b.getGlobalBuilder();
        }
        if (m.has("ReplicatedJob")) {
            modes++;
            Json.Obj j = m.obj("ReplicatedJob");
            long max = j.has("MaxConcurrent") ? unsigned(j, "MaxConcurrent") : 1;
            long total = j.has("TotalCompletions") ? unsigned(j, "TotalCompletions") : max;
            b.getReplicatedJobBuilder().setMaxConcurrent(max).setTotalCompletions(total);
            j.done();
        }
        if (m.has("GlobalJob")) {
            modes++;
            m.obj("GlobalJob").done();
            b.getGlobalJobBuilder();
        }
        if (modes > 1) {
            throw DockerError.badRequest("must specify only one service mode");
        }
        m.done();
    }

    static UpdateConfig updateConfig(Json.Obj u) {
        UpdateConfig.Builder b = UpdateConfig.newBuilder().setParallelism(unsigned(u, "Parallelism"))
                .setDelayMs(millis(u, "Delay")).setMonitorMs(millis(u, "Monitor"))
                .setMaxFailureRatio((float) u.dbl("MaxFailureRatio"));
        String action = u.str("FailureAction");
        switch (action) {
            case "", "pause" -> b.setFailureAction(UpdateConfig.FailureAction.PAUSE);
            case "continue" -> b.setFailureAction(UpdateConfig.FailureAction.CONTINUE);
            case "rollback" -> b.setFailureAction(UpdateConfig.FailureAction.ROLLBACK);
            default -> throw DockerError.badRequest("unrecognized update failure action " + action
                    + " (use pause, continue or rollback)");
        }
        String order = u.str("Order");
        switch (order) {
            case "", "stop-first" -> b.setOrder(UpdateConfig.UpdateOrder.STOP_FIRST);
            case "start-first" -> b.setOrder(UpdateConfig.UpdateOrder.START_FIRST);
            default -> throw DockerError.badRequest("unrecognized update order " + order + " (use stop-first or start-first)");
        }
        u.done();
        return b.build();
    }

    static EndpointSpec endpointSpec(Json.Obj e) {
        EndpointSpec.Builder b = EndpointSpec.newBuilder();
        String mode = e.str("Mode");
        switch (mode) {
            case "", "vip" -> b.setMode(EndpointSpec.ResolutionMode.VIP);
            case "dnsrr" -> b.setMode(EndpointSpec.ResolutionMode.DNSRR);
            default -> throw DockerError.badRequest("invalid resolution mode: \"" + mode + "\" (use vip or dnsrr)");
        }
        for (Json.Obj p : e.objs("Ports")) {
            b.addPorts(port(p));
        }
        e.done();
        return b.build();
    }

    static PortConfig port(Json.Obj p) {
        PortConfig.Builder b = PortConfig.newBuilder().setName(p.str("Name"));
        String proto = p.str("Protocol");
        switch (proto) {
            case "", "tcp" -> b.setProtocol(PortConfig.Protocol.TCP);
            case "udp" -> b.setProtocol(PortConfig.Protocol.UDP);
            case "sctp" -> b.setProtocol(PortConfig.Protocol.SCTP);
            default -> throw DockerError.badRequest(p.path("Protocol") + " \"" + proto + "\": use tcp or udp");
        }
        String mode = p.str("PublishMode");
        switch (mode) {
            case "", "ingress" -> b.setPublishMode(PortConfig.PublishMode.INGRESS);
            case "host" -> b.setPublishMode(PortConfig.PublishMode.HOST);
            case "internal" -> b.setPublishMode(PortConfig.PublishMode.INTERNAL); // Swarmlet's: reachable at the VIP only
            default -> throw DockerError.badRequest(p.path("PublishMode") + " \"" + mode + "\": use ingress or host");
        }
        b.setTargetPort((int) port(p, "TargetPort")).setPublishedPort((int) port(p, "PublishedPort"));
        p.done();
        return b.build();
    }

    private static long port(Json.Obj o, String field) {
        long v = o.lng(field);
        if (v < 0 || v > 65535) {
            throw DockerError.badRequest(o.path(field) + ": " + v + " is not a port (1-65535)");
        }
        return v;
    }

    /** An unsigned integer field (Go's uint64). */
    static long unsigned(Json.Obj o, String field) {
        long v = o.lng(field);
        if (v < 0) {
            throw DockerError.badRequest(o.path(field) + ": expected a non-negative integer");
        }
        return v;
    }

    /** A Go duration (nanoseconds) as milliseconds; refuses what milliseconds cannot hold exactly. */
    static long millis(Json.Obj o, String field) {
        long ns = o.lng(field);
        if (ns % NANOS_PER_MILLI != 0) {
            throw DockerError.badRequest(o.path(field) + ": " + ns + "ns is not a whole number of milliseconds"
                    + " (Swarmlet keeps durations in milliseconds: round it, e.g. to " + (ns / NANOS_PER_MILLI) + "ms)");
        }
        return ns / NANOS_PER_MILLI;
    }

    private static int fileMode(Json.Obj o, String field) {
        long v = o.lng(field);
        if (v < 0 || v > 07777) {
            throw DockerError.badRequest(o.path(field) + ": " + v + " is not a file mode (0 to 4095, e.g. 292 for 0444)");
        }
        return (int) v;
    }

    // ================================================================ update: what Docker's JSON cannot say

    /**
     * The spec an update asks for, completed from the current one where Docker's JSON has
     * no words for Swarmlet's fields: the placement strategy, the balancing strategy, and
     * the version (and pin) of each secret and config reference that stays as it was, so
     * an update that did not touch them changes nothing. Sub-messages whose emptiness means
     * the same as their absence (resources, placement, endpoint, health check) take the
     * current spec's presence, so a round trip is no change to the task.
     */
    static ServiceSpec carryOver(ServiceSpec next, ServiceSpec cur) {
        ServiceSpec.Builder b = next.toBuilder();
        TaskSpec.Builder t = b.getTaskBuilder();
        TaskSpec ct = cur.getTask();
        if (!ct.getPlacement().getStrategy().isEmpty() && t.getPlacement().getStrategy().isEmpty()) {
            t.getPlacementBuilder().setStrategy(ct.getPlacement().getStrategy());
        }
        if (!cur.getEndpoint().getLbStrategy().isEmpty() && b.getEndpoint().getLbStrategy().isEmpty()) {
            b.getEndpointBuilder().setLbStrategy(cur.getEndpoint().getLbStrategy());
        }
        ContainerSpec.Builder c = t.getContainerBuilder();
        for (int i = 0; i < c.getSecretsCount(); i++) {
            SecretReference r = c.getSecrets(i);
            for (SecretReference o : ct.getContainer().getSecretsList()) {
                if (sameRef(r.getSecretId(), r.getSecretName(), o.getSecretId(), o.getSecretName())
                        && secretTarget(r).equals(secretTarget(o)) && r.getVersion() == 0) {
                    c.setSecrets(i, r.toBuilder().setTarget(o.getTarget()).setVersion(o.getVersion()).setPinned(o.getPinned()));
                    break;
                }
            }
        }
        for (int i = 0; i < c.getConfigsCount(); i++) {
            ConfigReference r = c.getConfigs(i);
            for (ConfigReference o : ct.getContainer().getConfigsList()) {
                if (sameRef(r.getConfigId(), r.getConfigName(), o.getConfigId(), o.getConfigName())
                        && configTarget(r).equals(configTarget(o)) && r.getVersion() == 0) {
                    c.setConfigs(i, r.toBuilder().setTarget(o.getTarget()).setVersion(o.getVersion()).setPinned(o.getPinned()));
                    break;
                }
            }
        }
        if (!t.hasResources() && ct.hasResources() && ct.getResources().equals(ResourceRequirements.getDefaultInstance())) {
            t.setResources(ResourceRequirements.getDefaultInstance());
        }
        if (t.hasResources()) {
            ResourceRequirements.Builder r = t.getResourcesBuilder();
            if (!r.hasLimits() && ct.getResources().hasLimits() && ct.getResources().getLimits().equals(Resources.getDefaultInstance())) {
                r.setLimits(Resources.getDefaultInstance());
            }
            if (!r.hasReservations() && ct.getResources().hasReservations()
                    && ct.getResources().getReservations().equals(Resources.getDefaultInstance())) {
                r.setReservations(Resources.getDefaultInstance());
            }
        }
        if (!t.hasPlacement() && ct.hasPlacement() && ct.getPlacement().equals(Placement.getDefaultInstance())) {
            t.setPlacement(Placement.getDefaultInstance());
        }
        if (!b.hasEndpoint() && cur.hasEndpoint() && cur.getEndpoint().equals(EndpointSpec.getDefaultInstance())) {
            b.setEndpoint(EndpointSpec.getDefaultInstance());
        }
        return b.build();
    }

    private static boolean sameRef(String id, String name, String curId, String curName) {
        return !id.isEmpty() ? id.equals(curId) || id.equals(curName) : name.equals(curName);
    }

    private static String secretTarget(SecretReference r) {
        return io.swarmlet.api.types.PayloadTargets.secret(r.getTarget(), r.getSecretName());
    }

    private static String configTarget(ConfigReference r) {
        return io.swarmlet.api.types.PayloadTargets.config(r.getTarget(), r.getConfigName());
    }

    // ================================================================ proto -> JSON

    /**
     * A service as Docker shows it.
     *
     * @param prefixLength a network ID to the prefix length of its subnet, for VirtualIPs' CIDR form
     */
    static ObjectNode service(Service s, Function<String, Integer> prefixLength) {
        ObjectNode o = Json.object();
        o.put("ID", s.getId());
        o.putObject("Version").put("Index", s.getMeta().getVersion());
        o.put("CreatedAt", Json.time(s.getMeta().getCreatedAt()));
        o.put("UpdatedAt", Json.time(s.getMeta().getUpdatedAt()));
        o.set("Spec", spec(s.getSpec()));
        if (s.hasPreviousSpec()) {
            o.set("PreviousSpec", spec(s.getPreviousSpec()));
        }
        o.set("Endpoint", endpoint(s, prefixLength));
        if (s.hasUpdateStatus() && s.getUpdateStatus().getState() != UpdateStatus.UpdateState.UNKNOWN) {
            UpdateStatus u = s.getUpdateStatus();
            ObjectNode us = o.putObject("UpdateStatus");
            us.put("State", u.getState().name().toLowerCase(Locale.ROOT));
            if (u.getStartedAt() > 0) {
                us.put("StartedAt", Json.time(u.getStartedAt()));
            }
            if (u.getCompletedAt() > 0) {
                us.put("CompletedAt", Json.time(u.getCompletedAt()));
            }
            if (!u.getMessage().isEmpty()) {
                us.put("Message", u.getMessage());
            }
        }
        ServiceSpec.ModeCase mode = s.getSpec().getModeCase();
        if (mode == ServiceSpec.ModeCase.REPLICATED_JOB || mode == ServiceSpec.ModeCase.GLOBAL_JOB) {
            ObjectNode js = o.putObject("JobStatus");
            js.putObject("JobIteration").put("Index", s.getJobStatus().getJobIteration());
            if (s.getJobStatus().getLastExecution() > 0) {
                js.put("LastExecution", Json.time(s.getJobStatus().getLastExecution()));
            }
        }
        return o;
    }

    static ObjectNode endpoint(Service s, Function<String, Integer> prefixLength) {
        Endpoint e = s.getEndpoint();
        ObjectNode o = Json.object();
        o.set("Spec", endpointSpec(e.hasSpec() ? e.getSpec() : s.getSpec().getEndpoint()));
        if (e.getPortsCount() > 0) {
            ArrayNode ports = o.putArray("Ports");
            e.getPortsList().forEach(p -> ports.add(port(p)));
        }
        if (e.getVirtualIpsCount() > 0) {
            ArrayNode vips = o.putArray("VirtualIPs");
            for (VirtualIP v : e.getVirtualIpsList()) {
                vips.addObject().put("NetworkID", v.getNetworkId()).put("Addr", cidr(v.getAddr(), prefixLength.apply(v.getNetworkId())));
            }
        }
        return o;
    }

    /** An address in CIDR form: as it is when it has a prefix, else with the network's (or /32). */
    static String cidr(String addr, Integer prefix) {
        if (addr.contains("/") || addr.isEmpty()) {
            return addr;
        }
        return addr + "/" + (prefix == null ? 32 : prefix);
    }

    static ObjectNode spec(ServiceSpec s) {
        ObjectNode o = Json.object();
        o.put("Name", s.getAnnotations().getName());
        o.set("Labels", Json.labels(s.getAnnotations().getLabelsMap()));
        o.set("TaskTemplate", taskSpec(s.getTask()));
        ObjectNode mode = o.putObject("Mode");
        switch (s.getModeCase()) {
            case GLOBAL -> mode.putObject("Global");
            case REPLICATED_JOB -> mode.putObject("ReplicatedJob").put("MaxConcurrent", s.getReplicatedJob().getMaxConcurrent())
                    .put("TotalCompletions", s.getReplicatedJob().getTotalCompletions());
            case GLOBAL_JOB -> mode.putObject("GlobalJob");
            default -> mode.putObject("Replicated").put("Replicas", s.getReplicated().getReplicas());
        }
        if (s.hasUpdate()) {
            o.set("UpdateConfig", updateConfig(s.getUpdate()));
        }
        if (s.hasRollback()) {
            o.set("RollbackConfig", updateConfig(s.getRollback()));
        }
        if (s.hasEndpoint()) {
            o.set("EndpointSpec", endpointSpec(s.getEndpoint()));
        }
        if (s.getNetworksCount() > 0) {
            ArrayNode n = o.putArray("Networks");
            s.getNetworksList().forEach(c -> n.add(network(c)));
        }
        return o;
    }

    static ObjectNode taskSpec(TaskSpec t) {
        ObjectNode o = Json.object();
        o.set("ContainerSpec", containerSpec(t.getContainer()));
        if (t.hasResources()) {
            ResourceRequirements r = t.getResources();
            ObjectNode res = o.putObject("Resources");
            if (r.hasLimits() || r.getPidsLimit() != 0) {
                ObjectNode l = res.putObject("Limits");
                putNonZero(l, "NanoCPUs", r.getLimits().getNanoCpus());
                putNonZero(l, "MemoryBytes", r.getLimits().getMemoryBytes());
                putNonZero(l, "Pids", r.getPidsLimit());
            }
            if (r.hasReservations()) {
                ObjectNode v = res.putObject("Reservations");
                putNonZero(v, "NanoCPUs", r.getReservations().getNanoCpus());
                putNonZero(v, "MemoryBytes", r.getReservations().getMemoryBytes());
            }
        }
        if (t.hasRestart()) {
            RestartPolicy r = t.getRestart();
            ObjectNode rp = o.putObject("RestartPolicy");
            rp.put("Condition", switch (r.getCondition()) {
                case NONE -> "none";
                case ON_FAILURE -> "on-failure";
                default -> "any";
            });
            rp.put("Delay", r.getDelayMs() * NANOS_PER_MILLI);
            rp.put("MaxAttempts", r.getMaxAttempts());
            if (r.getWindowMs() != 0) {
                rp.put("Window", r.getWindowMs() * NANOS_PER_MILLI);
            }
        }
        if (t.hasPlacement()) {
            Placement p = t.getPlacement();
            ObjectNode pl = o.putObject("Placement");
            if (p.getConstraintsCount() > 0) {
                ArrayNode a = pl.putArray("Constraints");
                p.getConstraintsList().forEach(a::add);
            }
            if (p.getPreferencesCount() > 0) {
                ArrayNode a = pl.putArray("Preferences");
                p.getPreferencesList().forEach(x -> a.addObject().putObject("Spread").put("SpreadDescriptor", x.getSpread()));
            }
            putNonZero(pl, "MaxReplicas", p.getMaxReplicas());
            if (p.getPlatformsCount() > 0) {
                ArrayNode a = pl.putArray("Platforms");
                p.getPlatformsList().forEach(x -> a.addObject().put("Architecture", x.getArchitecture()).put("OS", x.getOs()));
            }
        }
        if (t.getNetworksCount() > 0) {
            ArrayNode n = o.putArray("Networks");
            t.getNetworksList().forEach(c -> n.add(network(c)));
        }
        o.put("ForceUpdate", t.getForceUpdate());
        o.put("Runtime", t.getRuntime().isEmpty() ? "container" : t.getRuntime());
        return o;
    }

    static ObjectNode containerSpec(ContainerSpec c) {
        ObjectNode o = Json.object();
        putNonEmpty(o, "Image", c.getImage());
        if (c.getLabelsCount() > 0) {
            o.set("Labels", Json.labels(c.getLabelsMap()));
        }
        strings(o, "Command", c.getCommandList());
        strings(o, "Args", c.getArgsList());
        putNonEmpty(o, "Hostname", c.getHostname());
        strings(o, "Env", c.getEnvList());
        putNonEmpty(o, "Dir", c.getDir());
        putNonEmpty(o, "User", c.getUser());
        if (c.hasInit()) {
            o.put("Init", c.getInit());
        }
        putNonEmpty(o, "StopSignal", c.getStopSignal());
        if (c.getTty()) {
            o.put("TTY", true);
        }
        if (c.getMountsCount() > 0) {
            ArrayNode a = o.putArray("Mounts");
            for (Mount m : c.getMountsList()) {
                ObjectNode mo = a.addObject();
                mo.put("Type", m.getType().name().toLowerCase(Locale.ROOT));
                putNonEmpty(mo, "Source", m.getSource());
                putNonEmpty(mo, "Target", m.getTarget());
                if (m.getReadOnly()) {
                    mo.put("ReadOnly", true);
                }
            }
        }
        if (c.getStopGracePeriodMs() != 0) {
            o.put("StopGracePeriod", c.getStopGracePeriodMs() * NANOS_PER_MILLI);
        }
        if (c.hasHealthcheck()) {
            HealthConfig h = c.getHealthcheck();
            ObjectNode ho = o.putObject("Healthcheck");
            strings(ho, "Test", h.getTestList());
            putNonZero(ho, "Interval", h.getIntervalMs() * NANOS_PER_MILLI);
            putNonZero(ho, "Timeout", h.getTimeoutMs() * NANOS_PER_MILLI);
            putNonZero(ho, "StartPeriod", h.getStartPeriodMs() * NANOS_PER_MILLI);
            putNonZero(ho, "Retries", h.getRetries());
        }
        strings(o, "Hosts", c.getHostsList());
        if (c.getSecretsCount() > 0) {
            ArrayNode a = o.putArray("Secrets");
            for (SecretReference r : c.getSecretsList()) {
                ObjectNode ro = a.addObject();
                String target = r.getTarget().startsWith(io.swarmlet.api.types.PayloadTargets.SECRETS_DIR)
                        ? r.getTarget().substring(io.swarmlet.api.types.PayloadTargets.SECRETS_DIR.length()) : r.getTarget();
                ro.putObject("File").put("Name", target).put("UID", r.getUid()).put("GID", r.getGid()).put("Mode", r.getMode());
                ro.put("SecretID", r.getSecretId()).put("SecretName", r.getSecretName());
            }
        }
        if (c.getConfigsCount() > 0) {
            ArrayNode a = o.putArray("Configs");
            for (ConfigReference r : c.getConfigsList()) {
                ObjectNode ro = a.addObject();
                ro.putObject("File").put("Name", r.getTarget()).put("UID", r.getUid()).put("GID", r.getGid()).put("Mode", r.getMode());
                ro.put("ConfigID", r.getConfigId()).put("ConfigName", r.getConfigName());
            }
        }
        return o;
    }

    static ObjectNode network(NetworkAttachmentConfig c) {
        ObjectNode n = Json.object().put("Target", c.getTarget());
        strings(n, "Aliases", c.getAliasesList());
        return n;
    }

    static ObjectNode updateConfig(UpdateConfig u) {
        ObjectNode o = Json.object();
        o.put("Parallelism", u.getParallelism());
        putNonZero(o, "Delay", u.getDelayMs() * NANOS_PER_MILLI);
        o.put("FailureAction", switch (u.getFailureAction()) {
            case CONTINUE -> "continue";
            case ROLLBACK -> "rollback";
            default -> "pause";
        });
        putNonZero(o, "Monitor", u.getMonitorMs() * NANOS_PER_MILLI);
        o.put("MaxFailureRatio", u.getMaxFailureRatio());
        o.put("Order", u.getOrder() == UpdateConfig.UpdateOrder.START_FIRST ? "start-first" : "stop-first");
        return o;
    }

    static ObjectNode endpointSpec(EndpointSpec e) {
        ObjectNode o = Json.object();
        o.put("Mode", e.getMode() == EndpointSpec.ResolutionMode.DNSRR ? "dnsrr" : "vip");
        if (e.getPortsCount() > 0) {
            ArrayNode a = o.putArray("Ports");
            e.getPortsList().forEach(p -> a.add(port(p)));
        }
        return o;
    }

    static ObjectNode port(PortConfig p) {
        ObjectNode o = Json.object();
        putNonEmpty(o, "Name", p.getName());
        o.put("Protocol", p.getProtocol().name().toLowerCase(Locale.ROOT));
        putNonZero(o, "TargetPort", p.getTargetPort());
        putNonZero(o, "PublishedPort", p.getPublishedPort());
        o.put("PublishMode", p.getPublishMode().name().toLowerCase(Locale.ROOT));
        return o;
    }

    static void putNonEmpty(ObjectNode o, String field, String v) {
        if (!v.isEmpty()) {
            o.put(field, v);
        }
    }

    static void putNonZero(ObjectNode o, String field, long v) {
        if (v != 0) {
            o.put(field, v);
        }
    }

    static void strings(ObjectNode o, String field, List<String> v) {
        if (!v.isEmpty()) {
            ArrayNode a = o.putArray(field);
            v.forEach(a::add);
        }
    }
}
