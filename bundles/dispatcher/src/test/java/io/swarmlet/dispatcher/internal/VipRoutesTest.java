package io.swarmlet.dispatcher.internal;

import static io.swarmlet.dispatcher.internal.MeshRoutesTest.A;
import static io.swarmlet.dispatcher.internal.MeshRoutesTest.B;
import static io.swarmlet.dispatcher.internal.MeshRoutesTest.LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.MeshBackend;
import io.swarmlet.api.types.MeshDnsRecord;
import io.swarmlet.api.types.MeshDnsZone;
import io.swarmlet.api.types.MeshRoute;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.NetworkAttachmentConfig;
import io.swarmlet.api.types.NetworkSpec;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.VirtualIP;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Virtual IP routes and the networks' DNS zones in the routing mesh's table, against a real one-member store. */
class VipRoutesTest {

    static final PortConfig.Protocol TCP = PortConfig.Protocol.TCP;
    static final PortConfig.Protocol UDP = PortConfig.Protocol.UDP;

    @TempDir
    Path dir;

    private SingleNodeStore running;
    private Store store;
    private DispatcherImpl dispatcher;

    @BeforeEach
    void setUp() throws Exception {
        running = SingleNodeStore.start(dir, "manager0000000000000000001");
        store = running.store();
        store.update(tx -> {
            tx.create(Kind.CLUSTER, DispatcherImplTest.cluster(0));
            tx.create(Kind.NODE, MeshRoutesTest.node(A, "10.0.0.1:4242"));
            tx.create(Kind.NODE, MeshRoutesTest.node(B, "10.0.0.2:4242"));
            tx.create(Kind.NETWORK, network("net1", "app_default", "10.0.1.254"));
        });
        dispatcher = new DispatcherImpl(store);
        dispatcher.start();
    }

    @AfterEach
    void tearDown() {
        dispatcher.stop();
        running.close();
    }

