package io.swarmlet.web.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import io.swarmlet.api.control.Stacks;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceColumns;
import io.swarmlet.api.types.ServiceColumns.Counts;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.UpdateStatus;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The objects of the store as the console's JSON shows them (the schemas of
 * {@code static/openapi.yaml}), in the CLI's words: the REPLICAS and PORTS rules
 * of {@code service ls}, task names, images without Docker Hub's prefix. The
 * rules are copied from the CLI's {@code Services} (the CLI is not a bundle this
 * one can use); keep the two alike.
 */
final class Views {

    private Views() {}

    /** What one read of the store gives the renderers: every node, service and task. */
    record State(List<Node> nodes, List<Service> services, List<Task> tasks, Map<String, Service> servicesById,
                 Set<String> activeNodes) {

        static State read(ReadTx tx) {
            List<Node> nodes = tx.all(Kind.NODE);
            List<Service> services = tx.all(Kind.SERVICE);
            List<Task> tasks = tx.all(Kind.TASK);
            Map<String, Service> byId = new HashMap<>();
            services.forEach(s -> byId.put(s.getId(), s));
            return new State(nodes, services, tasks, byId, Views.activeNodes(nodes));
        }

        Counts counts(Service s) {
            return Views.counts(s, tasks, activeNodes);
        }
    }

    // ------------------------------------------------------------ nodes

    static String hostname(Node n) {
        String h = n.getDescription().getHostname();
        return h.isEmpty() ? n.getSpec().getAnnotations().getName() : h;
    }

    static String managerStatus(Node n) {
        if (!n.hasManagerStatus()) {
            return "";
        }
        if (n.getManagerStatus().getLeader()) {
            return "Leader";
        }
        switch (n.getManagerStatus().getReachability()) {
            case REACHABLE: return "Reachable";
            case UNREACHABLE: return "Unreachable";
            default: return "";
        }
    }

