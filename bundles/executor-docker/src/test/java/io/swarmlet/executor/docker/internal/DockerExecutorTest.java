package io.swarmlet.executor.docker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import io.swarmlet.api.testing.FreePorts;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.HealthConfig;
import io.swarmlet.api.types.Ids;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.ResourceRequirements;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.spi.executor.Controller;
import io.swarmlet.spi.executor.Controller.ExitStatus;
import io.swarmlet.spi.executor.Controller.RuntimeStatus;
import io.swarmlet.spi.executor.ExecutorException;
import io.swarmlet.spi.executor.LogSource;
import io.swarmlet.spi.executor.LogSource.LogLine;
import io.swarmlet.spi.executor.PortSource;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Docker executor against the real Docker Engine of this machine
 * (/var/run/docker.sock) and its local test images swarmlet/busybox:1 and :2
 * (.ci/setup-host.sh). Without an engine these tests fail; they never skip.
 * Every container made here carries this run's node ID label and is removed
 * after each test.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // guards against a hang; no test asserts durations
class DockerExecutorTest {

    static final String HOST = System.getProperty("swarmlet.test.docker.host", "unix:///var/run/docker.sock");
    static final String IMAGE = "swarmlet/busybox:1";
    static final long MB = 1024 * 1024;

    static DockerEngine engine;
    static String nodeId;
    static DockerExecutor executor;

    @TempDir
    Path tmp;

    @BeforeAll
    static void connect() {
        engine = new DockerEngine(DockerEngine.Settings.defaults(HOST));
        try {
            engine.call("ping", c -> c.pingCmd().exec());
        } catch (ExecutorException e) {
            fail("these tests need the Docker Engine at " + HOST + " (run .ci/setup-host.sh as root): " + e.getMessage());
        }
        try {
            engine.call("inspect image", c -> c.inspectImageCmd(IMAGE).exec());
        } catch (ExecutorException e) {
            fail("these tests need the local image " + IMAGE + " (run .ci/setup-host.sh as root): " + e.getMessage());
        }
        nodeId = "test" + Ids.newId().substring(0, 12);
        executor = new DockerExecutor(engine, nodeId);
    }

    @AfterAll
    static void disconnect() {
        if (engine != null) {
            engine.close();
        }
    }

    @AfterEach
    void removeContainers() throws ExecutorException {
        for (Container c : containers(Map.of(TaskContainer.NODE_ID, nodeId))) {
            engine.call("remove", d -> {
                try {
                    d.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
                } catch (NotFoundException e) {
                    // gone
                }
                return null;
            });
        }
        assertTrue(containers(Map.of(TaskContainer.NODE_ID, nodeId)).isEmpty(), "test containers left behind");
    }

    // ---------------------------------------------------------------- lifecycle

    @Test
    void runsTheTaskWithItsNameLabelsInitAndLimits() throws Exception {
        Task task = task("web", 1, spec("sh", "-c", "echo hello; sleep 300").addEnv("PASSWORD=s3cr3t-value"),
                resources(64 * MB, 500_000_000L, 64));
        Controller c = executor.controller(task);
        c.prepare();
        c.start();
        c.waitReady();

        String name = "web.1." + task.getId();
        InspectContainerResponse i = docker(name);
        assertEquals("/" + name, i.getName());
        assertTrue(i.getState().getRunning());
        Map<String, String> labels = i.getConfig().getLabels();
        assertEquals(task.getId(), labels.get("com.docker.swarm.task.id"));
        assertEquals(name, labels.get("com.docker.swarm.task.name"));
        assertEquals(task.getServiceId(), labels.get("com.docker.swarm.service.id"));
        assertEquals("web", labels.get("com.docker.swarm.service.name"));
        assertEquals(nodeId, labels.get("com.docker.swarm.node.id"));
        assertEquals(task.getId(), labels.get("io.swarmlet.task.id"));
        assertEquals(name, labels.get("io.swarmlet.task.name"));
        assertEquals(task.getServiceId(), labels.get("io.swarmlet.service.id"));
        assertEquals("web", labels.get("io.swarmlet.service.name"));
        assertEquals(nodeId, labels.get("io.swarmlet.node.id"));
        assertEquals("yes", labels.get("io.swarmlet.test"));
        assertEquals(Boolean.TRUE, i.getHostConfig().getInit());
        assertEquals(64 * MB, i.getHostConfig().getMemory());
        assertEquals(500_000_000L, i.getHostConfig().getNanoCPUs());
        assertEquals(64L, i.getHostConfig().getPidsLimit());
        assertEquals(List.of("sh", "-c", "echo hello; sleep 300"), List.of(i.getConfig().getEntrypoint()));
        assertEquals(String.valueOf(TaskContainer.DEFAULT_STOP_SECONDS), inspectField(name, "{{.Config.StopTimeout}}"));

        RuntimeStatus status = c.inspect().orElseThrow();
        assertEquals(i.getId(), status.containerId());
        assertTrue(status.running());
        assertTrue(status.pid() > 0);
        assertEquals("", status.health());

        LogLine hello = follow(c, "hello");
        assertFalse(hello.stderr());
        assertTrue(hello.timestamp() > 0);

        c.shutdown();
        assertFalse(docker(name).getState().getRunning());
        assertEquals("exited", docker(name).getState().getStatus());
        assertFalse(c.inspect().orElseThrow().running());

        c.remove();
        assertTrue(containers(Map.of(TaskContainer.TASK_ID, task.getId())).isEmpty());
        assertEquals(Optional.empty(), c.inspect());
        c.remove(); // idempotent
        c.shutdown();
        c.terminate();
    }

