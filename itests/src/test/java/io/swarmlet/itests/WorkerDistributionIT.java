package io.swarmlet.itests;

import io.swarmlet.api.testing.FreePorts;
import static io.swarmlet.itests.ClusterIT.await;
import static io.swarmlet.itests.ClusterIT.docker;
import static io.swarmlet.itests.ClusterIT.lines;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.itests.ClusterIT.Member;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The worker-only distribution (distribution/target/swarmlet-worker, built
 * from the features without "manager") end to end: a manager from the full
 * distribution, a node of the worker distribution that joins it with the
 * worker token and runs a service's tasks, and the same distribution refused
 * a manager token (by the manager, which records nothing) and refusing to
 * create a swarm of its own; neither refusal writes a state directory.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkerDistributionIT {

    static final Path WORKER_HOME = Paths.get(System.getProperty("swarmlet.worker.dist",
            Dist.HOME.resolveSibling("swarmlet-worker").toString())).toAbsolutePath().normalize();
    static final String REFUSED_MANAGER_TOKEN = "this node runs the worker-only distribution and cannot join as a"
            + " manager: use the worker join token";

    static Path root;
    static Member manager;
    static Member worker;
    static final Map<String, String> figures = new TreeMap<>();

    @RegisterExtension
    static final AnyFailed FAILED = new AnyFailed();

    /** Starts the worker distribution's swarmletd; output goes to {@code log}. */
    static Process workerDaemon(Path log, Map<String, String> env, List<String> flags) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(WORKER_HOME.resolve("bin/swarmletd").toString());
        cmd.addAll(flags);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Runs the worker distribution's swarmletd to its end (at most 60 s). */
    static Dist.Result workerDaemonRun(List<String> flags) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(WORKER_HOME.resolve("bin/swarmletd").toString());
        cmd.addAll(flags);
        return Dist.run(cmd);
    }

    @BeforeAll
    static void startManager() throws Exception {
        Dist.requireDistributionAndImages(ClusterIT.IMAGE);
        assertTrue(Files.isExecutable(WORKER_HOME.resolve("bin/swarmletd")), "build the distribution first: " + WORKER_HOME);
        root = Files.createTempDirectory(Path.of("/tmp"), "swl-wdist-");
        manager = new Member(root, "wd-m1", "127.0.0.21").withOwnDeployDir();
        manager.start();
        manager.awaitReady();
    }

    @AfterAll
    static void stop() throws Exception {
        ClusterIT.stopAndClean("WorkerDistributionIT", root, FAILED.get(), figures, worker, manager);
    }

    @Test
    @Order(1)
    void theWorkerDistributionHoldsNoManagerBundles() throws Exception {
        List<String> jars;
        try (var files = Files.list(WORKER_HOME.resolve("bundle"))) {
            jars = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        for (String manager : List.of("store", "dispatcher", "scheduler", "orchestrator", "updater")) {
            assertFalse(jars.stream().anyMatch(j -> j.startsWith("io.swarmlet." + manager + "-")), manager + " in " + jars);
        }
        assertTrue(jars.stream().anyMatch(j -> j.startsWith("io.swarmlet.agent-")), jars.toString());
        assertTrue(Files.readString(WORKER_HOME.resolve("conf/distribution.properties")).contains("\nname=swarmlet-worker\n"));
        figures.put("worker bundles", String.valueOf(jars.size()));
    }

    @Test
    @Order(2)
    void withoutJoinFlagsItRefusesToCreateASwarm() throws Exception {
        Path state = root.resolve("wd-alone");
        Dist.Result r = workerDaemonRun(List.of("--state-dir", state.toString(), "--listen-remote-api", "127.0.0.23:"
                + FreePorts.next(), "--hostname", "wd-alone"));
        assertEquals(1, r.exit(), r.toString());
        assertEquals("swarmletd: error: this is the worker-only distribution (swarmlet-worker): it cannot create a swarm;"
                + " join one with --join-addr and --join-token (swarmlet swarm join-token worker)", r.err().trim());
        assertFalse(Files.exists(state), "nothing is written");
    }

    @Test
    @Order(3)
    void theManagerTokenIsRefusedAndNothingIsRecorded() throws Exception {
        int before = ClusterIT.nodeRows(manager).size();
        String managerToken = manager.ok("swarm", "join-token", "-q", "manager").out().trim();
        Path state = root.resolve("wd-mgr");
        Dist.Result r = workerDaemonRun(List.of("--state-dir", state.toString(), "--listen-remote-api",
                "127.0.0.23:" + FreePorts.next(), "--hostname", "wd-mgr", "--join-addr", manager.remote(),
                "--join-token", managerToken));
        assertEquals(1, r.exit(), r.toString());
        assertEquals("swarmletd: error: cannot join the cluster at " + manager.remote() + ": " + REFUSED_MANAGER_TOKEN,
                r.err().trim());
        assertFalse(Files.exists(state), "a refused join writes nothing");
        assertEquals(before, ClusterIT.nodeRows(manager).size(), "the manager recorded no node");
    }

    @Test
    @Order(4)
    void withTheWorkerTokenItJoinsAsAWorkerAndRunsTasks() throws Exception {
        String workerToken = manager.ok("swarm", "join-token", "-q", "worker").out().trim();
        worker = new Member(root, "wd-w1", "127.0.0.22").withOwnDeployDir();
        worker.out = root.resolve("wd-w1.out.1");
        long t0 = System.nanoTime();
        worker.process = workerDaemon(worker.out, worker.env, worker.flags("--join-addr", manager.remote(),
                "--join-token", workerToken));
        worker.awaitReady();
        figures.put("worker join to ready ms", String.valueOf((System.nanoTime() - t0) / 1_000_000));
        assertTrue(Files.readString(worker.out).contains("as worker"), Files.readString(worker.out));

        Map<String, String[]> rows = ClusterIT.awaitNodes(manager, "the worker-distribution node Ready as a worker",
                r -> r.size() == 2 && "Ready".equals(ClusterIT.row(r, "wd-w1")[3]));
        String[] w = ClusterIT.row(rows, "wd-w1");
        assertEquals(null, w[5], "a worker has no manager status: " + String.join(" | ", w));
        worker.nodeId = w[0];
        manager.nodeId = ClusterIT.row(rows, "wd-m1")[0];
        assertEquals(List.of("wd-w1 worker"), lines(manager.ok("node", "ls", "--filter", "role=worker", "--format",
                "{{.Hostname}} {{.Role}}").out()));

        // a worker's control socket answers as a worker's does
        Dist.Result onWorker = worker.cli("node", "ls");
        assertTrue(onWorker.exit() != 0 && onWorker.err().contains("This node is not a swarm manager."), onWorker.toString());

        manager.ok("service", "create", "--name", "wd-sleep", "--replicas", "2", "--constraint", "node.role==worker",
                ClusterIT.IMAGE, "sleep", "3600");
        ClusterIT.awaitReplicas(manager, "wd-sleep", "2/2");
        Map<String, Integer> perNode = await("the containers of wd-sleep on the worker", 60,
                () -> ClusterIT.runningPerNode("wd-sleep"), m -> m.getOrDefault(worker.nodeId, 0) == 2);
        assertEquals(Map.of(worker.nodeId, 2), perNode, "every task runs on the worker-distribution node");
        List<String> ps = lines(manager.ok("service", "ps", "--format", "{{.Node}} {{.CurrentState}}", "wd-sleep").out());
        assertTrue(ps.stream().allMatch(l -> l.startsWith("wd-w1 Running")), ps.toString());
        manager.ok("service", "rm", "wd-sleep");

        // it says what it is, and so it is not promoted
        assertTrue(manager.ok("node", "inspect", "wd-w1").out().contains("\"worker\""), "advertises its features");
        Dist.Result promote = manager.cli("node", "promote", "wd-w1");
        assertNotEquals(0, promote.exit(), promote.toString());
        assertTrue(promote.err().contains("node wd-w1 runs a worker-only distribution")
                && promote.err().contains("cannot be promoted to manager"), promote.toString());
        assertEquals(List.of("wd-w1 worker"), lines(manager.ok("node", "ls", "--filter", "role=worker", "--format",
                "{{.Hostname}} {{.Role}}").out()));
    }
}