    @Test
    void eachPortOfAServiceIsRoutedAtEachOfItsVirtualIps() throws Exception {
        PortConfig ingress = port(TCP, 80, 18080, PortConfig.PublishMode.INGRESS);
        PortConfig host = port(TCP, 443, 8443, PortConfig.PublishMode.HOST);
        PortConfig expose = port(UDP, 9000, 0, PortConfig.PublishMode.INTERNAL);
        store.update(tx -> {
            tx.create(Kind.SERVICE, vipService("svc", "web", List.of(vip("net1", "10.0.1.130/24"),
                    vip("net2", "10.0.2.9")), List.of(), ingress, host, expose));
            tx.create(Kind.TASK, MeshRoutesTest.task("t2", "svc", B, TaskState.ASSIGNED));
            tx.create(Kind.TASK, MeshRoutesTest.task("t1", "svc", A, TaskState.ASSIGNED));
        });
        // every target of the endpoint, in any mode, at each VIP; published on the target itself
        MeshRoutes table = awaitRoutes(r -> r.getRoutesCount() == 7);
        assertEquals(List.of(":18080/TCP", "10.0.1.130:80/TCP", "10.0.1.130:443/TCP", "10.0.1.130:9000/UDP",
                "10.0.2.9:80/TCP", "10.0.2.9:443/TCP", "10.0.2.9:9000/UDP"), keys(table));
        MeshRoute first = table.getRoutes(1);
        assertEquals(port(TCP, 80, 80, PortConfig.PublishMode.INTERNAL), first.getPort());
        assertEquals("net1", first.getNetworkId());
        assertEquals("web", first.getServiceName());
        assertEquals(MeshTable.DEFAULT_STRATEGY, first.getLbStrategy());
        assertEquals("", table.getRoutes(0).getVip(), "the ingress route as before");
        assertEquals("net2", table.getRoutes(4).getNetworkId());

        // backends: the node port each task reports for the target, whatever its mode; an image's
        // EXPOSE port (INTERNAL in port_status) becomes a route of its own
        setRunning("t1", "172.18.0.2", port(TCP, 80, 31001, PortConfig.PublishMode.INGRESS),
                port(TCP, 443, 8443, PortConfig.PublishMode.HOST), port(UDP, 9000, 32001, PortConfig.PublishMode.INTERNAL),
                port(TCP, 6379, 32002, PortConfig.PublishMode.INTERNAL));
        setRunning("t2", "172.18.0.3", port(TCP, 80, 31002, PortConfig.PublishMode.INGRESS));
        MeshRoutes up = awaitRoutes(r -> r.getRoutesCount() == 9 && r.getRoutes(1).getBackendsCount() == 2);
        assertEquals(List.of(":18080/TCP", "10.0.1.130:80/TCP", "10.0.1.130:443/TCP", "10.0.1.130:6379/TCP",
                "10.0.1.130:9000/UDP", "10.0.2.9:80/TCP", "10.0.2.9:443/TCP", "10.0.2.9:6379/TCP", "10.0.2.9:9000/UDP"),
                keys(up));
        assertEquals(List.of(backend("t1", A, "10.0.0.1", 31001, "172.18.0.2"),
                backend("t2", B, "10.0.0.2", 31002, "172.18.0.3")), up.getRoutes(1).getBackendsList());
        assertEquals(List.of(backend("t1", A, "10.0.0.1", 8443, "172.18.0.2")), up.getRoutes(2).getBackendsList());
        assertEquals(List.of(backend("t1", A, "10.0.0.1", 32002, "172.18.0.2")), up.getRoutes(3).getBackendsList());
        assertEquals(port(TCP, 6379, 6379, PortConfig.PublishMode.INTERNAL), up.getRoutes(3).getPort());
        assertEquals(List.of(backend("t1", A, "10.0.0.1", 32001, "172.18.0.2")), up.getRoutes(4).getBackendsList());

        // the task that reported the EXPOSE port stops: that route goes, the endpoint's stay (without it)
        store.update(tx -> tx.update(Kind.TASK, tx.get(Kind.TASK, "t1").orElseThrow().toBuilder()
                .setDesiredState(TaskState.SHUTDOWN).build()));
        MeshRoutes down = awaitRoutes(r -> r.getRoutesCount() == 7);
        assertEquals(List.of("t2"), down.getRoutes(1).getBackendsList().stream().map(MeshBackend::getTaskId).toList());
        assertEquals(0, down.getRoutes(2).getBackendsCount());
    }

    @Test
    void vipRoutesComeAfterTheIngressRoutesByAddressProtocolAndPort() throws Exception {
        store.update(tx -> {
            tx.create(Kind.SERVICE, vipService("s1", "one", List.of(vip("net1", "10.0.1.130")), List.of(),
                    port(UDP, 53, 0, PortConfig.PublishMode.INTERNAL), port(TCP, 8080, 0, PortConfig.PublishMode.INTERNAL)));
            tx.create(Kind.SERVICE, vipService("s2", "two", List.of(vip("net1", "10.0.1.9")), List.of(),
                    port(TCP, 80, 30000, PortConfig.PublishMode.INGRESS)));
            tx.create(Kind.SERVICE, MeshRoutesTest.service("s3", "three", "least-connections",
                    port(TCP, 80, 18081, PortConfig.PublishMode.INGRESS)));
        });
        MeshRoutes t = awaitRoutes(r -> r.getRoutesCount() == 5);
        assertEquals(List.of(":18081/TCP", ":30000/TCP", "10.0.1.9:80/TCP", "10.0.1.130:8080/TCP", "10.0.1.130:53/UDP"),
                keys(t), "10.0.1.9 before 10.0.1.130: by address, not by text");
    }

