package io.swarmlet.executor.docker.internal;

import io.swarmlet.api.types.Cidr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.exception.BadRequestException;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.core.command.CreateContainerCmdImpl;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.HealthConfig;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.PortConfig.Protocol;
import io.swarmlet.api.types.PortConfig.PublishMode;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.spi.executor.ExecutorException;
import io.swarmlet.spi.executor.LogSource.LogLine;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parts of the executor that need no engine: names, labels, spec mapping, messages, log lines. */
class TaskContainerTest {

    static Task task(long slot, ContainerSpec.Builder spec) {
        return Task.newBuilder().setId("t1").setServiceId("s1").setSlot(slot).setNodeId("n1")
                .setServiceAnnotations(Annotations.newBuilder().setName("web"))
                .setSpec(TaskSpec.newBuilder().setContainer(spec)).build();
    }

    static ContainerSpec.Builder spec() {
        return ContainerSpec.newBuilder().setImage("img:1");
    }

    @Test
    void namesAreServiceSlotTaskOrServiceNodeTaskForGlobalServices() {
        assertEquals("web.3.t1", new TaskContainer(task(3, spec()), "local").name());
        assertEquals("web.n1.t1", new TaskContainer(task(0, spec()), "local").name());
        Task noNode = task(0, spec()).toBuilder().setNodeId("").build();
        assertEquals("web.local.t1", new TaskContainer(noNode, "local").name());
    }

    @Test
    void ourLabelsWinOverTheSpecs() {
        Map<String, String> l = new TaskContainer(task(1, spec().putLabels("io.swarmlet.task.id", "spoofed")
                .putLabels("app", "x")), "local").labels();
        assertEquals("t1", l.get("io.swarmlet.task.id"));
        assertEquals("t1", l.get("com.docker.swarm.task.id"));
        assertEquals("web.1.t1", l.get("com.docker.swarm.task.name"));
        assertEquals("s1", l.get("com.docker.swarm.service.id"));
        assertEquals("web", l.get("io.swarmlet.service.name"));
        assertEquals("n1", l.get("io.swarmlet.node.id"));
        assertEquals("x", l.get("app"));
    }

    @Test
    void initIsOnUnlessTurnedOffAndGraceDefaultsToTenSeconds() {
        assertTrue(new TaskContainer(task(1, spec()), "n").init());
        assertFalse(new TaskContainer(task(1, spec().setInit(false)), "n").init());
        assertEquals(10, new TaskContainer(task(1, spec()), "n").stopTimeoutSeconds());
        assertEquals(2, new TaskContainer(task(1, spec().setStopGracePeriodMs(1_500)), "n").stopTimeoutSeconds());
    }

    @Test
    void healthCheckMapsToNanosecondsAndNoneDisables() {
        assertNull(new TaskContainer(task(1, spec()), "n").healthCheck());
        HealthCheck h = new TaskContainer(task(1, spec().setHealthcheck(HealthConfig.newBuilder()
                .addTest("CMD-SHELL").addTest("false").setIntervalMs(1_000).setTimeoutMs(500).setRetries(2)
                .setStartPeriodMs(3_000))), "n").healthCheck();
        assertEquals(List.of("CMD-SHELL", "false"), h.getTest());
        assertEquals(1_000_000_000L, h.getInterval());
        assertEquals(500_000_000L, h.getTimeout());
        assertEquals(2, h.getRetries());
        assertEquals(3_000_000_000L, h.getStartPeriod());
        HealthCheck none = new TaskContainer(task(1, spec().setHealthcheck(HealthConfig.newBuilder().addTest("NONE"))),
                "n").healthCheck();
        assertEquals(List.of("NONE"), none.getTest());
        assertNull(none.getInterval());
    }

