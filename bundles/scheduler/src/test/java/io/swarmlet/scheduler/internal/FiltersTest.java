package io.swarmlet.scheduler.internal;

import static io.swarmlet.scheduler.internal.TestObjects.GB;
import static io.swarmlet.scheduler.internal.TestObjects.CPU;
import static io.swarmlet.scheduler.internal.TestObjects.constraint;
import static io.swarmlet.scheduler.internal.TestObjects.hostPort;
import static io.swarmlet.scheduler.internal.TestObjects.node;
import static io.swarmlet.scheduler.internal.TestObjects.reserve;
import static io.swarmlet.scheduler.internal.TestObjects.running;
import static io.swarmlet.scheduler.internal.TestObjects.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.Platform;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.NodeInfo;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each core filter on its own, the pipeline's explanations, and the whiteboard's order. */
class FiltersTest {

    private static NodeState state(Node.Builder n, Task... onIt) {
        NodeState s = new NodeState(n.build());
        for (Task t : onIt) {
            s.add(t);
        }
        return s;
    }

    private static final Task PLAIN = task("t", "svc", 1).build();

    @Test
    void readyWantsReadyNodes() {
        ReadyFilter f = new ReadyFilter();
        assertTrue(f.appliesTo(PLAIN));
        assertTrue(f.accepts(PLAIN, state(node("n"))));
        for (NodeStatus.State s : List.of(NodeStatus.State.DOWN, NodeStatus.State.DISCONNECTED, NodeStatus.State.UNKNOWN)) {
            assertFalse(f.accepts(PLAIN, state(node("n").setStatus(NodeStatus.newBuilder().setState(s)))), s.name());
        }
        assertEquals("1 node not ready", f.explain(1));
        assertEquals("3 nodes not ready", f.explain(3));
    }

    @Test
    void availabilityWantsActiveNodes() {
        AvailabilityFilter f = new AvailabilityFilter();
        assertTrue(f.accepts(PLAIN, state(node("n"))));
        assertFalse(f.accepts(PLAIN, state(TestObjects.availability(node("n"), NodeSpec.Availability.PAUSE))));
        assertFalse(f.accepts(PLAIN, state(TestObjects.availability(node("n"), NodeSpec.Availability.DRAIN))));
        assertEquals("1 node not available for new tasks", f.explain(1));
        assertEquals("2 nodes not available for new tasks", f.explain(2));
    }

    @Test
    void resourcesSubtractWhatUnfinishedTasksReserve() {
        ResourceFilter f = new ResourceFilter();
        assertFalse(f.appliesTo(PLAIN), "no reservation, nothing to check");
        Task wants = reserve(task("w", "svc", 1), 2 * CPU, 3 * GB).build();
        assertTrue(f.appliesTo(wants));

        NodeState n = state(node("n"), reserve(running(task("a", "x", 1), "n"), 2 * CPU, 6 * GB).build());
        assertEquals(2 * CPU, n.available().getNanoCpus());
        assertEquals(2 * GB, n.available().getMemoryBytes());
        assertEquals(ResourceFilter.MEMORY, f.rejection(wants, n));
        assertEquals(ResourceFilter.CPU, f.rejection(reserve(task("c", "svc", 1), 3 * CPU, 0).build(), n));
        assertEquals(ResourceFilter.CPU_AND_MEMORY, f.rejection(reserve(task("b", "svc", 1), 3 * CPU, 3 * GB).build(), n));
        assertNull(f.rejection(reserve(task("ok", "svc", 1), 2 * CPU, 2 * GB).build(), n), "exactly what is left fits");

        n.remove("a");
        assertNull(f.rejection(wants, n), "a finished task gives its reservation back");

        assertEquals("1 node lacks memory", f.explain(ResourceFilter.MEMORY, 1));
        assertEquals("2 nodes lack CPU and memory", f.explain(ResourceFilter.CPU_AND_MEMORY, 2));
        assertEquals("insufficient resources on 2 nodes", f.explain(2));
    }

