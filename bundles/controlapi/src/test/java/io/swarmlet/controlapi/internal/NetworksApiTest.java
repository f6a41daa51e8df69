package io.swarmlet.controlapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.control.Stacks;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.*;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Networks, their IPAM, services attached to them (targets, virtual IPs),
 * internal ports and the stack calls, through the control API against a real
 * one-member store.
 */
class NetworksApiTest {

    @TempDir
    static Path dir;

    private static SingleNodeStore running;
    private static Store store;
    private ControlApiImpl api;

    @BeforeAll
    static void startStore() throws Exception {
        running = SingleNodeStore.start(dir.resolve("store"));
        store = running.store();
    }

    @AfterAll
    static void stopStore() {
        running.close();
    }

    @BeforeEach
    void setUp() {
        api = new ControlApiImpl(store, new NodeLifecycleTest.Local(NodeLifecycleTest.M1, dir));
        store.update(tx -> {
            tx.all(Kind.SERVICE).forEach(s -> tx.delete(Kind.SERVICE, s.getId()));
            tx.all(Kind.NETWORK).forEach(n -> tx.delete(Kind.NETWORK, n.getId()));
        });
    }

    // ------------------------------------------------------------ helpers

    private static void refused(ControlException.Code code, String message, Runnable call) {
        ControlException e = assertThrows(ControlException.class, call::run);
        assertEquals(message, e.getMessage());
        assertEquals(code, e.code(), e.getMessage());
    }

    private static NetworkSpec.Builder netSpec(String name) {
        NetworkSpec.Builder b = NetworkSpec.newBuilder();
        b.getAnnotationsBuilder().setName(name);
        return b;
    }

    private Network create(NetworkSpec.Builder spec) {
        return api.createNetwork(CreateNetworkRequest.newBuilder().setSpec(spec).build()).getNetwork();
    }

    private Network create(String name) {
        return create(netSpec(name));
    }

    private Network create(String name, String subnet) {
        NetworkSpec.Builder b = netSpec(name);
        b.getIpamBuilder().addConfigsBuilder().setSubnet(subnet);
        return create(b);
    }

    private void removeNetwork(String ref) {
        api.removeNetwork(RemoveNetworkRequest.newBuilder().setId(ref).build());
    }

    private static String subnet(Network n) {
        return n.getIpam().getConfigs(0).getSubnet();
    }

    private static ServiceSpec.Builder svc(String name, String... networks) {
        ServiceSpec.Builder b = ServiceSpecsTest.spec(name, "swarmlet/busybox:1");
        for (String n : networks) {
            b.getTaskBuilder().addNetworksBuilder().setTarget(n);
        }
        return b;
    }

    private Service createService(ServiceSpec.Builder spec) {
        return api.createService(CreateServiceRequest.newBuilder().setSpec(spec).build()).getService();
    }

    private Service updateService(String name, Consumer<ServiceSpec.Builder> change) {
        Service cur = service(name);
        ServiceSpec.Builder b = cur.getSpec().toBuilder();
        change.accept(b);
        return api.updateService(UpdateServiceRequest.newBuilder().setId(cur.getId())
                .setVersion(cur.getMeta().getVersion()).setSpec(b).build()).getService();
    }

    private void removeService(String name) {
        api.removeService(RemoveServiceRequest.newBuilder().setId(name).build());
    }

    private static Service service(String name) {
        return store.view(tx -> tx.byName(Kind.SERVICE, name).orElseThrow());
    }

    private static List<String> vips(Service s) {
        List<String> out = new ArrayList<>();
        s.getEndpoint().getVirtualIpsList().forEach(v -> out.add(v.getAddr()));
        return out;
    }

    private static PortConfig port(int published, int target, PortConfig.PublishMode mode) {
        return PortConfig.newBuilder().setPublishedPort(published).setTargetPort(target).setPublishMode(mode).build();
    }

    // ------------------------------------------------------------ create, IPAM