    @Test
    void aSecondControllerAdoptsTheContainer() throws Exception {
        Task task = task("adopt", 2, spec("sh", "-c", "sleep 300"), ResourceRequirements.getDefaultInstance());
        Controller first = executor.controller(task);
        first.prepare();
        first.start();
        String id = first.inspect().orElseThrow().containerId();

        Controller second = executor.controller(task);
        second.prepare();
        second.start();
        assertEquals(1, containers(Map.of(TaskContainer.TASK_ID, task.getId())).size());
        assertEquals(id, second.inspect().orElseThrow().containerId());
        assertTrue(second.inspect().orElseThrow().running());
        second.terminate();
        assertFalse(first.inspect().orElseThrow().running());
    }

    @Test
    void aMissingImageIsFatalAtOnce() throws Exception {
        Task task = task("missing", 1, ContainerSpec.newBuilder().setImage("swarmlet/busybox:nope")
                .addCommand("true"), ResourceRequirements.getDefaultInstance());
        // no registry is reachable here: the pull must give up on its own, well before this guard
        ExecutorException e = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> assertThrows(ExecutorException.class, () -> executor.controller(task).prepare()));
        assertTrue(e.fatal());
        assertEquals("image swarmlet/busybox:nope not found locally and no registry reachable", e.getMessage());
        assertTrue(containers(Map.of(TaskContainer.TASK_ID, task.getId())).isEmpty());
    }

    @Test
    void waitExitReturnsTheExitCode() throws Exception {
        Task task = task("job", 1, spec("sh", "-c", "echo done; exit 3"), ResourceRequirements.getDefaultInstance());
        Controller c = executor.controller(task);
        c.prepare();
        c.start();
        assertEquals(new ExitStatus(3, ""), c.waitExit());
        assertEquals(3, c.inspect().orElseThrow().exitCode());
        ExecutorException e = assertThrows(ExecutorException.class, c::waitReady);
        assertEquals("exited with code 3", e.getMessage());
        assertFalse(e.fatal());
        // follow stops by itself once the container has stopped
        List<LogLine> lines = new CopyOnWriteArrayList<>();
        ((LogSource) c).logs(-1, true, lines::add);
        assertEquals(List.of("done"), lines.stream().map(LogLine::line).toList());
        c.start(); // a task never runs twice: an exited container is left as it is
        assertFalse(c.inspect().orElseThrow().running());
    }

    @Test
    void aFailingHealthCheckMakesTheTaskUnhealthy() throws Exception {
        ContainerSpec.Builder spec = spec("sh", "-c", "sleep 300")
                .setStopGracePeriodMs(2_000)
                .setHealthcheck(HealthConfig.newBuilder().addTest("CMD-SHELL").addTest("false")
                        .setIntervalMs(1_000).setRetries(1));
        Task task = task("sick", 1, spec, ResourceRequirements.getDefaultInstance());
        Controller c = executor.controller(task);
        c.prepare();
        c.start();
        ExecutorException e = assertThrows(ExecutorException.class, c::waitReady);
        assertEquals("unhealthy", e.getMessage());
        assertFalse(e.fatal());
        assertEquals("unhealthy", c.inspect().orElseThrow().health());

        ExitStatus exit = c.waitExit();
        assertEquals("unhealthy", exit.message());
        assertFalse(c.inspect().orElseThrow().running());
        assertEquals("2", inspectField(new TaskContainer(task, nodeId).name(), "{{.Config.StopTimeout}}"));
    }

    @Test
    void aPassingHealthCheckMakesItReady() throws Exception {
        ContainerSpec.Builder spec = spec("sh", "-c", "sleep 300")
                .setHealthcheck(HealthConfig.newBuilder().addTest("CMD").addTest("true")
                        .setIntervalMs(500).setRetries(3));
        Controller c = executor.controller(task("healthy", 1, spec, ResourceRequirements.getDefaultInstance()));
        c.prepare();
        c.start();
        c.waitReady();
        assertEquals("healthy", c.inspect().orElseThrow().health());
    }

    @Test
    void waitExitStopsAContainerThatTurnsUnhealthy() throws Exception {
        ContainerSpec.Builder spec = spec("sh", "-c", "sleep 300")
                .setHealthcheck(HealthConfig.newBuilder().addTest("CMD").addTest("false")
                        .setIntervalMs(1_000).setRetries(1));
        Controller c = executor.controller(task("sick2", 1, spec, ResourceRequirements.getDefaultInstance()));
        c.prepare();
        c.start();
        ExitStatus exit = c.waitExit();
        assertEquals("unhealthy", exit.message());
        assertFalse(c.inspect().orElseThrow().running());
    }

    @Test
    void waitExitIsInterruptible() throws Exception {
        Controller c = executor.controller(task("long", 1, spec("sh", "-c", "sleep 300"),
                ResourceRequirements.getDefaultInstance()));
        c.prepare();
        c.start();
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                c.waitExit();
                outcome.set(new AssertionError("waitExit returned"));
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        waiter.start();
        waiter.interrupt();
        waiter.join();
        assertTrue(outcome.get() instanceof InterruptedException, String.valueOf(outcome.get()));
        assertTrue(c.inspect().orElseThrow().running());
    }

    @Test
    void aMemoryLimitBelowTheEngineMinimumIsAClearFatalError() throws Exception {
        Task task = task("tiny", 1, spec("true"), resources(MB, 0, 0));
        ExecutorException e = assertThrows(ExecutorException.class, () -> executor.controller(task).prepare());
        assertTrue(e.fatal());
        assertEquals("invalid spec for task " + task.getId() + ": memory limit 1MB is below the minimum of 6MB"
                + " the docker engine accepts", e.getMessage());
        assertTrue(containers(Map.of(TaskContainer.TASK_ID, task.getId())).isEmpty());
    }

    @Test
    void aSpecTheEngineRefusesIsFatalAndLeaksNoEnvValue() throws Exception {
        Task task = task("badbind", 1, spec("true").addEnv("API_TOKEN=tok-123456789")
                .addMounts(Mount.newBuilder().setType(Mount.Type.BIND).setSource("/nonexistent/swarmlet-test")
                        .setTarget("/data")), ResourceRequirements.getDefaultInstance());
        ExecutorException e = assertThrows(ExecutorException.class, () -> executor.controller(task).prepare());
        assertTrue(e.fatal());
        assertTrue(e.getMessage().contains("bind source path does not exist"), e.getMessage());
        assertFalse(e.getMessage().contains("tok-123456789"));
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains("tok-123456789"));
        }
    }

    @Test
    void containerSpecFieldsReachTheContainer() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("shared"));
        Files.writeString(dir.resolve("f.txt"), "from-host\n");
        ContainerSpec.Builder spec = spec("sh", "-c", "echo \"$FOO $(pwd) $(id -u) $(hostname)\"; cat /host/f.txt;"
                + " for m in /scratch /data /host; do grep -q \" $m \" /proc/mounts && echo mounted $m; done;"
                + " touch /scratch/x && echo writable; touch /host/z 2>/dev/null || echo readonly")
                .addEnv("FOO=bar")
                .setDir("/tmp")
                .setUser("1234")
                .setHostname("myhost")
                .addMounts(Mount.newBuilder().setType(Mount.Type.TMPFS).setTarget("/scratch"))
                .addMounts(Mount.newBuilder().setType(Mount.Type.VOLUME).setTarget("/data"))
                .addMounts(Mount.newBuilder().setType(Mount.Type.BIND).setSource(dir.toString()).setTarget("/host")
                        .setReadOnly(true));
        dir.toFile().setWritable(true, false);
        Task task = task("fields", 1, spec, ResourceRequirements.getDefaultInstance());
        Controller c = executor.controller(task);
        c.prepare();
        c.start();
        int code = c.waitExit().exitCode();
        List<LogLine> out = lines(c);
        assertEquals(0, code, () -> "logs: " + out);
        assertEquals(List.of("bar /tmp 1234 myhost", "from-host", "mounted /scratch", "mounted /data", "mounted /host",
                "writable", "readonly"),
                out.stream().filter(l -> !l.stderr()).map(LogLine::line).toList());
    }

    @Test
    void argsAloneReplaceTheImageCommandAndInitCanBeTurnedOff() throws Exception {
        // the image has no entrypoint and CMD ["sh"]: args replace CMD
        ContainerSpec.Builder spec = ContainerSpec.newBuilder().setImage(IMAGE).setInit(false)
                .addArgs("sh").addArgs("-c").addArgs("echo args; echo to-stderr >&2")
                .putLabels("io.swarmlet.test", "yes");
        Task task = task("args", 1, spec, ResourceRequirements.getDefaultInstance());
        Controller c = executor.controller(task);
        c.prepare();
        assertEquals(Boolean.FALSE, docker(new TaskContainer(task, nodeId).name()).getHostConfig().getInit());
        c.start();
        assertEquals(0, c.waitExit().exitCode());
        List<LogLine> l = lines(c);
        assertTrue(l.stream().anyMatch(x -> x.line().equals("args") && !x.stderr()), l.toString());
        assertTrue(l.stream().anyMatch(x -> x.line().equals("to-stderr") && x.stderr()), l.toString());
    }

    @Test
    void logsFollowUntilInterrupted() throws Exception {
        Controller c = executor.controller(task("follow", 1, spec("sh", "-c", "echo first; sleep 300"),
                ResourceRequirements.getDefaultInstance()));
        c.prepare();
        c.start();
        BlockingQueue<LogLine> got = new LinkedBlockingQueue<>();
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                ((LogSource) c).logs(-1, true, got::add);
                outcome.set(new AssertionError("logs returned while the container runs"));
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        reader.start();
        LogLine first = got.poll(60, TimeUnit.SECONDS);
        assertNotNull(first, "no log line");
        assertEquals("first", first.line());
        reader.interrupt();
        reader.join();
        assertTrue(outcome.get() instanceof InterruptedException, String.valueOf(outcome.get()));
    }

    @Test
    void aGlobalServiceTaskIsNamedAfterTheNode() throws Exception {
        Task task = task("agent", 0, spec("true"), ResourceRequirements.getDefaultInstance());
        executor.controller(task).prepare();
        assertEquals("/agent." + nodeId + "." + task.getId(), docker("agent." + nodeId + "." + task.getId()).getName());
    }

    @Test
    void taskIdsListsOurTasksAndRemoveTaskRemovesOne() throws Exception {
        Task a = task("ids", 1, spec("sh", "-c", "sleep 300"), ResourceRequirements.getDefaultInstance());
        Task b = task("ids", 2, spec("true"), ResourceRequirements.getDefaultInstance());
        executor.controller(a).prepare();
        executor.controller(a).start();
        executor.controller(b).prepare(); // created, never started: listed too
        assertEquals(java.util.Set.of(a.getId(), b.getId()), executor.taskIds());

        executor.removeTask(a.getId());
        assertEquals(java.util.Set.of(b.getId()), executor.taskIds());
        assertTrue(containers(Map.of(TaskContainer.TASK_ID, a.getId())).isEmpty());
        executor.removeTask(a.getId()); // nothing left: no error
    }

    @Test
    void aContainerSwarmletDidNotMakeIsNeverTouched() throws Exception {
        Task task = task("foreign", 1, spec("true"), ResourceRequirements.getDefaultInstance());
        String name = new TaskContainer(task, nodeId).name();
        engine.call("create", d -> d.createContainerCmd(IMAGE).withName(name)
                .withLabels(Map.of(TaskContainer.NODE_ID, nodeId)).exec());
        Controller c = executor.controller(task);
        ExecutorException e = assertThrows(ExecutorException.class, c::prepare);
        assertTrue(e.fatal());
        assertTrue(e.getMessage().contains("swarmlet did not create"), e.getMessage());
        assertThrows(ExecutorException.class, c::remove);
        assertEquals("/" + name, docker(name).getName());
    }

    @Test
    void describeReportsTheEngine() throws Exception {
        NodeDescription d = executor.describe();
        assertFalse(d.getHostname().isEmpty());
        assertEquals("linux", d.getPlatform().getOs());
        assertFalse(d.getPlatform().getArchitecture().isEmpty());
        assertTrue(d.getResources().getNanoCpus() >= 1_000_000_000L);
        assertTrue(d.getResources().getMemoryBytes() > 0);
        assertFalse(d.getEngine().getEngineVersion().isEmpty());
    }

    @Test
    void anUnreachableEngineIsAShortNonFatalError() throws Exception {
        try (DockerEngine nowhere = new DockerEngine(DockerEngine.Settings.defaults("unix:///nonexistent/docker.sock"))) {
            DockerExecutor x = new DockerExecutor(nowhere, nodeId);
            ExecutorException e = assertThrows(ExecutorException.class, x::taskIds);
            assertFalse(e.fatal());
            assertTrue(e.getMessage().startsWith("list containers: cannot reach the docker engine at"
                    + " unix:///nonexistent/docker.sock"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    // ---------------------------------------------------------------- published ports

    /** busybox httpd on port 80 serving "hello from <hostname>". */
    static ContainerSpec.Builder httpd() {
        return spec("sh", "-c", "mkdir -p /www && echo \"hello from $(hostname)\" > /www/index.html"
                + " && exec httpd -f -p 80 -h /www");
    }

    static Task withPorts(Task t, PortConfig... ports) {
        return t.toBuilder().setEndpoint(Endpoint.newBuilder().addAllPorts(List.of(ports))).build();
    }

    static PortConfig port(String name, int target, int published, PortConfig.PublishMode mode) {
        return PortConfig.newBuilder().setName(name).setProtocol(PortConfig.Protocol.TCP).setTargetPort(target)
                .setPublishedPort(published).setPublishMode(mode).build();
    }

    @Test
    void anIngressPortIsPublishedOnAPortTheEnginePicks() throws Exception {
        Task task = withPorts(task("mesh", 1, httpd(), ResourceRequirements.getDefaultInstance()),
                port("http", 80, 30080, PortConfig.PublishMode.INGRESS));
        Controller c = executor.controller(task);
        c.prepare();
        assertEquals(List.of(), ((PortSource) c).publishedPorts(), "nothing is published before it runs");
        c.start();
        c.waitReady();

        List<PortConfig> ports = ((PortSource) c).publishedPorts();
        assertEquals(1, ports.size(), ports.toString());
        PortConfig p = ports.get(0);
        assertEquals("http", p.getName());
        assertEquals(PortConfig.Protocol.TCP, p.getProtocol());
        assertEquals(80, p.getTargetPort());
        assertEquals(PortConfig.PublishMode.INGRESS, p.getPublishMode());
        assertTrue(p.getPublishedPort() > 0 && p.getPublishedPort() != 30080, "an engine-picked port: " + p);
        String body = httpGet(p.getPublishedPort());
        assertTrue(body.startsWith("hello from "), body);

        c.shutdown();
        assertEquals(List.of(), ((PortSource) c).publishedPorts(), "nothing is published once it stopped");
    }

    @Test
    void aHostModePortBindsThePublishedPort() throws Exception {
        int free = FreePorts.next();
        PortConfig host = port("admin", 80, free, PortConfig.PublishMode.HOST);
        Controller c = executor.controller(withPorts(task("hostmode", 1, httpd(), ResourceRequirements.getDefaultInstance()),
                host));
        c.prepare();
        c.start();
        c.waitReady();
        assertEquals(List.of(host), ((PortSource) c).publishedPorts());
        assertTrue(httpGet(free).startsWith("hello from "));
    }

    @Test
    void aHostPortTakenOnTheNodeIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress((InetAddress) null, 0)); // every address, as docker binds it
            int port = taken.getLocalPort();
            Controller c = executor.controller(withPorts(task("taken", 1, httpd(),
                    ResourceRequirements.getDefaultInstance()), port("", 80, port, PortConfig.PublishMode.HOST)));
            c.prepare();
            ExecutorException e = assertThrows(ExecutorException.class, c::start);
            assertEquals("host port " + port + "/tcp is already in use on this node", e.getMessage());
            assertFalse(e.fatal(), "the port may be free again later, or on another node");
        }
    }

    @Test
    void aHostPortTakenByAnotherTaskIsAClearError() throws Exception {
        int free = FreePorts.next();
        Controller first = executor.controller(withPorts(task("first", 1, httpd(),
                ResourceRequirements.getDefaultInstance()), port("", 80, free, PortConfig.PublishMode.HOST)));
        first.prepare();
        first.start();
        Controller second = executor.controller(withPorts(task("second", 1, httpd(),
                ResourceRequirements.getDefaultInstance()), port("", 80, free, PortConfig.PublishMode.HOST)));
        second.prepare();
        ExecutorException e = assertThrows(ExecutorException.class, second::start);
        assertEquals("host port " + free + "/tcp is already in use on this node", e.getMessage());
    }

    @Test
    void anSctpPortIsRefusedBeforeAnythingIsCreated() throws Exception {
        Task task = withPorts(task("sctp", 1, httpd(), ResourceRequirements.getDefaultInstance()),
                port("", 80, 0, PortConfig.PublishMode.HOST).toBuilder().setProtocol(PortConfig.Protocol.SCTP).build());
        ExecutorException e = assertThrows(ExecutorException.class, () -> executor.controller(task).prepare());
        assertTrue(e.fatal());
        assertEquals("invalid spec for task " + task.getId() + ": sctp ports are not supported (port 80/sctp)",
                e.getMessage());
        assertTrue(containers(Map.of(TaskContainer.TASK_ID, task.getId())).isEmpty());
    }

    /** GET / on 127.0.0.1:port, until it answers 200 (the server starts just after the container does). */
    static String httpGet(int port) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            String failure;
            try {
                HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return r.body().trim();
                }
                failure = "HTTP " + r.statusCode();
            } catch (IOException e) {
                failure = e.toString();
            }
            if (System.nanoTime() - deadline > 0) {
                return fail("no answer on port " + port + ": " + failure);
            }
            Thread.sleep(100);
        }
    }

    // ---------------------------------------------------------------- helpers

    static ContainerSpec.Builder spec(String... command) {
        return ContainerSpec.newBuilder().setImage(IMAGE).addAllCommand(List.of(command))
                .putLabels("io.swarmlet.test", "yes");
    }

    static ResourceRequirements resources(long memory, long nanoCpus, long pids) {
        return ResourceRequirements.newBuilder()
                .setLimits(Resources.newBuilder().setMemoryBytes(memory).setNanoCpus(nanoCpus))
                .setPidsLimit(pids).build();
    }

    static Task task(String service, long slot, ContainerSpec.Builder container, ResourceRequirements resources) {
        return Task.newBuilder()
                .setId(Ids.newId())
                .setServiceId(Ids.newId())
                .setSlot(slot)
                .setNodeId(nodeId)
                .setServiceAnnotations(Annotations.newBuilder().setName(service))
                .setSpec(TaskSpec.newBuilder().setContainer(container).setResources(resources))
                .build();
    }

    static InspectContainerResponse docker(String name) throws ExecutorException {
        return engine.call("inspect", d -> d.inspectContainerCmd(name).exec());
    }

    /** A field docker-java's model lacks, through the docker CLI. */
    static String inspectField(String name, String format) throws Exception {
        Process p = new ProcessBuilder("docker", "inspect", "-f", format, name).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    static List<Container> containers(Map<String, String> labels) throws ExecutorException {
        return engine.call("list", d -> d.listContainersCmd().withShowAll(true).withLabelFilter(labels).exec());
    }

    static List<LogLine> lines(Controller c) throws Exception {
        List<LogLine> out = new CopyOnWriteArrayList<>();
        ((LogSource) c).logs(-1, false, out::add);
        return out;
    }

    static LogLine find(List<LogLine> lines, String text) {
        return lines.stream().filter(l -> l.line().equals(text)).findFirst()
                .orElseThrow(() -> new AssertionError("no line " + text + " in " + lines));
    }

    /** Follows the logs until a line {@code text} arrives (60 s at most), then stops following. */
    static LogLine follow(Controller c, String text) throws Exception {
        BlockingQueue<LogLine> got = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try {
                ((LogSource) c).logs(-1, true, got::add);
            } catch (ExecutorException | InterruptedException e) {
                // stopped
            }
        });
        reader.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                LogLine l = got.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (l == null) {
                    return fail("no log line " + text);
                }
                if (l.line().equals(text)) {
                    return l;
                }
            }
        } finally {
            reader.interrupt();
            reader.join();
        }
    }
}