    @Test
    void constraintsNameTheOneThatFailed() {
        ConstraintFilter f = new ConstraintFilter();
        assertFalse(f.appliesTo(PLAIN));
        Task t = constraint(task("t", "svc", 1), "node.role==manager", "node.labels.Zone!=east").build();
        assertTrue(f.appliesTo(t));
        assertEquals("node.role==manager", f.rejection(t, state(node("w"))));
        NodeState east = state(TestObjects.label(node("m").setRole(NodeRole.MANAGER), "Zone", "EAST"));
        assertEquals("node.labels.Zone!=east", f.rejection(t, east), "values compare case-insensitively");
        assertNull(f.rejection(t, state(TestObjects.label(node("m").setRole(NodeRole.MANAGER), "Zone", "west"))));
        assertNull(f.rejection(t, state(node("m").setRole(NodeRole.MANAGER))), "a missing label is not east");

        assertEquals("1 node fails constraint node.role==manager", f.explain("node.role==manager", 1));
        assertEquals("2 nodes fail constraint node.labels.x==y", f.explain("node.labels.x==y", 2));
        assertEquals("scheduling constraints not satisfied on 2 nodes", f.explain(2));

        assertFalse(f.appliesTo(constraint(task("bad", "svc", 1), "node.colour==red").build()),
                "a constraint refused at creation cannot block scheduling");
    }

    @Test
    void platformOnlyWhenTheImageSaysSo() {
        PlatformFilter f = new PlatformFilter();
        assertFalse(f.appliesTo(PLAIN), "no platform information: the filter stands aside");
        Task.Builder b = task("t", "svc", 1);
        b.getSpecBuilder().getPlacementBuilder()
                .addPlatforms(Platform.newBuilder().setOs("linux").setArchitecture("amd64"))
                .addPlatforms(Platform.newBuilder().setOs("windows").setArchitecture(""));
        Task t = b.build();
        assertTrue(f.appliesTo(t));
        assertTrue(f.accepts(t, state(node("x86"))), "x86_64 is amd64");
        Node.Builder arm = node("arm");
        arm.getDescriptionBuilder().setPlatform(Platform.newBuilder().setOs("linux").setArchitecture("aarch64"));
        assertFalse(f.accepts(t, state(arm)));
        Node.Builder win = node("win");
        win.getDescriptionBuilder().setPlatform(Platform.newBuilder().setOs("windows").setArchitecture("arm64"));
        assertTrue(f.accepts(t, state(win)), "an empty architecture matches any");
        Node.Builder unknown = node("u");
        unknown.getDescriptionBuilder().clearPlatform();
        assertFalse(f.accepts(t, state(unknown)));
        assertEquals("unsupported platform on 1 node", f.explain(1));
    }

    @Test
    void hostPortsOncePerNodeAndProtocol() {
        HostPortFilter f = new HostPortFilter();
        assertFalse(f.appliesTo(PLAIN));
        Task ingress = task("i", "svc", 1).setEndpoint(Endpoint.newBuilder().setSpec(EndpointSpec.newBuilder()
                .addPorts(PortConfig.newBuilder().setPublishedPort(8080).setTargetPort(80)))).build();
        assertFalse(f.appliesTo(ingress), "ingress ports are the routing mesh's, not the node's");
        Task dynamic = hostPort(task("d", "svc", 1), 0, 80).build();
        assertFalse(f.appliesTo(dynamic), "no published port: the engine picks one");

        Task web = hostPort(task("w", "web", 1), 8080, 80).build();
        assertTrue(f.appliesTo(web));
        NodeState n = state(node("n"), running(hostPort(task("a", "web", 1), 8080, 80), "n").build());
        assertEquals(Set.of("tcp/8080"), n.usedHostPorts());
        assertFalse(f.accepts(web, n));
        Task udp = task("u", "dns", 1).setEndpoint(Endpoint.newBuilder().setSpec(EndpointSpec.newBuilder()
                .addPorts(PortConfig.newBuilder().setProtocol(PortConfig.Protocol.UDP)
                        .setPublishMode(PortConfig.PublishMode.HOST).setPublishedPort(8080)))).build();
        assertTrue(f.accepts(udp, n), "udp/8080 is another port");
        // the allocated ports win over the asked ones
        Task allocated = hostPort(task("x", "web", 1), 8080, 80).setEndpoint(Endpoint.newBuilder()
                .setSpec(EndpointSpec.newBuilder().addPorts(PortConfig.newBuilder()
                        .setPublishMode(PortConfig.PublishMode.HOST).setPublishedPort(8080)))
                .addPorts(PortConfig.newBuilder().setPublishMode(PortConfig.PublishMode.HOST).setPublishedPort(9090)))
                .build();
        assertTrue(f.accepts(allocated, n));
        assertEquals("host-mode port already in use on 2 nodes", f.explain(2));
    }