    @Test
    void aNetworkGetsTheFirstFreeSlash24WithGatewayRangeAndDnsAddress() {
        Network a = create("app_default");
        assertEquals(25, a.getId().length());
        assertEquals("overlay", a.getSpec().getDriverConfig().getName(), "overlay is the default driver, as in Docker swarm");
        assertEquals("overlay", a.getDriverState().getName());
        assertEquals("default", a.getIpam().getDriver().getName());
        IPAMConfig c = a.getIpam().getConfigs(0);
        assertEquals("10.0.1.0/24", c.getSubnet());
        assertEquals("10.0.1.1", c.getGateway());
        assertEquals("10.0.1.0/25", c.getRange());
        assertEquals("10.0.1.254", a.getDnsAddr());
        assertEquals(a, store.view(tx -> tx.get(Kind.NETWORK, a.getId()).orElseThrow()));

        assertEquals("10.0.2.0/24", subnet(create("b")));
        assertEquals("10.0.3.0/24", subnet(create("c", "10.0.3.0/24")));
        create("d4", "10.0.4.128/25");
        assertEquals("10.0.5.0/24", subnet(create("d")), "a /24 overlapping a smaller subnet is skipped");
        removeNetwork("app_default");
        assertEquals("10.0.1.0/24", subnet(create("e")), "a removed network's subnet is free again");
    }

    @Test
    void aGivenSubnetIsCheckedAndSplitInHalves() {
        Network n = create("small", "10.250.0.16/28");
        IPAMConfig c = n.getIpam().getConfigs(0);
        assertEquals("10.250.0.16/28", c.getSubnet());
        assertEquals("10.250.0.17", c.getGateway());
        assertEquals("10.250.0.16/29", c.getRange());
        assertEquals("10.250.0.30", n.getDnsAddr());
        assertEquals("10.250.0.16/28", n.getSpec().getIpam().getConfigs(0).getSubnet(), "the spec stays as given");

        Network big = create("big", "10.251.0.0/16");
        assertEquals("10.251.0.0/17", big.getIpam().getConfigs(0).getRange());
        assertEquals("10.251.255.254", big.getDnsAddr());

        refused(ControlException.Code.FAILED_PRECONDITION, "invalid pool request: Pool overlaps with other one on this"
                + " address space (10.250.0.0/24 overlaps 10.250.0.16/28 of network small); choose another --subnet",
                () -> create("other", "10.250.0.0/24"));
        refused(ControlException.Code.INVALID_ARGUMENT, "subnet 10.250.1.0/29 is too small: use a /28 or larger"
                + " (its upper half holds the services' virtual IPs and the network's DNS address)",
                () -> create("x", "10.250.1.0/29"));
        refused(ControlException.Code.INVALID_ARGUMENT, "subnet 10.0.0.0/8 is too large: use a /16 or smaller",
                () -> create("x", "10.0.0.0/8"));
        refused(ControlException.Code.INVALID_ARGUMENT, "invalid subnet 10.250.2.5/24: it has host bits set;"
                + " did you mean 10.250.2.0/24?", () -> create("x", "10.250.2.5/24"));
        refused(ControlException.Code.INVALID_ARGUMENT, "invalid subnet \"fd00::/64\": give an IPv4 CIDR such as"
                + " 10.0.9.0/24 (IPv6 is not supported)", () -> create("x", "fd00::/64"));
        refused(ControlException.Code.INVALID_ARGUMENT, "invalid subnet \"10.250.300.0/24\": give an IPv4 CIDR such as"
                + " 10.0.9.0/24 (IPv6 is not supported)", () -> create("x", "10.250.300.0/24"));

        NetworkSpec.Builder gw = netSpec("gw");
        gw.getIpamBuilder().addConfigsBuilder().setSubnet("10.250.3.0/24").setGateway("10.250.3.100");
        assertEquals("10.250.3.100", create(gw).getIpam().getConfigs(0).getGateway());
        NetworkSpec.Builder badGw = netSpec("badgw");
        badGw.getIpamBuilder().addConfigsBuilder().setSubnet("10.250.4.0/24").setGateway("10.250.4.200");
        refused(ControlException.Code.INVALID_ARGUMENT, "gateway 10.250.4.200 is not a host address of the task range"
                + " 10.250.4.0/25 of subnet 10.250.4.0/24: give one of the lower half, or leave --gateway out",
                () -> create(badGw));
        NetworkSpec.Builder range = netSpec("range");
        range.getIpamBuilder().addConfigsBuilder().setSubnet("10.250.4.0/24").setRange("10.250.4.0/26");
        refused(ControlException.Code.INVALID_ARGUMENT, "--ip-range 10.250.4.0/26 is not supported: tasks get the lower"
                + " half of the subnet (10.250.4.0/25), virtual IPs and DNS the upper half; leave --ip-range out",
                () -> create(range));
        NetworkSpec.Builder two = netSpec("two");
        two.getIpamBuilder().addConfigsBuilder().setSubnet("10.250.5.0/24");
        two.getIpamBuilder().addConfigsBuilder().setSubnet("10.250.6.0/24");
        refused(ControlException.Code.INVALID_ARGUMENT, "network two has 2 subnets: a cluster network has one;"
                + " give a single --subnet", () -> create(two));
        assertTrue(store.view(tx -> tx.byName(Kind.NETWORK, "x")).isEmpty(), "nothing refused is stored");
    }

