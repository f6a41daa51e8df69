package io.swarmlet.cli;

import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceColumns;
import io.swarmlet.api.types.ServiceColumns.Counts;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How services and tasks read in docker's words: modes, the REPLICAS and
 * PORTS columns, task names, image references without their digest, and
 * which tasks belong to the service's current spec.
 */
final class Services {

    /** docker's short IDs: the first 12 characters. */
    static final int SHORT_ID = 12;

    private Services() {}

    static String shortId(String id) {
        return id.length() > SHORT_ID ? id.substring(0, SHORT_ID) : id;
    }

    static String name(Service s) {
        return s.getSpec().getAnnotations().getName();
    }

    /** replicated, global, replicated job, global job (docker's MODE column). */
    static String mode(ServiceSpec s) {
        switch (s.getModeCase()) {
            case GLOBAL: return "global";
            case REPLICATED_JOB: return "replicated job";
            case GLOBAL_JOB: return "global job";
            default: return "replicated";
        }
    }

    static boolean isJob(ServiceSpec s) {
        return ServiceColumns.isJob(s);
    }

    /** A task state in docker's lower-case form: running, pending... */
    static String state(TaskState s) {
        return s.name().toLowerCase(Locale.ROOT);
    }

    /** An image reference as docker lists it ({@link ServiceColumns#image}). */
    static String image(String ref) {
        return ServiceColumns.image(ref);
    }

    /** A task's name: {@code web.1} for a slot, {@code web.<node-id>} for a global task. */
    static String taskName(Task t, String serviceName) {
        return ServiceColumns.taskName(t, serviceName);
    }

    /**
     * Whether a task runs the service's current spec (docker's
     * {@code _up-to-date} filter): it was made from this spec version, or
     * its task spec equals the service's (a scale changes the version but
     * not the tasks).
     */
    static boolean upToDate(Service s, Task t) {
        return t.getSpecVersion() == s.getSpecVersion() || t.getSpec().equals(s.getSpec().getTask());
    }

    /** For jobs, whether the task belongs to the current run of the job; always true for services. */
    static boolean currentIteration(Service s, Task t) {
        return ServiceColumns.currentIteration(s, t);
    }

    static Set<String> activeNodes(List<Node> nodes) {
        return ServiceColumns.activeNodes(nodes);
    }

    /** The counts behind the REPLICAS column ({@link ServiceColumns#counts}). */
    static Counts counts(Service s, List<Task> tasks, Set<String> activeNodes) {
        return ServiceColumns.counts(s, tasks, activeNodes);
    }

    /**
     * docker's REPLICAS column: {@code 2/3}, {@code 2/3 (max 1 per node)},
     * and for jobs {@code 1/2 (3/5 completed)}.
     */
    static String replicas(Service s, Counts c) {
        ServiceSpec spec = s.getSpec();
        switch (spec.getModeCase()) {
            case REPLICATED_JOB:
                return c.running() + "/" + c.desired() + " (" + c.completed() + "/" + spec.getReplicatedJob().getTotalCompletions() + " completed)";
            case GLOBAL_JOB:
                return c.running() + "/" + c.desired() + " (" + c.completed() + "/" + (c.desired() + c.completed()) + " completed)";
            case GLOBAL:
                return c.running() + "/" + c.desired();
            default:
                long max = spec.getTask().getPlacement().getMaxReplicas();
                return c.running() + "/" + c.desired() + (max > 0 ? " (max " + max + " per node)" : "");
        }
    }

    /** The ports a service publishes: those the cluster assigned, else those of its spec. */
    static List<PortConfig> publishedPorts(Service s) {
        return ServiceColumns.publishedPorts(s);
    }

    static String protocol(PortConfig p) {
        return ServiceColumns.protocol(p);
    }

    /** docker's PORTS column: {@code *:8080->80/tcp, *:8080-8081->80-81/tcp}. */
    static String ports(Service s) {
        return String.join(", ", ServiceColumns.ports(s));
    }
}
