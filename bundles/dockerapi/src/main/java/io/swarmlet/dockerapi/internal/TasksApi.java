package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.GetNodeRequest;
import io.swarmlet.api.types.GetServiceRequest;
import io.swarmlet.api.types.GetTaskRequest;
import io.swarmlet.api.types.ListFilters;
import io.swarmlet.api.types.ListTasksRequest;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code /tasks}: list with Docker's filters (id, name, label, service and node by ID, name
 * or prefix, desired-state, runtime, and {@code _up-to-date}: tasks whose spec is their
 * service's current one, which {@code docker service create/update} poll while they show
 * progress), inspect, and logs ({@link ServiceLogs}).
 */
final class TasksApi implements Router.Group {

    @Override
    public void register(Router r) {
        r.get("/tasks", this::list);
        r.get("/tasks/{id}", this::inspect);
        r.get("/tasks/{id}/logs", c -> ServiceLogs.stream(c, false));
    }

    private JsonNode list(Call c) {
        Filters f = c.filters().check("id", "name", "label", "service", "node", "desired-state", "_up-to-date", "runtime");
        ControlApi api = c.api();
        Set<TaskState> desired = new HashSet<>();
        for (String s : f.get("desired-state")) {
            try {
                desired.add(TaskState.valueOf(s.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw DockerError.badRequest("Invalid desired-state filter: '" + s + "'");
            }
        }
        ListFilters.Builder lf = ListFilters.newBuilder().addAllIdPrefixes(f.get("id")).putAllLabels(f.labels());
        Map<String, Service> services = new HashMap<>();
        for (String s : f.get("service")) {
            Service svc = api.getService(GetServiceRequest.newBuilder().setId(s).build()).getService();
            services.put(svc.getId(), svc);
            lf.addServiceIds(svc.getId());
        }
        for (String n : f.get("node")) {
            lf.addNodeIds(api.getNode(GetNodeRequest.newBuilder().setId(n).build()).getNode().getId());
        }
        boolean upToDate = f.has("_up-to-date");
        List<Task> tasks = api.listTasks(ListTasksRequest.newBuilder().setFilters(lf).build()).getTasksList().stream()
                .filter(t -> desired.isEmpty() || desired.contains(t.getDesiredState()))
                .filter(t -> !f.has("name") || f.get("name").stream().anyMatch(n -> name(t).startsWith(n)))
                .filter(t -> !f.has("runtime") || f.get("runtime").contains(t.getSpec().getRuntime().isEmpty() ? "container"
                        : t.getSpec().getRuntime()))
                .filter(t -> !upToDate || service(api, services, t.getServiceId()).map(s -> upToDate(t, s)).orElse(false))
                .sorted(java.util.Comparator.comparing(Task::getId))
                .toList();
        ArrayNode out = Json.array();
        tasks.forEach(t -> out.add(TaskJson.task(t)));
        return out;
    }

    /** The task's name as SwarmKit's naming.Task gives it: its own, else service.slot.id (service.node.id for global). */
    static String name(Task t) {
        if (!t.getAnnotations().getName().isEmpty()) {
            return t.getAnnotations().getName();
        }
        String slot = t.getSlot() != 0 ? Long.toString(t.getSlot()) : t.getNodeId();
        return t.getServiceAnnotations().getName() + "." + slot + "." + t.getId();
    }

    /**
     * SwarmKit's "not dirty": the task was made from the service's current spec version, or
     * its spec (and published ports) are the current ones (a scale or label change bumps the
     * version without replacing tasks).
     */
    static boolean upToDate(Task t, Service s) {
        if (t.getSpecVersion() != 0 && t.getSpecVersion() == s.getSpecVersion()) {
            return true;
        }
        return t.getSpec().equals(s.getSpec().getTask())
                && (!t.hasEndpoint() || t.getEndpoint().getPortsList().equals(s.getEndpoint().getPortsList()));
    }

    private static Optional<Service> service(ControlApi api, Map<String, Service> cache, String id) {
        if (!cache.containsKey(id)) {
            Service s = null;
            try {
                s = api.getService(GetServiceRequest.newBuilder().setId(id).build()).getService();
            } catch (ControlException e) {
                if (e.code() != ControlException.Code.NOT_FOUND) {
                    throw e;
                }
            }
            cache.put(id, s);
        }
        return Optional.ofNullable(cache.get(id));
    }

    private JsonNode inspect(Call c) {
        return TaskJson.task(c.api().getTask(GetTaskRequest.newBuilder().setId(c.param("id")).build()).getTask());
    }
}