    @Test
    void mountsMapToDockerMounts() {
        var bind = TaskContainer.mount(Mount.newBuilder().setType(Mount.Type.BIND).setSource("/a").setTarget("/b")
                .setReadOnly(true).build());
        assertEquals(MountType.BIND, bind.getType());
        assertEquals("/a", bind.getSource());
        assertTrue(bind.getReadOnly());
        var anon = TaskContainer.mount(Mount.newBuilder().setType(Mount.Type.VOLUME).setTarget("/v").build());
        assertEquals(MountType.VOLUME, anon.getType());
        assertNull(anon.getSource());
        assertEquals(MountType.TMPFS,
                TaskContainer.mount(Mount.newBuilder().setType(Mount.Type.TMPFS).setTarget("/t").build()).getType());
    }

    @Test
    void invalidSpecsAreFatalAndNameNoEnvValue() throws ExecutorException {
        new TaskContainer(task(1, spec().addEnv("A=b")), "n").validate();
        assertFatal("the task has no container image", spec().setImage(""));
        assertFatal("invalid environment variable name \"\"", spec().addEnv("=secretvalue"));
        assertFatal("healthcheck test must start with NONE, CMD or CMD-SHELL, not \"false\"",
                spec().setHealthcheck(HealthConfig.newBuilder().addTest("false")));
        assertFatal("bind mount /b needs an absolute source path, not \"rel\"",
                spec().addMounts(Mount.newBuilder().setType(Mount.Type.BIND).setSource("rel").setTarget("/b")));
    }

    static void assertFatal(String problem, ContainerSpec.Builder spec) {
        ExecutorException e = assertThrows(ExecutorException.class, () -> new TaskContainer(task(1, spec), "n").validate());
        assertTrue(e.fatal());
        assertEquals("invalid spec for task t1: " + problem, e.getMessage());
    }

    // ---------------------------------------------------------------- ports

    static PortConfig port(String name, Protocol protocol, int target, int published, PublishMode mode) {
        return PortConfig.newBuilder().setName(name).setProtocol(protocol).setTargetPort(target)
                .setPublishedPort(published).setPublishMode(mode).build();
    }

    static Task withPorts(Endpoint.Builder endpoint) {
        return task(1, spec()).toBuilder().setEndpoint(endpoint).build();
    }

    @Test
    void theAllocatedPortsArePublishedElseTheSpecs() {
        PortConfig asked = port("web", Protocol.TCP, 80, 0, PublishMode.INGRESS);
        PortConfig allocated = port("web", Protocol.TCP, 80, 30001, PublishMode.INGRESS);
        Endpoint.Builder spec = Endpoint.newBuilder().setSpec(EndpointSpec.newBuilder().addPorts(asked));
        assertEquals(List.of(asked), new TaskContainer(withPorts(spec), "n").ports());
        assertEquals(List.of(allocated), new TaskContainer(withPorts(spec.clone().addPorts(allocated)), "n").ports());
        assertEquals(List.of(), new TaskContainer(task(1, spec()), "n").ports());
    }

    /** A create request that is only looked at, never sent. */
    static CreateContainerCmdImpl createRequest() {
        return new CreateContainerCmdImpl(c -> {
            throw new AssertionError("not sent");
        }, null, "img:1");
    }

    @Test
    void ingressPortsGetAnEnginePortAndHostPortsTheirPublishedOne() {
        Task t = withPorts(Endpoint.newBuilder()
                .addPorts(port("web", Protocol.TCP, 80, 30001, PublishMode.INGRESS))
                .addPorts(port("dns", Protocol.UDP, 53, 30002, PublishMode.INGRESS))
                .addPorts(port("admin", Protocol.TCP, 8080, 18090, PublishMode.HOST))
                .addPorts(port("any", Protocol.TCP, 9090, 0, PublishMode.HOST)));
        CreateContainerCmdImpl cmd = createRequest();
        new TaskContainer(t, "n").configure(cmd);

        assertEquals(List.of(ExposedPort.tcp(80), ExposedPort.udp(53), ExposedPort.tcp(8080), ExposedPort.tcp(9090)),
                List.of(cmd.getExposedPorts()));
        // what goes on the wire: empty HostIp = every address, empty HostPort = the engine picks one
        assertEquals(Map.of(
                "80/tcp", List.of(Map.of("HostIp", "", "HostPort", "")),
                "53/udp", List.of(Map.of("HostIp", "", "HostPort", "")),
                "8080/tcp", List.of(Map.of("HostIp", "", "HostPort", "18090")),
                "9090/tcp", List.of(Map.of("HostIp", "", "HostPort", ""))),
                cmd.getHostConfig().getPortBindings().toPrimitive());
    }

