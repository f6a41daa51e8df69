package io.swarmlet.metrics.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.types.MeshPortStats;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cluster's state as gauges, computed at each scrape from one view of this manager's copy of the
 * store (every manager holds all of it, so any manager answers; a worker has no store and shows none).
 * Labels: a node is its hostname (its ID when it has none yet), a service its name; states, roles and
 * availabilities are Docker's words in lower case.
 *
 * <ul>
 * <li>{@code swarmlet_nodes{status,role,availability}}: every combination, zeros included, so a
 *     series such as {@code status="down"} stays there at 0;
 * <li>{@code swarmlet_tasks{service,state}}: the current tasks (desired state up to complete, that is
 *     not yet told to shut down), by observed state;
 * <li>{@code swarmlet_service_replicas_desired{service}} (replicated: the replicas; global and jobs:
 *     the current tasks the orchestrator made) and {@code swarmlet_service_replicas_running{service}};
 * <li>{@code swarmlet_tasks_errored{service,node,state}}: tasks kept in the store that failed or were
 *     rejected (the task history, so old ones age out with it);
 * <li>{@code swarmlet_mesh_connections_total}, {@code _connections_active}, {@code _bytes_in_total},
 *     {@code _bytes_out_total}, {@code _backend_errors_total} {@code {service,port,protocol,node}}:
 *     what each node's routing mesh last reported for each published port (since that mesh started).
 * </ul>
 */
final class ClusterMetrics {

    private final ScrapeTable nodes;
    private final ScrapeTable tasks;
    private final ScrapeTable desired;
    private final ScrapeTable running;
    private final ScrapeTable errored;
    private final ScrapeTable meshTotal;
    private final ScrapeTable meshActive;
    private final ScrapeTable meshIn;
    private final ScrapeTable meshOut;
    private final ScrapeTable meshErrors;

    ClusterMetrics(MeterRegistry registry) {
        nodes = new ScrapeTable(registry, "swarmlet_nodes", "Nodes by status, role and availability",
                "status", "role", "availability");
        tasks = new ScrapeTable(registry, "swarmlet_tasks", "Current tasks (not told to shut down) by service and observed state",
                "service", "state");
        desired = new ScrapeTable(registry, "swarmlet_service_replicas_desired", "Tasks a service asks for",
                "service");
        running = new ScrapeTable(registry, "swarmlet_service_replicas_running", "A service's current tasks that run",
                "service");
        errored = new ScrapeTable(registry, "swarmlet_tasks_errored",
                "Tasks in the store's task history that failed or were rejected, by service and node",
                "service", "node", "state");
        String[] mesh = {"service", "port", "protocol", "node"};
        meshTotal = new ScrapeTable(registry, "swarmlet_mesh_connections_total",
                "Connections (TCP) or flows (UDP) the routing mesh accepted for a published port", mesh);
        meshActive = new ScrapeTable(registry, "swarmlet_mesh_connections_active",
                "Connections open through the routing mesh for a published port", mesh);
        meshIn = new ScrapeTable(registry, "swarmlet_mesh_bytes_in_total",
                "Bytes from clients to backends through the routing mesh", mesh);
        meshOut = new ScrapeTable(registry, "swarmlet_mesh_bytes_out_total",
                "Bytes from backends to clients through the routing mesh", mesh);
        meshErrors = new ScrapeTable(registry, "swarmlet_mesh_backend_errors_total",
                "Backend connect failures, resets and connections with no backend in the routing mesh", mesh);
    }

    private List<ScrapeTable> all() {
        return List.of(nodes, tasks, desired, running, errored, meshTotal, meshActive, meshIn, meshOut, meshErrors);
    }