    @Test
    void namesDriversAndIngressAreCheckedAsDockerDoes() {
        create("app_default");
        refused(ControlException.Code.ALREADY_EXISTS, "network with name app_default already exists",
                () -> create("app_default"));
        refused(ControlException.Code.INVALID_ARGUMENT, "invalid network name \"-net\": only [a-zA-Z0-9][a-zA-Z0-9_.-]"
                + " are allowed", () -> create("-net"));
        refused(ControlException.Code.INVALID_ARGUMENT, "invalid network name \"my net\": only [a-zA-Z0-9][a-zA-Z0-9_.-]"
                + " are allowed", () -> create("my net"));
        refused(ControlException.Code.INVALID_ARGUMENT, "a network needs a name: swarmlet network create NAME",
                () -> create(""));
        refused(ControlException.Code.INVALID_ARGUMENT, "bridge is a pre-defined network and cannot be created",
                () -> create("bridge"));

        NetworkSpec.Builder bridge = netSpec("local");
        bridge.getDriverConfigBuilder().setName("bridge");
        assertEquals("bridge", create(bridge).getSpec().getDriverConfig().getName(), "stored as given");
        NetworkSpec.Builder overlay = netSpec("ov");
        overlay.getDriverConfigBuilder().setName("overlay").putOptions("encrypted", "");
        assertEquals(Map.of("encrypted", ""), create(overlay).getDriverState().getOptionsMap());
        NetworkSpec.Builder macvlan = netSpec("mv");
        macvlan.getDriverConfigBuilder().setName("macvlan");
        refused(ControlException.Code.INVALID_ARGUMENT, "network driver \"macvlan\" is not supported: a cluster network"
                + " is a bridge network on each node, joined by the routing mesh; use --driver overlay (the default)",
                () -> create(macvlan));
        NetworkSpec.Builder ingress = netSpec("my-ingress").setIngress(true);
        refused(ControlException.Code.INVALID_ARGUMENT, "ingress networks are not supported: Swarmlet's routing mesh"
                + " publishes ingress ports without one; create the network without --ingress", () -> create(ingress));
    }

    // ------------------------------------------------------------ inspect, list, remove

