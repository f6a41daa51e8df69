package io.swarmlet.metrics.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.MeshPortStats;
import io.swarmlet.api.types.MeshStatus;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.ReplicatedService;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.GlobalService;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The cluster's gauges against a store's content: computed at scrape, and vanished rows disappear. */
class ClusterMetricsTest {

    private final FakeStore store = new FakeStore();
    private MetricsComponent metrics;

    @BeforeEach
    void start() {
        metrics = new MetricsComponent(store);
        metrics.activate();
    }

    @AfterEach
    void stop() {
        metrics.deactivate();
    }

    private PrometheusText scrape() {
        return PrometheusText.parse(metrics.scrape());
    }

    private static Node node(String id, String host, NodeRole role, NodeStatus.State state, MeshPortStats... mesh) {
        return Node.newBuilder().setId(id).setRole(role)
                .setDescription(NodeDescription.newBuilder().setHostname(host))
                .setSpec(NodeSpec.newBuilder().setAvailability(NodeSpec.Availability.ACTIVE))
                .setStatus(NodeStatus.newBuilder().setState(state))
                .setMesh(MeshStatus.newBuilder().addAllPorts(java.util.List.of(mesh))).build();
    }

    private static Service replicated(String id, String name, long replicas) {
        return Service.newBuilder().setId(id).setSpec(ServiceSpec.newBuilder()
                .setAnnotations(Annotations.newBuilder().setName(name))
                .setReplicated(ReplicatedService.newBuilder().setReplicas(replicas))).build();
    }

    private static Task task(String id, String service, String node, TaskState state, TaskState desired) {
        return Task.newBuilder().setId(id).setServiceId(service).setNodeId(node).setDesiredState(desired)
                .setStatus(TaskStatus.newBuilder().setState(state)).build();
    }

    @Test
    void nodesTasksAndServices() {
        store.put(Kind.NODE, "n1", node("n1", "m1", NodeRole.MANAGER, NodeStatus.State.READY));
        store.put(Kind.NODE, "n2", node("n2", "w1", NodeRole.WORKER, NodeStatus.State.READY));
        store.put(Kind.NODE, "n3", node("n3", "w2", NodeRole.WORKER, NodeStatus.State.READY));
        store.put(Kind.SERVICE, "s1", replicated("s1", "web", 3));
        store.put(Kind.SERVICE, "s2", Service.newBuilder().setId("s2").setSpec(ServiceSpec.newBuilder()
                .setAnnotations(Annotations.newBuilder().setName("agent")).setGlobal(GlobalService.getDefaultInstance()))
                .build());
        store.put(Kind.TASK, "t1", task("t1", "s1", "n1", TaskState.RUNNING, TaskState.RUNNING));
        store.put(Kind.TASK, "t2", task("t2", "s1", "n2", TaskState.RUNNING, TaskState.RUNNING));
        store.put(Kind.TASK, "t3", task("t3", "s1", "", TaskState.PENDING, TaskState.RUNNING));
        store.put(Kind.TASK, "t0", task("t0", "s1", "n2", TaskState.FAILED, TaskState.SHUTDOWN));
        store.put(Kind.TASK, "g1", task("g1", "s2", "n1", TaskState.RUNNING, TaskState.RUNNING));
        store.put(Kind.TASK, "g2", task("g2", "s2", "n2", TaskState.STARTING, TaskState.RUNNING));

        PrometheusText text = scrape();
        assertEquals(1.0, text.get("swarmlet_nodes{availability=active,role=manager,status=ready}"));
        assertEquals(2.0, text.get("swarmlet_nodes{availability=active,role=worker,status=ready}"));
        assertEquals(0.0, text.get("swarmlet_nodes{availability=active,role=worker,status=down}"));
        assertEquals("gauge", text.types.get("swarmlet_nodes"));
        assertEquals(2.0, text.get("swarmlet_tasks{service=web,state=running}"));
        assertEquals(1.0, text.get("swarmlet_tasks{service=web,state=pending}"));
        assertNull(text.get("swarmlet_tasks{service=web,state=failed}"), "shut down: not current");
        assertEquals(1.0, text.get("swarmlet_tasks{service=agent,state=starting}"));
        assertEquals(3.0, text.get("swarmlet_service_replicas_desired{service=web}"));
        assertEquals(2.0, text.get("swarmlet_service_replicas_running{service=web}"));
        assertEquals(2.0, text.get("swarmlet_service_replicas_desired{service=agent}"));
        assertEquals(1.0, text.get("swarmlet_service_replicas_running{service=agent}"));
        assertEquals(1.0, text.get("swarmlet_tasks_errored{node=w1,service=web,state=failed}"));

        // a worker goes down, a task fails and is replaced, the global service is removed
        store.put(Kind.NODE, "n3", node("n3", "w2", NodeRole.WORKER, NodeStatus.State.DOWN));
        store.put(Kind.TASK, "t2", task("t2", "s1", "n2", TaskState.FAILED, TaskState.SHUTDOWN));
        store.put(Kind.TASK, "t4", task("t4", "s1", "n3", TaskState.ASSIGNED, TaskState.RUNNING));
        store.remove(Kind.SERVICE, "s2");
        store.remove(Kind.TASK, "g1");
        store.remove(Kind.TASK, "g2");
        text = scrape();
        assertEquals(1.0, text.get("swarmlet_nodes{availability=active,role=worker,status=ready}"));
        assertEquals(1.0, text.get("swarmlet_nodes{availability=active,role=worker,status=down}"));
        assertEquals(1.0, text.get("swarmlet_tasks{service=web,state=running}"));
        assertEquals(1.0, text.get("swarmlet_service_replicas_running{service=web}"));
        assertEquals(2.0, text.get("swarmlet_tasks_errored{node=w1,service=web,state=failed}"));
        assertNull(text.get("swarmlet_tasks{service=agent,state=starting}"), "a vanished row disappears");
        assertNull(text.get("swarmlet_service_replicas_desired{service=agent}"));
    }

