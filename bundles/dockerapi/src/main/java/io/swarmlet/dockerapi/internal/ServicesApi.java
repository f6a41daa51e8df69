package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.types.CreateServiceRequest;
import io.swarmlet.api.types.GetServiceRequest;
import io.swarmlet.api.types.ListFilters;
import io.swarmlet.api.types.ListNetworksRequest;
import io.swarmlet.api.types.ListNodesRequest;
import io.swarmlet.api.types.ListServicesRequest;
import io.swarmlet.api.types.ListTasksRequest;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.RemoveServiceRequest;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.UpdateServiceRequest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code /services}: list (filters id, label, mode, name, runtime; {@code status=true}),
 * create, inspect, update (with {@code version}, {@code rollback=previous}), delete and logs,
 * each one control API call ({@link ServiceJson} converts the specs).
 */
final class ServicesApi implements Router.Group {

    @Override
    public void register(Router r) {
        r.get("/services", this::list);
        r.post("/services/create", this::create);
        r.get("/services/{id}", this::inspect);
        r.post("/services/{id}/update", this::update);
        r.delete("/services/{id}", this::remove);
        r.get("/services/{id}/logs", c -> ServiceLogs.stream(c, true));
    }

    private JsonNode list(Call c) {
        Filters f = c.filters().check("id", "label", "mode", "name", "runtime");
        ControlApi api = c.api();
        ListFilters.Builder lf = ListFilters.newBuilder().addAllIdPrefixes(f.get("id")).putAllLabels(f.labels());
        for (String m : f.get("mode")) {
            if (!Set.of("replicated", "global", "replicated-job", "global-job").contains(m)) {
                throw DockerError.badRequest("invalid filter 'mode=" + m + "' (use replicated, global, replicated-job or global-job)");
            }
        }
        List<Service> services = api.listServices(ListServicesRequest.newBuilder().setFilters(lf).build()).getServicesList().stream()
                .filter(s -> !f.has("name") || f.get("name").stream().anyMatch(n -> s.getSpec().getAnnotations().getName().startsWith(n)))
                .filter(s -> !f.has("mode") || f.get("mode").contains(mode(s.getSpec())))
                .filter(s -> !f.has("runtime") || f.get("runtime").contains(runtime(s.getSpec())))
                .sorted(java.util.Comparator.comparing(Service::getId))
                .toList();
        boolean status = c.flag("status");
        Map<String, ObjectNode> statuses = status ? statuses(api, services) : Map.of();
        Function<String, Integer> prefixes = prefixes(api, services);
        ArrayNode out = Json.array();
        for (Service s : services) {
            ObjectNode o = ServiceJson.service(s, prefixes);
            if (status) {
                o.set("ServiceStatus", statuses.get(s.getId()));
            }
            out.add(o);
        }
        return out;
    }

    static String mode(ServiceSpec s) {
        return switch (s.getModeCase()) {
            case GLOBAL -> "global";
            case REPLICATED_JOB -> "replicated-job";
            case GLOBAL_JOB -> "global-job";
            default -> "replicated";
        };
    }

    static String runtime(ServiceSpec s) {
        return s.getTask().getRuntime().isEmpty() ? "container" : s.getTask().getRuntime();
    }

    /**
     * ServiceStatus as SwarmKit's ListServiceStatuses counts it: running = tasks in state
     * running (whose desired state is still running or complete, on a node that is not down);
     * desired = the replicas (a replicated job's max concurrent), or for global services the
     * tasks meant to run; completed = a job's completed tasks of its current iteration.
     */
    static Map<String, ObjectNode> statuses(ControlApi api, List<Service> services) {
        Map<String, ObjectNode> out = new HashMap<>();
        if (services.isEmpty()) {
            return out;
        }
        Set<String> down = new HashSet<>();
        for (Node n : api.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList()) {
            if (n.getStatus().getState() == NodeStatus.State.DOWN) {
                down.add(n.getId());
            }
        }
        List<Task> tasks = api.listTasks(ListTasksRequest.newBuilder().setFilters(ListFilters.newBuilder()
                .addAllServiceIds(services.stream().map(Service::getId).toList())).build()).getTasksList();
        Map<String, List<Task>> byService = new HashMap<>();
        for (Task t : tasks) {
            byService.computeIfAbsent(t.getServiceId(), k -> new java.util.ArrayList<>()).add(t);
        }
        for (Service s : services) {
            ServiceSpec spec = s.getSpec();
            boolean global = spec.getModeCase() == ServiceSpec.ModeCase.GLOBAL || spec.getModeCase() == ServiceSpec.ModeCase.GLOBAL_JOB;
            boolean job = spec.getModeCase() == ServiceSpec.ModeCase.REPLICATED_JOB || spec.getModeCase() == ServiceSpec.ModeCase.GLOBAL_JOB;
            long desired = switch (spec.getModeCase()) {
                case REPLICATED -> spec.getReplicated().getReplicas();
                case REPLICATED_JOB -> spec.getReplicatedJob().getMaxConcurrent();
                default -> 0;
            };
            long running = 0;
            long completed = 0;
            for (Task t : byService.getOrDefault(s.getId(), List.of())) {
                if (job && t.getJobIteration() != s.getJobStatus().getJobIteration()) {
                    continue;
                }
                TaskState state = t.getStatus().getState();
                TaskState want = t.getDesiredState();
                if (job && state == TaskState.COMPLETE) {
                    completed++;
                }
                if (state == TaskState.RUNNING && (want == TaskState.RUNNING || want == TaskState.COMPLETE)
                        && !down.contains(t.getNodeId())) {
                    running++;
                }
                if (global && want == TaskState.RUNNING) {
                    desired++;
                }
                if (global && want == TaskState.COMPLETE && state != TaskState.COMPLETE) {
                    desired++;
                }
            }
            out.put(s.getId(), Json.object().put("RunningTasks", running).put("DesiredTasks", desired)
                    .put("CompletedTasks", completed));
        }
        return out;
    }