    @Test
    void networksAreFoundByNameIdOrPrefixAndListedWithFilters() {
        NetworkSpec.Builder labelled = netSpec("app_default");
        labelled.getAnnotationsBuilder().putLabels(Stacks.NAMESPACE_LABEL, "app");
        Network a = create(labelled);
        Network b = create("other");
        for (String ref : List.of("app_default", a.getId(), a.getId().substring(0, 8))) {
            assertEquals(a.getId(), api.getNetwork(GetNetworkRequest.newBuilder().setId(ref).build()).getNetwork().getId());
        }
        refused(ControlException.Code.NOT_FOUND, "No such network: nope",
                () -> api.getNetwork(GetNetworkRequest.newBuilder().setId("nope").build()));

        assertEquals(2, api.listNetworks(ListNetworksRequest.getDefaultInstance()).getNetworksCount());
        assertEquals(List.of(b.getId()), ids(ListFilters.newBuilder().addNames("other")));
        assertEquals(List.of(a.getId()), ids(ListFilters.newBuilder().addIdPrefixes(a.getId().substring(0, 6))));
        assertEquals(List.of(a.getId()), ids(ListFilters.newBuilder().putLabels(Stacks.NAMESPACE_LABEL, "app")));
        assertEquals(List.of(a.getId()), ids(ListFilters.newBuilder().putLabels(Stacks.NAMESPACE_LABEL, "")));
        assertEquals(List.of(), ids(ListFilters.newBuilder().putLabels(Stacks.NAMESPACE_LABEL, "web")));

        removeNetwork(b.getId().substring(0, 8));
        refused(ControlException.Code.NOT_FOUND, "No such network: other",
                () -> api.getNetwork(GetNetworkRequest.newBuilder().setId("other").build()));
    }

    private List<String> ids(ListFilters.Builder f) {
        return api.listNetworks(ListNetworksRequest.newBuilder().setFilters(f).build()).getNetworksList().stream()
                .map(Network::getId).toList();
    }

    @Test
    void aNetworkInUseIsNotRemoved() {
        create("app_default");
        createService(svc("app_web", "app_default"));
        refused(ControlException.Code.FAILED_PRECONDITION, "network app_default is in use by service app_web",
                () -> removeNetwork("app_default"));
        createService(svc("app_db", "app_default"));
        refused(ControlException.Code.FAILED_PRECONDITION, "network app_default is in use by services app_db, app_web",
                () -> removeNetwork("app_default"));
        removeService("app_web");
        updateService("app_db", b -> b.getTaskBuilder().clearNetworks());
        removeNetwork("app_default");
        assertTrue(store.view(tx -> tx.all(Kind.NETWORK)).isEmpty());
    }

    // ------------------------------------------------------------ services: targets

    @Test
    void serviceNetworkTargetsAreResolvedToIds() {
        Network front = create("front");
        Network back = create("back");
        ServiceSpec.Builder b = svc("web", "front", back.getId().substring(0, 7));
        b.getTaskBuilder().getNetworksBuilder(0).addAliases("www");
        Service s = createService(b);
        List<NetworkAttachmentConfig> nets = s.getSpec().getTask().getNetworksList();
        assertEquals(List.of(front.getId(), back.getId()), nets.stream().map(NetworkAttachmentConfig::getTarget).toList());
        assertEquals(List.of("www"), nets.get(0).getAliasesList());

        ServiceSpec.Builder deprecated = svc("old", "front");
        deprecated.addNetworksBuilder().setTarget("back");
        Service old = createService(deprecated);
        assertEquals(0, old.getSpec().getNetworksCount(), "the deprecated place is emptied");
        assertEquals(List.of(front.getId(), back.getId()), old.getSpec().getTask().getNetworksList().stream()
                .map(NetworkAttachmentConfig::getTarget).toList());

        refused(ControlException.Code.NOT_FOUND, "network nope not found", () -> createService(svc("x", "nope")));
        refused(ControlException.Code.INVALID_ARGUMENT, "service x is attached to network front more than once:"
                + " give each network once", () -> createService(svc("x", "front", front.getId())));
        ServiceSpec.Builder badAlias = svc("x", "front");
        badAlias.getTaskBuilder().getNetworksBuilder(0).addAliases("not ok");
        refused(ControlException.Code.INVALID_ARGUMENT, "invalid alias \"not ok\" of service x on network front:"
                + " only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", () -> createService(badAlias));
        refused(ControlException.Code.NOT_FOUND, "network nope not found",
                () -> updateService("web", u -> u.getTaskBuilder().addNetworksBuilder().setTarget("nope")));
        assertTrue(store.view(tx -> tx.byName(Kind.SERVICE, "x")).isEmpty());
    }

