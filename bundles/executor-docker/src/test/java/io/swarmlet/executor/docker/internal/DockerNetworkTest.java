package io.swarmlet.executor.docker.internal;

import static io.swarmlet.executor.docker.internal.DockerExecutorTest.IMAGE;
import static io.swarmlet.executor.docker.internal.DockerExecutorTest.httpGet;
import static io.swarmlet.executor.docker.internal.DockerExecutorTest.httpd;
import static io.swarmlet.executor.docker.internal.DockerExecutorTest.port;
import static io.swarmlet.executor.docker.internal.DockerExecutorTest.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.IPAMConfig;
import io.swarmlet.api.types.IPAMOptions;
import io.swarmlet.api.types.Ids;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.NetworkAttachment;
import io.swarmlet.api.types.NetworkSpec;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.ResourceRequirements;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.spi.executor.Controller;
import io.swarmlet.spi.executor.ExecutorException;
import io.swarmlet.spi.executor.PortSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cluster networks on the real Docker Engine of this machine
 * (design/networking.md, "Tasks"): the bridge networks the executor makes,
 * shares and removes, the container's aliases, DNS servers, extra hosts and
 * the ports it publishes for the routing mesh. Networks are named
 * {@code h3test_<run>_...} on 10.250.x.0/24 subnets and carry this run's label;
 * everything is removed after each test.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS) // guards against a hang; no test asserts durations
class DockerNetworkTest {

    static final String RUN_LABEL = "io.swarmlet.test.run";

    static DockerEngine engine;
    static String nodeId;
    static String run;
    static DockerExecutor executor;
    static String exposeImage;
    /** Third octet of the next test subnet (10.250.N.0/24), from a random start so parallel runs rarely meet. */
    static final AtomicInteger octet = new AtomicInteger(130 + ThreadLocalRandom.current().nextInt(100));

    @BeforeAll
    static void connect() throws Exception {
        engine = new DockerEngine(DockerEngine.Settings.defaults(DockerExecutorTest.HOST));
        try {
            engine.call("inspect image", c -> c.inspectImageCmd(IMAGE).exec());
        } catch (ExecutorException e) {
            fail("these tests need the Docker Engine and the local image " + IMAGE + " (run .ci/setup-host.sh as root): "
                    + e.getMessage());
        }
        run = Ids.newId().substring(0, 8).toLowerCase();
        nodeId = "test" + run;
        executor = new DockerExecutor(engine, nodeId);
        // an image that EXPOSEs ports, built from the local busybox (no registry needed)
        exposeImage = "swarmlet-test/expose:" + run;
        Path dir = Files.createTempDirectory("h3test");
        Files.writeString(dir.resolve("Dockerfile"), "FROM " + IMAGE + "\nEXPOSE 6379 5353/udp 80\n");
        docker("build", "-q", "-t", exposeImage, dir.toString());
    }

    @AfterAll
    static void disconnect() throws Exception {
        if (exposeImage != null) {
            new ProcessBuilder("docker", "rmi", "-f", exposeImage).redirectErrorStream(true).start().waitFor();
        }
        if (engine != null) {
            engine.close();
        }
    }