    static void node(JsonGenerator g, Node n) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", n.getId());
        g.writeStringField("hostname", hostname(n));
        g.writeStringField("role", n.getRole() == NodeRole.MANAGER ? "manager" : "worker");
        g.writeBooleanField("leader", n.hasManagerStatus() && n.getManagerStatus().getLeader());
        g.writeStringField("availability", lower(n.getSpec().getAvailability()));
        g.writeStringField("status", n.getStatus().getState() == NodeStatus.State.UNRECOGNIZED
                ? "unknown" : lower(n.getStatus().getState()));
        g.writeStringField("managerStatus", managerStatus(n));
        g.writeStringField("addr", n.getStatus().getAddr());
        g.writeStringField("engineVersion", n.getDescription().getEngine().getEngineVersion());
        labels(g, n.getSpec().getAnnotations().getLabelsMap());
        g.writeEndObject();
    }

    // ------------------------------------------------------------ services

    static String stack(Map<String, String> labels) {
        return labels.getOrDefault(Stacks.NAMESPACE_LABEL, "");
    }

    /** replicated, global, replicated-job, global-job. */
    static String mode(ServiceSpec s) {
        switch (s.getModeCase()) {
            case GLOBAL: return "global";
            case REPLICATED_JOB: return "replicated-job";
            case GLOBAL_JOB: return "global-job";
            default: return "replicated";
        }
    }

    static boolean isJob(ServiceSpec s) {
        return ServiceColumns.isJob(s);
    }

    static Set<String> activeNodes(List<Node> nodes) {
        return ServiceColumns.activeNodes(nodes);
    }

    /** The CLI's REPLICAS rule ({@link ServiceColumns#counts}). */
    static Counts counts(Service s, List<Task> tasks, Set<String> activeNodes) {
        return ServiceColumns.counts(s, tasks, activeNodes);
    }

    static String image(String ref) {
        return ServiceColumns.image(ref);
    }

    /** The PORTS column of {@code service ls}, one entry per range. */
    static List<String> ports(Service s) {
        return ServiceColumns.ports(s);
    }

    static String updateState(Service s) {
        if (!s.hasUpdateStatus()) {
            return "";
        }
        UpdateStatus.UpdateState st = s.getUpdateStatus().getState();
        return st == UpdateStatus.UpdateState.UNKNOWN || st == UpdateStatus.UpdateState.UNRECOGNIZED ? "" : lower(st);
    }

    static void service(JsonGenerator g, Service s, Counts c) throws IOException {
        ServiceSpec spec = s.getSpec();
        g.writeStartObject();
        g.writeStringField("id", s.getId());
        g.writeStringField("name", spec.getAnnotations().getName());
        g.writeStringField("stack", stack(spec.getAnnotations().getLabelsMap()));
        g.writeStringField("mode", mode(spec));
        g.writeNumberField("desired", c.desired());
        g.writeNumberField("running", c.running());
        g.writeStringField("image", image(spec.getTask().getContainer().getImage()));
        g.writeArrayFieldStart("ports");
        for (String p : ports(s)) {
            g.writeString(p);
        }
        g.writeEndArray();
        g.writeStringField("updateState", updateState(s));
        g.writeStringField("updateMessage", s.getUpdateStatus().getMessage());
        g.writeNumberField("createdAt", s.getMeta().getCreatedAt());
        g.writeNumberField("updatedAt", s.getMeta().getUpdatedAt());
        labels(g, spec.getAnnotations().getLabelsMap());
        g.writeEndObject();
    }

    // ------------------------------------------------------------ tasks

    /** Whether {@code /api/v1/tasks} lists the task without {@code all}: wanted running, or not finished yet. */
    static boolean current(Task t) {
        return t.getDesiredState().getNumber() <= TaskState.RUNNING_VALUE
                || t.getStatus().getState().getNumber() <= TaskState.RUNNING_VALUE;
    }

    /** @param service the task's service, or null when it is gone (the task's copy of its annotations is used) */
    static void task(JsonGenerator g, Task t, Service service) throws IOException {
        String serviceName = service != null ? service.getSpec().getAnnotations().getName() : t.getServiceAnnotations().getName();
        Map<String, String> serviceLabels = service != null
                ? service.getSpec().getAnnotations().getLabelsMap() : t.getServiceAnnotations().getLabelsMap();
        g.writeStartObject();
        g.writeStringField("id", t.getId());
        g.writeStringField("name", ServiceColumns.taskName(t, serviceName));
        g.writeStringField("serviceId", t.getServiceId());
        g.writeStringField("serviceName", serviceName);
        g.writeStringField("stack", stack(serviceLabels));
        g.writeNumberField("slot", t.getSlot());
        g.writeStringField("nodeId", t.getNodeId());
        g.writeStringField("image", image(t.getSpec().getContainer().getImage()));
        g.writeStringField("state", lower(t.getStatus().getState()));
        g.writeStringField("desiredState", lower(t.getDesiredState()));
        g.writeStringField("message", t.getStatus().getMessage());
        g.writeStringField("error", t.getStatus().getErr());
        g.writeStringField("containerId", t.getStatus().getContainerStatus().getContainerId());
        g.writeNumberField("createdAt", t.getMeta().getCreatedAt());
        long changed = t.getStatus().getTimestamp();
        g.writeNumberField("updatedAt", changed != 0 ? changed : t.getMeta().getUpdatedAt());
        g.writeEndObject();
    }

    // ------------------------------------------------------------ cluster

    static void cluster(JsonGenerator g, Cluster c, State state, String version) throws IOException {
        String leader = "";
        long managers = 0;
        for (Node n : state.nodes()) {
            if (n.getRole() == NodeRole.MANAGER) {
                managers++;
            }
            if (n.hasManagerStatus() && n.getManagerStatus().getLeader()) {
                leader = n.getId();
            }
        }
        g.writeStartObject();
        g.writeStringField("id", c == null ? "" : c.getId());
        g.writeStringField("leader", leader);
        g.writeNumberField("managers", managers);
        g.writeNumberField("nodes", state.nodes().size());
        g.writeNumberField("services", state.services().size());
        g.writeStringField("version", version);
        g.writeEndObject();
    }

    // ------------------------------------------------------------ helpers

    static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private static void labels(JsonGenerator g, Map<String, String> labels) throws IOException {
        g.writeObjectFieldStart("labels");
        for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
            g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }
}