    @Test
    void aTaskWithoutPortsExposesNothing() {
        CreateContainerCmdImpl cmd = createRequest();
        new TaskContainer(task(1, spec()), "n").configure(cmd);
        assertTrue(cmd.getExposedPorts() == null || cmd.getExposedPorts().length == 0);
        assertNull(cmd.getHostConfig().getPortBindings());
    }

    @Test
    void badPortsAreFatal() throws ExecutorException {
        new TaskContainer(withPorts(Endpoint.newBuilder().addPorts(port("", Protocol.TCP, 65535, 65535,
                PublishMode.HOST))), "n").validate();
        assertPortFatal("sctp ports are not supported (port 80/sctp)", port("", Protocol.SCTP, 80, 30000, PublishMode.INGRESS));
        assertPortFatal("target port 0 is outside 1-65535", port("", Protocol.TCP, 0, 30000, PublishMode.INGRESS));
        assertPortFatal("target port 70000 is outside 1-65535", port("", Protocol.UDP, 70000, 0, PublishMode.HOST));
        assertPortFatal("published port 65536 is outside 1-65535", port("", Protocol.TCP, 80, 65536, PublishMode.HOST));
        assertPortFatal("target port 4294967295 is outside 1-65535", port("", Protocol.TCP, -1, 0, PublishMode.HOST));
        assertPortFatal("port 80 has an unknown protocol",
                port("", Protocol.TCP, 80, 0, PublishMode.HOST).toBuilder().setProtocolValue(7).build());
        assertPortFatal("port 80 has an unknown publish mode",
                port("", Protocol.TCP, 80, 0, PublishMode.HOST).toBuilder().setPublishModeValue(9).build());
    }

    static void assertPortFatal(String problem, PortConfig p) {
        Task t = withPorts(Endpoint.newBuilder().setSpec(EndpointSpec.newBuilder().addPorts(p)));
        ExecutorException e = assertThrows(ExecutorException.class, () -> new TaskContainer(t, "n").validate());
        assertTrue(e.fatal());
        assertEquals("invalid spec for task t1: " + problem, e.getMessage());
    }

    @Test
    void publishedPortsComeFromTheIpv4BindingsOnce() {
        PortConfig web = port("web", Protocol.TCP, 80, 30001, PublishMode.INGRESS);
        PortConfig dns = port("dns", Protocol.UDP, 53, 30002, PublishMode.INGRESS);
        PortConfig admin = port("admin", Protocol.TCP, 8080, 18090, PublishMode.HOST);
        PortConfig any = port("any", Protocol.TCP, 9090, 0, PublishMode.HOST);
        PortConfig unbound = port("gone", Protocol.TCP, 7070, 30003, PublishMode.INGRESS);
        Map<ExposedPort, Ports.Binding[]> bindings = Map.of(
                ExposedPort.tcp(80), new Ports.Binding[] {new Ports.Binding("0.0.0.0", "49153"),
                        new Ports.Binding("::", "49153")},
                ExposedPort.udp(53), new Ports.Binding[] {new Ports.Binding("::", "49160"),
                        new Ports.Binding("0.0.0.0", "49154")},
                ExposedPort.tcp(8080), new Ports.Binding[] {new Ports.Binding("0.0.0.0", "18090")},
                ExposedPort.tcp(9090), new Ports.Binding[] {new Ports.Binding("::", "49155"),
                        new Ports.Binding("", "49156")});
        assertEquals(List.of(
                web.toBuilder().setPublishedPort(49153).build(),
                dns.toBuilder().setPublishedPort(49154).build(),
                admin,
                any.toBuilder().setPublishedPort(49156).build()),
                TaskContainer.published(List.of(web, dns, admin, any, unbound), bindings));
        assertEquals(List.of(), TaskContainer.published(List.of(web), Map.of()));
    }

