package io.swarmlet.itests;

import io.swarmlet.api.testing.FreePorts;
import static io.swarmlet.itests.ClusterIT.await;
import static io.swarmlet.itests.ClusterIT.docker;
import static io.swarmlet.itests.ClusterIT.lines;
import static org.junit.jupiter.api.Assertions.*;

import io.swarmlet.itests.ClusterIT.Member;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Modules of a running daemon ({@code swarmlet module ls|start|stop|update}),
 * with a service of real containers behind the routing mesh: updating the
 * executor, the agent, the scheduler, the orchestrator and the mesh one after
 * another leaves every container as it was and the service answering; so does
 * updating the web console and the metrics, which answer again afterwards.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ModulesIT {

    static final int PORT = 18086;
    static Path root;
    static Member node;
    static final Map<String, String> figures = new TreeMap<>();

    @BeforeAll
    static void start() throws Exception {
        assertTrue(Files.isExecutable(Dist.HOME.resolve("bin/swarmletd")), "build the distribution first: " + Dist.HOME);
        root = Files.createTempDirectory(Path.of("/tmp"), "swl-modules-");
        node = new Member(root, "modules-1", "127.0.0.6").withHttp(FreePorts.next()).withDockerApi();
        node.start();
        node.awaitReady();
        node.nodeId = node.ok("node", "ls", "-q").out().trim();
    }

    @AfterAll
    static void stop() throws Exception {
        ClusterIT.stopAndClean("ModulesIT", root, false, figures, node);
    }

    static Path bundleJar(String module) throws IOException {
        String prefix = "io.swarmlet." + module.replace('-', '.') + "-";
        try (Stream<Path> s = Files.list(Dist.HOME.resolve("bundle"))) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst()
                    .orElseThrow(() -> new AssertionError("no bundle " + prefix + "* in " + Dist.HOME));
        }
    }

    static List<String> containers() throws Exception {
        return lines(docker("ps", "-q", "--no-trunc", "--filter", "label=com.docker.swarm.service.name=web").out())
                .stream().sorted().toList();
    }

    @Test
    @Order(1)
    void moduleLsShowsBundlesStatesAndServices() throws Exception {
        String ls = node.ok("module", "ls").out();
        assertTrue(ls.lines().anyMatch(l -> l.matches("\\d+\\s+io\\.swarmlet\\.scheduler\\s+\\S+\\s+ACTIVE\\s+.*NodeFilter.*")), ls);
        assertTrue(ls.lines().anyMatch(l -> l.matches("\\d+\\s+io\\.swarmlet\\.mesh\\s+\\S+\\s+ACTIVE\\s+.*Mesh.*")), ls);
        assertTrue(ls.lines().anyMatch(l -> l.matches("0\\s+org\\.apache\\.felix\\.framework\\s+.*ACTIVE.*")), ls);
    }

    @Test
    @Order(2)
    void updatingModulesOneAfterAnotherLeavesTheContainersAndTheServiceAlone() throws Exception {
        List<String> create = new ArrayList<>(List.of("service", "create", "--detach", "--name", "web", "--replicas", "3",
                "--publish", PORT + ":80"));
        create.addAll(List.of(MeshIT.HTTPD));
        create.add(MeshIT.IMAGE);
        create.addAll(List.of(MeshIT.HTTPD_CMD));
        node.ok(create.toArray(String[]::new));
        ClusterIT.awaitReplicas(node, "web", "3/3");
        List<String> before = await("3 web containers", 60, ModulesIT::containers, c -> c.size() == 3);
        await("the mesh answers", 30, () -> MeshIT.get(node.host, PORT, null), b -> !b.isEmpty());

        try (MeshIT.Looper loop = new MeshIT.Looper(node.host, PORT)) {
            loop.awaitRequests(20);
            for (String module : List.of("executor-docker", "agent", "scheduler", "orchestrator", "mesh")) {
                long t0 = System.nanoTime();
                Dist.Result r = node.ok("module", "update", module, bundleJar(module).toString());
                figures.put("update " + module + " ms", String.valueOf((System.nanoTime() - t0) / 1_000_000));
                assertTrue(r.out().contains("module io.swarmlet." + module.replace('-', '.') + " updated"), r.toString());
            }
            // the mesh is back: from now on every request succeeds
            await("the mesh answers after its update", 10, () -> MeshIT.get(node.host, PORT, null), b -> !b.isEmpty());
            int failedBefore = loop.failed.size();
            loop.awaitRequests(loop.ok.get() + 50);
            loop.stop();
            figures.put("requests during the updates", loop.ok + " ok, " + loop.failed.size() + " failed");
            if (!loop.failed.isEmpty()) { // refused while the mesh's listener was away: that gap
                long first = Long.parseLong(loop.failed.get(0).split(" ")[0]);
                long last = Long.parseLong(loop.failed.get(loop.failed.size() - 1).split(" ")[0]);
                figures.put("mesh listener gap ms", String.valueOf(last - first));
            }
            assertEquals(failedBefore, loop.failed.size(), "no request fails once the mesh is back: " + loop.failed);
        }
        assertEquals(before, containers(), "no container was stopped or replaced");
        ClusterIT.awaitReplicas(node, "web", "3/3");
        String ps = node.ok("service", "ps", "web").out();
        assertFalse(ps.contains("Shutdown"), "no task was replaced:\n" + ps);
        String ls = node.ok("module", "ls").out();
        for (String m : List.of("executor\\.docker", "agent", "scheduler", "orchestrator", "mesh")) {
            assertTrue(ls.lines().anyMatch(l -> l.matches("\\d+\\s+io\\.swarmlet\\." + m + "\\s+\\S+\\s+ACTIVE.*")), ls);
        }
    }

    @Test
    @Order(3)
    void badUpdatesAreRefusedAndTheModuleKeepsRunning() throws Exception {
        Dist.Result unknown = node.cli("module", "update", "nosuch", bundleJar("mesh").toString());
        assertNotEquals(0, unknown.exit());
        assertTrue(unknown.err().contains("no module named 'nosuch'"), unknown.toString());
        Path notAJar = root.resolve("not-a-jar.jar");
        Files.writeString(notAJar, "hello");
        Dist.Result bad = node.cli("module", "update", "scheduler", notAJar.toString());
        assertNotEquals(0, bad.exit());
        assertTrue(bad.err().contains("not an OSGi bundle") || bad.err().contains("not a jar"), bad.toString());
        Dist.Result other = node.cli("module", "update", "scheduler", bundleJar("mesh").toString());
        assertNotEquals(0, other.exit());
        assertTrue(other.err().contains("the jar is bundle io.swarmlet.mesh, not module io.swarmlet.scheduler"), other.toString());
        String ls = node.ok("module", "ls").out();
        assertTrue(ls.lines().anyMatch(l -> l.matches("\\d+\\s+io\\.swarmlet\\.scheduler\\s+\\S+\\s+ACTIVE.*")), ls);
    }

    @Test
    @Order(4)
    void aStoppedMeshFreesThePortAndStartsAgain() throws Exception {
        Dist.Result stop = node.ok("module", "stop", "mesh");
        assertTrue(stop.out().contains("module io.swarmlet.mesh stopped"), stop.toString());
        await("the port to be closed", 10, () -> {
            try {
                MeshIT.get(node.host, PORT, null);
                return false;
            } catch (IOException e) {
                return true;
            }
        }, closed -> closed);
        assertTrue(node.ok("module", "ls").out().lines()
                .anyMatch(l -> l.matches("\\d+\\s+io\\.swarmlet\\.mesh\\s+\\S+\\s+RESOLVED.*")));
        node.ok("module", "start", "mesh");
        await("the mesh answers again", 10, () -> MeshIT.get(node.host, PORT, null), b -> !b.isEmpty());
    }

    /**
     * The manager's own modules: the store (its Raft member restarts from its
     * log), the updater, the dispatcher and the control API serving this very
     * call. Each runs again with the same services, tasks and containers.
     */
    @Test
    @Order(5)
    void updatingTheStoreAndTheControlApiKeepsEveryObjectAndContainer() throws Exception {
        List<String> before = containers();
        assertEquals(3, before.size());
        String services = node.ok("service", "ls", "-q").out();
        String tasks = node.ok("service", "ps", "-q", "web").out();
        for (String module : List.of("store", "updater", "dispatcher", "controlapi")) {
            long t0 = System.nanoTime();
            Dist.Result r = node.ok("module", "update", module, bundleJar(module).toString());
            assertTrue(r.out().contains("io.swarmlet." + module), r.toString());
            // the control API answers again, from the store read back from the Raft log
            String again = await("the control API to answer after updating " + module, 60,
                    () -> node.cli("service", "ls", "-q"), x -> x.exit() == 0).out();
            figures.put("update " + module + " until served again ms", String.valueOf((System.nanoTime() - t0) / 1_000_000));
            assertEquals(services, again, "services after updating " + module);
            ClusterIT.awaitReplicas(node, "web", "3/3");
            assertEquals(tasks, node.ok("service", "ps", "-q", "web").out(), "tasks after updating " + module);
        }
        assertEquals(before, containers(), "no container was stopped or replaced");
        // still a working manager: a change goes through the updated store and is carried out
        node.ok("service", "scale", "--detach", "web=4");
        ClusterIT.awaitReplicas(node, "web", "4/4");
        node.ok("service", "scale", "--detach", "web=3");
        ClusterIT.awaitReplicas(node, "web", "3/3");
    }

    /**
     * The secrets bundle (data key, built-in driver, vault) updated while a
     * service uses a secret: its container stays, the store and control API come
     * back with the data key, and the secret can be rotated through the new code.
     */
    @Test
    @Order(6)
    void updatingTheSecretsModuleKeepsSecretsWorking() throws Exception {
        String value = "leak-canary-modules-" + java.util.UUID.randomUUID();
        Dist.Result created = Dist.cliInput(node.socket, value.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "secret", "create", "mod_pass", "-");
        assertEquals(0, created.exit(), created.toString());
        node.ok("service", "create", "--name", "withsecret", "--secret", "mod_pass", ClusterIT.IMAGE, "sleep", "86400");
        ClusterIT.awaitReplicas(node, "withsecret", "1/1");
        List<String> before = lines(docker("ps", "-q", "--no-trunc", "--filter",
                "label=com.docker.swarm.service.name=withsecret").out());
        assertEquals(1, before.size());
        long t0 = System.nanoTime();
        Dist.Result r = node.ok("module", "update", "secrets", bundleJar("secrets").toString());
        assertTrue(r.out().contains("io.swarmlet.secrets"), r.toString());
        await("the control API to answer after updating secrets", 60, () -> node.cli("secret", "ls"),
                x -> x.exit() == 0 && x.out().contains("mod_pass"));
        figures.put("update secrets until served again ms", String.valueOf((System.nanoTime() - t0) / 1_000_000));
        assertEquals(before, lines(docker("ps", "-q", "--no-trunc", "--filter",
                "label=com.docker.swarm.service.name=withsecret").out()), "the container was not replaced");
        Dist.Result rotated = Dist.cliInput(node.socket, (value + "-2").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "secret", "rotate", "mod_pass", "-");
        assertEquals(0, rotated.exit(), "the updated module seals new versions: " + rotated);
        String after = await("the service to roll to the rotated secret", 90, () -> lines(docker("ps", "-q", "--no-trunc",
                "--filter", "label=com.docker.swarm.service.name=withsecret").out()),
                ids -> ids.size() == 1 && !ids.equals(before)).get(0);
        Dist.Result cat = docker("exec", after, "cat", "/run/secrets/mod_pass");
        assertEquals(value + "-2", cat.out(), cat.toString());
    }

    /**
     * The stack bundle and the mesh (which answers the stack's virtual IPs and DNS)
     * updated while a stack runs: no container is replaced, the counter still reaches
     * {@code redis} by name, and a redeploy of the same file through the new stack code
     * changes nothing.
     */
    @Test
    @Order(7)
    void updatingTheStackAndMeshModulesKeepsAStackRunning() throws Exception {
        Path file = Files.writeString(root.resolve("stack.yml"), """
                services:
                  redis:
                    image: swarmlet/kvstore:1
                  app:
                    image: swarmlet/hitcounter:1
                    ports: ["18087:5000"]
                """);
        node.ok("stack", "deploy", "-c", file.toString(), "mods");
        ClusterIT.awaitReplicas(node, "mods_app", "1/1");
        ClusterIT.awaitReplicas(node, "mods_redis", "1/1");
        await("the counter to reach redis", 60, () -> MeshIT.get(node.host, 18087, null),
                b -> b.startsWith("You have hit this page"));
        List<String> before = lines(docker("ps", "-q", "--no-trunc", "--filter", "label=com.docker.stack.namespace=mods").out())
                .stream().sorted().toList();
        assertEquals(2, before.size());
        for (String module : List.of("stack", "mesh")) {
            long t0 = System.nanoTime();
            Dist.Result r = node.ok("module", "update", module, bundleJar(module).toString());
            figures.put("update " + module + " (stack running) ms", String.valueOf((System.nanoTime() - t0) / 1_000_000));
            assertTrue(r.out().contains("module io.swarmlet." + module + " updated"), r.toString());
        }
        await("the counter to reach redis after the updates", 30, () -> MeshIT.get(node.host, 18087, null),
                b -> b.startsWith("You have hit this page"));
        Dist.Result again = node.ok("stack", "deploy", "-c", file.toString(), "mods");
        assertFalse(again.out().contains("Updating service"), "nothing changed: " + again);
        assertEquals(before, lines(docker("ps", "-q", "--no-trunc", "--filter", "label=com.docker.stack.namespace=mods").out())
                .stream().sorted().toList(), "no container was replaced");
        node.ok("stack", "rm", "mods");
    }

    static java.net.http.HttpResponse<String> httpGet(String path) throws Exception {
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .connectTimeout(java.time.Duration.ofSeconds(5)).build();
        return client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.httpUrl() + path))
                .timeout(java.time.Duration.ofSeconds(10)).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** Probes a path; an unreachable server (a module on its way) is a status of 0. */
    static java.net.http.HttpResponse<String> probe(String path) throws Exception {
        try {
            return httpGet(path);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The web console and the metrics updated while a service runs: no container is
     * replaced, the console's API and /metrics answer again (the metrics counting the
     * service's tasks), and the page is served by the new web bundle.
     */
    @Test
    @Order(8)
    void updatingTheWebAndMetricsModulesKeepsTheServiceAndAnswersAgain() throws Exception {
        ClusterIT.awaitReplicas(node, "web", "3/3");
        List<String> before = containers();
        assertEquals(3, before.size());
        String tasks = node.ok("service", "ps", "-q", "web").out();
        await("the console's API", 30, () -> probe("/api/v1/nodes"), r -> r != null && r.statusCode() == 200);
        await("/metrics", 30, () -> probe("/metrics"), r -> r != null && r.statusCode() == 200);
        for (String module : List.of("web", "metrics")) {
            long t0 = System.nanoTime();
            Dist.Result r = node.ok("module", "update", module, bundleJar(module).toString());
            assertTrue(r.out().contains("module io.swarmlet." + module + " updated"), r.toString());
            java.net.http.HttpResponse<String> nodes = await("/api/v1/nodes to answer after updating " + module, 30,
                    () -> probe("/api/v1/nodes"), x -> x != null && x.statusCode() == 200);
            assertTrue(com.google.gson.JsonParser.parseString(nodes.body()).getAsJsonArray().size() == 1, nodes.body());
            java.net.http.HttpResponse<String> metrics = await("/metrics to count web's tasks after updating " + module, 30,
                    () -> probe("/metrics"), x -> x != null && x.statusCode() == 200
                            && PrometheusText.sum(PrometheusText.parse(x.body()), "swarmlet_tasks",
                                    Map.of("service", "web", "state", "running")) == 3);
            assertFalse(metrics.body().isEmpty());
            figures.put("update " + module + " until served again ms", String.valueOf((System.nanoTime() - t0) / 1_000_000));
        }
        java.net.http.HttpResponse<String> page = httpGet("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("app.js"), "the page: " + page.body());
        assertEquals(before, containers(), "no container was stopped or replaced");
        assertEquals(tasks, node.ok("service", "ps", "-q", "web").out(), "no task was replaced");
        String ls = node.ok("module", "ls").out();
        for (String m : List.of("web", "metrics")) {
            assertTrue(ls.lines().anyMatch(l -> l.matches("\\d+\\s+io\\.swarmlet\\." + m + "\\s+\\S+\\s+ACTIVE.*")), ls);
        }
    }

    /** The stock docker CLI through the node's Docker Engine API socket. */
    static Dist.Result dockerApi(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("-H", node.dockerHost()));
        cmd.addAll(List.of(args));
        return docker(cmd.toArray(String[]::new));
    }

    @Test
    @Order(9)
    void updatingTheDockerApiModuleKeepsTheServiceAndTheDockerCliAnswersAgain() throws Exception {
        ClusterIT.awaitReplicas(node, "web", "3/3");
        List<String> before = containers();
        String tasks = node.ok("service", "ps", "-q", "web").out();
        Dist.Result ls = await("docker service ls through the Docker API", 30, () -> dockerApi("service", "ls"),
                r -> r.exit() == 0 && r.out().contains(" web ") && r.out().contains("3/3"));
        assertTrue(ls.out().startsWith("ID "), ls.toString());
        long t0 = System.nanoTime();
        Dist.Result r = node.ok("module", "update", "dockerapi", bundleJar("dockerapi").toString());
        assertTrue(r.out().contains("module io.swarmlet.dockerapi updated"), r.toString());
        Dist.Result again = await("docker service ls after the update", 30, () -> dockerApi("service", "ls"),
                x -> x.exit() == 0 && x.out().contains(" web ") && x.out().contains("3/3"));
        figures.put("update dockerapi until the docker CLI is answered again ms", String.valueOf((System.nanoTime() - t0) / 1_000_000));
        assertEquals(ls.out(), again.out(), "the same table before and after");
        Dist.Result scaled = dockerApi("service", "scale", "--detach", "web=4");
        assertEquals(0, scaled.exit(), scaled.toString());
        ClusterIT.awaitReplicas(node, "web", "4/4");
        assertEquals(0, dockerApi("service", "scale", "--detach", "web=3").exit());
        ClusterIT.awaitReplicas(node, "web", "3/3");
        assertTrue(containers().containsAll(before), "the first 3 containers were never replaced");
        assertTrue(node.ok("service", "ps", "-q", "web").out().lines().toList().containsAll(tasks.lines().toList()),
                "nor their tasks");
    }
}
