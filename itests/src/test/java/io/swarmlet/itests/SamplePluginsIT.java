package io.swarmlet.itests;

import static io.swarmlet.itests.ClusterIT.await;
import static io.swarmlet.itests.ClusterIT.lines;
import static org.junit.jupiter.api.Assertions.*;

import io.swarmlet.itests.ClusterIT.Member;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The sample plugins of plugins-sample/ as a third party would use them, on a
 * real two-node cluster (a manager on 127.0.0.31 and a worker on 127.0.0.32,
 * each with a deploy directory of its own) with real containers and processes:
 * placement-binpack dropped into the manager's deploy/ packs a service's tasks
 * on one node and, removed, leaves placement to spread; executor-process
 * dropped into the worker's deploy/ makes it advertise the "process" runtime,
 * where `--runtime process` services run as supervised host processes, are
 * restarted when they die, and have their output in `service logs`.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SamplePluginsIT {

    static final Path BINPACK = Paths.get(System.getProperty("swarmlet.sample.binpack",
            "../plugins-sample/placement-binpack/target/io.swarmlet.sample.binpack-0.1.0-SNAPSHOT.jar")).toAbsolutePath().normalize();
    static final Path PROCESS = Paths.get(System.getProperty("swarmlet.sample.process",
            "../plugins-sample/executor-process/target/io.swarmlet.sample.process-0.1.0-SNAPSHOT.jar")).toAbsolutePath().normalize();

    static Path root;
    static Member manager;
    static Member worker;
    static final Map<String, String> figures = new TreeMap<>();

    @BeforeAll
    static void formCluster() throws Exception {
        assertTrue(Files.isExecutable(Dist.HOME.resolve("bin/swarmletd")), "build the distribution first: " + Dist.HOME);
        assertTrue(Files.isRegularFile(BINPACK), "build plugins-sample first: " + BINPACK);
        assertTrue(Files.isRegularFile(PROCESS), "build plugins-sample first: " + PROCESS);
        root = Files.createTempDirectory(Path.of("/tmp"), "swl-samples-");
        manager = new Member(root, "sp-m1", "127.0.0.31").withOwnDeployDir();
        worker = new Member(root, "sp-w1", "127.0.0.32").withOwnDeployDir();
        manager.start();
        manager.awaitReady();
        String token = manager.ok("swarm", "join-token", "-q", "worker").out().trim();
        worker.start("--join-addr", manager.remote(), "--join-token", token);
        worker.awaitReady();
        Map<String, String[]> rows = ClusterIT.awaitNodes(manager, "both nodes Ready",
                r -> r.size() == 2 && r.values().stream().allMatch(f -> f[3].equals("Ready")));
        for (Member m : List.of(manager, worker)) {
            m.nodeId = rows.entrySet().stream().filter(e -> e.getValue()[2].equals(m.name)).findFirst().orElseThrow().getKey();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        ClusterIT.stopAndClean("SamplePluginsIT", root, false, figures, worker, manager);
    }

    /** Running tasks of a service per node hostname, from `service ps`. */
    static Map<String, Integer> runningPerHost(String service) throws Exception {
        Map<String, Integer> m = new HashMap<>();
        for (String row : lines(manager.ok("service", "ps", "--filter", "desired-state=running", "--format",
                "{{.Node}} {{.CurrentState}}", service).out())) {
            if (row.contains("Running")) {
                m.merge(row.split(" ")[0], 1, Integer::sum);
            }
        }
        return m;
    }

    static boolean moduleActive(Member on, String bsn) throws Exception {
        return on.ok("module", "ls").out().lines().anyMatch(l -> l.matches("\\d+\\s+" + bsn.replace(".", "\\.") + "\\s+\\S+\\s+ACTIVE.*"));
    }

    static String log(Member m) throws Exception {
        StringBuilder b = new StringBuilder();
        try (var files = Files.list(m.state.resolve("logs"))) {
            for (Path p : files.filter(p -> p.getFileName().toString().startsWith("swarmletd")).toList()) {
                b.append(Files.readString(p));
            }
        }
        return b.toString();
    }

    @Test
    @Order(1)
    void binpackDroppedIntoDeployPacksTasksAndRemovedFallsBackToSpread() throws Exception {
        Path dropped = manager.deployDir().resolve(BINPACK.getFileName());
        Files.copy(BINPACK, dropped, StandardCopyOption.REPLACE_EXISTING);
        await("the binpack plugin to run on the manager", 30, () -> moduleActive(manager, "io.swarmlet.sample.binpack"), a -> a);

        manager.ok("service", "create", "--detach", "--name", "packed", "--replicas", "4", "--placement-strategy", "binpack",
                ServiceEndToEndIT.IMAGE_1, "sleep", "100000");
        Map<String, Integer> packed = await("4 packed tasks running", 60, () -> runningPerHost("packed"),
                m -> m.values().stream().mapToInt(Integer::intValue).sum() == 4);
        assertEquals(1, packed.size(), "binpack fills one node while it fits: " + packed);

        // the cluster default: a service naming no strategy is packed too
        manager.ok("swarm", "update", "--default-placement-strategy", "binpack");
        manager.ok("service", "create", "--detach", "--name", "packed-default", "--replicas", "4",
                ServiceEndToEndIT.IMAGE_1, "sleep", "100000");
        Map<String, Integer> byDefault = await("4 default-packed tasks running", 60, () -> runningPerHost("packed-default"),
                m -> m.values().stream().mapToInt(Integer::intValue).sum() == 4);
        assertEquals(1, byDefault.size(), "the cluster's default strategy is binpack: " + byDefault);

        // removed: spread again, and the log says so
        Files.delete(dropped);
        await("the binpack plugin to be gone", 30, () -> moduleActive(manager, "io.swarmlet.sample.binpack"), a -> !a);
        manager.ok("service", "create", "--detach", "--name", "spread-again", "--replicas", "4", "--placement-strategy", "binpack",
                ServiceEndToEndIT.IMAGE_1, "sleep", "100000");
        Map<String, Integer> spread = await("4 tasks running after the plugin left", 60, () -> runningPerHost("spread-again"),
                m -> m.values().stream().mapToInt(Integer::intValue).sum() == 4);
        assertEquals(2, spread.size(), "without the plugin tasks spread over both nodes: " + spread);
        String log = log(manager);
        assertTrue(log.contains("placement strategy 'binpack' is not available"), "the fallback is logged");
        manager.ok("swarm", "update", "--default-placement-strategy", "spread");
        for (String s : List.of("packed", "packed-default", "spread-again")) {
            manager.ok("service", "rm", s);
        }
    }

    @Test
    @Order(2)
    void processRuntimeRunsSupervisedProcessesOnTheNodesThatHaveIt() throws Exception {
        Files.copy(PROCESS, worker.deployDir().resolve(PROCESS.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        await("the worker to advertise the process runtime", 30,
                () -> manager.ok("node", "inspect", worker.name).out(), o -> o.contains("\"process\""));
        assertFalse(manager.ok("node", "inspect", manager.name).out().contains("\"process\""),
                "the manager has no process executor");

        String marker = "swl-ticker-" + System.nanoTime();
        manager.ok("service", "create", "--detach", "--name", "ticker", "--replicas", "2", "--runtime", "process",
                "/bin/sh", "-c", "echo started " + marker + " $$; while true; do sleep 1; done");
        Map<String, Integer> where = await("2 process tasks running", 60, () -> runningPerHost("ticker"),
                m -> m.values().stream().mapToInt(Integer::intValue).sum() == 2);
        assertEquals(Map.of(worker.name, 2), where, "only the worker runs the process runtime");
        List<String> pids = await("both processes on the host", 30,
                () -> lines(Dist.run(List.of("pgrep", "-f", marker)).out()), l -> l.size() == 2);
        await("the processes' output in service logs", 30, () -> manager.ok("service", "logs", "ticker").out(),
                o -> o.lines().filter(l -> l.contains("started " + marker)).count() == 2);

        // a process that dies is restarted as a new task (restart policy "any")
        assertEquals(0, Dist.run(List.of("kill", "-9", pids.get(0))).exit());
        List<String> after = await("a new process replacing the killed one", 60,
                () -> lines(Dist.run(List.of("pgrep", "-f", marker)).out()),
                l -> l.size() == 2 && !l.contains(pids.get(0)));
        assertTrue(after.contains(pids.get(1)), "the other process was left alone: " + after);
        await("2 running again", 60, () -> runningPerHost("ticker"), m -> m.getOrDefault(worker.name, 0) == 2);
        String ps = manager.ok("service", "ps", "ticker").out();
        assertTrue(ps.contains("Failed") || ps.contains("Shutdown"), "the killed task is in the history:\n" + ps);

        manager.ok("service", "rm", "ticker");
        await("the processes to be stopped", 30, () -> lines(Dist.run(List.of("pgrep", "-f", marker)).out()), List::isEmpty);
    }
}