    /** Sets every family from one read of the store. */
    void refresh(ReadTx tx) {
        List<Node> nodeList = tx.all(Kind.NODE);
        List<Service> services = tx.all(Kind.SERVICE);
        List<Task> taskList = tx.all(Kind.TASK);

        Map<String, String> nodeNames = new HashMap<>();
        Map<List<String>, Integer> byStatus = new HashMap<>();
        for (NodeStatus.State s : List.of(NodeStatus.State.UNKNOWN, NodeStatus.State.DOWN, NodeStatus.State.READY,
                NodeStatus.State.DISCONNECTED)) {
            for (NodeRole r : List.of(NodeRole.WORKER, NodeRole.MANAGER)) {
                for (NodeSpec.Availability a : List.of(NodeSpec.Availability.ACTIVE, NodeSpec.Availability.PAUSE,
                        NodeSpec.Availability.DRAIN)) {
                    byStatus.put(List.of(word(s), word(r), word(a)), 0);
                }
            }
        }
        for (Node n : nodeList) {
            nodeNames.put(n.getId(), n.getDescription().getHostname().isEmpty() ? n.getId()
                    : n.getDescription().getHostname());
            byStatus.merge(List.of(word(n.getStatus().getState()), word(n.getRole()),
                    word(n.getSpec().getAvailability())), 1, Integer::sum);
        }

        Map<String, String> serviceNames = new HashMap<>();
        for (Service s : services) {
            String name = s.getSpec().getAnnotations().getName();
            serviceNames.put(s.getId(), name.isEmpty() ? s.getId() : name);
        }

        Map<List<String>, Integer> byState = new HashMap<>();
        Map<String, Integer> current = new HashMap<>();
        Map<String, Integer> runningCount = new HashMap<>();
        Map<List<String>, Integer> errors = new HashMap<>();
        for (Task t : taskList) {
            String service = serviceNames.getOrDefault(t.getServiceId(),
                    t.getServiceAnnotations().getName().isEmpty() ? t.getServiceId() : t.getServiceAnnotations().getName());
            TaskState state = t.getStatus().getState();
            if (state == TaskState.FAILED || state == TaskState.REJECTED) {
                errors.merge(List.of(service, nodeNames.getOrDefault(t.getNodeId(), t.getNodeId()), word(state)), 1,
                        Integer::sum);
            }
            if (t.getDesiredStateValue() > TaskState.COMPLETE_VALUE) {
                continue;
            }
            byState.merge(List.of(service, word(state)), 1, Integer::sum);
            current.merge(t.getServiceId(), 1, Integer::sum);
            if (state == TaskState.RUNNING) {
                runningCount.merge(t.getServiceId(), 1, Integer::sum);
            }
        }

        Map<List<String>, Long> desiredRows = new HashMap<>();
        Map<List<String>, Integer> runningRows = new HashMap<>();
        for (Service s : services) {
            List<String> label = List.of(serviceNames.get(s.getId()));
            desiredRows.put(label, s.getSpec().hasReplicated() ? s.getSpec().getReplicated().getReplicas()
                    : current.getOrDefault(s.getId(), 0));
            runningRows.put(label, runningCount.getOrDefault(s.getId(), 0));
        }

        Map<List<String>, Long> total = new HashMap<>();
        Map<List<String>, Long> active = new HashMap<>();
        Map<List<String>, Long> in = new HashMap<>();
        Map<List<String>, Long> out = new HashMap<>();
        Map<List<String>, Long> backendErrors = new HashMap<>();
        for (Node n : nodeList) {
            for (MeshPortStats p : n.getMesh().getPortsList()) {
                List<String> label = List.of(serviceNames.getOrDefault(p.getServiceId(), p.getServiceId()),
                        Integer.toString(p.getPublishedPort()), word(p.getProtocol()), nodeNames.get(n.getId()));
                total.merge(label, p.getConnectionsTotal(), Long::sum);
                active.merge(label, p.getConnectionsActive(), Long::sum);
                in.merge(label, p.getBytesIn(), Long::sum);
                out.merge(label, p.getBytesOut(), Long::sum);
                backendErrors.merge(label, p.getBackendErrors(), Long::sum);
            }
        }

        nodes.update(byStatus);
        tasks.update(byState);
        desired.update(desiredRows);
        running.update(runningRows);
        errored.update(errors);
        meshTotal.update(total);
        meshActive.update(active);
        meshIn.update(in);
        meshOut.update(out);
        meshErrors.update(backendErrors);
    }

    /** Removes every series (the store went away). */
    void clear() {
        all().forEach(ScrapeTable::clear);
    }

    private static String word(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
