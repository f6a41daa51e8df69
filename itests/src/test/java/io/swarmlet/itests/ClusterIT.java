package io.swarmlet.itests;

import io.swarmlet.api.testing.FreePorts;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real cluster on one machine: 3 managers and 2 workers, each its own
 * swarmletd process (own state dir, control socket, remote API and Raft
 * ports on 127.0.0.1), formed from join tokens over mutual TLS, sharing the
 * local Docker Engine (containers carry their node's ID label). The tests
 * run in order on the one cluster and end with losing quorum.
 *
 * <p>Waits poll with deadlines; nothing sleeps to synchronise.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    static final String IMAGE = ServiceEndToEndIT.IMAGE_1;
    static final Pattern NODE_ROW = Pattern.compile(
            "(?m)^([0-9a-z]{25})( \\*)?\\s+(\\S+)\\s+(Ready|Down|Unknown|Disconnected)\\s+(Active|Pause|Drain)\\s+(Leader|Reachable|Unreachable)?\\s*(.*)$");

    static Path root;
    static final Map<String, Member> nodes = new LinkedHashMap<>();
    static final Map<String, String> figures = new TreeMap<>();

    @RegisterExtension
    static final AnyFailed FAILED = new AnyFailed();

    /** One swarmletd of the cluster. */
    static final class Member {
        final String name;
        final Path state;
        final Path socket;
        final int remotePort;
        final int raftPort;
        Process process;
        Path out;
        String nodeId;
        int starts;
        /** Extra environment of the daemon (e.g. SWARMLETD_OPTS with its own deploy directory). */
        java.util.Map<String, String> env = java.util.Map.of();
        /** Its --listen-http: off unless {@link #withHttp} (several daemons share this host). */
        String http = "none";
        /** Its --listen-docker-api socket: none unless {@link #withDockerApi}. */
        Path dockerApi;
        /** Its --listen-docker-api tcp:// flags (address and TLS files): none unless {@link #withDockerApiTls}. */
        List<String> dockerApiTls = List.of();
        int dockerApiTlsPort;

        final Path root;
        /** The loopback address the node listens and advertises on (127.0.0.1 unless given). */
        final String host;

        Member(Path root, String name) throws IOException {
            this(root, name, "127.0.0.1");
        }

        /** A member whose daemon watches a deploy directory of its own, {@code <root>/<name>-deploy}. */
        Member withOwnDeployDir() throws IOException {
            Path deploy = Files.createDirectories(root.resolve(name + "-deploy"));
            env = java.util.Map.of("SWARMLETD_OPTS", "-Dswarmlet.deploy.dir=" + deploy);
            return this;
        }

        /** A member whose daemon serves the web console on its own address, at {@code port}. */
        Member withHttp(int port) {
            http = host + ":" + port;
            return this;
        }

        /** A member whose daemon serves the Docker Engine API on {@code <root>/<name>-docker.sock} (managers only). */
        Member withDockerApi() {
            dockerApi = root.resolve(name + "-docker.sock");
            return this;
        }

        /**
         * A member whose daemon also serves the Docker Engine API on {@code tcp://<host>:<free port>} with
         * mutual TLS: {@code ca} signs the clients' certificates, {@code cert}/{@code key} are the server's.
         */
        Member withDockerApiTls(Path ca, Path cert, Path key) throws IOException {
            dockerApiTlsPort = FreePorts.next();
            dockerApiTls = List.of("--listen-docker-api", "tcp://" + host + ":" + dockerApiTlsPort,
                    "--docker-api-tlscacert", ca.toString(), "--docker-api-tlscert", cert.toString(),
                    "--docker-api-tlskey", key.toString());
            return this;
        }

        /** The Docker API's address for DOCKER_HOST (after {@link #withDockerApi}). */
        String dockerHost() {
            return "unix://" + dockerApi;
        }

        /** The web console's base URL (after {@link #withHttp}). */
        String httpUrl() {
            return "http://" + http;
        }

        Path deployDir() {
            return root.resolve(name + "-deploy");
        }

        Member(Path root, String name, String host) throws IOException {
            this.root = root;
            this.name = name;
            this.host = host;
            this.state = root.resolve(name);
            this.socket = root.resolve(name + ".sock");
            this.remotePort = FreePorts.next();
            this.raftPort = FreePorts.next();
        }

        String remote() {
            return host + ":" + remotePort;
        }

        List<String> flags(String... extra) {
            List<String> f = new ArrayList<>(List.of("--state-dir", state.toString(), "--listen-control-api",
                    socket.toString(), "--listen-remote-api", remote(), "--listen-raft-api", host + ":" + raftPort,
                    "--hostname", name, "--listen-http", http));
            if (dockerApi != null) {
                f.addAll(List.of("--listen-docker-api", dockerApi.toString()));
            }
            f.addAll(dockerApiTls);
            f.addAll(List.of(extra));
            return f;
        }

        void start(String... extra) throws IOException {
            out = root.resolve(name + ".out." + (++starts));
            process = Dist.daemon(out, env, flags(extra).toArray(String[]::new));
        }

        void kill() throws InterruptedException {
            process.destroyForcibly();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), name + " did not die");
        }

        Dist.Result cli(String... args) throws IOException, InterruptedException {
            return Dist.cli(socket, args);
        }

        Dist.Result ok(String... args) throws IOException, InterruptedException {
            Dist.Result r = cli(args);
            assertEquals(0, r.exit(), name + ": swarmlet " + String.join(" ", args) + "\n" + r);
            return r;
        }

        /** Waits until the daemon says it is ready (its control socket answers). */
        void awaitReady() throws Exception {
            await(name + " to be ready", 90, () -> {
                if (!process.isAlive()) {
                    throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + Files.readString(out));
                }
                return Files.readString(out);
            }, o -> o.contains("swarmletd: ready"));
        }
    }

    // ------------------------------------------------------------ the cluster

    @BeforeAll
    static void formCluster() throws Exception {
        Dist.requireDistributionAndImages(IMAGE);
        root = Files.createTempDirectory(Path.of("/tmp"), "swl-cluster-");
        for (String n : List.of("m1", "m2", "m3", "w1", "w2")) {
            nodes.put(n, new Member(root, n));
        }
        Member m1 = nodes.get("m1");
        m1.start();
        m1.awaitReady();
        String managerToken = m1.ok("swarm", "join-token", "-q", "manager").out().trim();
        String workerToken = m1.ok("swarm", "join-token", "-q", "worker").out().trim();
        assertTrue(managerToken.matches("SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}"), managerToken);
        // managers one after another (each joins the raft group), workers together
        for (String n : List.of("m2", "m3")) {
            nodes.get(n).start("--join-addr", m1.remote(), "--join-token", managerToken);
            nodes.get(n).awaitReady();
        }
        for (String n : List.of("w1", "w2")) {
            nodes.get(n).start("--join-addr", m1.remote(), "--join-token", workerToken);
        }
        for (String n : List.of("w1", "w2")) {
            nodes.get(n).awaitReady();
        }
        Map<String, String[]> rows = awaitNodes(m1, "all 5 nodes Ready with one leader and 2 reachable managers",
                r -> r.size() == 5 && r.values().stream().allMatch(f -> f[3].equals("Ready"))
                        && count(r, "Leader") == 1 && count(r, "Reachable") == 2);
        for (Member m : nodes.values()) {
            m.nodeId = rows.entrySet().stream().filter(e -> e.getValue()[2].equals(m.name)).findFirst()
                    .orElseThrow().getKey();
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        stopAndClean("ClusterIT", root, nodes.values(), FAILED.get(), figures);
    }

    /**
     * The end of a test class with daemons: stops them (SIGTERM, then SIGKILL after
     * 30 s), removes the containers their nodes left, prints the figures, and
     * deletes {@code root} unless {@code keep} (a test failed: the state dirs and
     * daemon output stay for a look).
     */
    static void stopAndClean(String test, Path root, boolean keep, Map<String, String> figures, Member... members)
            throws Exception {
        List<Member> started = new ArrayList<>();
        for (Member m : members) {
            if (m != null) {
                started.add(m);
            }
        }
        stopAndClean(test, root, started, keep, figures);
    }

    /** As above, for the members given (none null). */
    static void stopAndClean(String test, Path root, java.util.Collection<Member> members, boolean keep,
            Map<String, String> figures) throws Exception {
        for (Member m : members) {
            if (m.process != null && m.process.isAlive()) {
                m.process.destroy();
            }
        }
        for (Member m : members) {
            if (m.process != null && !m.process.waitFor(30, TimeUnit.SECONDS)) {
                m.process.destroyForcibly();
            }
        }
        for (Member m : members) {
            if (m.nodeId != null) {
                List<String> ids = lines(docker("ps", "-aq", "--filter", "label=io.swarmlet.node.id=" + m.nodeId).out());
                if (!ids.isEmpty()) {
                    List<String> rm = new ArrayList<>(List.of("rm", "-f"));
                    rm.addAll(ids);
                    docker(rm.toArray(String[]::new));
                }
            }
        }
        // the cluster networks its nodes' engines made (agents remove them after their last task; a
        // daemon killed first leaves them): the next cluster allocates the same subnets from 10.0.0.0/8
        for (String net : lines(docker("network", "ls", "-q", "--filter", "label=io.swarmlet.network.id").out())) {
            docker("network", "rm", net);
        }
        // and the virtual IPs and DNS addresses their meshes put on the loopback device (a mesh leaves
        // them when it stops, since other nodes on the same host may still use them)
        Dist.Result lo = Dist.run(List.of("ip", "-4", "-o", "addr", "show", "dev", "lo"));
        java.util.regex.Matcher vip = Pattern.compile("inet (10\\.\\d+\\.\\d+\\.\\d+/32)").matcher(lo.out());
        while (vip.find()) {
            Dist.run(List.of("ip", "addr", "del", vip.group(1), "dev", "lo"));
        }
        System.err.println(test + " figures: " + figures);
        if (root != null) {
            unmountUnder(root);
            if (keep) {
                System.err.println(test + ": state dirs and daemon output kept for a look: " + root);
            } else {
                try (var paths = Files.walk(root)) {
                    paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    // ------------------------------------------------------------ tests

    @Test
    @Order(1)
    void everyManagerListsTheClusterAndWorkersRefuse() throws Exception {
        for (String n : List.of("m1", "m2", "m3")) {
            Map<String, String[]> rows = awaitNodes(nodes.get(n), "node ls on " + n,
                    r -> r.size() == 5 && count(r, "Leader") == 1 && count(r, "Reachable") == 2);
            String self = rows.entrySet().stream().filter(e -> e.getValue()[1] != null).map(Map.Entry::getKey)
                    .findFirst().orElse(null);
            assertEquals(nodes.get(n).nodeId, self, "the * marks the node the CLI talks to");
        }
        Dist.Result onWorker = nodes.get("w1").cli("node", "ls");
        assertNotEquals(0, onWorker.exit());
        assertTrue(onWorker.err().contains("This node is not a swarm manager."), onWorker.toString());
        // the node certificate names node and role; the key is only readable by its owner
        Path key = nodes.get("w1").state.resolve("certificates/swarm-node.key");
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertFalse(Files.exists(nodes.get("w1").state.resolve("certificates/swarm-root-ca.key")),
                "workers never hold the root CA key");
        assertTrue(Files.exists(nodes.get("m2").state.resolve("certificates/swarm-root-ca.key")));
    }

    @Test
    @Order(2)
    void badTokensAreRefusedAndWriteNothing() throws Exception {
        Member m1 = nodes.get("m1");
        String worker = m1.ok("swarm", "join-token", "-q", "worker").out().trim();
        String digest = worker.split("-")[2];
        // right CA, wrong secret
        assertJoinRefused("wrong-secret", "SWMTKN-1-" + digest + "-" + "0".repeat(25), "invalid join token");
        // a token of another cluster: its CA digest does not match this manager's root
        assertJoinRefused("foreign-ca", "SWMTKN-1-" + "1".repeat(50) + "-" + worker.split("-")[3], "does not match");
        // a rotated token stops new joins; joined nodes stay
        Dist.Result rotate = m1.ok("swarm", "join-token", "--rotate", "worker");
        assertTrue(rotate.out().contains("Successfully rotated worker join token."), rotate.toString());
        String rotated = m1.ok("swarm", "join-token", "-q", "worker").out().trim();
        assertNotEquals(worker, rotated);
        assertJoinRefused("old-token", worker, "invalid join token");
        Map<String, String[]> rows = awaitNodes(m1, "joined workers still Ready after the rotation",
                r -> "Ready".equals(row(r, "w1")[3]) && "Ready".equals(row(r, "w2")[3]));
        assertEquals(5, rows.size(), "refused joins left no node object");
    }

    private void assertJoinRefused(String name, String token, String message) throws Exception {
        Path state = root.resolve(name);
        Path out = root.resolve(name + ".out");
        Process p = Dist.daemon(out, "--state-dir", state.toString(), "--listen-control-api",
                root.resolve(name + ".sock").toString(), "--listen-remote-api", "127.0.0.1:" + FreePorts.next(),
                "--listen-raft-api", "127.0.0.1:" + FreePorts.next(), "--hostname", name,
                "--join-addr", nodes.get("m1").remote(), "--join-token", token);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "swarmletd with a bad token must exit");
        String said = Files.readString(out);
        assertEquals(1, p.exitValue(), said);
        assertTrue(said.contains("swarmletd: error: cannot join the cluster") && said.contains(message), said);
        assertFalse(said.contains(token.substring(token.lastIndexOf('-') + 1)), "the secret must not be echoed: " + said);
        assertFalse(Files.exists(state), "nothing written to the state dir: " + state);
    }

    @Test
    @Order(3)
    void replicasSpreadOverTheNodes() throws Exception {
        Member m1 = nodes.get("m1");
        m1.ok("service", "create", "--detach", "--name", "spread", "--replicas", "6", IMAGE, "sh", "-c",
                "echo spread-up; exec sleep 86400");
        Map<String, Integer> perNode = await("6 running containers of spread on 5 nodes", 90,
                () -> runningPerNode("spread"), m -> total(m) == 6 && m.size() == 5);
        assertTrue(perNode.values().stream().allMatch(c -> c <= 2), "no node runs 3: " + perNode);
        // every manager, followers too, reads the tasks' output from the nodes that run them
        for (String n : List.of("m1", "m2", "m3")) {
            String logs = await("service logs spread on " + n + ": 6 tasks' lines", 60,
                    () -> nodes.get(n).ok("service", "logs", "spread").out(),
                    o -> o.lines().filter(l -> l.endsWith("| spread-up")).count() == 6);
            assertEquals(6, logs.lines().filter(l -> l.matches("spread\\.[1-6]\\.\\w+@\\S+\\s*\\| spread-up")).map(l -> l.split("\\.")[1])
                    .distinct().count(), n + ":\n" + logs);
        }
    }

    @Test
    @Order(4)
    void killedWorkersTasksMoveAndItsStaleContainersGoWhenItReturns() throws Exception {
        Member m1 = nodes.get("m1");
        Member w1 = nodes.get("w1");
        Map<String, Integer> before = runningPerNode("spread");
        int onW1 = before.getOrDefault(w1.nodeId, 0);
        assertTrue(onW1 >= 1, "w1 runs a task of spread: " + before);
        long killed = System.nanoTime();
        w1.kill();
        // its containers keep running in the shared engine: count the other nodes' only
        await("w1's tasks running on other nodes", 60, () -> runningPerNode("spread"),
                m -> total(m) - m.getOrDefault(w1.nodeId, 0) == 6);
        figures.put("worker kill -> its tasks running elsewhere (ms)", Long.toString((System.nanoTime() - killed) / 1_000_000));
        awaitNodes(m1, "w1 Down", r -> "Down".equals(row(r, "w1")[3]));

        w1.start();
        w1.awaitReady();
        awaitNodes(m1, "w1 Ready again", r -> "Ready".equals(row(r, "w1")[3]));
        Map<String, Integer> after = await("w1's stale containers removed: exactly 6 running", 60,
                () -> runningPerNode("spread"), m -> total(m) == 6 && m.getOrDefault(w1.nodeId, 0) == 0);
        assertEquals(6, total(after));
        awaitReplicas(m1, "spread", "6/6");
    }

    @Test
    @Order(5)
    void drainMovesTasksAndActivateTakesNewOnes() throws Exception {
        Member m1 = nodes.get("m1");
        Member w2 = nodes.get("w2");
        m1.ok("node", "update", "--availability", "drain", "w2");
        await("no task of spread left on drained w2", 60, () -> runningPerNode("spread"),
                m -> m.getOrDefault(w2.nodeId, 0) == 0 && total(m) == 6);
        awaitNodes(m1, "w2 shown as Drain", r -> "Drain".equals(row(r, "w2")[4]));
        m1.ok("node", "activate", "w2");
        m1.ok("service", "scale", "--detach", "spread=9");
        await("new tasks land on the active w2 again", 60, () -> runningPerNode("spread"),
                m -> m.getOrDefault(w2.nodeId, 0) >= 1 && total(m) == 9);
    }

    @Test
    @Order(6)
    void constraintsAndSpreadPreferencesAreHonoured() throws Exception {
        Member m1 = nodes.get("m1");
        m1.ok("node", "update", "--label-add", "zone=a", "w1");
        m1.ok("node", "update", "--label-add", "zone=b", "w2");
        m1.ok("service", "create", "--detach", "--name", "onworkers", "--replicas", "4",
                "--constraint", "node.role==worker", "--placement-pref", "spread=node.labels.zone", IMAGE, "sleep", "86400");
        Map<String, Integer> m = await("4 tasks of onworkers, 2 per zone", 60, () -> runningPerNode("onworkers"),
                x -> total(x) == 4);
        assertEquals(Set.of(nodes.get("w1").nodeId, nodes.get("w2").nodeId), m.keySet(), "workers only: " + m);
        assertEquals(2, m.get(nodes.get("w1").nodeId), "spread over the zones: " + m);
        m1.ok("service", "create", "--detach", "--name", "pinned", "--constraint", "node.hostname==m3",
                "--constraint", "node.labels.zone!=a", IMAGE, "sleep", "86400");
        Map<String, Integer> pinned = await("pinned on m3", 60, () -> runningPerNode("pinned"), x -> total(x) == 1);
        assertEquals(Set.of(nodes.get("m3").nodeId), pinned.keySet());
        m1.ok("service", "rm", "onworkers", "pinned");
    }

    @Test
    @Order(7)
    void promoteAndDemoteRoundTrip() throws Exception {
        Member m1 = nodes.get("m1");
        Dist.Result promote = m1.ok("node", "promote", "w1");
        assertTrue(promote.out().contains("Node w1 promoted to a manager in the swarm."), promote.toString());
        awaitNodes(m1, "w1 a reachable manager", r -> "Reachable".equals(row(r, "w1")[5]));
        await("w1's control socket to serve node ls", 60, () -> nodes.get("w1").cli("node", "ls"), r -> r.exit() == 0);
        assertTrue(Files.exists(nodes.get("w1").state.resolve("certificates/swarm-root-ca.key")));
        Dist.Result demote = m1.ok("node", "demote", "w1");
        assertTrue(demote.out().contains("Manager w1 demoted in the swarm."), demote.toString());
        awaitNodes(m1, "w1 a worker again", r -> row(r, "w1")[5] == null && count(r, "Reachable") == 2);
        await("w1's control socket to refuse node ls again", 60, () -> nodes.get("w1").cli("node", "ls"),
                r -> r.exit() != 0 && r.err().contains("not a swarm manager"));
        awaitNodes(m1, "w1 Ready", r -> "Ready".equals(row(r, "w1")[3]));
    }

    @Test
    @Order(8)
    void leaderKillElectsAnotherAndServicesStay() throws Exception {
        Member m1 = nodes.get("m1");
        Map<String, String[]> rows = awaitNodes(m1, "a leader", r -> count(r, "Leader") == 1);
        String leaderName = rows.values().stream().filter(f -> "Leader".equals(f[5])).findFirst().orElseThrow()[2];
        Member leader = nodes.get(leaderName);
        Member other = nodes.values().stream().filter(m -> m.name.startsWith("m") && m != leader).findFirst().orElseThrow();
        long killed = System.nanoTime();
        leader.kill();
        int[] n = {0};
        await("a write accepted through " + other.name, 30,
                () -> other.cli("node", "update", "--label-add", "after-kill=" + (n[0]++), other.name), r -> r.exit() == 0);
        figures.put("leader kill -> control API writable (ms)", Long.toString((System.nanoTime() - killed) / 1_000_000));
        awaitNodes(other, "a new leader, the old one Unreachable",
                r -> count(r, "Leader") == 1 && "Unreachable".equals(row(r, leaderName)[5]));
        awaitReplicas(other, "spread", "9/9");
        leader.start();
        leader.awaitReady();
        awaitNodes(other, "the old leader back as Reachable", r -> "Reachable".equals(row(r, leaderName)[5])
                && count(r, "Leader") == 1);
        await("exactly 9 running containers of spread", 60, () -> runningPerNode("spread"), m -> total(m) == 9);
    }

    @Test
    @Order(9)
    void workerLeavesAndIsRemoved() throws Exception {
        Member m = managerUp();
        Member w2 = nodes.get("w2");
        Dist.Result leave = w2.ok("swarm", "leave");
        assertTrue(leave.out().contains("Node left the swarm."), leave.toString());
        assertTrue(w2.process.waitFor(60, TimeUnit.SECONDS), "swarmletd exits after leaving");
        assertEquals(0, w2.process.exitValue());
        assertFalse(Files.exists(w2.state.resolve("node.properties")), "the identity is gone");
        assertFalse(Files.exists(w2.state.resolve("certificates")), "the certificates are gone");
        awaitNodes(m, "w2 Down", r -> "Down".equals(row(r, "w2")[3]));
        assertEquals(List.of(), lines(docker("ps", "-q", "--filter", "label=io.swarmlet.node.id=" + w2.nodeId).out()),
                "w2's containers were removed");
        m.ok("node", "rm", "w2");
        awaitNodes(m, "w2 gone from node ls", r -> !r.values().stream().anyMatch(f -> f[2].equals("w2")));
        Dist.Result managerLeave = m.cli("swarm", "leave");
        assertNotEquals(0, managerLeave.exit(), "a manager whose leaving is refused says why");
        assertTrue(managerLeave.err().contains("participating as a manager"), managerLeave.toString());
    }

    @Test
    @Order(10)
    void lostQuorumRefusesWritesAndForceNewClusterRecovers() throws Exception {
        Member survivor = managerUp();
        List<Member> others = nodes.values().stream().filter(m -> m.name.startsWith("m") && m != survivor).toList();
        int containersBefore = total(runningPerNode("spread"));
        for (Member m : others) {
            m.kill();
        }
        long killed = System.nanoTime();
        Dist.Result refused = await("a write refused for lost quorum", 60,
                () -> survivor.cli("node", "update", "--label-add", "quorum=lost", survivor.name), r -> r.exit() != 0);
        figures.put("quorum lost -> write refused (ms)", Long.toString((System.nanoTime() - killed) / 1_000_000));
        assertTrue(refused.err().contains("quorum") && refused.err().contains("--force-new-cluster"), refused.toString());
        assertEquals(0, survivor.cli("service", "ls").exit(), "reads still work");
        assertEquals(containersBefore, total(runningPerNode("spread")), "tasks keep running");

        survivor.kill();
        survivor.start("--force-new-cluster");
        survivor.awaitReady();
        await("writes accepted on the new one-manager cluster", 60,
                () -> survivor.cli("node", "update", "--label-add", "quorum=back", survivor.name), r -> r.exit() == 0);
        awaitNodes(survivor, survivor.name + " leads alone",
                r -> "Leader".equals(row(r, survivor.name)[5]) && count(r, "Reachable") == 0);
        assertTrue(survivor.ok("service", "ls").out().contains("spread"), "the services survived");
    }

    // ------------------------------------------------------------ helpers

    /** Lazily unmounts what a stopped daemon left mounted under {@code dir} (the agent's secrets tmpfs after a kill). */
    static void unmountUnder(Path dir) throws IOException, InterruptedException {
        for (String mountPoint : mounts().keySet()) {
            if (Path.of(mountPoint).startsWith(dir)) {
                Dist.run(List.of("umount", "-l", mountPoint));
            }
        }
    }

    /** This machine's mounts: mount point to file system type, from /proc/mounts. */
    static Map<String, String> mounts() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 2) {
                out.put(f[1].replace("\\040", " "), f[2]);
            }
        }
        return out;
    }

    /** A manager whose process runs. */
    /**
     * Starts {@code nodes.get("m1")} as a new swarm and every other member as a worker
     * joining it, waits until {@code node ls} shows them all Ready and fills in their node IDs.
     */
    static void formManagerAndWorkers(Map<String, Member> nodes) throws Exception {
        Member m1 = nodes.get("m1");
        m1.start();
        m1.awaitReady();
        String workerToken = m1.ok("swarm", "join-token", "-q", "worker").out().trim();
        List<Member> workers = nodes.values().stream().filter(m -> m != m1).toList();
        for (Member w : workers) {
            w.start("--join-addr", m1.remote(), "--join-token", workerToken);
        }
        for (Member w : workers) {
            w.awaitReady();
        }
        Map<String, String[]> rows = awaitNodes(m1, nodes.size() + " nodes Ready",
                r -> r.size() == nodes.size() && r.values().stream().allMatch(f -> f[3].equals("Ready")));
        for (Member m : nodes.values()) {
            m.nodeId = rows.entrySet().stream().filter(e -> e.getValue()[2].equals(m.name)).findFirst()
                    .orElseThrow().getKey();
        }
    }

    static Member managerUp() {
        return nodes.values().stream().filter(m -> m.name.startsWith("m") && m.process.isAlive()).findFirst()
                .orElseThrow();
    }

    /** node ls rows by node ID: [id, "*" or null, hostname, status, availability, manager status or null, engine]. */
    static Map<String, String[]> nodeRows(Member on) throws Exception {
        Dist.Result r = on.cli("node", "ls");
        if (r.exit() != 0) {
            throw new AssertionError("node ls on " + on.name + ": " + r);
        }
        Map<String, String[]> rows = new TreeMap<>();
        Matcher m = NODE_ROW.matcher(r.out());
        while (m.find()) {
            rows.put(m.group(1), new String[] {m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), m.group(6),
                    m.group(7)});
        }
        return rows;
    }

    static Map<String, String[]> awaitNodes(Member on, String what, Predicate<Map<String, String[]>> done) throws Exception {
        return await(what + " (node ls on " + on.name + ")", 90, () -> nodeRows(on), done);
    }

    static String[] row(Map<String, String[]> rows, String hostname) {
        return rows.values().stream().filter(f -> f[2].equals(hostname)).findFirst().orElse(new String[7]);
    }

    static long count(Map<String, String[]> rows, String managerStatus) {
        return rows.values().stream().filter(f -> managerStatus.equals(f[5])).count();
    }

    /** Running containers of a service per node ID, from the engine's labels. */
    static Map<String, Integer> runningPerNode(String service) throws Exception {
        Dist.Result r = docker("ps", "--filter", "label=com.docker.swarm.service.name=" + service, "--format",
                "{{.Label \"io.swarmlet.node.id\"}}");
        assertEquals(0, r.exit(), r.toString());
        Map<String, Integer> m = new HashMap<>();
        for (String node : lines(r.out())) {
            m.merge(node, 1, Integer::sum);
        }
        return m;
    }

    static int total(Map<String, Integer> perNode) {
        return perNode.values().stream().mapToInt(Integer::intValue).sum();
    }

    static void awaitReplicas(Member on, String name, String replicas) throws Exception {
        await("service ls to show " + name + " " + replicas, 90, () -> on.ok("service", "ls").out(),
                out -> out.lines().anyMatch(l -> l.matches("\\S+\\s+" + Pattern.quote(name) + "\\s+replicated\\s+"
                        + Pattern.quote(replicas) + "\\s.*")));
    }

    static List<String> lines(String s) {
        return s.lines().map(String::trim).filter(l -> !l.isEmpty()).collect(Collectors.toList());
    }

    static Dist.Result docker(String... args) throws IOException, InterruptedException {
        return Dist.docker(args);
    }

    static <T> T await(String what, int seconds, Dist.Probe<T> probe, Predicate<? super T> done) throws Exception {
        return Dist.await(what, seconds, () -> null, probe, done, last -> last instanceof Map<?, ?> map
                ? "\n" + map.values().stream().map(v -> v instanceof String[] a ? String.join(" | ", a) : String.valueOf(v))
                        .collect(Collectors.joining("\n"))
                : String.valueOf(last), () -> "");
    }
}