    @Test
    void aNetworksZoneNamesEachVipServiceAndItsAliasesThere() throws Exception {
        store.update(tx -> {
            tx.create(Kind.SERVICE, vipService("s1", "App_Web", List.of(vip("net1", "10.0.1.130/24")),
                    List.of(attach("net1", "Web", "frontend.")), port(TCP, 80, 0, PortConfig.PublishMode.INTERNAL)));
            tx.create(Kind.SERVICE, vipService("s2", "app_db", List.of(vip("net1", "10.0.1.131"), vip("net2", "10.0.2.130")),
                    List.of(attach("net2", "db"))));
            // a dnsrr service has no VIP: no name in the zone (Docker's DNS answers it with the containers)
            tx.create(Kind.SERVICE, vipService("s3", "app_rr", List.of(), List.of(attach("net1", "rr"))));
        });
        MeshRoutes t = awaitRoutes(r -> r.getDnsCount() == 1 && r.getDns(0).getRecordsCount() == 4);
        assertEquals(zone("net1", "10.0.1.254", record("app_db", "10.0.1.131"), record("app_web", "10.0.1.130"),
                record("frontend", "10.0.1.130"), record("web", "10.0.1.130")), t.getDns(0),
                "lower case, without trailing dots, by name; net2 has no network object (yet): no zone");

        // the network appears: its zone, after net1's
        store.update(tx -> tx.create(Kind.NETWORK, network("net2", "app_back", "10.0.2.254")));
        MeshRoutes two = awaitRoutes(r -> r.getDnsCount() == 2);
        assertTrue(two.getVersion() > t.getVersion());
        assertEquals(zone("net2", "10.0.2.254", record("app_db", "10.0.2.130"), record("db", "10.0.2.130")),
                two.getDns(1));

        // two services with one alias: both VIPs; an alias change alone is a new version
        store.update(tx -> {
            Service s2 = tx.get(Kind.SERVICE, "s2").orElseThrow();
            tx.update(Kind.SERVICE, s2.toBuilder().setSpec(s2.getSpec().toBuilder().setTask(TaskSpec.newBuilder()
                    .addNetworks(attach("net1", "web")).addNetworks(attach("net2", "db")))).build());
        });
        MeshRoutes shared = awaitRoutes(r -> r.getDns(0).getRecordsList().contains(record("web", "10.0.1.130", "10.0.1.131")));
        assertTrue(shared.getVersion() > two.getVersion());
        assertEquals(1, shared.getRoutesCount(), "the routes: s1's 80/tcp");

        // a change the zones do not depend on leaves the version alone
        store.update(tx -> {
            Service s3 = tx.get(Kind.SERVICE, "s3").orElseThrow();
            tx.update(Kind.SERVICE, s3.toBuilder().setSpec(s3.getSpec().toBuilder()
                    .setAnnotations(s3.getSpec().getAnnotations().toBuilder().putLabels("x", "y"))).build());
        });
        assertNull(dispatcher.meshRoutes(shared.getVersion(), Duration.ofMillis(200)));

        // the services go: their names go, and a network without VIP services has no zone
        store.update(tx -> {
            tx.delete(Kind.SERVICE, "s2");
            tx.delete(Kind.SERVICE, "s1");
        });
        MeshRoutes none = awaitRoutes(r -> r.getDnsCount() == 0);
        assertEquals(0, none.getRoutesCount());

        // a new dispatcher (new leader) gives the same table
        store.update(tx -> tx.create(Kind.SERVICE, vipService("s4", "api", List.of(vip("net2", "10.0.2.131")),
                List.of(attach("net2", "API")), port(TCP, 8080, 0, PortConfig.PublishMode.INTERNAL))));
        MeshRoutes before = awaitRoutes(r -> r.getDnsCount() == 1);
        dispatcher.stop();
        dispatcher = new DispatcherImpl(store);
        dispatcher.start();
        MeshRoutes again = dispatcher.meshRoutes(0, LONG);
        assertEquals(before.getRoutesList(), again.getRoutesList());
        assertEquals(before.getDnsList(), again.getDnsList());
        assertEquals(zone("net2", "10.0.2.254", record("api", "10.0.2.131")), again.getDns(0));
    }

    @Test
    void namesAndAddressesAreNormalised() {
        assertEquals("web", MeshTable.dnsName(" Web. "));
        assertEquals("10.0.1.130", MeshTable.address("10.0.1.130/24"));
        assertEquals("10.0.1.130", MeshTable.address("10.0.1.130"));
        assertTrue(MeshTable.compareAddresses("10.0.1.9", "10.0.1.130") < 0);
        assertTrue(MeshTable.compareAddresses("10.0.1.130", "fd00::1") < 0);
        assertTrue(MeshTable.compareAddresses("10.0.1.130", "cafe.example") < 0, "names (never looked up) last");
    }

