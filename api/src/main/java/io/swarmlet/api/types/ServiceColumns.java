package io.swarmlet.api.types;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How a service reads in Docker's {@code service ls}/{@code service ps} columns: the
 * counts behind REPLICAS, the PORTS text, IMAGE without a digest, a task's NAME. One
 * rule for every client that shows services (the CLI, the web console).
 *
 * @since 1.2
 */
public final class ServiceColumns {

    private ServiceColumns() {}

    public static boolean isJob(ServiceSpec s) {
        return s.getModeCase() == ServiceSpec.ModeCase.REPLICATED_JOB || s.getModeCase() == ServiceSpec.ModeCase.GLOBAL_JOB;
    }

    /**
     * An image reference as Docker lists it: the registry prefix of Docker Hub's
     * official images dropped, and a digest dropped when there is a tag
     * ({@code docker.io/library/nginx:1.25@sha256:...} → {@code nginx:1.25}).
     */
    public static String image(String ref) {
        String r = ref;
        int at = r.indexOf('@');
        if (at > 0) {
            String named = r.substring(0, at);
            int slash = named.lastIndexOf('/');
            if (named.indexOf(':', slash + 1) > 0) {
                r = named;
            }
        }
        for (String prefix : List.of("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/")) {
            if (r.startsWith(prefix) && r.length() > prefix.length()) {
                return r.substring(prefix.length());
            }
        }
        return r;
    }

    /** A task's name: {@code web.1} for a slot, {@code web.<node-id>} for a global task. */
    public static String taskName(Task t, String serviceName) {
        String svc = serviceName.isEmpty() ? t.getServiceAnnotations().getName() : serviceName;
        return t.getSlot() != 0 ? svc + "." + t.getSlot() : svc + "." + t.getNodeId();
    }

    /** For jobs, whether the task belongs to the current run of the job; always true for services. */
    public static boolean currentIteration(Service s, Task t) {
        return !isJob(s.getSpec()) || t.getJobIteration() == s.getJobStatus().getJobIteration();
    }

    /** IDs of the nodes that are not down: a task on a down node does not count as running. */
    public static Set<String> activeNodes(List<Node> nodes) {
        Set<String> ids = new HashSet<>();
        for (Node n : nodes) {
            if (n.getStatus().getState() != NodeStatus.State.DOWN) {
                ids.add(n.getId());
            }
        }
        return ids;
    }

    /** Tasks running, tasks wanted, and (jobs) tasks completed. */
    public record Counts(long running, long desired, long completed) {}

    /**
     * The counts behind the REPLICAS column, from the service's tasks: a task runs when the
     * manager keeps it (desired state at most COMPLETE), it is RUNNING and its node is not
     * down; jobs count their current iteration only.
     */
    public static Counts counts(Service s, List<Task> tasks, Set<String> activeNodes) {
        long running = 0;
        long wanted = 0;
        long completed = 0;
        long pending = 0;
        for (Task t : tasks) {
            if (!t.getServiceId().equals(s.getId()) || !currentIteration(s, t)) {
                continue;
            }
            boolean kept = t.getDesiredState().getNumber() <= TaskState.COMPLETE_VALUE;
            TaskState st = t.getStatus().getState();
            if (kept && st == TaskState.RUNNING && activeNodes.contains(t.getNodeId())) {
                running++;
            }
            if (t.getDesiredState().getNumber() <= TaskState.RUNNING_VALUE) {
                wanted++;
            }
            if (st == TaskState.COMPLETE) {
                completed++;
            } else if (kept && !TaskStates.isTerminal(st)) {
                pending++;
            }
        }
        ServiceSpec spec = s.getSpec();
        switch (spec.getModeCase()) {
            case GLOBAL:
                return new Counts(running, wanted, 0);
            case REPLICATED_JOB: {
                long total = spec.getReplicatedJob().getTotalCompletions();
                long concurrent = spec.getReplicatedJob().getMaxConcurrent();
                return new Counts(running, Math.max(0, Math.min(concurrent, total - completed)), completed);
            }
            case GLOBAL_JOB:
                return new Counts(running, pending, completed);
            default:
                return new Counts(running, spec.getReplicated().getReplicas(), 0);
        }
    }

    /** The ports a service publishes: those the cluster assigned, else those of its spec. */
    public static List<PortConfig> publishedPorts(Service s) {
        return s.getEndpoint().getPortsCount() > 0 ? s.getEndpoint().getPortsList() : s.getSpec().getEndpoint().getPortsList();
    }

    public static String protocol(PortConfig p) {
        return p.getProtocol().name().toLowerCase(Locale.ROOT);
    }

    /**
     * The PORTS column, one entry per range: ingress ports as {@code *:8080->80/tcp},
     * consecutive ports grouped ({@code *:8080-8081->80-81/tcp}).
     */
    public static List<String> ports(Service s) {
        List<PortConfig> ports = new ArrayList<>();
        for (PortConfig p : publishedPorts(s)) {
            if (p.getPublishMode() == PortConfig.PublishMode.INGRESS && p.getPublishedPort() > 0) {
                ports.add(p);
            }
        }
        ports.sort(Comparator.comparing(ServiceColumns::protocol).thenComparingInt(PortConfig::getPublishedPort));
        List<String> out = new ArrayList<>();
        long[] range = null; // published from, to, target from, to
        String proto = null;
        for (PortConfig p : ports) {
            long pub = p.getPublishedPort();
            long target = p.getTargetPort();
            boolean extend = range != null && protocol(p).equals(proto)
                    && (pub == range[1] || pub == range[1] + 1)
                    && (target == range[3] || target == range[3] + 1)
                    && !(range[3] != range[2] && target <= range[3]);
            if (extend) {
                range[1] = pub;
                range[3] = target;
                continue;
            }
            if (range != null) {
                out.add(portRange(range, proto));
            }
            range = new long[] {pub, pub, target, target};
            proto = protocol(p);
        }
        if (range != null) {
            out.add(portRange(range, proto));
        }
        return out;
    }

    private static String portRange(long[] r, String proto) {
        String pub = r[1] > r[0] ? r[0] + "-" + r[1] : String.valueOf(r[0]);
        String tgt = r[3] > r[2] ? r[2] + "-" + r[3] : String.valueOf(r[2]);
        return "*:" + pub + "->" + tgt + "/" + proto;
    }
}