    @Test
    void aTargetPublishedTwiceKeepsEachBindingApart() {
        PortConfig ingress = port("", Protocol.TCP, 80, 30001, PublishMode.INGRESS);
        PortConfig host = port("", Protocol.TCP, 80, 18090, PublishMode.HOST);
        Map<ExposedPort, Ports.Binding[]> bindings = Map.of(ExposedPort.tcp(80), new Ports.Binding[] {
                new Ports.Binding("0.0.0.0", "18090"), new Ports.Binding("0.0.0.0", "49153")});
        assertEquals(List.of(ingress.toBuilder().setPublishedPort(49153).build(), host),
                TaskContainer.published(List.of(ingress, host), bindings));
    }

    @Test
    void aTakenHostPortIsNamed() {
        List<PortConfig> ports = List.of(port("", Protocol.UDP, 53, 18091, PublishMode.HOST));
        assertEquals("host port 18090/tcp is already in use on this node", DockerErrors.portInUse(
                "driver failed programming external connectivity on endpoint web.1.x (16ad): Error starting userland"
                        + " proxy: listen tcp4 0.0.0.0:18090: bind: address already in use", ports));
        assertEquals("host port 18091/udp is already in use on this node", DockerErrors.portInUse(
                "driver failed programming external connectivity on endpoint web.1.x (8d90): Bind for 0.0.0.0:18091"
                        + " failed: port is already allocated", ports));
        assertEquals("host port 18092 is already in use on this node", DockerErrors.portInUse(
                "Bind for [::]:18092 failed: port is already allocated", ports));
        assertNull(DockerErrors.portInUse("OCI runtime create failed", ports));
    }

    @Test
    void engineMessagesAreShortAndRedacted() {
        BadRequestException e = new BadRequestException("{\"message\":\"invalid mount config for type \\\"bind\\\":"
                + " bind source path does not exist: /x\"}\n");
        assertEquals("invalid mount config for type \"bind\": bind source path does not exist: /x",
                DockerErrors.engineMessage(e));
        ExecutorException x = DockerErrors.translate("create container a", new BadRequestException(
                "{\"message\":\"bad value hunter22 in spec\"}"), "unix:///s", List.of("PW=hunter22", "X=1"), true);
        assertEquals("create container a: bad value *** in spec", x.getMessage());
        assertTrue(x.fatal());
        assertFalse(String.valueOf(x.getCause().getMessage()).contains("hunter22"));
    }

    @Test
    void logLinesKeepTheirTimestamps() {
        LogLine l = LogPump.parse("2024-05-01T10:00:00.123456789Z hello world\r", true);
        assertEquals(java.time.Instant.parse("2024-05-01T10:00:00.123Z").toEpochMilli(), l.timestamp());
        assertEquals("hello world", l.line());
        assertTrue(l.stderr());
        assertEquals("no timestamp", LogPump.parse("no timestamp", false).line());
    }

    @Test
    void untaggedImagesArePulledAsLatest() {
        assertEquals("busybox:latest", Images.withDefaultTag("busybox"));
        assertEquals("localhost:5000/a/b:latest", Images.withDefaultTag("localhost:5000/a/b"));
        assertEquals("a/b:1", Images.withDefaultTag("a/b:1"));
        assertEquals("a@sha256:00", Images.withDefaultTag("a@sha256:00"));
        assertTrue(Images.unreachable("Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup x: no such host"));
        assertFalse(Images.unreachable("pull access denied for x, repository does not exist"));
    }