    @Test
    void meshCountersPerServicePortAndNode() {
        MeshPortStats stats = MeshPortStats.newBuilder().setServiceId("s1").setProtocol(PortConfig.Protocol.TCP)
                .setPublishedPort(8080).setConnectionsTotal(10).setConnectionsActive(2).setBytesIn(100)
                .setBytesOut(2000).setBackendErrors(1).build();
        store.put(Kind.SERVICE, "s1", replicated("s1", "web", 1));
        store.put(Kind.NODE, "n1", node("n1", "m1", NodeRole.MANAGER, NodeStatus.State.READY, stats));
        store.put(Kind.NODE, "n2", node("n2", "w1", NodeRole.WORKER, NodeStatus.State.READY,
                stats.toBuilder().setConnectionsTotal(4).build()));
        PrometheusText text = scrape();
        assertEquals(10.0, text.get("swarmlet_mesh_connections_total{node=m1,port=8080,protocol=tcp,service=web}"));
        assertEquals(4.0, text.get("swarmlet_mesh_connections_total{node=w1,port=8080,protocol=tcp,service=web}"));
        assertEquals("counter", text.types.get("swarmlet_mesh_connections_total"));
        assertEquals(2.0, text.get("swarmlet_mesh_connections_active{node=m1,port=8080,protocol=tcp,service=web}"));
        assertEquals("gauge", text.types.get("swarmlet_mesh_connections_active"));
        assertEquals(100.0, text.get("swarmlet_mesh_bytes_in_total{node=m1,port=8080,protocol=tcp,service=web}"));
        assertEquals(2000.0, text.get("swarmlet_mesh_bytes_out_total{node=m1,port=8080,protocol=tcp,service=web}"));
        assertEquals(1.0, text.get("swarmlet_mesh_backend_errors_total{node=m1,port=8080,protocol=tcp,service=web}"));

        // the counter moves with the node's next report; a node that no longer reports the port drops out
        store.put(Kind.NODE, "n1", node("n1", "m1", NodeRole.MANAGER, NodeStatus.State.READY,
                stats.toBuilder().setConnectionsTotal(15).build()));
        store.put(Kind.NODE, "n2", node("n2", "w1", NodeRole.WORKER, NodeStatus.State.READY));
        text = scrape();
        assertEquals(15.0, text.get("swarmlet_mesh_connections_total{node=m1,port=8080,protocol=tcp,service=web}"));
        assertNull(text.get("swarmlet_mesh_connections_total{node=w1,port=8080,protocol=tcp,service=web}"));
    }

    @Test
    void noStoreNoClusterSeries() {
        MetricsComponent worker = new MetricsComponent(null);
        worker.activate();
        try {
            PrometheusText text = PrometheusText.parse(worker.scrape());
            assertNull(text.types.get("swarmlet_nodes"));
        } finally {
            worker.deactivate();
        }
    }
}