    // ------------------------------------------------------------ helpers

    private MeshRoutes awaitRoutes(Predicate<MeshRoutes> condition) throws InterruptedException {
        long deadline = System.nanoTime() + LONG.toNanos();
        MeshRoutes r = dispatcher.meshRoutes(0, LONG);
        while (!condition.test(r)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("timed out; the table is " + r);
            }
            MeshRoutes next = dispatcher.meshRoutes(r.getVersion(), Duration.ofNanos(left));
            r = next == null ? r : next;
        }
        return r;
    }

    private void setRunning(String taskId, String containerAddr, PortConfig... published) {
        updateTask(taskId, t -> {
            var status = MeshRoutesTest.status(TaskState.RUNNING, List.of(published)).toBuilder();
            status.getContainerStatusBuilder().setAddress(containerAddr);
            return t.toBuilder().setStatus(status).build();
        });
    }

    private void updateTask(String id, UnaryOperator<io.swarmlet.api.types.Task> change) {
        store.update(tx -> tx.update(Kind.TASK, change.apply(tx.get(Kind.TASK, id).orElseThrow())));
    }

    /** "vip:port/PROTOCOL" of each route, in table order. */
    private static List<String> keys(MeshRoutes t) {
        return t.getRoutesList().stream()
                .map(r -> r.getVip() + ":" + r.getPort().getPublishedPort() + "/" + r.getPort().getProtocol()).toList();
    }

    static PortConfig port(PortConfig.Protocol protocol, int target, int published, PortConfig.PublishMode mode) {
        return PortConfig.newBuilder().setProtocol(protocol).setTargetPort(target).setPublishedPort(published)
                .setPublishMode(mode).build();
    }

    static VirtualIP vip(String networkId, String addr) {
        return VirtualIP.newBuilder().setNetworkId(networkId).setAddr(addr).build();
    }

    static NetworkAttachmentConfig attach(String networkId, String... aliases) {
        return NetworkAttachmentConfig.newBuilder().setTarget(networkId).addAllAliases(List.of(aliases)).build();
    }

    static Network network(String id, String name, String dnsAddr) {
        return Network.newBuilder().setId(id).setSpec(NetworkSpec.newBuilder()
                .setAnnotations(Annotations.newBuilder().setName(name))).setDnsAddr(dnsAddr).build();
    }

    /** A service as the control API stores it: allocated ports and VIPs in its endpoint, networks by ID. */
    static Service vipService(String id, String name, List<VirtualIP> vips, List<NetworkAttachmentConfig> networks,
            PortConfig... ports) {
        Service s = MeshRoutesTest.service(id, name, "", ports);
        return s.toBuilder()
                .setSpec(s.getSpec().toBuilder().setTask(TaskSpec.newBuilder().addAllNetworks(networks))
                        .setEndpoint(EndpointSpec.newBuilder().setMode(vips.isEmpty()
                                ? EndpointSpec.ResolutionMode.DNSRR : EndpointSpec.ResolutionMode.VIP)))
                .setEndpoint(s.getEndpoint().toBuilder().addAllVirtualIps(vips))
                .build();
    }

    static MeshBackend backend(String taskId, String nodeId, String addr, int port, String containerAddr) {
        return MeshRoutesTest.backend(taskId, nodeId, addr, port).toBuilder().setContainerAddr(containerAddr).build();
    }

    static MeshDnsZone zone(String networkId, String dnsAddr, MeshDnsRecord... records) {
        return MeshDnsZone.newBuilder().setNetworkId(networkId).setDnsAddr(dnsAddr).addAllRecords(List.of(records))
                .build();
    }

    static MeshDnsRecord record(String name, String... addrs) {
        return MeshDnsRecord.newBuilder().setName(name).addAllAddrs(List.of(addrs)).build();
    }
}
