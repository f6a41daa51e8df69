package io.swarmlet.itests;

import static io.swarmlet.itests.ClusterIT.await;
import static io.swarmlet.itests.ClusterIT.lines;
import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.swarmlet.api.testing.OpensslCerts;
import io.swarmlet.itests.ClusterIT.Member;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The stock docker CLI (v28, negotiating down to API 1.41) drives a Swarmlet cluster through
 * the manager's Docker Engine API socket ({@code --listen-docker-api}): a manager and two
 * workers (swarmletd on 127.0.0.71–.73, real containers on the local engine). Every docker
 * command's effect is compared with the same command through {@code swarmlet} and with the
 * engine's real containers: the same services, tasks and containers. The CLI talks to the
 * socket through a {@link DockerCliRecorder}, which writes the requests the real CLI sent
 * (and Swarmlet's answers' statuses) to {@code target/docker-cli-requests/<test>.json}: the
 * material of the dockerapi bundle's RecordedRequestsTest. The last test is the seed's
 * docker-mode walkthrough in its order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerApiIT {

    static final String IMAGE_1 = ServiceEndToEndIT.IMAGE_1;
    static final String IMAGE_2 = ServiceEndToEndIT.IMAGE_2;
    /** busybox httpd serving a page, saying so on stdout first (for service logs). */
    static final String[] HTTPD = {"sh", "-c",
            "mkdir -p /www && echo hello from $(hostname) > /www/index.html && echo httpd starting on $(hostname)"
                    + " && exec httpd -f -p 80 -h /www"};
    static final String CONVERGED = "(?s).*verify: Service (\\S+ )?converged.*";
    /**
     * The stacks' names: not the seed's "app", which StackIT (or another cluster on this engine)
     * may have deployed: a stack's networks are named after it on the one engine.
     */
    static final String STACK = "dapp";
    static final String SEED_STACK = "seedapp";
    static final Path RECORDINGS = Path.of(System.getProperty("docker.cli.recordings", "target/docker-cli-requests"));

    static Path root;
    static final Map<String, Member> nodes = new LinkedHashMap<>();
    static Member m1;
    static DockerCliRecorder recorder;
    static Path dockerConfig;
    static OpensslCerts.Ca pki;
    static String section = "";
    static final Map<String, String> figures = new TreeMap<>();

    @RegisterExtension
    static final AnyFailed FAILED = new AnyFailed();

    @BeforeAll
    static void formCluster() throws Exception {
        Dist.requireDistributionAndImages(IMAGE_1, IMAGE_2, StackIT.KV, StackIT.COUNTER);
        assertEquals(0, Dist.run(List.of("docker", "--version")).exit(), "the docker CLI is needed");
        root = Files.createTempDirectory(Path.of("/tmp"), "swl-dockerapi-");
        dockerConfig = Files.createDirectories(root.resolve("docker-config"));
        pki = OpensslCerts.make(root.resolve("pki"), "127.0.0.71");
        m1 = new Member(root, "dapi-m1", "127.0.0.71").withDockerApi()
                .withDockerApiTls(pki.caCert(), pki.serverCert(), pki.serverKey());
        nodes.put("m1", m1);
        nodes.put("w1", new Member(root, "dapi-w1", "127.0.0.72"));
        nodes.put("w2", new Member(root, "dapi-w2", "127.0.0.73"));
        ClusterIT.formManagerAndWorkers(nodes);
        assertTrue(Files.readString(m1.out).contains("Docker API at unix://" + m1.dockerApi + " and tcp://" + m1.host + ":"
                        + m1.dockerApiTlsPort + " (mutual TLS)"),
                "the ready line names the Docker API:\n" + Files.readString(m1.out));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(m1.dockerApi)), "the socket is the owner's only");
        recorder = new DockerCliRecorder(root.resolve("recorder.sock"), m1.dockerApi);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        try {
            if (recorder != null) {
                recorder.close();
            }
        } finally {
            ClusterIT.stopAndClean("DockerApiIT", root, nodes.values(), FAILED.get(), figures);
        }
    }

    @BeforeEach
    void label(TestInfo info) {
        section = info.getTestMethod().map(java.lang.reflect.Method::getName).orElse("test");
    }

    @AfterEach
    void writeRecording() throws IOException {
        List<DockerCliRecorder.Exchange> mine = recorder.exchanges().stream()
                .filter(e -> e.command().startsWith(section + ": ")).toList();
        if (!mine.isEmpty()) {
            recorder.write(RECORDINGS.resolve(section + ".json"), section, hosts());
            figures.put("requests sent by the CLI in " + section, String.valueOf(mine.size()));
        }
    }

    /** The cluster's hostnames as the dockerapi test harness names its nodes. */
    static Map<String, String> hosts() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(m1.name, "m1");
        h.put(nodes.get("w1").name, "w1");
        h.put(nodes.get("w2").name, "w1");
        return h;
    }

    // ------------------------------------------------------------ tests

    @Test
    @Order(1)
    void infoShowsTheSwarmActiveAndVersionNegotiates() throws Exception {
        JsonObject swarm = JsonParser.parseString(ok("info", "--format", "{{json .Swarm}}").out()).getAsJsonObject();
        assertEquals("active", swarm.get("LocalNodeState").getAsString(), swarm.toString());
        assertEquals(m1.nodeId, swarm.get("NodeID").getAsString(), swarm.toString());
        assertTrue(swarm.get("ControlAvailable").getAsBoolean(), swarm.toString());
        assertEquals(1, swarm.get("Managers").getAsInt(), swarm.toString());
        assertEquals(3, swarm.get("Nodes").getAsInt(), swarm.toString());
        assertFalse(swarm.getAsJsonObject("Cluster").get("ID").getAsString().isEmpty(), swarm.toString());
        Dist.Result info = ok("info");
        assertTrue(info.out().contains("Swarm: active"), info.toString());
        assertEquals("1.41", ok("version", "--format", "{{.Server.APIVersion}}").out().trim());
    }

    @Test
    @Order(2)
    void nodeLsInspectAndAvailabilityMatchSwarmlet() throws Exception {
        String format = "{{.ID}} {{.Self}} {{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}";
        assertEquals(set(m1.ok("node", "ls", "--format", format).out()), set(ok("node", "ls", "--format", format).out()),
                "docker node ls and swarmlet node ls list the same nodes");
        List<String> table = lines(ok("node", "ls").out());
        assertTrue(table.get(0).matches("ID\\s+HOSTNAME\\s+STATUS\\s+AVAILABILITY\\s+MANAGER STATUS\\s+ENGINE VERSION"),
                table.get(0));
        assertTrue(table.stream().anyMatch(l -> l.matches(m1.nodeId + " \\*\\s+dapi-m1\\s+Ready\\s+Active\\s+Leader.*")),
                "the manager marked * as Leader: " + table);

        Member w2 = nodes.get("w2");
        assertEquals(w2.nodeId + " worker ready dapi-w2 active", ok("node", "inspect", "dapi-w2", "--format",
                "{{.ID}} {{.Spec.Role}} {{.Status.State}} {{.Description.Hostname}} {{.Spec.Availability}}").out().trim());
        assertEquals("dapi-w2", ok("node", "update", "--availability", "drain", "dapi-w2").out().trim());
        ClusterIT.awaitNodes(m1, "dapi-w2 Drain through the docker CLI", r -> "Drain".equals(ClusterIT.row(r, "dapi-w2")[4]));
        assertEquals("drain", ok("node", "inspect", w2.nodeId, "--format", "{{.Spec.Availability}}").out().trim());
        ok("node", "update", "--availability", "active", "--label-add", "zone=b", "dapi-w2");
        ClusterIT.awaitNodes(m1, "dapi-w2 Active again", r -> "Active".equals(ClusterIT.row(r, "dapi-w2")[4]));
        assertTrue(m1.ok("node", "inspect", "dapi-w2").out().contains("zone"), "the label reached Swarmlet");
        assertEquals("map[zone:b]", ok("node", "inspect", "dapi-w2", "--format", "{{.Spec.Labels}}").out().trim());
        ok("node", "update", "--label-rm", "zone", "dapi-w2");
        assertEquals("map[]", ok("node", "inspect", "dapi-w2", "--format", "{{.Spec.Labels}}").out().trim());
    }

    @Test
    @Order(3)
    void promoteAndDemoteAWorker() throws Exception {
        Dist.Result promote = ok("node", "promote", "dapi-w1");
        assertTrue(promote.out().contains("Node dapi-w1 promoted to a manager in the swarm."), promote.toString());
        // a manager now (the raft group may also hand it the leadership)
        ClusterIT.awaitNodes(m1, "dapi-w1 a manager", r -> List.of("Reachable", "Leader").contains(ClusterIT.row(r, "dapi-w1")[5])
                && ClusterIT.count(r, "Leader") == 1);
        assertEquals("manager", ok("node", "inspect", "dapi-w1", "--format", "{{.Spec.Role}}").out().trim());
        await("docker node ls to show dapi-w1 a manager", 30, () -> ok("node", "ls").out(),
                o -> o.lines().anyMatch(l -> l.matches("\\S+\\s+dapi-w1\\s+Ready\\s+Active\\s+(Reachable|Leader).*")));
        Dist.Result demote = ok("node", "demote", "dapi-w1");
        assertTrue(demote.out().contains("Manager dapi-w1 demoted in the swarm."), demote.toString());
        ClusterIT.awaitNodes(m1, "dapi-w1 a worker again, dapi-m1 the leader", r -> ClusterIT.row(r, "dapi-w1")[5] == null
                && "Ready".equals(ClusterIT.row(r, "dapi-w1")[3]) && "Leader".equals(ClusterIT.row(r, "dapi-m1")[5]));
        assertEquals("worker", ok("node", "inspect", "dapi-w1", "--format", "{{.Spec.Role}}").out().trim());
    }

    @Test
    @Order(4)
    void serviceCreateConvergesAndMatchesSwarmlet() throws Exception {
        long t0 = System.nanoTime();
        Dist.Result create = ok(cmd(List.of("service", "create", "--name", "web", "--replicas", "3", "-p", "18080:80", IMAGE_1),
                HTTPD));
        figures.put("docker service create --replicas 3 (non-detached) to converged (ms)", ms(t0));
        assertTrue(create.out().matches(CONVERGED), "the progress reaches converged:\n" + create);
        String id = lines(create.out()).get(0);
        assertTrue(id.matches("[0-9a-z]{25}"), "the first line is the service ID: " + create);
        assertEquals(id, m1.ok("service", "inspect", "web", "--format", "{{.ID}}").out().trim());

        String ls = "{{.ID}} {{.Name}} {{.Mode}} {{.Replicas}} {{.Image}} {{.Ports}}";
        assertEquals(id.substring(0, 12) + " web replicated 3/3 " + IMAGE_1 + " *:18080->80/tcp",
                ok("service", "ls", "--format", ls).out().trim());
        assertEquals(m1.ok("service", "ls", "--format", ls).out().trim(), ok("service", "ls", "--format", ls).out().trim());
        assertSameTasks("web");
        String body = await("the published port to answer on " + m1.host, 60, () -> MeshIT.get(m1.host, 18080, null),
                b -> b.startsWith("hello from"));
        assertTrue(body.startsWith("hello from"), body);
    }

    @Test
    @Order(5)
    void rollingUpdateRollbackAndScale() throws Exception {
        long t0 = System.nanoTime();
        Dist.Result update = ok("service", "update", "--image", IMAGE_2, "--update-parallelism", "1", "--update-delay", "3s",
                "web");
        figures.put("docker service update --image (3 tasks, parallelism 1, delay 3s) to converged (ms)", ms(t0));
        assertTrue(update.out().matches(CONVERGED), update.toString());
        // converged means the new tasks run; the old containers may still be stopping (httpd as PID 1 waits for the grace period)
        await("every running container of web on " + IMAGE_2, 60, () -> images("web"),
                i -> i.equals(List.of(IMAGE_2, IMAGE_2, IMAGE_2)));
        assertEquals(IMAGE_2, m1.ok("service", "inspect", "web", "--format", "{{.Image}}").out().trim().replaceAll("@.*", ""),
                "swarmlet sees the image docker set");
        assertSameTasks("web");

        Dist.Result rollback = ok("service", "rollback", "web");
        assertTrue(rollback.out().contains("rollback:"), "the CLI reports the rollback: " + rollback);
        assertTrue(rollback.out().matches(CONVERGED), rollback.toString());
        await("3 containers of web back on " + IMAGE_1, 60, () -> images("web"),
                i -> i.equals(List.of(IMAGE_1, IMAGE_1, IMAGE_1)));
        assertEquals(IMAGE_1, ok("service", "inspect", "web", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}")
                .out().trim().replaceAll("@.*", ""));

        Dist.Result scale = ok("service", "scale", "web=5");
        assertTrue(scale.out().contains("web scaled to 5"), scale.toString());
        assertTrue(scale.out().matches(CONVERGED), scale.toString());
        await("5 running containers of web", 60, () -> images("web"), i -> i.size() == 5);
        assertTrue(ok("service", "ls", "--format", "{{.Name}} {{.Replicas}}").out().contains("web 5/5"));
        assertSameTasks("web");
    }

    @Test
    @Order(6)
    void serviceLogsArePrefixedLikeDockers() throws Exception {
        Pattern line = Pattern.compile("web\\.\\d\\.[0-9a-z]{12}@dapi-(m1|w1|w2)\\s*\\| httpd starting on \\w+");
        List<String> logs = await("5 starts in docker service logs web", 60, () -> lines(ok("service", "logs", "web").out()),
                l -> l.stream().filter(x -> line.matcher(x).matches()).count() >= 5);
        assertTrue(logs.stream().allMatch(x -> line.matcher(x).matches() || x.contains("| httpd starting on")), logs.toString());
        // the same lines as swarmlet's own service logs (order aside: the streams interleave)
        assertEquals(new TreeSet<>(lines(m1.ok("service", "logs", "web").out())), new TreeSet<>(logs));
        Dist.Result noIds = ok("service", "logs", "--no-task-ids", "web");
        assertTrue(lines(noIds.out()).stream().anyMatch(x -> x.matches("web\\.\\d@dapi-\\w+\\s*\\| httpd starting on \\w+")),
                noIds.toString());
    }

    @Test
    @Order(7)
    void serviceRmLeavesNoContainer() throws Exception {
        assertEquals("web", ok("service", "rm", "web").out().trim());
        assertFalse(m1.ok("service", "ls", "--format", "{{.Name}}").out().contains("web"));
        await("no container of web", 90, () -> containers("web"), Set::isEmpty);
    }

    @Test
    @Order(8)
    void secretsAndConfigs() throws Exception {
        String value = "s3cr3t-through-docker-cli";
        Dist.Result created = run(value.getBytes(StandardCharsets.UTF_8), "secret", "create", "--label", "via=docker",
                "dapi_pass", "-");
        assertEquals(0, created.exit(), created.toString());
        String id = created.out().trim();
        assertTrue(id.matches("[0-9a-z]{25}"), created.toString());
        String format = "{{.ID}} {{.Name}}";
        Set<String> secrets = set(ok("secret", "ls", "--format", format).out());
        assertEquals(set(m1.ok("secret", "ls", "--format", format).out()), secrets, "docker secret ls = swarmlet secret ls");
        assertTrue(secrets.contains(id + " dapi_pass") || secrets.contains(id.substring(0, 12) + " dapi_pass"), secrets.toString());
        Dist.Result inspect = ok("secret", "inspect", "dapi_pass");
        assertFalse(inspect.out().contains(value), "the value never comes back");
        assertEquals("map[via:docker]", ok("secret", "inspect", "dapi_pass", "--format", "{{.Spec.Labels}}").out().trim());
        Dist.Result again = run("other".getBytes(StandardCharsets.UTF_8), "secret", "create", "dapi_pass", "-");
        assertNotEquals(0, again.exit(), again.toString());
        assertTrue(again.err().contains("already exists"), "a 409-like message: " + again);
        assertFalse(again.err().contains(value) || again.err().contains("other"), again.toString());

        Path conf = Files.writeString(root.resolve("app.conf"), "listen 80\n");
        String cid = ok("config", "create", "dapi_conf", conf.toString()).out().trim();
        assertTrue(cid.matches("[0-9a-z]{25}"), cid);
        assertEquals(set(m1.ok("config", "ls", "--format", format).out()), set(ok("config", "ls", "--format", format).out()));
        assertTrue(m1.ok("config", "inspect", "dapi_conf").out().contains(cid));
        assertEquals("listen 80", ok("config", "inspect", "dapi_conf", "--format", "{{printf \"%s\" .Spec.Data}}").out().trim(),
                "a config's data comes back (unlike a secret's)");

        assertEquals("dapi_pass", ok("secret", "rm", "dapi_pass").out().trim());
        assertEquals("dapi_conf", ok("config", "rm", "dapi_conf").out().trim());
        assertFalse(m1.ok("secret", "ls").out().contains("dapi_pass"));
        assertFalse(m1.ok("config", "ls").out().contains("dapi_conf"));
        Dist.Result gone = run(null, "secret", "rm", "dapi_pass");
        assertNotEquals(0, gone.exit(), gone.toString());
    }

    @Test
    @Order(9)
    void badInputThroughTheCli() throws Exception {
        Dist.Result update = run(null, "service", "update", "--image", "x", "nosuch");
        assertNotEquals(0, update.exit(), update.toString());
        String said = update.err().toLowerCase();
        assertTrue(said.contains("nosuch") && (said.contains("not found") || said.contains("no such service")), update.toString());
        Dist.Result ps = run(null, "service", "ps", "zzzz");
        assertNotEquals(0, ps.exit(), ps.toString());
        assertTrue(ps.err().toLowerCase().contains("no such service: zzzz"), ps.toString());
        Dist.Result logs = run(null, "service", "logs", "zzzz");
        assertNotEquals(0, logs.exit(), logs.toString());
        assertTrue(logs.err().contains("zzzz"), logs.toString());
        Dist.Result node = run(null, "node", "inspect", "nosuch");
        assertNotEquals(0, node.exit(), node.toString());
        assertTrue(node.err().contains("nosuch"), node.toString());
        Dist.Result filter = run(null, "service", "ls", "--filter", "color=blue");
        assertNotEquals(0, filter.exit(), filter.toString());
        assertTrue(filter.err().contains("invalid filter 'color'"), filter.toString());
        Dist.Result image = run(null, "image", "ls");
        assertNotEquals(0, image.exit(), image.toString());
        assertTrue(image.err().contains("swarm part of the Docker Engine API"), "engine-only calls say why: " + image);
        assertEquals("", m1.ok("service", "ls", "-q").out().trim(), "nothing was written");
    }

    @Test
    @Order(10)
    void stackDeployWithDockersOwnComposeParser() throws Exception {
        Path file = Files.writeString(Files.createDirectories(root.resolve("stack")).resolve("docker-compose.yml"), StackIT.SEED);
        long t0 = System.nanoTime();
        try {
            deployAndCheck(file, t0);
        } catch (AssertionError | Exception e) {
            // the walkthrough deploys the file again: leave nothing behind
            m1.cli("stack", "rm", STACK);
            await("no container of stack " + STACK + " after a failure", 90, () -> stackTaskContainers(STACK), Set::isEmpty);
            throw e;
        }
        t0 = System.nanoTime();
        assertStackRm(STACK);
        figures.put("docker stack rm to no container (ms)", ms(t0));
    }

    private void deployAndCheck(Path file, long t0) throws Exception {
        Dist.Result deploy = ok("stack", "deploy", "-c", file.toString(), STACK);
        for (String said : List.of("Creating network " + STACK + "_demo-net", "Creating service " + STACK + "_app",
                "Creating service " + STACK + "_redis")) {
            assertTrue(deploy.out().contains(said) || deploy.err().contains(said), said + ":\n" + deploy);
        }
        assertStackRuns(STACK);
        figures.put("docker stack deploy (seed file) to 3 running (ms)", ms(t0));
        String body = await("the page-hit counter through " + m1.host + ":5000", 60, () -> MeshIT.get(m1.host, StackIT.PORT, null),
                b -> b.startsWith("You have hit this page"));
        assertTrue(body.contains("times"), body);
        // the network is labelled for the stack as docker stack deploy made it
        assertTrue(m1.ok("network", "ls").out().contains(STACK + "_demo-net"));
    }

    /**
     * The same CLI on the manager's TCP listener with mutual TLS (DOCKER_TLS_VERIFY, a client
     * certificate of the configured CA): the same tables as on the socket, writes work, and
     * {@code docker events} streams the service the socket's CLI creates and removes; a client
     * certificate of another CA gets nothing written.
     */
    @Test
    @Order(11)
    void theDockerCliOverTcpWithMutualTls() throws Exception {
        String host = "tcp://" + m1.host + ":" + m1.dockerApiTlsPort;
        Map<String, String> signed = Map.of("DOCKER_HOST", host, "DOCKER_TLS_VERIFY", "1",
                "DOCKER_CERT_PATH", pki.client().toString());
        for (List<String> c : List.of(List.of("node", "ls"), List.of("service", "ls"), List.of("stack", "ls"))) {
            Dist.Result overTcp = runWith(signed, null, c.toArray(String[]::new));
            assertEquals(0, overTcp.exit(), c + " over " + host + ": " + overTcp);
            assertEquals(ok(c.toArray(String[]::new)).out(), overTcp.out(), c + ": the socket and TCP give the same table");
        }
        // docker events over TCP while the socket's CLI creates and removes a service
        Path eventsOut = root.resolve("events.out");
        List<String> eventsCmd = List.of("docker", "events", "--format", "{{json .}}", "--filter", "type=service",
                "--filter", "type=config");
        ProcessBuilder pb = new ProcessBuilder(eventsCmd).redirectOutput(eventsOut.toFile())
                .redirectError(root.resolve("events.err").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        pb.environment().putAll(signed);
        pb.environment().put("DOCKER_CONFIG", dockerConfig.toString());
        Process events = pb.start();
        try {
            Path probe = Files.writeString(root.resolve("probe.txt"), "probe");
            int[] probes = {0};
            await("docker events to show a probe config", 60, () -> {
                String name = "probe" + ++probes[0];
                ok("config", "create", name, probe.toString());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (System.nanoTime() < deadline) {
                    if (Files.readString(eventsOut).contains("\"name\":\"" + name + "\"")) {
                        return true; // the CLI is connected and watching
                    }
                    Thread.sleep(100);
                }
                return false;
            }, seen -> seen);
            long t0 = System.currentTimeMillis() / 1000 - 1;
            String id = ok("service", "create", "--detach", "--name", "evt", IMAGE_1, "sleep", "1d").out().strip();
            ok("service", "rm", "evt");
            String seen = await("the service's create and remove events", 60, () -> Files.readString(eventsOut),
                    o -> o.contains("\"Action\":\"remove\",\"Actor\":{\"ID\":\"" + id + "\""));
            assertTrue(seen.contains("{\"Type\":\"service\",\"Action\":\"create\",\"Actor\":{\"ID\":\"" + id
                    + "\",\"Attributes\":{\"name\":\"evt\"}},\"scope\":\"swarm\""), seen);
            // docker events --since replays what the manager kept, --until ends it
            Dist.Result replay = ok("events", "--format", "{{.Type}} {{.Action}} {{.Actor.ID}}", "--filter", "service=evt",
                    "--filter", "event=create", "--filter", "event=remove", "--since", Long.toString(t0),
                    "--until", Long.toString(System.currentTimeMillis() / 1000 + 1));
            assertEquals(List.of("service create " + id, "service remove " + id), replay.out().lines().toList(), replay.toString());
        } finally {
            events.destroy();
            events.waitFor(10, TimeUnit.SECONDS);
        }
        await("evt's containers gone", 60, () -> containers("evt"), Set::isEmpty);

        int before = lines(ok("secret", "ls", "-q").out()).size();
        Dist.Result created = runWith(signed, "over-tcp".getBytes(StandardCharsets.UTF_8), "secret", "create", "tcp_secret", "-");
        assertEquals(0, created.exit(), created.toString());
        assertEquals(0, runWith(signed, null, "secret", "rm", "tcp_secret").exit());

        // a client certificate from another CA, the client trusting ours: only the server can refuse it
        OpensslCerts.Ca other = OpensslCerts.make(root.resolve("other-pki"), m1.host);
        Path foreign = Files.createDirectories(root.resolve("foreign-client"));
        Files.copy(pki.caCert(), foreign.resolve("ca.pem"));
        Files.copy(other.client().resolve("cert.pem"), foreign.resolve("cert.pem"));
        Files.copy(other.client().resolve("key.pem"), foreign.resolve("key.pem"));
        Dist.Result refused = runWith(Map.of("DOCKER_HOST", host, "DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH",
                foreign.toString()), "x".getBytes(StandardCharsets.UTF_8), "secret", "create", "foreign", "-");
        assertNotEquals(0, refused.exit(), "a client certificate of another CA: " + refused);
        assertEquals(before, lines(ok("secret", "ls", "-q").out()).size(), "nothing was written");
    }

    /**
     * The seed's docker-mode walkthrough, in its order: node ls, service create with 3 replicas
     * on port 8080, service ls, service ps by ID, scale to 2, update --replicas 3, a rolling
     * image update (parallelism 1, delay 3 s), service logs by an ID prefix, then the compose
     * file as a stack: deploy, ls, services, ps, rm.
     */
    @Test
    @Order(12)
    void theSeedsDockerWalkthrough() throws Exception {
        List<String> nodeLs = lines(ok("node", "ls").out());
        assertEquals(4, nodeLs.size(), "a header and 3 nodes: " + nodeLs);
        assertEquals(1, nodeLs.stream().filter(l -> l.contains("Leader")).count(), nodeLs.toString());

        Dist.Result create = ok(cmd(List.of("service", "create", "--replicas=3", "--publish", "8080:80", "--name", "web",
                IMAGE_1), HTTPD));
        assertTrue(create.out().matches(CONVERGED), create.toString());
        List<String> ls = lines(ok("service", "ls").out());
        assertTrue(ls.get(0).matches("ID\\s+NAME\\s+MODE\\s+REPLICAS\\s+IMAGE\\s+PORTS"), ls.toString());
        assertTrue(ls.stream().anyMatch(l -> l.matches("[0-9a-z]{12}\\s+web\\s+replicated\\s+3/3\\s+" + Pattern.quote(IMAGE_1)
                + "\\s+\\*:8080->80/tcp")), ls.toString());
        String id = ok("service", "ls", "-q", "--filter", "name=web").out().trim();
        List<String> ps = lines(ok("service", "ps", id).out());
        assertEquals(3, ps.stream().filter(l -> l.matches("[0-9a-z]{12}\\s+web\\.[123]\\s+" + Pattern.quote(IMAGE_1)
                + "\\s+dapi-\\w+\\s+Running\\s+Running .*")).count(), ps.toString());
        await("port 8080 to answer", 60, () -> MeshIT.get(m1.host, 8080, null), b -> b.startsWith("hello from"));

        Dist.Result scale = ok("service", "scale", "web=2");
        assertTrue(scale.out().contains("web scaled to 2"), scale.toString());
        await("2 containers of web", 60, () -> containers("web"), c -> c.size() == 2);
        Dist.Result replicas = ok("service", "update", "web", "--replicas", "3");
        assertTrue(replicas.out().startsWith("web"), replicas.toString());
        assertTrue(replicas.out().contains("overall progress: 3 out of 3 tasks"), replicas.toString());
        await("3 running containers of web", 60, () -> images("web"), i -> i.size() == 3);

        Dist.Result rolling = ok("service", "update", "web", "--image", IMAGE_2, "--update-parallelism", "1",
                "--update-delay", "3s");
        assertTrue(rolling.out().matches(CONVERGED), rolling.toString());
        await("every running container of web on " + IMAGE_2, 60, () -> images("web"),
                i -> i.equals(List.of(IMAGE_2, IMAGE_2, IMAGE_2)));
        assertTrue(ok("service", "ls").out().lines().anyMatch(l -> l.matches("\\S+\\s+web\\s+replicated\\s+3/3\\s+"
                + Pattern.quote(IMAGE_2) + "\\s+\\*:8080->80/tcp")));
        String prefix = id.substring(0, 4);
        await("docker service logs " + prefix, 60, () -> lines(ok("service", "logs", prefix).out()),
                l -> l.stream().filter(x -> x.matches("web\\.\\d\\.[0-9a-z]{12}@dapi-\\w+\\s*\\| httpd starting on \\w+"))
                        .count() >= 6);

        Path file = Files.writeString(Files.createDirectories(root.resolve("seed")).resolve("docker-compose.yml"), StackIT.SEED);
        Dist.Result deploy = ok("stack", "deploy", "-c", file.toString(), SEED_STACK);
        assertTrue((deploy.out() + deploy.err()).contains("Creating service " + SEED_STACK + "_app"), deploy.toString());
        assertStackRuns(SEED_STACK);
        List<String> stacks = lines(ok("stack", "ls").out());
        assertTrue(stacks.stream().anyMatch(l -> l.matches(SEED_STACK + "\\s+2(\\s+Swarm)?")), stacks.toString());
        await("curl 127.0.0.71:5000", 60, () -> MeshIT.get(m1.host, StackIT.PORT, null),
                b -> b.startsWith("You have hit this page"));
        assertStackRm(SEED_STACK);
        assertEquals("web", ok("service", "rm", "web").out().trim());
        await("no container of web", 90, () -> containers("web"), Set::isEmpty);
    }

    // ------------------------------------------------------------ helpers

    /** Waits for the seed stack's 3 tasks and checks stack services/ps against swarmlet's. */
    static void assertStackRuns(String stack) throws Exception {
        String format = "{{.Name}} {{.Mode}} {{.Replicas}} {{.Image}} {{.Ports}}";
        Set<String> want = Set.of(stack + "_app replicated 2/2 " + StackIT.COUNTER + " *:5000->5000/tcp",
                stack + "_redis replicated 1/1 " + StackIT.KV);
        await("docker stack services " + stack + " to show 2/2 and 1/1", 120,
                () -> set(ok("stack", "services", stack, "--format", format).out()), s -> s.equals(want));
        assertEquals(set(m1.ok("stack", "services", stack, "--format", format).out()),
                set(ok("stack", "services", stack, "--format", format).out()));
        List<String> table = lines(ok("stack", "services", stack).out());
        assertTrue(table.get(0).matches("ID\\s+NAME\\s+MODE\\s+REPLICAS\\s+IMAGE\\s+PORTS"), table.toString());
        String ps = "{{.ID}} {{.Name}} {{.Image}} {{.Node}} {{.DesiredState}}";
        Set<String> running = await("docker stack ps " + stack + ": 3 running", 60,
                () -> set(ok("stack", "ps", stack, "--filter", "desired-state=running", "--format", ps).out()),
                s -> s.size() == 3);
        assertEquals(set(m1.ok("stack", "ps", stack, "--filter", "desired-state=running", "--format", ps).out()), running);
        List<String> psTable = lines(ok("stack", "ps", stack).out());
        assertTrue(psTable.get(0).matches("ID\\s+NAME\\s+IMAGE\\s+NODE\\s+DESIRED STATE\\s+CURRENT STATE\\s+ERROR\\s+PORTS"),
                psTable.toString());
        // the real containers are the running tasks
        Set<String> taskIds = set(ok("stack", "ps", stack, "-q", "--no-trunc", "--filter", "desired-state=running").out());
        await("the engine's containers of " + stack + " to be its running tasks", 60, () -> stackTaskContainers(stack),
                c -> c.equals(taskIds));
    }

    static void assertStackRm(String stack) throws Exception {
        Dist.Result rm = ok("stack", "rm", stack);
        String said = rm.out() + rm.err();
        for (String s : List.of("Removing service " + stack + "_app", "Removing service " + stack + "_redis",
                "Removing network " + stack + "_demo-net")) {
            assertTrue(said.contains(s), s + ":\n" + rm);
        }
        await("no container of stack " + stack, 90, () -> stackTaskContainers(stack), Set::isEmpty);
        assertFalse(m1.ok("stack", "ls").out().contains(stack + " "), "swarmlet stack ls no longer lists it");
        assertFalse(m1.ok("network", "ls").out().contains(stack + "_demo-net"));
        assertTrue(lines(ok("stack", "ls").out()).stream().noneMatch(l -> l.startsWith(stack + " ")));
    }

    /** Tasks of a service by docker service ps and swarmlet service ps agree, and the running ones are the containers. */
    static void assertSameTasks(String service) throws Exception {
        String format = "{{.ID}} {{.Name}} {{.Image}} {{.Node}} {{.DesiredState}}";
        assertEquals(set(m1.ok("service", "ps", service, "--format", format).out()),
                set(ok("service", "ps", service, "--format", format).out()), "docker service ps = swarmlet service ps");
        Set<String> running = set(ok("service", "ps", service, "-q", "--no-trunc", "--filter", "desired-state=running").out());
        await("the engine's running containers of " + service + " to be its running tasks " + running, 60,
                () -> containers(service), c -> c.equals(running));
    }

    /**
     * Task IDs of the running containers of a service, from the real engine's labels (this
     * cluster's nodes only: other clusters on this engine may run a service of that name).
     */
    static Set<String> containers(String service) throws Exception {
        return new TreeSet<>(ours(List.of("ps", "--filter", "label=com.docker.swarm.service.name=" + service),
                "{{.Label \"com.docker.swarm.task.id\"}}"));
    }

    /** Task IDs of all containers (running or not) of a stack on this cluster's nodes. */
    static Set<String> stackTaskContainers(String stack) throws Exception {
        return new TreeSet<>(ours(List.of("ps", "-a", "--filter", "label=com.docker.stack.namespace=" + stack),
                "{{.Label \"com.docker.swarm.task.id\"}}"));
    }

    /** Images of the running containers of a service on this cluster's nodes, sorted. */
    static List<String> images(String service) throws Exception {
        return ours(List.of("ps", "--filter", "label=com.docker.swarm.service.name=" + service), "{{.Image}}").stream()
                .sorted().collect(Collectors.toList());
    }

    /** {@code docker ps} on the real engine, one {@code format} value per container of this cluster's nodes. */
    static List<String> ours(List<String> ps, String format) throws Exception {
        Set<String> mine = nodes.values().stream().map(m -> m.nodeId).collect(Collectors.toSet());
        List<String> args = new ArrayList<>(List.of("-H", "unix:///var/run/docker.sock"));
        args.addAll(ps);
        args.addAll(List.of("--format", "{{.Label \"io.swarmlet.node.id\"}} " + format));
        Dist.Result r = Dist.docker(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.toString());
        List<String> out = new ArrayList<>();
        for (String l : lines(r.out())) {
            String[] f = l.split(" ", 2);
            if (mine.contains(f[0])) {
                out.add(f.length > 1 ? f[1] : "");
            }
        }
        return out;
    }

    static Set<String> set(String out) {
        return new TreeSet<>(lines(out).stream().map(l -> l.replaceAll("\\s+", " ")).toList());
    }

    static String[] cmd(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all.toArray(String[]::new);
    }

    static String ms(long t0) {
        return String.valueOf((System.nanoTime() - t0) / 1_000_000);
    }

    /** The docker CLI against the manager's Docker API (through the recorder); must succeed. */
    static Dist.Result ok(String... args) throws Exception {
        Dist.Result r = run(null, args);
        assertEquals(0, r.exit(), "docker " + String.join(" ", args) + "\n" + r);
        return r;
    }

    /**
     * Runs the stock docker CLI with DOCKER_HOST at the recorder (a private DOCKER_CONFIG: no
     * context or credential of this machine), at most 4 minutes.
     */
    static Dist.Result run(byte[] input, String... args) throws IOException, InterruptedException {
        return runWith(Map.of("DOCKER_HOST", "unix://" + recorder.socket()), input, args);
    }

    /** As {@link #run}, with {@code env} (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH...) instead of the recorder. */
    static Dist.Result runWith(Map<String, String> env, byte[] input, String... args) throws IOException, InterruptedException {
        recorder.command(section + ": docker " + String.join(" ", args));
        List<String> cmd = new ArrayList<>(List.of("docker"));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(root, "docker-out", ".txt");
        Path err = Files.createTempFile(root, "docker-err", ".txt");
        Path in = input == null ? null : Files.write(Files.createTempFile(root, "docker-in", ".txt"), input);
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(in == null ? new java.io.File("/dev/null") : in.toFile()));
            pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
            pb.environment().putAll(env);
            pb.environment().put("DOCKER_CONFIG", dockerConfig.toString());
            pb.environment().put("DOCKER_CLI_HINTS", "false");
            Process p = pb.start();
            if (!p.waitFor(240, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: docker " + String.join(" ", args) + "\nso far:\n"
                        + Files.readString(out) + Files.readString(err));
            }
            return new Dist.Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            if (in != null) {
                Files.deleteIfExists(in);
            }
        }
    }
}