    @Test
    void maxReplicasCountsActiveTasksOfTheService() {
        MaxReplicasFilter f = new MaxReplicasFilter();
        assertFalse(f.appliesTo(PLAIN));
        Task.Builder b = task("t", "web", 3);
        b.getSpecBuilder().getPlacementBuilder().setMaxReplicas(2);
        Task t = b.build();
        assertTrue(f.appliesTo(t));
        NodeState n = state(node("n"), running(task("a", "web", 1), "n").build(), running(task("o", "other", 1), "n").build());
        assertTrue(f.accepts(t, n));
        n.add(running(task("b", "web", 2), "n").build());
        assertFalse(f.accepts(t, n));
        // a task being shut down no longer counts
        n.add(running(task("b", "web", 2), "n").setDesiredState(io.swarmlet.api.types.TaskState.SHUTDOWN).build());
        assertTrue(f.accepts(t, n));
        assertEquals("max replicas per node limit exceed on 1 node", f.explain(1));
    }

    private static Node.Builder runtimes(Node.Builder n, String... runtimes) {
        n.getDescriptionBuilder().addAllRuntimes(List.of(runtimes));
        return n;
    }

    private static Task.Builder runtime(Task.Builder t, String runtime) {
        t.getSpecBuilder().setRuntime(runtime);
        return t;
    }

    @Test
    void runtimeMustBeOneTheNodeAdvertises() {
        RuntimeFilter f = new RuntimeFilter();
        Task process = runtime(task("p", "svc", 1), "process").build();
        Task container = runtime(task("c", "svc", 1), "container").build();
        assertTrue(f.appliesTo(PLAIN), "container tasks are checked too");
        assertEquals("container", RuntimeFilter.runtime(PLAIN), "no runtime means container");

        NodeState old = state(node("old"));
        assertNull(f.rejection(PLAIN, old), "a node that advertises nothing runs containers");
        assertNull(f.rejection(container, old));
        assertEquals("process", f.rejection(process, old));

        NodeState both = state(runtimes(node("both"), "container", "process"));
        assertTrue(f.accepts(PLAIN, both));
        assertTrue(f.accepts(process, both));

        NodeState noDocker = state(runtimes(node("bare"), "process"));
        assertTrue(f.accepts(process, noDocker));
        assertEquals("container", f.rejection(PLAIN, noDocker), "a host without Docker takes no containers");

        assertEquals("1 node lacks runtime process", f.explain("process", 1));
        assertEquals("3 nodes lack runtime container", f.explain("container", 3));
        assertEquals("2 nodes lack the task's runtime", f.explain(2));

        Pipeline p = new Pipeline(SchedulerHarness.CORE, process);
        for (NodeState n : List.of(old, state(node("old2")), noDocker)) {
            p.check(n);
        }
        assertEquals("no suitable node (2 nodes lack runtime process)", p.explain());
    }

    /** A plugin written against the SPI's basic methods only. */
    private static final class OnlyNode implements NodeFilter {
        private final String id;
        OnlyNode(String id) { this.id = id; }
        @Override public String name() { return "only-" + id; }
        @Override public boolean appliesTo(Task task) { return true; }
        @Override public boolean accepts(Task task, NodeInfo node) { return node.node().getId().equals(id); }
        @Override public String explain(int nodes) { return nodes + " not " + id; }
    }