    // ---------------------------------------------------------------- networks, hosts, extra ports

    static io.swarmlet.api.types.NetworkAttachment attachment(String name, String dns, String... aliases) {
        return io.swarmlet.api.types.NetworkAttachment.newBuilder().setNetworkId("id-" + name)
                .setNetwork(io.swarmlet.api.types.Network.newBuilder().setId("id-" + name).setDnsAddr(dns)
                        .setSpec(io.swarmlet.api.types.NetworkSpec.newBuilder()
                                .setAnnotations(Annotations.newBuilder().setName(name))))
                .addAllAliases(List.of(aliases)).build();
    }

    @Test
    void aVipTaskHasTaskAliasesOnlyAndADnsrrTaskItsNamesToo() {
        Task vip = task(1, spec()).toBuilder().addNetworks(attachment("app_default", "10.0.1.254", "backend"))
                .addNetworks(attachment("other", "10.0.2.254")).build();
        TaskContainer tc = new TaskContainer(vip, "n");
        assertEquals(List.of("tasks.web", "tasks.backend"), tc.aliases(vip.getNetworks(0)));
        assertEquals(List.of("tasks.web"), tc.aliases(vip.getNetworks(1)));
        assertEquals(List.of("10.0.1.254", "10.0.2.254"), tc.dns());
        assertEquals("app_default", tc.primaryNetwork());

        Task dnsrr = vip.toBuilder().setEndpoint(Endpoint.newBuilder().setSpec(EndpointSpec.newBuilder()
                .setMode(EndpointSpec.ResolutionMode.DNSRR))).build();
        assertEquals(List.of("tasks.web", "tasks.backend", "web", "backend"),
                new TaskContainer(dnsrr, "n").aliases(dnsrr.getNetworks(0)));

        CreateContainerCmdImpl cmd = createRequest();
        tc.configure(cmd);
        assertEquals("app_default", cmd.getHostConfig().getNetworkMode());
        assertEquals(List.of("tasks.web", "tasks.backend"), cmd.getAliases());
        assertEquals(List.of("10.0.1.254", "10.0.2.254"), List.of(cmd.getHostConfig().getDns()));
    }

    @Test
    void aTaskWithoutNetworksStaysOnTheDefaultBridge() {
        CreateContainerCmdImpl cmd = createRequest();
        TaskContainer tc = new TaskContainer(task(1, spec()), "n");
        tc.configure(cmd, List.of(ExposedPort.tcp(6379)));
        assertNull(cmd.getHostConfig().getNetworkMode());
        assertNull(cmd.getAliases());
        assertNull(cmd.getHostConfig().getDns());
        assertEquals(List.of(), tc.imagePorts(List.of(ExposedPort.tcp(6379))), "image ports need a network");
    }

    @Test
    void hostsBecomeOneHostIpEntryPerNameAndTheStopSignalIsKept() {
        CreateContainerCmdImpl cmd = createRequest();
        new TaskContainer(task(1, spec().addHosts("10.0.0.5 db db.local").addHosts("::1\tipv6-host")
                .setStopSignal("SIGQUIT")), "n").configure(cmd);
        assertEquals(List.of("db:10.0.0.5", "db.local:10.0.0.5", "ipv6-host:::1"),
                List.of(cmd.getHostConfig().getExtraHosts()));
        assertEquals("SIGQUIT", cmd.getStopSignal());
    }