    /** Prefix lengths of the networks the services have virtual IPs on (one list call, only if any). */
    static Function<String, Integer> prefixes(ControlApi api, List<Service> services) {
        boolean any = services.stream().anyMatch(s -> s.getEndpoint().getVirtualIpsCount() > 0);
        if (!any) {
            return id -> null;
        }
        Map<String, Integer> m = new HashMap<>();
        try {
            for (Network n : api.listNetworks(ListNetworksRequest.getDefaultInstance()).getNetworksList()) {
                Integer p = TaskJson.prefixLength(n);
                if (p != null) {
                    m.put(n.getId(), p);
                }
            }
        } catch (io.swarmlet.api.control.ControlException e) {
            // a control API without networks: addresses are shown as /32
        }
        return m::get;
    }

    private Router.Reply create(Call c) {
        ServiceSpec spec = ServiceJson.toSpec(c.body());
        Service s = c.api().createService(CreateServiceRequest.newBuilder().setSpec(spec).build()).getService();
        ObjectNode o = Json.object().put("ID", s.getId());
        o.putNull("Warnings");
        return Router.Reply.created(o);
    }

    private JsonNode inspect(Call c) {
        c.flag("insertDefaults"); // accepted: Swarmlet's stored specs already hold the defaults
        ControlApi api = c.api();
        Service s = api.getService(GetServiceRequest.newBuilder().setId(c.param("id")).build()).getService();
        return ServiceJson.service(s, prefixes(api, List.of(s)));
    }

    private JsonNode update(Call c) {
        long version = c.version("service");
        String rollback = c.query("rollback");
        if (!Set.of("", "none", "previous").contains(rollback)) {
            throw DockerError.badRequest("unrecognized rollback option " + rollback + " (use previous)");
        }
        String authFrom = c.query("registryAuthFrom");
        if (!Set.of("", "spec", "previous-spec").contains(authFrom)) {
            throw DockerError.badRequest("unsupported registryAuthFrom value " + authFrom + " (use spec or previous-spec)");
        }
        ServiceSpec requested = ServiceJson.toSpec(c.body());
        ControlApi api = c.api();
        Service cur = api.getService(GetServiceRequest.newBuilder().setId(c.param("id")).build()).getService();
        if (authFrom.equals("previous-spec") && !cur.hasPreviousSpec()) {
            throw DockerError.badRequest("service does not have a previous spec");
        }
        UpdateServiceRequest.Builder req = UpdateServiceRequest.newBuilder().setId(cur.getId()).setVersion(version);
        if (rollback.equals("previous")) {
            req.setRollback(true); // the previous spec comes back, as SwarmKit does: the body is checked, not used
        } else {
            req.setSpec(ServiceJson.carryOver(requested, cur.getSpec()));
        }
        if (version == 0) {
            // version 0 means "any" to the control API; Docker compares it, and 0 is never current
            throw DockerError.conflict("update out of sequence: version 0 is not the current version "
                    + cur.getMeta().getVersion() + "; inspect the service again and retry");
        }
        api.updateService(req.build());
        ObjectNode o = Json.object();
        o.putNull("Warnings");
        return o;
    }

    private Router.Reply remove(Call c) {
        c.api().removeService(RemoveServiceRequest.newBuilder().setId(c.param("id")).build());
        return Router.Reply.ok();
    }
}