    // ------------------------------------------------------------ services: virtual IPs

    @Test
    void vipsComeFromTheUpperHalfAreKeptOnUpdateAndFreedOnRemove() {
        Network n1 = create("n1");
        Network n2 = create("n2");
        Service a = createService(svc("a", "n1"));
        assertEquals(List.of(VirtualIP.newBuilder().setNetworkId(n1.getId()).setAddr("10.0.1.128").build()),
                a.getEndpoint().getVirtualIpsList());
        assertEquals(List.of("10.0.1.129"), vips(createService(svc("b", "n1"))));
        assertEquals(List.of(), vips(createService(svc("none"))), "no network, no VIP");

        Service a2 = updateService("a", u -> u.getTaskBuilder().addNetworksBuilder().setTarget("n2"));
        assertEquals(List.of("10.0.1.128", "10.0.2.128"), vips(a2), "kept where it stays, new where it joins");
        assertEquals(n2.getId(), a2.getEndpoint().getVirtualIps(1).getNetworkId());
        assertEquals(UpdateStatus.UpdateState.UPDATING, a2.getUpdateStatus().getState(), "a network change rolls the tasks");

        Service a3 = updateService("a", u -> u.getTaskBuilder().removeNetworks(0));
        assertEquals(List.of("10.0.2.128"), vips(a3), "left n1: its VIP there is freed");
        assertEquals(List.of("10.0.1.128"), vips(createService(svc("c", "n1"))), "and taken by the next one");

        removeService("b");
        assertEquals(List.of("10.0.1.129"), vips(createService(svc("d", "n1"))), "a removed service's VIP is free again");
        Service d2 = updateService("d", u -> u.getTaskBuilder().getContainerBuilder().addArgs("sleep"));
        assertEquals(List.of("10.0.1.129"), vips(d2), "an unrelated update keeps it");
    }

    @Test
    void aServiceInARollingUpdateIsRemovedAndItsVipFreed() {
        create("rolling_net");
        createService(svc("rolling", "rolling_net"));
        Service updating = updateService("rolling", u -> u.getTaskBuilder().getContainerBuilder().addArgs("sleep"));
        assertEquals(UpdateStatus.UpdateState.UPDATING, updating.getUpdateStatus().getState(), "no updater runs here");
        removeService("rolling"); // stack rm right after a redeploy: Docker allows it too
        assertTrue(store.view(tx -> tx.byName(Kind.SERVICE, "rolling")).isEmpty());
        removeNetwork("rolling_net"); // nothing holds it any more
    }

    @Test
    void dnsrrServicesHaveNoVipsAndNoIngressPorts() {
        create("n1");
        ServiceSpec.Builder rr = svc("rr", "n1");
        rr.getEndpointBuilder().setMode(EndpointSpec.ResolutionMode.DNSRR)
                .addPorts(port(8080, 80, PortConfig.PublishMode.HOST))
                .addPorts(port(0, 9000, PortConfig.PublishMode.INTERNAL));
        Service s = createService(rr);
        assertEquals(List.of(), vips(s));

        Service vip = updateService("rr", u -> u.getEndpointBuilder().setMode(EndpointSpec.ResolutionMode.VIP));
        assertEquals(List.of("10.0.1.128"), vips(vip));
        Service back = updateService("rr", u -> u.getEndpointBuilder().setMode(EndpointSpec.ResolutionMode.DNSRR));
        assertEquals(List.of(), vips(back));

        ServiceSpec.Builder ingress = svc("bad", "n1");
        ingress.getEndpointBuilder().setMode(EndpointSpec.ResolutionMode.DNSRR)
                .addPorts(port(8080, 80, PortConfig.PublishMode.INGRESS));
        refused(ControlException.Code.INVALID_ARGUMENT, "port published with ingress mode can't be used with dnsrr mode"
                + " (port 80): publish it with mode=host, or use --endpoint-mode vip", () -> createService(ingress));
    }