    @Test
    void imagePortsBesidesTheEndpointsArePublishedAndReportedAsInternal() {
        Task t = withPorts(Endpoint.newBuilder().addPorts(port("", Protocol.TCP, 80, 0, PublishMode.INTERNAL)))
                .toBuilder().addNetworks(attachment("app_default", "10.0.1.254")).build();
        TaskContainer tc = new TaskContainer(t, "n");
        List<ExposedPort> image = List.of(ExposedPort.tcp(80), ExposedPort.udp(5353), ExposedPort.tcp(6379),
                ExposedPort.sctp(9));
        assertEquals(List.of(ExposedPort.udp(5353), ExposedPort.tcp(6379)), tc.imagePorts(image));
        CreateContainerCmdImpl cmd = createRequest();
        tc.configure(cmd, image);
        assertEquals(List.of(ExposedPort.tcp(80), ExposedPort.udp(5353), ExposedPort.tcp(6379)),
                List.of(cmd.getExposedPorts()));
        assertEquals(Map.of(
                "80/tcp", List.of(Map.of("HostIp", "", "HostPort", "")),
                "5353/udp", List.of(Map.of("HostIp", "", "HostPort", "")),
                "6379/tcp", List.of(Map.of("HostIp", "", "HostPort", ""))),
                cmd.getHostConfig().getPortBindings().toPrimitive());

        Ports bound = new Ports();
        bound.bind(ExposedPort.tcp(80), Ports.Binding.bindPort(32001));
        bound.bind(ExposedPort.tcp(6379), Ports.Binding.bindIpAndPort("0.0.0.0", 32003));
        bound.bind(ExposedPort.tcp(6379), Ports.Binding.bindIpAndPort("::", 32003));
        bound.bind(ExposedPort.udp(5353), Ports.Binding.bindPort(32002));
        List<PortConfig> own = tc.ports();
        assertEquals(List.of(port("", Protocol.TCP, 80, 32001, PublishMode.INTERNAL)),
                TaskContainer.published(own, bound.getBindings()));
        assertEquals(List.of(
                PortConfig.newBuilder().setProtocol(Protocol.TCP).setTargetPort(6379).setPublishedPort(32003)
                        .setPublishMode(PublishMode.INTERNAL).build(),
                PortConfig.newBuilder().setProtocol(Protocol.UDP).setTargetPort(5353).setPublishedPort(32002)
                        .setPublishMode(PublishMode.INTERNAL).build()),
                TaskContainer.extraPublished(own, bound.getBindings()));
    }

    @Test
    void malformedHostsAndNamelessNetworksAreFatal() {
        ExecutorException e = assertThrows(ExecutorException.class,
                () -> new TaskContainer(task(1, spec().addHosts("10.0.0.5")), "n").validate());
        assertTrue(e.fatal());
        assertEquals("invalid spec for task t1: hosts entry \"10.0.0.5\" is not of the form \"IP HOST [HOST...]\"",
                e.getMessage());
        Task nameless = task(1, spec()).toBuilder().addNetworks(attachment("", "")).build();
        e = assertThrows(ExecutorException.class, () -> new TaskContainer(nameless, "n").validate());
        assertEquals("invalid spec for task t1: network id- has no name", e.getMessage());
    }

    @Test
    void cidrBlocksOverlap() {
        assertTrue(Cidr.overlap("10.0.1.0/25", "10.0.1.0/24"));
        assertTrue(Cidr.overlap("10.0.0.0/8", "10.250.3.0/25"));
        assertFalse(Cidr.overlap("10.0.1.0/25", "10.0.1.128/25"));
        assertFalse(Cidr.overlap("10.0.1.0/25", "fd00::/64"));
        assertFalse(Cidr.overlap("bad", "10.0.0.0/8"));
    }

    @Test
    void theCreateRequestNeverShowsItsEnvironment() {
        try (DockerEngine e = new DockerEngine(DockerEngine.Settings.defaults("unix:///nonexistent.sock"))) {
            var cmd = e.newCreate("img:1").withName("web.1.t1").withEnv("TOKEN=leak-canary-42");
            assertEquals("create container web.1.t1 from img:1", cmd.toString());
        }
    }
}