    @AfterEach
    void removeContainersAndNetworks() throws ExecutorException {
        for (Container c : engine.call("list", d -> d.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(TaskContainer.NODE_ID, nodeId)).exec())) {
            engine.call("remove", d -> {
                try {
                    d.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
                } catch (NotFoundException e) {
                    // gone
                }
                return null;
            });
        }
        for (com.github.dockerjava.api.model.Network n : ourNetworks()) {
            engine.call("remove network", d -> {
                try {
                    d.removeNetworkCmd(n.getId()).exec();
                } catch (NotFoundException e) {
                    // gone
                }
                return null;
            });
        }
        assertTrue(ourNetworks().isEmpty(), "test networks left behind");
    }

    // ---------------------------------------------------------------- creation and reuse

    @Test
    void theNetworkIsMadeWithItsRangeGatewayAndLabelsAndReusedByTheNextTask() throws Exception {
        Network net = network("app_default");
        Task first = task("web", spec("sleep", "300"), attach(net));
        Controller a = executor.controller(first);
        a.prepare();

        com.github.dockerjava.api.model.Network n = dockerNetwork(name(net)).orElseThrow();
        assertEquals("bridge", n.getDriver());
        assertEquals(1, n.getIpam().getConfig().size());
        assertEquals(range(net), n.getIpam().getConfig().get(0).getSubnet(), "the engine hands out the lower half only");
        assertEquals(gateway(net), n.getIpam().getConfig().get(0).getGateway());
        assertEquals(net.getId(), n.getLabels().get(Networks.NETWORK_ID));
        assertEquals("h3test", n.getLabels().get("com.docker.stack.namespace"));
        assertFalse(Boolean.TRUE.equals(n.getInternal()));

        InspectContainerResponse c = inspect(name(first));
        assertEquals(name(net), c.getHostConfig().getNetworkMode());
        assertEquals(List.of(dns(net)), List.of(c.getHostConfig().getDns()));

        // a second task (here: of another node sharing the engine) uses the same network
        DockerExecutor other = new DockerExecutor(engine, nodeId);
        Task second = task("web", spec("sleep", "300"), attach(net));
        Controller b = other.controller(second);
        b.prepare();
        assertEquals(List.of(n.getId()), ourNetworks().stream().map(com.github.dockerjava.api.model.Network::getId)
                .toList());

        a.start();
        a.waitReady();
        b.start();
        b.waitReady();
        String ipA = ((PortSource) a).containerAddress();
        String ipB = ((PortSource) b).containerAddress();
        assertTrue(ipA.startsWith(prefix(net)) && lastOctet(ipA) < 128, "in the range: " + ipA);
        assertTrue(ipB.startsWith(prefix(net)) && lastOctet(ipB) < 128, "in the range: " + ipB);
        assertFalse(ipA.equals(ipB));
    }

    @Test
    void anInternalNetworkIsInternal() throws Exception {
        Network net = network("back").toBuilder().setSpec(network("back").getSpec().toBuilder().setInternal(true)).build();
        executor.controller(task("db", spec("sleep", "300"), attach(net))).prepare();
        assertTrue(dockerNetwork(name(net)).orElseThrow().getInternal());
    }

    @Test
    void aForeignNetworkOfTheSameNameIsAClearFatalError() throws Exception {
        Network net = network("app_default");
        int third = octet.getAndIncrement();
        engine.call("create", d -> d.createNetworkCmd().withName(name(net)).withDriver("bridge")
                .withLabels(Map.of(RUN_LABEL, run)).withIpam(new com.github.dockerjava.api.model.Network.Ipam()
                        .withConfig(new com.github.dockerjava.api.model.Network.Ipam.Config()
                                .withSubnet("10.250." + third + ".0/24")))
                .exec());
        Task task = task("web", spec("sleep", "300"), attach(net));
        ExecutorException e = assertThrows(ExecutorException.class, () -> executor.controller(task).prepare());
        assertTrue(e.fatal());
        assertEquals("task " + task.getId() + ": network " + name(net) + " already exists on this engine and is not the"
                + " cluster's network " + net.getId() + ": remove it (docker network rm " + name(net) + ")",
                e.getMessage());
        assertTrue(engine.call("list", d -> d.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(TaskContainer.TASK_ID, task.getId())).exec()).isEmpty());
    }

    @Test
    void aNetworkOfTheSameNameForAnotherClusterNetworkIsFatalToo() throws Exception {
        Network net = network("app_default");
        executor.controller(task("web", spec("sleep", "300"), attach(net))).prepare();
        Network other = net.toBuilder().setId(Ids.newId()).build();
        ExecutorException e = assertThrows(ExecutorException.class,
                () -> executor.controller(task("web", spec("sleep", "300"), attach(other))).prepare());
        assertTrue(e.fatal());
        assertTrue(e.getMessage().endsWith("network " + name(net) + " already exists on this engine and is not the"
                + " cluster's network " + other.getId() + ": remove it (docker network rm " + name(net) + ")"),
                e.getMessage());
    }

    @Test
    void aRangeOverlappingAnotherNetworkNamesIt() throws Exception {
        Network net = network("app_default");
        String blocker = "h3test_" + run + "_blocker";
        engine.call("create", d -> d.createNetworkCmd().withName(blocker).withDriver("bridge")
                .withLabels(Map.of(RUN_LABEL, run)).withIpam(new com.github.dockerjava.api.model.Network.Ipam()
                        .withConfig(new com.github.dockerjava.api.model.Network.Ipam.Config()
                                .withSubnet(net.getIpam().getConfigs(0).getSubnet())))
                .exec());
        ExecutorException e = assertThrows(ExecutorException.class,
                () -> executor.controller(task("web", spec("sleep", "300"), attach(net))).prepare());
        assertTrue(e.fatal());
        assertTrue(e.getMessage().contains("create network " + name(net) + ": its range " + range(net)
                + " overlaps network " + blocker + " (" + net.getIpam().getConfigs(0).getSubnet() + ") on this engine:"
                + " remove that network (docker network rm " + blocker + ")"), e.getMessage());
    }

    @Test
    void nodesSharingTheEngineRaceToCreateTheNetworkAndAllUseOne() throws Exception {
        Network net = network("race");
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                DockerExecutor node = new DockerExecutor(engine, nodeId);
                Task t = task("web", spec("sleep", "300"), attach(net));
                done.add(pool.submit(() -> {
                    node.controller(t).prepare();
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, ourNetworks().size());
    }

    // ---------------------------------------------------------------- names, DNS, hosts

    @Test
    void tasksResolveEachOthersTaskNamesAndADnsrrServicesName() throws Exception {
        Network net = network("app_default");
        Task server = dnsrr(task("h3web", httpd(), attach(net, "backend")));
        Task client = task("h3client", spec("sleep", "300"), attach(net));
        Controller s = run(server);
        run(client);

        ContainerNetwork sn = inspect(name(server)).getNetworkSettings().getNetworks().get(name(net));
        assertTrue(sn.getAliases().containsAll(List.of("tasks.h3web", "tasks.backend", "h3web", "backend")),
                sn.getAliases().toString());
        ContainerNetwork cn = inspect(name(client)).getNetworkSettings().getNetworks().get(name(net));
        assertTrue(cn.getAliases().contains("tasks.h3client"), cn.getAliases().toString());
        assertFalse(cn.getAliases().contains("h3client"), "a vip service's name is the mesh's DNS's: " + cn.getAliases());

        String ip = ((PortSource) s).containerAddress();
        assertTrue(exec(name(client), "nslookup tasks.h3web").contains(ip));
        assertTrue(exec(name(client), "nslookup tasks.backend").contains(ip));
        assertTrue(exec(name(client), "wget -q -O - http://h3web/").startsWith("hello from "));
        assertTrue(exec(name(client), "wget -q -O - http://backend/").startsWith("hello from "));
    }

    @Test
    void aTaskOnTwoNetworksIsOnBothWithItsAliasesAndBothDnsServers() throws Exception {
        Network front = network("front");
        Network back = network("back");
        Task task = task("h3api", httpd(), attach(front), attach(back, "api"));
        Controller c = run(task);

        InspectContainerResponse i = inspect(name(task));
        assertEquals(List.of(dns(front), dns(back)), List.of(i.getHostConfig().getDns()));
        Map<String, ContainerNetwork> on = i.getNetworkSettings().getNetworks();
        assertEquals(java.util.Set.of(name(front), name(back)), on.keySet());
        assertTrue(on.get(name(back)).getAliases().containsAll(List.of("tasks.h3api", "tasks.api")),
                on.get(name(back)).getAliases().toString());
        assertEquals(on.get(name(front)).getIpAddress(), ((PortSource) c).containerAddress(),
                "the address on the first network");

        Task peer = task("h3peer", spec("sleep", "300"), attach(back));
        run(peer);
        assertTrue(exec(name(peer), "nslookup tasks.api").contains(on.get(name(back)).getIpAddress()));
    }

    @Test
    void extraHostsAndTheStopSignalReachTheContainer() throws Exception {
        Task task = task("h3hosts", spec("sleep", "300").addHosts("10.250.9.9 h3db h3db.local")
                .addHosts("10.250.9.10  h3cache").setStopSignal("SIGINT"));
        run(task);
        String hosts = exec(name(task), "cat /etc/hosts");
        assertTrue(hosts.matches("(?s).*10\\.250\\.9\\.9\\s+h3db\\b.*"), hosts);
        assertTrue(hosts.matches("(?s).*10\\.250\\.9\\.9\\s+h3db\\.local\\b.*"), hosts);
        assertTrue(hosts.matches("(?s).*10\\.250\\.9\\.10\\s+h3cache\\b.*"), hosts);
        assertEquals("SIGINT", DockerExecutorTest.inspectField(name(task), "{{.Config.StopSignal}}"));
    }

    @Test
    void aMalformedHostsEntryIsFatal() {
        Task task = task("h3hosts", spec("sleep", "300").addHosts("h3db"));
        ExecutorException e = assertThrows(ExecutorException.class, () -> executor.controller(task).prepare());
        assertTrue(e.fatal());
        assertEquals("invalid spec for task " + task.getId() + ": hosts entry \"h3db\" is not of the form"
                + " \"IP HOST [HOST...]\"", e.getMessage());
    }

    // ---------------------------------------------------------------- ports

    @Test
    void internalAndImageExposedPortsArePublishedOnEnginePorts() throws Exception {
        Network net = network("app_default");
        Task task = task("h3ports", httpd().setImage(exposeImage), attach(net)).toBuilder()
                .setEndpoint(Endpoint.newBuilder().addPorts(port("", 80, 0, PortConfig.PublishMode.INTERNAL)))
                .build();
        Controller c = run(task);
        List<PortConfig> ports = ((PortSource) c).publishedPorts();
        assertEquals(3, ports.size(), ports.toString());
        PortConfig http = ports.get(0);
        assertEquals(80, http.getTargetPort());
        assertEquals(PortConfig.PublishMode.INTERNAL, http.getPublishMode());
        assertTrue(http.getPublishedPort() > 0, http.toString());
        assertTrue(httpGet(http.getPublishedPort()).startsWith("hello from "));
        // the image's EXPOSE ports besides the endpoint's (80 is in both: once)
        assertEquals(List.of("TCP/6379/INTERNAL", "UDP/5353/INTERNAL"), ports.subList(1, 3).stream()
                .map(p -> p.getProtocol() + "/" + p.getTargetPort() + "/" + p.getPublishMode()).toList());
        assertTrue(ports.get(1).getPublishedPort() > 0 && ports.get(2).getPublishedPort() > 0, ports.toString());
    }

    @Test
    void aTaskWithoutNetworksDoesNotPublishItsImagesPorts() throws Exception {
        Task task = task("h3plain", httpd().setImage(exposeImage));
        Controller c = run(task);
        assertEquals(List.of(), ((PortSource) c).publishedPorts());
        String mode = inspect(name(task)).getHostConfig().getNetworkMode();
        assertTrue(List.of("default", "bridge").contains(mode), "on the default bridge: " + mode);
    }

    // ---------------------------------------------------------------- cleanup

    @Test
    void theNetworkIsRemovedWithItsLastContainer() throws Exception {
        Network net = network("app_default");
        Controller a = run(task("web", spec("sleep", "300"), attach(net)));
        Controller b = run(task("web", spec("sleep", "300"), attach(net)));
        a.shutdown();
        a.remove();
        assertTrue(dockerNetwork(name(net)).isPresent(), "kept while a container uses it");
        b.remove();
        assertTrue(dockerNetwork(name(net)).isEmpty(), "removed with the last container");
        b.remove(); // idempotent: nothing left to do
    }

    @Test
    void aCreatedContainerKeepsItsNetworkAndRemoveTaskCleansUpToo() throws Exception {
        Network net = network("app_default");
        Task waiting = task("web", spec("sleep", "300"), attach(net));
        executor.controller(waiting).prepare(); // created, never started: no endpoint on the network yet
        Task running = task("web", spec("sleep", "300"), attach(net));
        run(running);
        executor.removeTask(running.getId());
        assertTrue(dockerNetwork(name(net)).isPresent(), "kept for the created container, which could not start without it");
        executor.removeTask(waiting.getId());
        assertTrue(dockerNetwork(name(net)).isEmpty(), "removed with the last container");
    }

    @Test
    void aTaskWhoseNetworkWentAwayBeforeItStartedIsMadeAgain() throws Exception {
        Network net = network("app_default");
        Task task = task("web", spec("sleep", "300"), attach(net));
        Controller c = executor.controller(task);
        c.prepare();
        // another node's cleanup removed it in between (it saw no running container)
        engine.call("remove network", d -> {
            d.removeNetworkCmd(name(net)).exec();
            return null;
        });
        c.start();
        c.waitReady();
        assertTrue(dockerNetwork(name(net)).isPresent());
        assertTrue(((PortSource) c).containerAddress().startsWith(prefix(net)));
    }

    // ---------------------------------------------------------------- helpers

    /** A cluster network as the managers allocate one: a /24, range the lower /25, DNS at .254. */
    static Network network(String shortName) {
        int n = octet.getAndIncrement();
        String p = "10.250." + n + ".";
        return Network.newBuilder().setId(Ids.newId())
                .setSpec(NetworkSpec.newBuilder().setAnnotations(Annotations.newBuilder()
                        .setName("h3test_" + run + "_" + shortName + n)
                        .putLabels("com.docker.stack.namespace", "h3test").putLabels(RUN_LABEL, run)))
                .setIpam(IPAMOptions.newBuilder().addConfigs(IPAMConfig.newBuilder().setSubnet(p + "0/24")
                        .setRange(p + "0/25").setGateway(p + "1")))
                .setDnsAddr(p + "254")
                .build();
    }

    static NetworkAttachment attach(Network n, String... aliases) {
        return NetworkAttachment.newBuilder().setNetworkId(n.getId()).setNetwork(n).addAllAliases(List.of(aliases))
                .build();
    }

    static Task task(String service, ContainerSpec.Builder container, NetworkAttachment... networks) {
        return Task.newBuilder().setId(Ids.newId()).setServiceId(Ids.newId()).setSlot(1).setNodeId(nodeId)
                .setServiceAnnotations(Annotations.newBuilder().setName(service))
                .setSpec(TaskSpec.newBuilder().setContainer(container)
                        .setResources(ResourceRequirements.getDefaultInstance()))
                .addAllNetworks(List.of(networks))
                .build();
    }

    static Task dnsrr(Task t) {
        return t.toBuilder().setEndpoint(t.getEndpoint().toBuilder()
                .setSpec(EndpointSpec.newBuilder().setMode(EndpointSpec.ResolutionMode.DNSRR))).build();
    }

    static Controller run(Task t) throws Exception {
        Controller c = executor.controller(t);
        c.prepare();
        c.start();
        c.waitReady();
        return c;
    }

    static String name(Task t) {
        return TaskContainer.name(t, nodeId);
    }

    static String name(Network n) {
        return n.getSpec().getAnnotations().getName();
    }

    static String range(Network n) {
        return n.getIpam().getConfigs(0).getRange();
    }

    static String gateway(Network n) {
        return n.getIpam().getConfigs(0).getGateway();
    }

    static String dns(Network n) {
        return n.getDnsAddr();
    }

    static String prefix(Network n) {
        return gateway(n).substring(0, gateway(n).length() - 1);
    }

    static int lastOctet(String ip) {
        return Integer.parseInt(ip.substring(ip.lastIndexOf('.') + 1));
    }

    static InspectContainerResponse inspect(String container) throws ExecutorException {
        return engine.call("inspect", d -> d.inspectContainerCmd(container).exec());
    }

    static Optional<com.github.dockerjava.api.model.Network> dockerNetwork(String name) throws ExecutorException {
        return new Networks(engine).find(name);
    }

    static List<com.github.dockerjava.api.model.Network> ourNetworks() throws ExecutorException {
        return engine.call("list networks", d -> d.listNetworksCmd()
                .withFilter("label", List.of(RUN_LABEL + "=" + run)).exec());
    }

    /** Runs {@code command} in the container until it succeeds (a new container's DNS and server start just after it). */
    static String exec(String container, String command) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            Process p = new ProcessBuilder("docker", "exec", container, "sh", "-c", command).redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() == 0) {
                return out;
            }
            if (System.nanoTime() - deadline > 0) {
                return fail("docker exec " + container + " " + command + " failed: " + out);
            }
            Thread.sleep(200);
        }
    }

    static String docker(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("docker"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
        assertNotNull(out);
        return out;
    }
}
