package io.swarmlet.cli;

import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.HealthConfig;
import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.UpdateConfig;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The flags {@code service create} and {@code service update} share, with
 * docker's names and syntax. Every field is null (or false) unless given,
 * so that {@link #apply} changes only what the user asked for: on create
 * the server fills docker's defaults in, on update the rest of the spec
 * stays as it was. Settings that come as a group (restart policy, update
 * and rollback configs) start from docker's defaults when the spec has none.
 */
final class ServiceFlags {

    /** The default runtime: containers ({@code TaskSpec.runtime} ""). */
    static final String CONTAINER = "container";

    @Option(names = {"-d", "--detach"}, arity = "0..1", fallbackValue = "true", paramLabel = "true|false", description = "Exit immediately instead of waiting for the service to converge.")
    boolean detach;

    @Option(names = {"-q", "--quiet"}, description = "Suppress progress output.")
    boolean quiet;

    @Option(names = "--image", paramLabel = "string", description = "Service image (swarmctl's flag; create also takes it as IMAGE).")
    String image;

    @Option(names = {"-w", "--workdir"}, paramLabel = "string", description = "Working directory inside the container.")
    String workdir;

    @Option(names = {"-u", "--user"}, paramLabel = "string", description = "Username or UID (format: <name|uid>[:<group|gid>]).")
    String user;

    @Option(names = "--hostname", paramLabel = "string", description = "Container hostname.")
    String hostname;

    @Option(names = "--entrypoint", paramLabel = "command", description = "Overwrite the default ENTRYPOINT of the image.")
    String entrypoint;

    @Option(names = {"-t", "--tty"}, description = "Allocate a pseudo-TTY.")
    Boolean tty;

    @Option(names = "--init", negatable = true,
            description = "Use an init inside each service container to forward signals and reap processes (on unless --no-init).")
    Boolean init;

    @Option(names = "--stop-grace-period", paramLabel = "duration", converter = FlagValues.Duration.class,
            description = "Time to wait before force killing a container (ns|us|ms|s|m|h) (default 10s).")
    Long stopGracePeriod;

    @Option(names = "--stop-signal", paramLabel = "string", description = "Signal to stop the container (\"\" = the image's).")
    String stopSignal;

    // ---- mode

    @Option(names = "--replicas", paramLabel = "uint", converter = FlagValues.Unsigned.class, description = "Number of tasks.")
    Long replicas;

    @Option(names = "--max-concurrent", paramLabel = "uint", converter = FlagValues.Unsigned.class,
            description = "Number of job tasks to run concurrently (default equal to --replicas).")
    Long maxConcurrent;

    @Option(names = "--replicas-max-per-node", paramLabel = "uint", converter = FlagValues.Unsigned.class,
            description = "Maximum number of tasks per node (default 0 = unlimited).")
    Long maxPerNode;

    // ---- placement and runtime

    @Option(names = "--placement-strategy", paramLabel = "string",
            description = "Placement strategy: \"spread\" (built in) or a plugin's, e.g. \"binpack\""
                    + " (\"\" or unset: the cluster's default, see swarm update --default-placement-strategy).")
    String placementStrategy;

    @Option(names = "--runtime", paramLabel = "string",
            description = "Task runtime: \"container\" (Docker) or a plugin's, e.g. \"process\"; tasks only go to"
                    + " nodes that run it (default \"container\").")
    String runtime;

    // ---- resources

    @Option(names = "--limit-cpu", paramLabel = "decimal", converter = FlagValues.Cpus.class, description = "Limit CPUs.")
    Long limitCpu;

    @Option(names = "--limit-memory", paramLabel = "bytes", converter = FlagValues.Bytes.class, description = "Limit Memory.")
    Long limitMemory;

    @Option(names = "--limit-pids", paramLabel = "int", converter = FlagValues.Unsigned.class,
            description = "Limit maximum number of processes (default 0 = unlimited).")
    Long limitPids;

    @Option(names = "--reserve-cpu", paramLabel = "decimal", converter = FlagValues.Cpus.class, description = "Reserve CPUs.")
    Long reserveCpu;

    @Option(names = "--reserve-memory", paramLabel = "bytes", converter = FlagValues.Bytes.class, description = "Reserve Memory.")
    Long reserveMemory;

    // ---- restart policy

    @Option(names = "--restart-condition", paramLabel = "string",
            description = "Restart when condition is met (\"none\", \"on-failure\", \"any\") (default \"any\").")
    String restartCondition;

    @Option(names = "--restart-delay", paramLabel = "duration", converter = FlagValues.Duration.class,
            description = "Delay between restart attempts (ns|us|ms|s|m|h) (default 5s).")
    Long restartDelay;

    @Option(names = "--restart-max-attempts", paramLabel = "uint", converter = FlagValues.Unsigned.class,
            description = "Maximum number of restarts before giving up.")
    Long restartMaxAttempts;

    @Option(names = "--restart-window", paramLabel = "duration", converter = FlagValues.Duration.class,
            description = "Window used to evaluate the restart policy (ns|us|ms|s|m|h).")
    Long restartWindow;

    // ---- update and rollback

    @Option(names = "--update-parallelism", paramLabel = "uint", converter = FlagValues.Unsigned.class,
            description = "Maximum number of tasks updated simultaneously (0 to update all at once) (default 1).")
    Long updateParallelism;

    @Option(names = "--update-delay", paramLabel = "duration", converter = FlagValues.Duration.class,
            description = "Delay between updates (ns|us|ms|s|m|h) (default 0s).")
    Long updateDelay;

    @Option(names = "--update-failure-action", paramLabel = "string",
            description = "Action on update failure (\"pause\", \"continue\", \"rollback\") (default \"pause\").")
    String updateFailureAction;

    @Option(names = "--update-monitor", paramLabel = "duration", converter = FlagValues.Duration.class,
            description = "Duration after each task update to monitor for failure (ns|us|ms|s|m|h) (default 5s).")
    Long updateMonitor;

    @Option(names = "--update-max-failure-ratio", paramLabel = "float", converter = FlagValues.Ratio.class,
            description = "Failure rate to tolerate during an update (default 0).")
    Float updateMaxFailureRatio;

    @Option(names = "--update-order", paramLabel = "string",
            description = "Update order (\"start-first\", \"stop-first\") (default \"stop-first\").")
    String updateOrder;

    @Option(names = "--rollback-parallelism", paramLabel = "uint", converter = FlagValues.Unsigned.class,
            description = "Maximum number of tasks rolled back simultaneously (0 to roll back all at once) (default 1).")
    Long rollbackParallelism;

    @Option(names = "--rollback-delay", paramLabel = "duration", converter = FlagValues.Duration.class,
            description = "Delay between task rollbacks (ns|us|ms|s|m|h) (default 0s).")
    Long rollbackDelay;

    @Option(names = "--rollback-failure-action", paramLabel = "string",
            description = "Action on rollback failure (\"pause\", \"continue\") (default \"pause\").")
    String rollbackFailureAction;

    @Option(names = "--rollback-monitor", paramLabel = "duration", converter = FlagValues.Duration.class,
            description = "Duration after each task rollback to monitor for failure (ns|us|ms|s|m|h) (default 5s).")
    Long rollbackMonitor;

    @Option(names = "--rollback-max-failure-ratio", paramLabel = "float", converter = FlagValues.Ratio.class,
            description = "Failure rate to tolerate during a rollback (default 0).")
    Float rollbackMaxFailureRatio;

    @Option(names = "--rollback-order", paramLabel = "string",
            description = "Rollback order (\"start-first\", \"stop-first\") (default \"stop-first\").")
    String rollbackOrder;

    // ---- endpoint

    @Option(names = "--endpoint-mode", paramLabel = "string", description = "Endpoint mode (vip or dnsrr) (default \"vip\").")
    String endpointMode;

    // ---- health check

    @Option(names = "--health-cmd", paramLabel = "string", description = "Command to run to check health.")
    String healthCmd;

    @Option(names = "--health-interval", paramLabel = "duration", converter = FlagValues.Duration.class,
            description = "Time between running the check (ms|s|m|h).")
    Long healthInterval;

    @Option(names = "--health-retries", paramLabel = "int", converter = FlagValues.Unsigned.class,
            description = "Consecutive failures needed to report unhealthy.")
    Long healthRetries;

    @Option(names = "--health-start-period", paramLabel = "duration", converter = FlagValues.Duration.class,
            description = "Start period for the container to initialize before counting retries towards unstable (ms|s|m|h).")
    Long healthStartPeriod;

    @Option(names = "--health-timeout", paramLabel = "duration", converter = FlagValues.Duration.class,
            description = "Maximum time to allow one check to run (ms|s|m|h).")
    Long healthTimeout;

    @Option(names = "--no-healthcheck", description = "Disable any container-specified HEALTHCHECK.")
    boolean noHealthcheck;

    // ------------------------------------------------------------ checks

    /** The parsed enumerated values, checked before anything is sent. */
    private RestartPolicy.Condition condition;
    private UpdateConfig.FailureAction updateAction;
    private UpdateConfig.UpdateOrder updateOrderValue;
    private UpdateConfig.FailureAction rollbackAction;
    private UpdateConfig.UpdateOrder rollbackOrderValue;
    private EndpointSpec.ResolutionMode resolution;
    private List<String> entrypointWords;

    /**
     * Checks the values that are words from a fixed set, and the flags that
     * exclude each other; {@code usage} makes the usage error to throw.
     */
    void check(Function<String, ParameterException> usage) {
        condition = restartCondition == null ? null : choose(usage, "--restart-condition", restartCondition,
                List.of("none", "on-failure", "any"), RestartPolicy.Condition.values());
        updateAction = updateFailureAction == null ? null : choose(usage, "--update-failure-action", updateFailureAction,
                List.of("pause", "continue", "rollback"), UpdateConfig.FailureAction.values());
        rollbackAction = rollbackFailureAction == null ? null : choose(usage, "--rollback-failure-action", rollbackFailureAction,
                List.of("pause", "continue"), UpdateConfig.FailureAction.values());
        updateOrderValue = updateOrder == null ? null : choose(usage, "--update-order", updateOrder,
                List.of("stop-first", "start-first"), UpdateConfig.UpdateOrder.values());
        rollbackOrderValue = rollbackOrder == null ? null : choose(usage, "--rollback-order", rollbackOrder,
                List.of("stop-first", "start-first"), UpdateConfig.UpdateOrder.values());
        resolution = endpointMode == null ? null : choose(usage, "--endpoint-mode", endpointMode,
                List.of("vip", "dnsrr"), EndpointSpec.ResolutionMode.values());
        if (noHealthcheck && (healthCmd != null || healthInterval != null || healthRetries != null
                || healthStartPeriod != null || healthTimeout != null)) {
            throw usage.apply("--no-healthcheck conflicts with --health-* options");
        }
        if (healthRetries != null && healthRetries > Integer.MAX_VALUE) {
            throw usage.apply("Invalid value for option '--health-retries': " + healthRetries + " is too large");
        }
        if (entrypoint != null) {
            try {
                entrypointWords = FlagValues.shellWords(entrypoint);
            } catch (IllegalArgumentException e) {
                throw usage.apply("Invalid value for option '--entrypoint': " + e.getMessage());
            }
        }
    }

    /**
     * The value of {@code given} among {@code words}: the proto enum constant
     * with the same position (the protos list them in docker's order).
     */
    private static <E extends Enum<E>> E choose(Function<String, ParameterException> usage, String option, String given,
                                                List<String> words, E[] constants) {
        int i = words.indexOf(given.toLowerCase(Locale.ROOT));
        if (i < 0) {
            throw usage.apply("Invalid value for option '" + option + "': '" + given + "' (use "
                    + String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.get(words.size() - 1) + ")");
        }
        return constants[i];
    }

    boolean anyUpdateFlag() {
        return updateParallelism != null || updateDelay != null || updateFailureAction != null || updateMonitor != null
                || updateMaxFailureRatio != null || updateOrder != null;
    }

    boolean anyRollbackFlag() {
        return rollbackParallelism != null || rollbackDelay != null || rollbackFailureAction != null || rollbackMonitor != null
                || rollbackMaxFailureRatio != null || rollbackOrder != null;
    }

    // ------------------------------------------------------------ applying

    /** docker's default update and rollback config (SwarmKit's defaults). */
    static UpdateConfig.Builder defaultUpdateConfig() {
        return UpdateConfig.newBuilder().setParallelism(1).setFailureAction(UpdateConfig.FailureAction.PAUSE)
                .setMonitorMs(ConvergeProgress.DEFAULT_MONITOR_MILLIS).setOrder(UpdateConfig.UpdateOrder.STOP_FIRST);
    }

    /** docker's default restart policy: any (on-failure for jobs), 5s apart, no attempt limit. */
    static RestartPolicy.Builder defaultRestart(boolean job) {
        return RestartPolicy.newBuilder()
                .setCondition(job ? RestartPolicy.Condition.ON_FAILURE : RestartPolicy.Condition.ANY)
                .setDelayMs(5_000);
    }

    /**
     * Applies the given flags to {@code spec} (all but --replicas and
     * --max-concurrent, whose meaning depends on the command). Call
     * {@link #check} first.
     */
    void apply(ServiceSpec.Builder spec) {
        boolean job = Services.isJob(spec.build());
        TaskSpec.Builder task = spec.getTaskBuilder();
        ContainerSpec.Builder c = task.getContainerBuilder();
        if (image != null) {
            c.setImage(image);
        }
        if (workdir != null) {
            c.setDir(workdir);
        }
        if (user != null) {
            c.setUser(user);
        }
        if (hostname != null) {
            c.setHostname(hostname);
        }
        if (entrypointWords != null) {
            c.clearCommand().addAllCommand(entrypointWords);
        }
        if (tty != null) {
            c.setTty(tty);
        }
        if (init != null) {
            c.setInit(init);
        }
        if (stopGracePeriod != null) {
            c.setStopGracePeriodMs(stopGracePeriod);
        }
        if (stopSignal != null) {
            c.setStopSignal(stopSignal.trim());
        }
        if (maxPerNode != null) {
            task.getPlacementBuilder().setMaxReplicas(maxPerNode);
        }
        if (placementStrategy != null && (task.hasPlacement() || !placementStrategy.isBlank())) {
            task.getPlacementBuilder().setStrategy(placementStrategy.trim());
        }
        if (runtime != null) {
            String r = runtime.trim();
            task.setRuntime(r.equals(CONTAINER) ? "" : r);
        }
        if (limitCpu != null) {
            task.getResourcesBuilder().getLimitsBuilder().setNanoCpus(limitCpu);
        }
        if (limitMemory != null) {
            task.getResourcesBuilder().getLimitsBuilder().setMemoryBytes(limitMemory);
        }
        if (limitPids != null) {
            task.getResourcesBuilder().setPidsLimit(limitPids);
        }
        if (reserveCpu != null) {
            task.getResourcesBuilder().getReservationsBuilder().setNanoCpus(reserveCpu);
        }
        if (reserveMemory != null) {
            task.getResourcesBuilder().getReservationsBuilder().setMemoryBytes(reserveMemory);
        }
        if (condition != null || restartDelay != null || restartMaxAttempts != null || restartWindow != null) {
            if (!task.hasRestart()) {
                task.setRestart(defaultRestart(job));
            }
            RestartPolicy.Builder r = task.getRestartBuilder();
            if (condition != null) {
                r.setCondition(condition);
            }
            if (restartDelay != null) {
                r.setDelayMs(restartDelay);
            }
            if (restartMaxAttempts != null) {
                r.setMaxAttempts(restartMaxAttempts);
            }
            if (restartWindow != null) {
                r.setWindowMs(restartWindow);
            }
        }
        if (anyUpdateFlag()) {
            if (!spec.hasUpdate()) {
                spec.setUpdate(defaultUpdateConfig());
            }
            applyUpdate(spec.getUpdateBuilder(), updateParallelism, updateDelay, updateAction, updateMonitor,
                    updateMaxFailureRatio, updateOrderValue);
        }
        if (anyRollbackFlag()) {
            if (!spec.hasRollback()) {
                spec.setRollback(defaultUpdateConfig());
            }
            applyUpdate(spec.getRollbackBuilder(), rollbackParallelism, rollbackDelay, rollbackAction, rollbackMonitor,
                    rollbackMaxFailureRatio, rollbackOrderValue);
        }
        if (resolution != null) {
            spec.getEndpointBuilder().setMode(resolution);
        }
        applyHealth(c);
    }

    private static void applyUpdate(UpdateConfig.Builder u, Long parallelism, Long delay, UpdateConfig.FailureAction action,
                                    Long monitor, Float ratio, UpdateConfig.UpdateOrder order) {
        if (parallelism != null) {
            u.setParallelism(parallelism);
        }
        if (delay != null) {
            u.setDelayMs(delay);
        }
        if (action != null) {
            u.setFailureAction(action);
        }
        if (monitor != null) {
            u.setMonitorMs(monitor);
        }
        if (ratio != null) {
            u.setMaxFailureRatio(ratio);
        }
        if (order != null) {
            u.setOrder(order);
        }
    }

    /** docker's rules: --no-healthcheck sets the test to NONE; --health-cmd runs through the shell (CMD-SHELL). */
    private void applyHealth(ContainerSpec.Builder c) {
        if (noHealthcheck) {
            c.setHealthcheck(HealthConfig.newBuilder().addTest("NONE"));
            return;
        }
        if (healthCmd == null && healthInterval == null && healthRetries == null && healthStartPeriod == null && healthTimeout == null) {
            return;
        }
        HealthConfig.Builder h = c.getHealthcheckBuilder();
        if (h.getTestCount() > 0 && h.getTest(0).equals("NONE")) {
            h.clearTest();
        }
        if (healthCmd != null) {
            h.clearTest();
            if (!healthCmd.isEmpty()) {
                h.addTest("CMD-SHELL").addTest(healthCmd);
            }
        }
        if (healthInterval != null) {
            h.setIntervalMs(healthInterval);
        }
        if (healthTimeout != null) {
            h.setTimeoutMs(healthTimeout);
        }
        if (healthStartPeriod != null) {
            h.setStartPeriodMs(healthStartPeriod);
        }
        if (healthRetries != null) {
            h.setRetries((int) (long) healthRetries);
        }
    }
}
