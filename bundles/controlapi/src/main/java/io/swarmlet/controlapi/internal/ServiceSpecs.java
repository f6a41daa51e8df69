package io.swarmlet.controlapi.internal;

import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.Constraint;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.HealthConfig;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.ResourceRequirements;
import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.UpdateConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Validation and docker's defaults for service specs. Everything is checked
 * before anything is written, so a refused spec leaves the store untouched.
 */
final class ServiceSpecs {

    /** Docker Engine refuses memory limits under 6 MB. */
    static final long MIN_MEMORY = 6L * 1024 * 1024;
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,62})");
    /** Placement strategy and runtime names: what plugins register under. */
    private static final Pattern PLUGIN_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final String[] LEFT = {"admiring", "brave", "clever", "eager", "focused", "gifted", "happy", "jolly",
        "keen", "lucid", "modest", "nifty", "quirky", "serene", "tender", "vigilant", "wizardly", "zealous"};
    private static final String[] RIGHT = {"babbage", "curie", "darwin", "euclid", "fermi", "gauss", "hopper", "hypatia",
        "kepler", "lamport", "lovelace", "noether", "pascal", "ritchie", "shannon", "turing", "wozniak"};

    private ServiceSpecs() {}

    /** Whether {@code name} is a valid service name (secrets and configs are named alike). */
    static boolean validName(String name) {
        return NAME.matcher(name).matches();
    }

    static String randomName() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return LEFT[r.nextInt(LEFT.length)] + "_" + RIGHT[r.nextInt(RIGHT.length)];
    }

    /** The spec with docker's defaults filled in where the user said nothing. */
    static ServiceSpec withDefaults(ServiceSpec in) {
        ServiceSpec.Builder b = in.toBuilder();
        if (b.getAnnotations().getName().isEmpty()) {
            b.getAnnotationsBuilder().setName(randomName());
        }
        if (b.getModeCase() == ServiceSpec.ModeCase.MODE_NOT_SET) {
            b.getReplicatedBuilder().setReplicas(1);
        }
        TaskSpec.Builder t = b.getTaskBuilder();
        if (!in.getTask().hasRestart()) {
            boolean job = b.getModeCase() == ServiceSpec.ModeCase.REPLICATED_JOB || b.getModeCase() == ServiceSpec.ModeCase.GLOBAL_JOB;
            t.setRestart(RestartPolicy.newBuilder()
                    .setCondition(job ? RestartPolicy.Condition.ON_FAILURE : RestartPolicy.Condition.ANY)
                    .setDelayMs(5_000));
        }
        if (!t.getContainer().hasInit()) {
            t.getContainerBuilder().setInit(true);
        }
        if (t.getContainer().getStopGracePeriodMs() == 0) {
            t.getContainerBuilder().setStopGracePeriodMs(10_000);
        }
        if (!in.hasUpdate()) {
            b.setUpdate(defaultUpdate());
        }
        if (!in.hasRollback()) {
            b.setRollback(defaultUpdate());
        }
        if (b.getModeCase() == ServiceSpec.ModeCase.REPLICATED_JOB && b.getReplicatedJob().getTotalCompletions() == 0) {
            long c = Math.max(1, b.getReplicatedJob().getMaxConcurrent());
            b.getReplicatedJobBuilder().setTotalCompletions(c);
        }
        if (b.getModeCase() == ServiceSpec.ModeCase.REPLICATED_JOB && b.getReplicatedJob().getMaxConcurrent() == 0) {
            b.getReplicatedJobBuilder().setMaxConcurrent(1);
        }
        return b.build();
    }

    static UpdateConfig defaultUpdate() {
        return UpdateConfig.newBuilder().setParallelism(1).setFailureAction(UpdateConfig.FailureAction.PAUSE)
                .setMonitorMs(5_000).setOrder(UpdateConfig.UpdateOrder.STOP_FIRST).build();
    }

    /** Refuses what cannot run, with a message that says what to change. */
    static void validate(ServiceSpec s) {
        String name = s.getAnnotations().getName();
        if (!NAME.matcher(name).matches()) {
            throw ControlException.invalid("invalid service name " + name
                    + ": use up to 63 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        ContainerSpec c = s.getTask().getContainer();
        if (c.getImage().isBlank()) {
            throw ControlException.invalid("service " + name + " has no image: give one, e.g. swarmlet service create --name "
                    + name + " swarmlet/busybox:1");
        }
        if (c.getImage().chars().anyMatch(Character::isWhitespace)) {
            throw ControlException.invalid("invalid image reference \"" + c.getImage() + "\"");
        }
        validateResources(s.getTask().getResources());
        RestartPolicy r = s.getTask().getRestart();
        if (r.getDelayMs() < 0 || r.getWindowMs() < 0) {
            throw ControlException.invalid("restart delay and window must not be negative");
        }
        if (r.getCondition() == RestartPolicy.Condition.UNRECOGNIZED) {
            throw ControlException.invalid("invalid restart condition: use none, on-failure or any");
        }
        checkPlacementStrategy(s.getTask().getPlacement().getStrategy());
        checkPluginName("runtime", s.getTask().getRuntime());
        try {
            Constraint.parseAll(s.getTask().getPlacement().getConstraintsList());
        } catch (IllegalArgumentException e) {
            throw ControlException.invalid(e.getMessage());
        }
        validateUpdate("update", s.getUpdate());
        validateUpdate("rollback", s.getRollback());
        validateHealth(c.getHealthcheck());
        for (Mount m : c.getMountsList()) {
            if (m.getTarget().isEmpty() || !m.getTarget().startsWith("/")) {
                throw ControlException.invalid("invalid mount target \"" + m.getTarget() + "\": it must be an absolute path");
            }
            if (m.getType() == Mount.Type.BIND && !m.getSource().startsWith("/")) {
                throw ControlException.invalid("invalid bind mount source \"" + m.getSource() + "\": it must be an absolute path");
            }
        }
        validatePorts(s.getEndpoint());
        if (s.getModeCase() == ServiceSpec.ModeCase.REPLICATED_JOB
                && s.getReplicatedJob().getMaxConcurrent() > s.getReplicatedJob().getTotalCompletions()) {
            throw ControlException.invalid("--max-concurrent (" + s.getReplicatedJob().getMaxConcurrent()
                    + ") must not exceed the total completions (" + s.getReplicatedJob().getTotalCompletions() + ")");
        }
    }

    private static void validateResources(ResourceRequirements res) {
        long mem = res.getLimits().getMemoryBytes();
        if (mem < 0 || res.getReservations().getMemoryBytes() < 0 || res.getLimits().getNanoCpus() < 0
                || res.getReservations().getNanoCpus() < 0 || res.getPidsLimit() < 0) {
            throw ControlException.invalid("resource limits and reservations must not be negative");
        }
        if (mem > 0 && mem < MIN_MEMORY) {
            throw ControlException.invalid("invalid memory limit " + mem + " bytes: the engine needs at least 6MB");
        }
        if (mem > 0 && res.getReservations().getMemoryBytes() > mem) {
            throw ControlException.invalid("memory reservation must not exceed the memory limit");
        }
        long cpus = res.getLimits().getNanoCpus();
        if (cpus > 0 && res.getReservations().getNanoCpus() > cpus) {
            throw ControlException.invalid("CPU reservation must not exceed the CPU limit");
        }
    }

    private static void validateUpdate(String what, UpdateConfig u) {
        if (u.getDelayMs() < 0 || u.getMonitorMs() < 0) {
            throw ControlException.invalid(what + " delay and monitor must not be negative");
        }
        if (u.getMaxFailureRatio() < 0 || u.getMaxFailureRatio() > 1) {
            throw ControlException.invalid(what + " max failure ratio must be between 0 and 1");
        }
        if (u.getFailureAction() == UpdateConfig.FailureAction.UNRECOGNIZED || u.getOrder() == UpdateConfig.UpdateOrder.UNRECOGNIZED) {
            throw ControlException.invalid("invalid " + what + " failure action or order");
        }
    }

    private static void validateHealth(HealthConfig h) {
        if (h.getIntervalMs() < 0 || h.getTimeoutMs() < 0 || h.getStartPeriodMs() < 0 || h.getRetries() < 0) {
            throw ControlException.invalid("health check interval, timeout, start period and retries must not be negative");
        }
        if ((h.getIntervalMs() > 0 && h.getIntervalMs() < 1_000) || (h.getTimeoutMs() > 0 && h.getTimeoutMs() < 1_000)) {
            throw ControlException.invalid("health check interval and timeout must be at least 1s");
        }
    }

    /**
     * A balancing strategy's name ({@code swarmlet.lb.name} of a LoadBalancer
     * plugin), or "" for the default.
     *
     * @param what the flag, for the message ("--lb-strategy")
     */
    static void checkStrategyName(String name, String what) {
        if (!name.isEmpty() && !name.matches("[a-z0-9][a-z0-9._-]{0,62}")) {
            throw ControlException.invalid("invalid " + what + " \"" + name
                    + "\": a strategy name is lower-case letters, digits, '.', '_' and '-' (round-robin, least-connections,"
                    + " power-of-two, source-hash, or a plugin's)");
        }
    }

    /**
     * A placement strategy name ({@code --placement-strategy},
     * {@code --default-placement-strategy}): "" (the default) or a name a
     * plugin could register. A name nobody provides yet is accepted: a
     * cluster plugin may bring it later, and meanwhile the scheduler uses
     * spread and logs it.
     */
    static void checkPlacementStrategy(String name) {
        checkPluginName("placement strategy", name);
    }

    /**
     * A name plugins register under (placement strategies, runtimes): ""
     * or 1-64 of lower-case letters, digits, '.', '_' and '-', starting with
     * a letter or digit.
     *
     * @param what for the message ("placement strategy", "runtime")
     */
    static void checkPluginName(String what, String name) {
        if (name.isEmpty() || PLUGIN_NAME.matcher(name).matches()) {
            return;
        }
        if (name.length() > 64 && PLUGIN_NAME.matcher(name.substring(0, 64)).matches()) {
            throw ControlException.invalid("invalid " + what + " '" + name + "': use at most 64 characters");
        }
        throw ControlException.invalid("invalid " + what + " '" + name + "': use lower-case letters, digits, '.', '_'"
                + " or '-'" + (name.isEmpty() || Character.isLetterOrDigit(name.charAt(0)) ? ""
                        : ", starting with a letter or digit"));
    }

    private static void validatePorts(EndpointSpec e) {
        checkStrategyName(e.getLbStrategy(), "--lb-strategy");
        if (e.getMode() == EndpointSpec.ResolutionMode.UNRECOGNIZED) {
            throw ControlException.invalid("invalid endpoint mode: use vip or dnsrr");
        }
        Set<String> seen = new HashSet<>();
        for (PortConfig p : e.getPortsList()) {
            if (p.getPublishMode() == PortConfig.PublishMode.UNRECOGNIZED) {
                throw ControlException.invalid("port " + p.getTargetPort() + ": invalid publish mode: use ingress or host");
            }
            if (p.getPublishMode() == PortConfig.PublishMode.INTERNAL && p.getPublishedPort() != 0) {
                throw ControlException.invalid("port " + p.getTargetPort() + "/" + p.getProtocol().name().toLowerCase(java.util.Locale.ROOT)
                        + " is internal (exposed to the service's networks only) and cannot have a published port ("
                        + p.getPublishedPort() + "): leave the published port out, or publish it with mode ingress or host");
            }
            if (e.getMode() == EndpointSpec.ResolutionMode.DNSRR && p.getPublishMode() == PortConfig.PublishMode.INGRESS) {
                throw ControlException.invalid("port published with ingress mode can't be used with dnsrr mode"
                        + " (port " + p.getTargetPort() + "): publish it with mode=host, or use --endpoint-mode vip");
            }
            if (p.getTargetPort() < 1 || p.getTargetPort() > 65535 || p.getPublishedPort() > 65535) {
                throw ControlException.invalid("invalid port " + p.getPublishedPort() + ":" + p.getTargetPort()
                        + ": ports are 1-65535");
            }
            if (p.getProtocol() != PortConfig.Protocol.TCP && p.getProtocol() != PortConfig.Protocol.UDP) {
                throw ControlException.invalid("port " + p.getTargetPort() + ": protocol "
                        + p.getProtocol().name().toLowerCase(java.util.Locale.ROOT) + " is not supported (use tcp or udp)");
            }
            if (p.getPublishedPort() != 0 && !seen.add(p.getProtocol() + "/" + p.getPublishedPort())) {
                throw ControlException.invalid("port " + p.getPublishedPort() + "/" + p.getProtocol().name().toLowerCase()
                        + " is published twice");
            }
        }
    }
}