    @Test
    void aFullNetworkRefusesAnotherVip() {
        create("tiny", "10.250.7.0/28"); // VIPs .8 to .13, DNS .14
        for (int i = 0; i < 6; i++) {
            assertEquals(List.of("10.250.7." + (8 + i)), vips(createService(svc("s" + i, "tiny"))));
        }
        refused(ControlException.Code.FAILED_PRECONDITION, "no virtual IP left on network tiny for service s6 (its 6"
                + " addresses 10.250.7.8-10.250.7.13 are taken): attach the service to another network, or use"
                + " --endpoint-mode dnsrr", () -> createService(svc("s6", "tiny")));
        ServiceSpec.Builder rr = svc("s6", "tiny");
        rr.getEndpointBuilder().setMode(EndpointSpec.ResolutionMode.DNSRR);
        createService(rr);
    }

    // ------------------------------------------------------------ internal ports

    @Test
    void internalPortsArePublishedOnTheirTargetAndNeverConflict() {
        ServiceSpec.Builder a = svc("a");
        a.getEndpointBuilder().addPorts(port(0, 80, PortConfig.PublishMode.INTERNAL))
                .addPorts(port(0, 80, PortConfig.PublishMode.INTERNAL))
                .addPorts(port(0, 8080, PortConfig.PublishMode.INGRESS));
        Service sa = createService(a);
        assertEquals(List.of(port(80, 80, PortConfig.PublishMode.INTERNAL), port(30000, 8080, PortConfig.PublishMode.INGRESS)),
                sa.getEndpoint().getPortsList(), "once per target; the dynamic range is the ingress ports' alone");
        assertEquals(3, sa.getSpec().getEndpoint().getPortsCount(), "the spec stays as given");

        ServiceSpec.Builder b = svc("b");
        b.getEndpointBuilder().addPorts(port(0, 80, PortConfig.PublishMode.INTERNAL))
                .addPorts(port(0, 30000, PortConfig.PublishMode.INTERNAL))
                .addPorts(port(0, 9090, PortConfig.PublishMode.INGRESS));
        Service sb = createService(b);
        assertEquals(List.of(port(80, 80, PortConfig.PublishMode.INTERNAL), port(30000, 30000, PortConfig.PublishMode.INTERNAL),
                port(30001, 9090, PortConfig.PublishMode.INGRESS)), sb.getEndpoint().getPortsList());

        ServiceSpec.Builder c = svc("c");
        c.getEndpointBuilder().addPorts(port(80, 80, PortConfig.PublishMode.INGRESS));
        createService(c); // an ingress port 80 is not taken by the internal ones

        ServiceSpec.Builder bad = svc("bad");
        bad.getEndpointBuilder().addPorts(port(8080, 80, PortConfig.PublishMode.INTERNAL));
        refused(ControlException.Code.INVALID_ARGUMENT, "port 80/tcp is internal (exposed to the service's networks"
                + " only) and cannot have a published port (8080): leave the published port out, or publish it with"
                + " mode ingress or host", () -> createService(bad));
    }

    @Test
    void portAllocatorIgnoresInternalPortsOfOthers() {
        Service other = Service.newBuilder().setId("other").setSpec(svc("other"))
                .setEndpoint(Endpoint.newBuilder().addPorts(port(30000, 30000, PortConfig.PublishMode.INTERNAL))).build();
        Endpoint e = PortAllocator.allocate(EndpointSpec.newBuilder()
                .addPorts(port(30000, 80, PortConfig.PublishMode.INGRESS))
                .addPorts(port(0, 81, PortConfig.PublishMode.INGRESS)).build(), Endpoint.getDefaultInstance(), List.of(other));
        assertEquals(List.of(30000, 30001), e.getPortsList().stream().map(PortConfig::getPublishedPort).toList());
    }

