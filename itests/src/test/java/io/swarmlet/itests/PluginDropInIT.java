package io.swarmlet.itests;

import io.swarmlet.api.testing.FreePorts;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The plugin platform as an operator uses it: a placement plugin (the
 * plugins-sample maintenance filter) dropped into a running daemon's deploy
 * directory changes scheduling at once, and taking it out again undoes that,
 * without a restart.
 */
class PluginDropInIT {

    static final Path PLUGIN = Paths.get(System.getProperty("swarmlet.sample.plugin",
            "../plugins-sample/maintenance/target/io.swarmlet.sample.maintenance-0.1.0-SNAPSHOT.jar")).toAbsolutePath().normalize();

    Path state;
    Path socket;
    Process daemon;
    final List<String> services = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (String s : services) {
            Dist.cli(socket, "service", "rm", s);
        }
        if (daemon != null && daemon.isAlive()) {
            daemon.destroy();
            daemon.waitFor(30, TimeUnit.SECONDS);
        }
        String node = state == null ? null : Files.readString(state.resolve("node.properties")).lines()
                .filter(l -> l.startsWith("node.id=")).map(l -> l.substring(8)).findFirst().orElse(null);
        if (node != null) {
            Dist.run(List.of("sh", "-c", "docker ps -aq --filter label=io.swarmlet.node.id=" + node + " | xargs -r docker rm -f"));
        }
    }

    /** Creates a one-replica service under a fresh name; returns the name. */
    private String create(String prefix) throws Exception {
        String name = prefix + services.size();
        Dist.Result r = Dist.cli(socket, "service", "create", "--detach", "--name", name, "swarmlet/busybox:1", "sleep", "3600");
        assertEquals(0, r.exit(), r.toString());
        services.add(name);
        return name;
    }

    /** Polls `service ps NAME` (deadline 30 s) until its first task row matches {@code want}. */
    private String awaitTask(String name, String what, Predicate<String> want) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String row = "";
        while (System.nanoTime() < deadline) {
            Dist.Result ps = Dist.cli(socket, "service", "ps", "--no-trunc", name);
            row = ps.out().lines().skip(1).findFirst().orElse("");
            if (want.test(row)) {
                return row;
            }
            Thread.sleep(200);
        }
        return null;
    }

    @Test
    void aPluginDroppedIntoDeployChangesSchedulingAndLeavesWithoutARestart() throws Exception {
        assertTrue(Files.isRegularFile(PLUGIN), "build plugins-sample first: " + PLUGIN);
        state = Files.createTempDirectory(Path.of("/tmp"), "swl-plug-");
        socket = state.resolve("c.sock");
        Path deploy = Files.createDirectories(state.resolve("deploy"));
        Path log = state.resolve("daemon.out");
        daemon = Dist.daemon(log, java.util.Map.of("SWARMLETD_OPTS", "-Dswarmlet.deploy.dir=" + deploy),
                "--state-dir", state.toString(), "--listen-control-api", socket.toString(),
                "--listen-remote-api", "127.0.0.1:" + FreePorts.next(), "--listen-raft-api", "127.0.0.1:" + FreePorts.next(),
                "--hostname", "plug-01");
        Dist.awaitLeader(socket, daemon, log);

        Dist.Result label = Dist.cli(socket, "node", "update", "--label-add", "swarmlet.maintenance=true", "self");
        assertEquals(0, label.exit(), label.toString());

        // without the plugin the label means nothing: the task runs
        String before = create("before");
        assertNotNull(awaitTask(before, "running", r -> r.contains("Running")), "no plugin yet, the task should run");

        // drop the plugin in; once active, a new service's task waits with the plugin's explanation
        Files.copy(PLUGIN, deploy.resolve(PLUGIN.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        String held = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (held == null && System.nanoTime() < deadline) {
            String name = create("held");
            String row = awaitTask(name, "placed or held", r -> r.contains("Running") || r.contains("in maintenance"));
            assertNotNull(row, "task of " + name + " neither ran nor was held");
            if (row.contains("in maintenance")) {
                held = name;
                assertTrue(row.contains("Pending"), row);
                assertTrue(row.contains("no suitable node (1 node in maintenance)"), row);
            }
        }
        assertNotNull(held, "the plugin never took effect:\n" + Files.readString(log));

        // the operator ends the maintenance: the held task is placed and runs
        Dist.Result unlabel = Dist.cli(socket, "node", "update", "--label-rm", "swarmlet.maintenance", "self");
        assertEquals(0, unlabel.exit(), unlabel.toString());
        assertNotNull(awaitTask(held, "running", r -> r.contains("Running")), "held task did not run after the label went");

        // take the plugin out again, label the node: new tasks run, the filter is gone
        Dist.cli(socket, "node", "update", "--label-add", "swarmlet.maintenance=true", "self");
        Files.delete(deploy.resolve(PLUGIN.getFileName()));
        String free = null;
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (free == null && System.nanoTime() < deadline) {
            String name = create("after");
            String row = awaitTask(name, "placed or held", r -> r.contains("Running") || r.contains("in maintenance"));
            assertNotNull(row, "task of " + name + " neither ran nor was held");
            if (row.contains("Running")) {
                free = name;
            } else {
                Dist.cli(socket, "service", "rm", name);
                services.remove(name);
            }
        }
        assertNotNull(free, "the plugin was never removed:\n" + Files.readString(log));
        assertTrue(daemon.isAlive(), "the daemon restarted or died");
    }
}