    private static final class Broken implements NodeFilter {
        @Override public String name() { return "broken"; }
        @Override public boolean appliesTo(Task task) { return true; }
        @Override public boolean accepts(Task task, NodeInfo node) { throw new IllegalStateException("bug"); }
        @Override public String explain(int nodes) { return "never"; }
    }

    @Test
    void pipelineCountsTheFirstRefusalAndExplainsInOrder() {
        List<NodeState> nodes = List.of(
                state(TestObjects.availability(node("a"), NodeSpec.Availability.DRAIN)),
                state(TestObjects.withMemory(node("b"), GB)),
                state(TestObjects.withMemory(node("c"), GB).setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.DOWN))),
                state(node("d")),
                state(node("e")));
        Task t = reserve(task("t", "svc", 1), 0, 2 * GB).build();
        Pipeline p = new Pipeline(List.of(new ReadyFilter(), new AvailabilityFilter(), new ResourceFilter(),
                new Broken(), new OnlyNode("e")), t);
        int passed = 0;
        for (NodeState n : nodes) {
            if (p.check(n)) {
                passed++;
            }
        }
        assertEquals(1, passed, "e passes; the broken filter is left out");
        assertEquals("no suitable node (1 node not ready; 1 node not available for new tasks; 1 node lacks memory;"
                + " 1 not e)", p.explain());
        assertEquals("no suitable node", new Pipeline(List.of(new ReadyFilter()), t).explain());
    }

    @Test
    void registryOrdersByRankingThenRegistration() {
        FilterRegistry r = new FilterRegistry();
        NodeFilter low = new OnlyNode("low");
        NodeFilter high = new OnlyNode("high");
        NodeFilter first = new OnlyNode("first");
        NodeFilter second = new OnlyNode("second");
        long g0 = r.generation();
        r.add(second, Map.of(FilterRegistry.SERVICE_ID, 9L));
        r.add(low, Map.of(FilterRegistry.SERVICE_RANKING, -5, FilterRegistry.SERVICE_ID, 1L));
        r.add(high, Map.of(FilterRegistry.SERVICE_RANKING, 100, FilterRegistry.SERVICE_ID, 8L));
        r.add(first, Map.of(FilterRegistry.SERVICE_ID, 3L));
        assertEquals(List.of(high, first, second, low), r.ordered());
        assertTrue(r.generation() > g0);

        r.add(low, Map.of(FilterRegistry.SERVICE_RANKING, 1000, FilterRegistry.SERVICE_ID, 1L)); // ranking modified
        assertEquals(List.of(low, high, first, second), r.ordered());
        r.remove(high);
        assertEquals(List.of(low, first, second), r.ordered());
        assertEquals(Set.of("only-high", "x"), r.missing(List.of("only-low", "only-high", "x")));
    }

    @Test
    void coreFiltersRunInSwarmKitsOrder() {
        FilterRegistry r = new FilterRegistry();
        long id = 1;
        for (NodeFilter f : List.of(new MaxReplicasFilter(), new PlatformFilter(), new ReadyFilter(), new RuntimeFilter(),
                new HostPortFilter(), new ConstraintFilter(), new ResourceFilter(), new AvailabilityFilter())) {
            r.add(f, Map.of(FilterRegistry.SERVICE_RANKING, SchedulerHarness.ranking(f), FilterRegistry.SERVICE_ID, id++));
        }
        assertEquals(List.of("ready", "availability", "runtime", "resources", "constraints", "platform", "hostports",
                "maxreplicas"),
                r.ordered().stream().map(NodeFilter::name).toList());
        assertEquals(CoreFilters.NAMES, Set.copyOf(r.ordered().stream().map(NodeFilter::name).toList()));
        assertTrue(r.missing(CoreFilters.NAMES).isEmpty());
    }
}
