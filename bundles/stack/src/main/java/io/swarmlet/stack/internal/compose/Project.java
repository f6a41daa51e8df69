package io.swarmlet.stack.internal.compose;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A compose project as the loader understood it: every file merged, interpolated, validated, short syntax
 * turned into long syntax, {@code x-} fields dropped. Immutable. Optional settings that the files did not
 * give are {@code null} (so a later mapping can tell "not set" from a value); collections are never null.
 * {@code warnings} are Docker's texts ("Ignoring unsupported options: build, privileged").
 */
public record Project(Map<String, Service> services, Map<String, Network> networks, Map<String, Volume> volumes,
        Map<String, FileObject> secrets, Map<String, FileObject> configs, List<String> warnings) {

    public Project {
        services = Map.copyOf(services);
        networks = Map.copyOf(networks);
        volumes = Map.copyOf(volumes);
        secrets = Map.copyOf(secrets);
        configs = Map.copyOf(configs);
        warnings = List.copyOf(warnings);
    }

    /** One service; {@code command}/{@code entrypoint} are argument lists (a string is split as a shell would). */
    public record Service(String name, String image, List<String> command, List<String> entrypoint,
            Map<String, String> environment, List<String> envFiles, Map<String, String> labels, List<Port> ports,
            List<Port> expose, Deploy deploy, Healthcheck healthcheck, List<FileRef> secrets, List<FileRef> configs, List<Mount> volumes,
            Map<String, NetworkAttachment> networks, String user, String workingDir, String hostname,
            List<String> extraHosts, Boolean init, Duration stopGracePeriod, String stopSignal) {
    }

    /**
     * A published port, long syntax; {@code published} null: none (or picked by the cluster for ingress).
     * An {@code expose}d port has mode {@code internal} and no published port.
     */
    public record Port(int target, Integer published, String protocol, String mode, String hostIp) {
    }

    public record Deploy(String mode, Integer replicas, Placement placement, Resources resources,
            RestartPolicy restartPolicy, UpdateConfig updateConfig, UpdateConfig rollbackConfig, String endpointMode,
            Map<String, String> labels) {
    }

    /** {@code preferences} holds the spread descriptors ({@code node.labels.zone}). */
    public record Placement(List<String> constraints, List<String> preferences, Integer maxReplicasPerNode) {
    }

    public record Resources(Limits limits, Limits reservations) {
    }

    /** CPUs in nano-CPUs ({@code '0.1'} is 100 000 000), memory in bytes ({@code 300M} is 314 572 800). */
    public record Limits(Long nanoCpus, Long memoryBytes, Long pids) {
    }

    public record RestartPolicy(String condition, Duration delay, Integer maxAttempts, Duration window) {
    }

    public record UpdateConfig(Integer parallelism, Duration delay, String failureAction, Duration monitor,
            Double maxFailureRatio, String order) {
    }

    public record Healthcheck(List<String> test, Duration interval, Duration timeout, Duration startPeriod,
            Duration startInterval, Integer retries, boolean disable) {
    }

    /** A service's use of a secret or config; {@code target} already defaulted as Docker does. */
    public record FileRef(String source, String target, String uid, String gid, Integer mode) {
    }

    /** A volume, bind or tmpfs mount; {@code source} null for an anonymous volume or a tmpfs. */
    public record Mount(String type, String source, String target, boolean readOnly) {
    }

    public record NetworkAttachment(List<String> aliases) {
    }

    /** A top-level network; {@code name} is the external name or the name the file gave, else null. */
    public record Network(String name, String driver, Map<String, String> driverOpts, boolean external,
            boolean internal, boolean attachable, Map<String, String> labels) {
    }

    public record Volume(String name, String driver, Map<String, String> driverOpts, boolean external,
            Map<String, String> labels) {
    }

    /** A top-level secret or config: either from a {@code file} (as written) or {@code external}. */
    public record FileObject(String name, String file, boolean external, Map<String, String> labels) {
    }
}
