package io.swarmlet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.CreateNetworkRequest;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.NetworkAttachmentConfig;
import io.swarmlet.api.types.NetworkSpec;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.TaskSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The network verbs, and the services' network flags, in-process against {@link FakeControlApi}. */
class NetworkCommandsTest {

    static final long NOW = 1_700_000_000_000L;

    final TestClock clock = new TestClock(NOW);
    final FakeControlApi fake = new FakeControlApi();

    NetworkCommandsTest() {
        fake.clock = clock;
    }

    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Main root = new Main(() -> fake);
        root.clock = clock;
        root.sleeper = clock::advance;
        root.convergeTimeoutMillis = 60_000;
        int code = Main.run(root, new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    private static void assertOk(Result r) {
        assertEquals("", r.err(), "stderr");
        assertEquals(0, r.code(), "exit code");
    }

    private void assertUsageError(Result r, String message) {
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("Error: " + message), r.err());
        assertTrue(fake.calls.isEmpty(), "nothing may be sent: " + fake.calls);
    }

    private Network network(String name, String... labels) {
        Annotations.Builder a = Annotations.newBuilder().setName(name);
        for (String l : labels) {
            a.putLabels(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1));
        }
        Network n = fake.createNetwork(CreateNetworkRequest.newBuilder().setSpec(NetworkSpec.newBuilder().setAnnotations(a)).build())
                .getNetwork();
        fake.calls.clear();
        return n;
    }

    // ------------------------------------------------------------ network verbs

    @Test
    void createSendsTheSpecAndPrintsTheId() {
        Result r = run("network", "create", "--subnet", "10.250.3.0/24", "--gateway", "10.250.3.1", "--attachable", "--internal",
                "--label", "team=web", "-o", "mtu=1400", "-d", "overlay", "--scope", "swarm", "backend");
        assertOk(r);
        String id = fake.networks.keySet().iterator().next();
        assertEquals(id + "\n", r.out());
        NetworkSpec spec = fake.networkCreates.get(0).getSpec();
        assertEquals("backend", spec.getAnnotations().getName());
        assertEquals("web", spec.getAnnotations().getLabelsOrThrow("team"));
        assertEquals("overlay", spec.getDriverConfig().getName());
        assertEquals("1400", spec.getDriverConfig().getOptionsOrThrow("mtu"));
        assertTrue(spec.getAttachable() && spec.getInternal());
        assertEquals("10.250.3.0/24", spec.getIpam().getConfigs(0).getSubnet());
        assertEquals("10.250.3.1", spec.getIpam().getConfigs(0).getGateway());

        r = run("network", "create", "frontend");
        assertOk(r);
        NetworkSpec plain = fake.networkCreates.get(1).getSpec();
        assertEquals("overlay", plain.getDriverConfig().getName(), "overlay unless told");
        assertEquals(0, plain.getIpam().getConfigsCount(), "the manager allocates the subnet");

        r = run("network", "create", "frontend");
        assertEquals(1, r.code());
        assertEquals("Error: network with name frontend already exists\n", r.err());
    }

    @Test
    void createLeavesTheChecksToTheManagerAndSendsWhatWasGiven() {
        Result r = run("network", "create", "--subnet", "10.250.4.0/24", "--subnet", "10.250.5.0/24", "--gateway", "10.250.4.1",
                "--ip-range", "10.250.4.0/26", "--ipam-driver", "default", "--ingress", "-d", "bridge", "two");
        assertOk(r);
        NetworkSpec spec = fake.networkCreates.get(0).getSpec();
        assertEquals("bridge", spec.getDriverConfig().getName());
        assertTrue(spec.getIngress());
        assertEquals("default", spec.getIpam().getDriver().getName());
        assertEquals(2, spec.getIpam().getConfigsCount(), "the manager refuses a second subnet, in its words");
        assertEquals("10.250.4.0/26", spec.getIpam().getConfigs(0).getRange());
        assertEquals("10.250.5.0/24", spec.getIpam().getConfigs(1).getSubnet());

        fake.calls.clear();
        assertUsageError(run("network", "create", "--scope", "local", "n"), "network scope \"local\" is not supported");
        assertUsageError(run("network", "create", "--label", "=x", "n"), "invalid label '=x'");
        assertUsageError(run("network", "create"), "Missing required parameter: 'NETWORK'");
    }

    @Test
    void lsShowsDockersColumns() {
        Network b = network("backend", "com.docker.stack.namespace=app");
        Network a = network("app_default", "com.docker.stack.namespace=app");
        Network c = network("frontend");
        Result r = run("network", "ls");
        assertOk(r);
        assertEquals(List.of(
                "NETWORK ID     NAME          DRIVER    SCOPE",
                a.getId().substring(0, 12) + "   app_default   overlay   swarm",
                b.getId().substring(0, 12) + "   backend       overlay   swarm",
                c.getId().substring(0, 12) + "   frontend      overlay   swarm"), r.lines());

        r = run("network", "ls", "-q", "--filter", "label=com.docker.stack.namespace=app", "-f", "name=end");
        assertOk(r);
        assertEquals(b.getId().substring(0, 12) + "\n", r.out(), "name matches part of the name; different keys AND");
        r = run("network", "ls", "--no-trunc", "-q", "-f", "name=back", "-f", "name=front");
        assertOk(r);
        assertEquals(b.getId() + "\n" + c.getId() + "\n", r.out(), "the same key ORs");
        r = run("network", "list", "--format", "{{.Name}} {{.Subnet}} {{.Gateway}}", "-f", "driver=overlay", "-f", "type=custom");
        assertOk(r);
        assertEquals("app_default 10.0.2.0/24 10.0.2.1\nbackend 10.0.1.0/24 10.0.1.1\nfrontend 10.0.3.0/24 10.0.3.1\n", r.out());
        r = run("network", "ls", "-q", "-f", "type=builtin");
        assertOk(r);
        assertEquals("", r.out());
        fake.calls.clear();
        assertUsageError(run("network", "ls", "-f", "color=red"), "invalid filter 'color'");
    }

    @Test
    void inspectPrintsJsonAndTemplates() {
        Network b = network("backend");
        Result r = run("network", "inspect", "backend");
        assertOk(r);
        JsonArray all = JsonParser.parseString(r.out()).getAsJsonArray();
        assertEquals(1, all.size());
        assertEquals(b.getId(), all.get(0).getAsJsonObject().get("id").getAsString());
        assertEquals("10.0.1.254", all.get(0).getAsJsonObject().get("dnsAddr").getAsString());

        r = run("network", "inspect", "--format", "{{.ID}} {{.Name}} {{.Scope}}", b.getId().substring(0, 6), "nope");
        assertEquals(1, r.code());
        assertEquals(b.getId() + " backend swarm\n", r.out(), "full IDs; prefixes resolve");
        assertEquals("Error: No such network: nope\n", r.err());
    }

    @Test
    void rmPrintsEachAsGivenAndEachRefusal() {
        Network b = network("backend");
        network("frontend");
        network("inuse");
        ServiceSpec.Builder spec = ServiceSpec.newBuilder().setTask(TaskSpec.newBuilder()
                .setContainer(ContainerSpec.newBuilder().setImage("nginx"))
                .addNetworks(NetworkAttachmentConfig.newBuilder().setTarget("inuse")));
        spec.getAnnotationsBuilder().setName("web");
        fake.createService(io.swarmlet.api.types.CreateServiceRequest.newBuilder().setSpec(spec).build());

        Result r = run("network", "rm", b.getId(), "nope", "inuse", "frontend");
        assertEquals(1, r.code());
        assertEquals(b.getId() + "\nfrontend\n", r.out());
        assertEquals("Error: No such network: nope\nError: network inuse is in use by service web\n", r.err());
        assertEquals(List.of("inuse"), fake.networks.values().stream().map(NetworkCommands::name).toList());

        r = run("network", "remove", "-f", "nope");
        assertOk(r);
        assertEquals("", r.out(), "--force: a missing network is no error");
    }

    // ------------------------------------------------------------ service flags

    @Test
    void serviceCreateTakesNetworksHostsEndpointModeAndStopSignal() {
        Result r = run("service", "create", "-d", "--name", "web", "--network", "backend",
                "--network", "name=frontend,alias=www,alias=site", "--host", "db.local:10.250.0.5", "--host", "v6=[::1]",
                "--endpoint-mode", "dnsrr", "--stop-signal", "SIGINT", "nginx");
        assertOk(r);
        ServiceSpec spec = fake.serviceCreates.get(0).getSpec();
        assertEquals(List.of(
                NetworkAttachmentConfig.newBuilder().setTarget("backend").build(),
                NetworkAttachmentConfig.newBuilder().setTarget("frontend").addAliases("www").addAliases("site").build()),
                spec.getTask().getNetworksList(), "in the task spec, as docker puts them");
        assertEquals(List.of("10.250.0.5 db.local", "::1 v6"), spec.getTask().getContainer().getHostsList(), "docker's \"IP HOST\" form");
        assertEquals(EndpointSpec.ResolutionMode.DNSRR, spec.getEndpoint().getMode());
        assertEquals("SIGINT", spec.getTask().getContainer().getStopSignal());
    }

    @Test
    void badNetworkAndHostValuesAreUsageErrors() {
        assertUsageError(run("service", "create", "--network", "alias=x", "nginx"),
                "Invalid value for option '--network' (network): network name/id is not specified");
        assertUsageError(run("service", "create", "--network", "name=n,ip=10.0.0.9", "nginx"),
                "Invalid value for option '--network' (network): invalid field key ip");
        assertUsageError(run("service", "create", "--network", "n", "--network", "name=n,alias=a", "nginx"),
                "service cannot be attached to the same network n more than once");
        assertUsageError(run("service", "create", "--host", "justahost", "nginx"),
                "Invalid value for option '--host' (list): bad format for add-host: \"justahost\"");
        assertUsageError(run("service", "create", "--host", "db:10.0.0.300", "nginx"),
                "Invalid value for option '--host' (list): invalid IP address in add-host: \"10.0.0.300\"");
        assertUsageError(run("service", "create", "--endpoint-mode", "ipvs", "nginx"),
                "Invalid value for option '--endpoint-mode': 'ipvs' (use vip or dnsrr)");
    }

    @Test
    void serviceUpdateAddsAndRemovesNetworksAndHosts() {
        Network backend = network("backend");
        Network frontend = network("frontend");
        Network extra = network("extra");
        run("service", "create", "-d", "--name", "web", "--network", backend.getId(), "--network", "frontend",
                "--host", "a:10.0.0.1", "--host", "b:10.0.0.1", "--host", "a:10.0.0.2", "--host", "c:10.0.0.3", "nginx");

        Result r = run("service", "update", "-d", "--network-rm", "frontend", "--network-add", "name=extra,alias=x",
                "--host-rm", "a:10.0.0.1", "--host-rm", "c", "--host-add", "d:10.0.0.4", "--stop-signal", "SIGQUIT", "web");
        assertOk(r);
        ServiceSpec spec = fake.serviceUpdates.get(0).getSpec();
        assertEquals(List.of(
                NetworkAttachmentConfig.newBuilder().setTarget(backend.getId()).build(),
                NetworkAttachmentConfig.newBuilder().setTarget(extra.getId()).addAliases("x").build()),
                spec.getTask().getNetworksList(), "frontend (stored by name) removed; extra added by ID; sorted");
        assertEquals(List.of("10.0.0.1 b", "10.0.0.2 a", "10.0.0.4 d"), spec.getTask().getContainer().getHostsList(),
                "a removed from 10.0.0.1 only; c everywhere; d appended");
        assertEquals("SIGQUIT", spec.getTask().getContainer().getStopSignal());

        r = run("service", "update", "-d", "--network-add", "backend", "web");
        assertEquals(1, r.code());
        assertEquals("Error: service is already attached to network backend\n", r.err());
        r = run("service", "update", "-d", "--network-add", "nope", "web");
        assertEquals("Error: No such network: nope\n", r.err());
        assertEquals(1, fake.serviceUpdates.size(), "nothing written");
        assertTrue(frontend.getId().startsWith("net"));
    }

    @Test
    void inspectPrettyShowsTheNetworksByNameAndTheEndpointMode() {
        Network backend = network("backend");
        run("service", "create", "-d", "--name", "web", "--network", backend.getId(), "--network", "gone0000000000000000000001",
                "--endpoint-mode", "dnsrr", "nginx");
        Result r = run("service", "inspect", "--pretty", "web");
        assertOk(r);
        assertTrue(r.out().contains("\nNetworks: backend gone0000000000000000000001\nEndpoint Mode:  dnsrr\n"), r.out());
    }
}