    // ------------------------------------------------------------ stacks

    @Test
    void stackCallsGoToTheStackModuleOrAreUnimplemented() {
        refused(ControlException.Code.UNIMPLEMENTED, "this manager does not serve stacks: the stack module is not running",
                () -> api.deployStack(DeployStackRequest.newBuilder().setName("app").build()));
        refused(ControlException.Code.UNIMPLEMENTED, "this manager does not serve stacks: the stack module is not running",
                () -> api.listStacks(ListStacksRequest.getDefaultInstance()));
        refused(ControlException.Code.UNIMPLEMENTED, "this manager does not serve stacks: the stack module is not running",
                () -> api.removeStack(RemoveStackRequest.newBuilder().setName("app").build()));

        List<Object> calls = new ArrayList<>();
        DeployStackResponse deployed = DeployStackResponse.newBuilder().addMessages("Creating network app_default").build();
        Stacks stacks = new Stacks() {
            @Override public DeployStackResponse deploy(DeployStackRequest r) { calls.add(r); return deployed; }
            @Override public ListStacksResponse list(ListStacksRequest r) {
                calls.add(r);
                return ListStacksResponse.newBuilder().addStacks(StackSummary.newBuilder().setName("app").setServices(2)).build();
            }
            @Override public RemoveStackResponse remove(RemoveStackRequest r) {
                throw ControlException.notFound("Nothing found in stack: " + r.getName());
            }
        };
        ControlApiImpl withStacks = new ControlApiImpl(store, new NodeLifecycleTest.Local(NodeLifecycleTest.M1, dir), stacks);
        DeployStackRequest deploy = DeployStackRequest.newBuilder().setName("app").build();
        assertSame(deployed, withStacks.deployStack(deploy));
        assertEquals("app", withStacks.listStacks(ListStacksRequest.getDefaultInstance()).getStacks(0).getName());
        assertEquals(List.of(deploy, ListStacksRequest.getDefaultInstance()), calls);
        refused(ControlException.Code.NOT_FOUND, "Nothing found in stack: web",
                () -> withStacks.removeStack(RemoveStackRequest.newBuilder().setName("web").build()));
    }

    @Test
    void workersAndLockedManagersRefuseNetworkAndStackCalls() {
        NodeLifecycleTest.Local local = new NodeLifecycleTest.Local(NodeLifecycleTest.M1, dir);
        WorkerControlApi worker = new WorkerControlApi(local, "1.2.3", () -> false);
        LockedControlApi locked = new LockedControlApi(local, "1.2.3", () -> null);
        List<Consumer<io.swarmlet.api.control.ControlApi>> calls = List.of(
                x -> x.createNetwork(CreateNetworkRequest.getDefaultInstance()),
                x -> x.getNetwork(GetNetworkRequest.getDefaultInstance()),
                x -> x.listNetworks(ListNetworksRequest.getDefaultInstance()),
                x -> x.removeNetwork(RemoveNetworkRequest.getDefaultInstance()),
                x -> x.deployStack(DeployStackRequest.getDefaultInstance()),
                x -> x.listStacks(ListStacksRequest.getDefaultInstance()),
                x -> x.removeStack(RemoveStackRequest.getDefaultInstance()));
        for (Consumer<io.swarmlet.api.control.ControlApi> call : calls) {
            refused(ControlException.Code.FAILED_PRECONDITION, WorkerControlApi.NOT_A_MANAGER, () -> call.accept(worker));
            refused(ControlException.Code.FAILED_PRECONDITION, io.swarmlet.api.security.Keyring.LOCKED_MESSAGE,
                    () -> call.accept(locked));
        }
        assertFalse(WorkerControlApi.NOT_A_MANAGER.isEmpty());
    }
}
