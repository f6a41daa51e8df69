package io.swarmlet.itests;

import io.swarmlet.api.testing.FreePorts;
import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Services on real containers: one swarmletd (its own state dir and ports)
 * for the whole class, driven with bin/swarmlet, and what runs checked with
 * the docker CLI. Every test makes its own services; after each test they
 * are removed and the containers of this daemon's node must be gone (what
 * is left is force-removed, so nothing leaks into other tests).
 *
 * <p>Containers are looked up by service name and by this daemon's node ID
 * label, so other daemons or executor tests sharing the engine do not
 * disturb these tests, nor these tests them.
 *
 * <p>Waits poll with deadlines; nothing sleeps to synchronise. The images are
 * the local {@code swarmlet/busybox:1} and {@code :2} of .ci/setup-host.sh
 * (busybox's CMD is {@code sh}, which exits at once without a terminal, so
 * long-running services run {@code sleep}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServiceEndToEndIT {

    static final String IMAGE_1 = "swarmlet/busybox:1";
    static final String IMAGE_2 = "swarmlet/busybox:2";
    /** A command that runs until stopped (and stops at once on SIGTERM, forwarded by the init). */
    static final String[] LONG_RUNNING = {"sleep", "86400"};
    /** A container name: {@code <service>.<slot>.<task id>}. */
    static final Pattern CONTAINER_NAME = Pattern.compile("(.+)\\.(\\d+)\\.([0-9a-z]{25})");

    static Path state;
    static Path socket;
    static String[] flags;
    static Process daemon;
    static Path daemonOut;
    static String nodeId;

    /** Keeps the state dir (and its logs/swarmletd.log) when a test failed. */
    @RegisterExtension
    static final AnyFailed FAILED = new AnyFailed();

    // ------------------------------------------------------------ the daemon

    @BeforeAll
    static void startDaemon() throws Exception {
        Dist.Result engine = docker("version", "--format", "{{.Server.Version}}");
        assertEquals(0, engine.exit(), "this test needs a running Docker Engine (.ci/setup-host.sh):\n" + engine);
        Dist.requireDistributionAndImages(IMAGE_1, IMAGE_2);
        state = Files.createTempDirectory(Path.of("/tmp"), "swl-svc-");
        socket = state.resolve("ctl.sock");
        flags = new String[] {"--state-dir", state.toString(), "--listen-control-api", socket.toString(),
                "--listen-remote-api", "127.0.0.1:" + FreePorts.next(), "--listen-raft-api", "127.0.0.1:" + FreePorts.next(),
                "--hostname", "svc-e2e"};
        startSwarmletd("daemon.out");
        Matcher self = Pattern.compile("(?m)^([0-9a-z]{25}) \\*\\s+svc-e2e\\s").matcher(swarmlet("node", "ls").out());
        assertTrue(self.find(), "no row for this node in node ls");
        nodeId = self.group(1);
    }

    static void startSwarmletd(String outName) throws Exception {
        daemonOut = state.resolve(outName);
        daemon = Dist.daemon(daemonOut, flags);
        Dist.awaitLeader(socket, daemon, daemonOut);
    }

    @AfterEach
    void removeServicesAndContainers() throws Exception {
        if (daemon == null || !daemon.isAlive()) {
            forceRemoveContainers();
            return;
        }
        List<String> ids = swarmlet("service", "ls", "-q").out().lines().filter(l -> !l.isBlank()).toList();
        if (!ids.isEmpty()) {
            List<String> rm = new ArrayList<>(List.of("service", "rm"));
            rm.addAll(ids);
            ok(rm.toArray(String[]::new));
        }
        try {
            await("swarmletd to remove the containers of the removed services", 60, () -> nodeContainers(true), List::isEmpty);
        } finally {
            forceRemoveContainers();
        }
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        try {
            if (daemon != null && daemon.isAlive()) {
                daemon.destroy();
                if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
                    daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                }
            }
        } finally {
            forceRemoveContainers();
        }
        if (state != null && (daemon == null || !daemon.isAlive())) {
            if (FAILED.get()) {
                System.err.println("ServiceEndToEndIT: state dir kept for a look: " + state);
            } else {
                try (var paths = Files.walk(state)) {
                    paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    /** docker rm -f every container swarmlet made for this daemon's node. */
    static void forceRemoveContainers() throws Exception {
        if (nodeId == null) {
            return;
        }
        List<String> left = nodeContainers(true).stream().map(Container::id).toList();
        if (!left.isEmpty()) {
            List<String> cmd = new ArrayList<>(List.of("rm", "-f", "-v"));
            cmd.addAll(left);
            docker(cmd.toArray(String[]::new));
        }
    }

    // ------------------------------------------------------------ 1. create

    @Test
    @Order(1)
    void createRunsOneNamedContainerPerReplica() throws Exception {
        Dist.Result create = ok("service", "create", "--name", "web", "--replicas", "3", "--update-monitor", "1s",
                IMAGE_1, "sleep", "86400");
        String serviceId = create.out().lines().findFirst().orElse("");
        assertTrue(serviceId.matches("[0-9a-z]{25}"), "create prints the service ID first:\n" + create);
        assertTrue(create.out().contains("verify: Service converged"), create.toString());

        List<Container> running = await("3 running containers of web", 60, () -> running("web"), l -> l.size() == 3);
        Set<String> runningTasks = new TreeSet<>(lines(ok("service", "ps", "-q", "--filter", "desired-state=running", "web")));
        Set<Integer> slots = new TreeSet<>();
        Set<String> taskIds = new TreeSet<>();
        for (Container c : running) {
            Matcher m = CONTAINER_NAME.matcher(c.name());
            assertTrue(m.matches(), "container name is not <service>.<slot>.<task id>: " + c.name());
            assertEquals("web", m.group(1), c.name());
            slots.add(Integer.parseInt(m.group(2)));
            taskIds.add(m.group(3));
            assertEquals(IMAGE_1, c.image(), c.toString());
            JsonObject labels = inspectContainer(c.id()).getAsJsonObject("Config").getAsJsonObject("Labels");
            assertEquals(m.group(3), str(labels, "com.docker.swarm.task.id"), c.name());
            assertEquals(m.group(3), str(labels, "io.swarmlet.task.id"), c.name());
            assertEquals(serviceId, str(labels, "com.docker.swarm.service.id"), c.name());
            assertEquals(nodeId, str(labels, "com.docker.swarm.node.id"), c.name());
        }
        assertEquals(Set.of(1, 2, 3), slots);
        assertEquals(runningTasks, taskIds, "the containers are those of the running tasks (service ps)");

        Dist.Result ls = ok("service", "ls");
        assertTrue(ls.out().lines().anyMatch(l -> l.matches(serviceId.substring(0, 12) + "\\s+web\\s+replicated\\s+3/3\\s+"
                + Pattern.quote(IMAGE_1) + "\\s*")), "service ls shows web 3/3:\n" + ls);
    }

    // ------------------------------------------------------------ 2. a killed container

    @Test
    @Order(2)
    void killedContainerIsReplacedInItsSlot() throws Exception {
        List<Container> before = createRunning("kill", 3, "--restart-delay", "1s");
        Container victim = before.get(1);
        int slot = slot(victim);
        Set<String> beforeIds = new HashSet<>(ids(before));
        assertEquals(0, docker("kill", victim.id()).exit());

        List<Container> after = await("a new container in slot " + slot + " of kill", 60, () -> running("kill"),
                l -> l.size() == 3 && !ids(l).contains(victim.id()) && !beforeIds.containsAll(ids(l)));
        Set<String> newIds = new HashSet<>(ids(after));
        newIds.removeAll(beforeIds);
        assertEquals(1, newIds.size(), "exactly one replacement: " + after);
        Container replacement = after.stream().filter(c -> newIds.contains(c.id())).findFirst().orElseThrow();
        assertEquals(slot, slot(replacement), "the replacement takes the killed container's slot: " + after);
        assertTrue(ids(after).containsAll(ids(before).stream().filter(id -> !id.equals(victim.id())).toList()),
                "the other containers were left alone: before " + before + ", after " + after);

        JsonObject failed = await("the killed task as failed history", 30, () -> tasks("kill"),
                ts -> ts.stream().anyMatch(t -> containerId(t).equals(victim.id()) && state(t).equals("FAILED")))
                .stream().filter(t -> containerId(t).equals(victim.id())).findFirst().orElseThrow();
        assertEquals("SHUTDOWN", str(failed, "desiredState"), failed.toString());
        assertTrue(err(failed).contains("non-zero exit"), failed.toString());

        Dist.Result ps = ok("service", "ps", "--no-trunc", "kill");
        String historyRow = "(?m)^" + str(failed, "id") + "\\s+\\\\_ kill\\." + slot + "\\s+" + Pattern.quote(IMAGE_1)
                + "\\s+svc-e2e\\s+Shutdown\\s+Failed .*\"task: non-zero exit \\(\\d+\\)\".*$";
        assertTrue(Pattern.compile(historyRow).matcher(ps.out()).find(), "service ps shows the killed task as history:\n" + ps);
        awaitReplicas("kill", "3/3");
    }

    // ------------------------------------------------------------ 3. scale

    @Test
    @Order(3)
    void scaleUpAndDown() throws Exception {
        createRunning("sc", 3, "--update-monitor", "1s");

        Dist.Result up = ok("service", "scale", "sc=5");
        assertTrue(up.out().contains("sc scaled to 5"), up.toString());
        List<Container> five = await("5 running containers of sc", 60, () -> running("sc"), l -> l.size() == 5);
        assertEquals(Set.of(1, 2, 3, 4, 5), slots(five));
        awaitReplicas("sc", "5/5");

        Dist.Result down = ok("service", "scale", "sc=2");
        assertTrue(down.out().contains("sc scaled to 2"), down.toString());
        List<Container> two = await("2 running containers of sc", 60, () -> running("sc"), l -> l.size() == 2);
        assertEquals(Set.of(1, 2), slots(two), "scaling down removes the highest slots");
        assertTrue(ids(five).containsAll(ids(two)), "the remaining containers are the ones that ran before");
        awaitReplicas("sc", "2/2");
        await("the containers of the removed slots to be gone", 60, () -> containers("sc", true), l -> l.size() == 2);
    }

    // ------------------------------------------------------------ 4. rolling update

    @Test
    @Order(4)
    void rollingUpdateKeepsAllButParallelismSlotsRunning() throws Exception {
        createRunning("roll", 6, "--update-monitor", "1s");

        // sample what runs in the background while the main thread follows the update status
        List<Map<String, Long>> samples = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> sampleErrors = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        Thread sampler = new Thread(() -> {
            while (!stop.get()) {
                try {
                    samples.add(running("roll").stream().collect(Collectors.groupingBy(Container::image, TreeMap::new, Collectors.counting())));
                } catch (Exception | AssertionError e) {
                    sampleErrors.add(String.valueOf(e));
                }
            }
        }, "roll-sampler");
        sampler.start();
        try {
            await("a first sample", 30, samples::size, n -> n > 0);
            ok("service", "update", "--detach", "--image", IMAGE_2, "--update-parallelism", "2", "--update-delay", "1s", "roll");
            await("the update of roll to complete", 120, () -> updateState("roll"), "COMPLETED"::equals);
            await("6 running containers of roll on " + IMAGE_2, 60, () -> running("roll"),
                    l -> l.size() == 6 && l.stream().allMatch(c -> c.image().equals(IMAGE_2)));
        } finally {
            stop.set(true);
            sampler.join(60_000);
        }
        assertEquals(List.of(), sampleErrors);
        List<Map<String, Long>> seen;
        synchronized (samples) {
            seen = new ArrayList<>(samples);
        }
        String summary = seen.size() + " samples: " + seen.stream().distinct().toList();
        for (Map<String, Long> s : seen) {
            long total = s.values().stream().mapToLong(Long::longValue).sum();
            assertTrue(total >= 4, "fewer than 4 of 6 running (more than 2 slots down) at " + s + "; " + summary);
            assertTrue(total <= 6, "more than 6 running (stop-first) at " + s + "; " + summary);
        }
        assertEquals(Map.of(IMAGE_1, 6L), seen.get(0), summary);
        assertTrue(seen.stream().anyMatch(s -> s.containsKey(IMAGE_1) && s.containsKey(IMAGE_2)),
                "never saw the update under way (both images running); " + summary);

        List<Container> after = running("roll");
        assertEquals(6, after.size(), after.toString());
        assertTrue(after.stream().allMatch(c -> c.image().equals(IMAGE_2)), after.toString());
        assertEquals(Set.of(1, 2, 3, 4, 5, 6), slots(after));
        assertEquals("update completed", str(inspect("roll").getAsJsonObject("updateStatus"), "message"));
        awaitReplicas("roll", "6/6");
    }

    // ------------------------------------------------------------ 5. failure actions

    @Test
    @Order(5)
    void failedUpdatePausesAndLeavesTheOtherSlotsAlone() throws Exception {
        List<Container> before = createRunning("pause", 3, "--update-monitor", "1s", "--restart-delay", "1s");

        Dist.Result update = swarmlet("service", "update", "--args", "sh -c 'exit 1'", "--update-failure-action", "pause", "pause");
        assertEquals(1, update.exit(), "a paused update is an error:\n" + update);
        assertTrue(update.err().contains("update paused"), update.toString());
        assertEquals("PAUSED", await("the update of pause to pause", 60, () -> updateState("pause"), "PAUSED"::equals));
        assertEquals(List.of("sh", "-c", "exit 1"), strings(inspect("pause").getAsJsonObject("spec")
                .getAsJsonObject("task").getAsJsonObject("container").getAsJsonArray("args")));

        // parallelism 1: one slot took the new spec (and fails there); the other two keep their containers
        await("the container of the updated slot to stop", 30,
                () -> running("pause").stream().filter(c -> ids(before).contains(c.id())).count(), n -> n == 2);
        during("the paused update touches no other slot", 5, () -> {
            List<Container> now = running("pause");
            List<Container> untouched = now.stream().filter(c -> ids(before).contains(c.id())).toList();
            return untouched.size() == 2 && "PAUSED".equals(updateState("pause")) ? null
                    : "running " + now + ", update " + updateState("pause");
        });
        for (Container c : running("pause")) {
            if (ids(before).contains(c.id())) {
                assertEquals(List.of(LONG_RUNNING), cmd(c.id()), c.toString());
            }
        }
        assertTrue(tasks("pause").stream().anyMatch(t -> state(t).equals("FAILED") && err(t).contains("non-zero exit (1)")),
                "the new spec's task failed");
    }

    @Test
    @Order(6)
    void failedUpdateRollsBack() throws Exception {
        List<Container> before = createRunning("back", 3, "--update-monitor", "1s", "--rollback-monitor", "1s",
                "--restart-delay", "1s");

        ok("service", "update", "--detach", "--args", "sh -c 'exit 1'", "--update-failure-action", "rollback", "back");
        await("the update of back to roll back", 90, () -> updateState("back"), "ROLLBACK_COMPLETED"::equals);
        JsonObject svc = inspect("back");
        assertEquals(List.of(LONG_RUNNING), strings(svc.getAsJsonObject("spec").getAsJsonObject("task")
                .getAsJsonObject("container").getAsJsonArray("args")), "the spec is the previous one again");

        List<Container> after = await("3 running containers of back", 60, () -> running("back"), l -> l.size() == 3);
        for (Container c : after) {
            assertEquals(List.of(LONG_RUNNING), cmd(c.id()), "runs the old command: " + c);
        }
        assertEquals(Set.of(1, 2, 3), slots(after));
        assertTrue(ids(after).stream().filter(ids(before)::contains).count() >= 2,
                "only the slot that took the failing spec was replaced: before " + before + ", after " + after);
        assertTrue(tasks("back").stream().anyMatch(t -> state(t).equals("FAILED") && err(t).contains("non-zero exit (1)")),
                "the failing task is in the history");
        awaitReplicas("back", "3/3");
    }

    // ------------------------------------------------------------ 6. health check

    @Test
    @Order(7)
    void unhealthyTasksAreReplaced() throws Exception {
        ok("service", "create", "--detach", "--name", "sick", "--health-cmd", "false", "--health-interval", "1s",
                "--health-retries", "1", "--restart-delay", "1s", IMAGE_1, "sleep", "86400");

        List<JsonObject> tasks = await("an unhealthy task of sick replaced", 90, () -> tasks("sick"),
                ts -> ts.size() >= 2 && ts.stream().anyMatch(t -> state(t).equals("FAILED") && err(t).contains("unhealthy")));
        JsonObject unhealthy = tasks.stream().filter(t -> err(t).contains("unhealthy")).findFirst().orElseThrow();
        assertEquals("SHUTDOWN", str(unhealthy, "desiredState"), unhealthy.toString());
        String sickName = "sick.1." + str(unhealthy, "id");
        Container sick = await("the container " + sickName + " of the unhealthy task to be stopped, not left running", 30,
                () -> containers("sick", true), l -> l.stream().anyMatch(c -> c.name().equals(sickName) && c.state().equals("exited")))
                .stream().filter(c -> c.name().equals(sickName)).findFirst().orElseThrow();
        assertEquals(sick.id(), containerId(unhealthy), "the failed task's status names its container: " + unhealthy);
        during("at most one running container for one replica", 6, () -> {
            List<Container> now = running("sick");
            return now.size() <= 1 ? null : now.toString();
        });
        assertTrue(containers("sick", true).size() >= 2, "a new container replaced the unhealthy one");

        Dist.Result ps = ok("service", "ps", "--no-trunc", "sick");
        assertTrue(Pattern.compile("(?m)^\\S+\\s+\\\\_ sick\\.1\\s.*Failed .*\"unhealthy container\"").matcher(ps.out()).find(),
                "service ps shows the unhealthy task as history:\n" + ps);
    }

    // ------------------------------------------------------------ 7. restart policy

    @Test
    @Order(8)
    void restartMaxAttemptsStopsAfterThreeTasks() throws Exception {
        ok("service", "create", "--detach", "--name", "retry", "--restart-condition", "on-failure",
                "--restart-max-attempts", "2", "--restart-delay", "1s", IMAGE_1, "sh", "-c", "exit 1");

        await("3 failed tasks of retry, none meant to run", 90, () -> tasks("retry"), ts -> ts.size() == 3
                && ts.stream().allMatch(t -> state(t).equals("FAILED") && !str(t, "desiredState").equals("RUNNING")
                && !str(t, "desiredState").equals("READY")));
        during("no fourth task (1 + 2 restarts)", 6, () -> {
            List<JsonObject> ts = tasks("retry");
            return ts.size() == 3 && running("retry").isEmpty() ? null : ts.size() + " tasks: " + ts;
        });
        for (JsonObject t : tasks("retry")) {
            assertTrue(err(t).contains("non-zero exit (1)"), t.toString());
            assertEquals("1", str(t, "slot"), t.toString());
        }
        assertEquals(3, containers("retry", true).size(), "one container per task");
        awaitReplicas("retry", "0/1");
    }

    // ------------------------------------------------------------ 8. job

    @Test
    @Order(9)
    void replicatedJobCompletes() throws Exception {
        Dist.Result create = ok("service", "create", "--name", "job", "--mode", "replicated-job", "--replicas", "3",
                IMAGE_1, "sh", "-c", "exit 0");
        assertTrue(create.out().contains("job complete"), create.toString());

        List<JsonObject> tasks = await("3 complete tasks of job", 60, () -> tasks("job"),
                ts -> ts.size() == 3 && ts.stream().allMatch(t -> state(t).equals("COMPLETE")));
        for (JsonObject t : tasks) {
            assertEquals("COMPLETE", str(t, "desiredState"), t.toString());
        }
        assertEquals(Set.of("1", "2", "3"), tasks.stream().map(t -> str(t, "slot")).collect(Collectors.toSet()));
        Dist.Result ps = ok("service", "ps", "job");
        assertEquals(3, ps.out().lines().filter(l -> l.matches("\\S+\\s+job\\.\\d\\s.*\\sComplete\\s+Complete .*")).count(), ps.toString());
        Dist.Result ls = ok("service", "ls");
        assertTrue(ls.out().lines().anyMatch(l -> l.matches("\\S+\\s+job\\s+replicated job\\s+0/0 \\(3/3 completed\\)\\s.*")),
                "service ls shows the job completed:\n" + ls);
        assertTrue(running("job").isEmpty());
        during("the completed job runs nothing more", 3, () -> tasks("job").size() == 3 && running("job").isEmpty() ? null : "more tasks");
    }

    // ------------------------------------------------------------ 9. missing image

    @Test
    @Order(10)
    void missingImageRejectsTheTask() throws Exception {
        ok("service", "create", "--detach", "--name", "nope", "swarmlet/nope:1");

        JsonObject rejected = await("a rejected task of nope", 60, () -> tasks("nope"),
                ts -> ts.stream().anyMatch(t -> state(t).equals("REJECTED")))
                .stream().filter(t -> state(t).equals("REJECTED")).findFirst().orElseThrow();
        assertTrue(err(rejected).contains("image swarmlet/nope:1 not found locally and no registry reachable"), rejected.toString());
        Dist.Result ps = ok("service", "ps", "--no-trunc", "nope");
        assertTrue(ps.out().contains("Rejected") && ps.out().contains("not found locally and no registry reachable"),
                "service ps shows why:\n" + ps);
        assertEquals(List.of(), containers("nope", true), "no container for a missing image");
        awaitReplicas("nope", "0/1");
    }

    // ------------------------------------------------------------ 10. limits

    @Test
    @Order(11)
    void resourceLimitsReachTheContainer() throws Exception {
        Container c = createRunning("lim", 1, "--limit-memory", "64M", "--limit-cpu", "0.5", "--limit-pids", "100", "--init").get(0);

        JsonObject host = inspectContainer(c.id()).getAsJsonObject("HostConfig");
        assertEquals(64L * 1024 * 1024, host.get("Memory").getAsLong(), host.toString());
        assertEquals(500_000_000L, host.get("NanoCpus").getAsLong(), host.toString());
        assertEquals(100L, host.get("PidsLimit").getAsLong(), host.toString());
        assertTrue(host.get("Init").getAsBoolean(), host.toString());
    }

    // ------------------------------------------------------------ 11. daemon restart

    @Test
    @Order(12)
    void restartedDaemonAdoptsItsContainers() throws Exception {
        List<Container> before = createRunning("keep", 3);
        Set<String> ids = new TreeSet<>(ids(before));

        daemon.destroyForcibly();
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), "swarmletd did not die of SIGKILL");
        assertEquals(ids, new TreeSet<>(ids(running("keep"))), "the containers outlive the daemon");

        startSwarmletd("daemon-2.out");
        awaitReplicas("keep", "3/3");
        during("the same 3 containers, none added", 6, () -> {
            Set<String> now = new TreeSet<>(ids(nodeContainers(true)));
            Set<String> run = new TreeSet<>(ids(running("keep")));
            return now.equals(ids) && run.equals(ids) ? null : "all " + now + ", running " + run;
        });
        Set<String> runningTasks = new TreeSet<>(lines(ok("service", "ps", "-q", "--filter", "desired-state=running", "keep")));
        assertEquals(runningTasks, before.stream().map(c -> taskId(c)).collect(Collectors.toCollection(TreeSet::new)),
                "the running tasks are still those of the adopted containers");

        ok("service", "rm", "keep");
        await("service rm to remove the containers of keep", 60, () -> containers("keep", true), List::isEmpty);
        assertTrue(lines(ok("service", "ls", "-q")).isEmpty());
    }

    // ------------------------------------------------------------ 12. bad input

    @Test
    @Order(13)
    void badInputIsRefusedAndCreatesNothing() throws Exception {
        List<Container> dup = createRunning("dup", 1);
        List<String> services = lines(ok("service", "ls", "-q"));
        assertEquals(1, services.size());

        Dist.Result negative = swarmlet("service", "create", "--detach", "--name", "neg", "--replicas", "-1", IMAGE_1);
        assertEquals(2, negative.exit(), negative.toString());
        assertTrue(negative.err().startsWith("Error: ") && negative.err().contains("--replicas") && negative.err().contains("-1"),
                negative.toString());

        Dist.Result constraint = swarmlet("service", "create", "--detach", "--name", "badc", "--constraint", "node.foo==bar", IMAGE_1);
        assertEquals(1, constraint.exit(), constraint.toString());
        assertTrue(constraint.err().startsWith("Error: ") && constraint.err().contains("unknown key node.foo"), constraint.toString());

        Dist.Result memory = swarmlet("service", "create", "--detach", "--name", "badm", "--limit-memory", "1M", IMAGE_1);
        assertEquals(1, memory.exit(), memory.toString());
        assertTrue(memory.err().startsWith("Error: ") && memory.err().contains("memory limit") && memory.err().contains("6MB"),
                memory.toString());

        Dist.Result again = swarmlet("service", "create", "--detach", "--name", "dup", IMAGE_2);
        assertEquals(1, again.exit(), again.toString());
        assertTrue(again.err().startsWith("Error: ") && again.err().contains("service dup already exists"), again.toString());

        assertEquals(services, lines(ok("service", "ls", "-q")), "service ls unchanged");
        for (String name : List.of("neg", "badc", "badm")) {
            Dist.Result inspect = swarmlet("service", "inspect", name);
            assertEquals(1, inspect.exit(), inspect.toString());
            assertTrue(inspect.err().contains("No such service: " + name), inspect.toString());
        }
        during("nothing but dup's one container", 3, () -> {
            List<Container> all = nodeContainers(true);
            return ids(all).equals(ids(dup)) ? null : all.toString();
        });
        assertEquals(IMAGE_1, str(inspect("dup").getAsJsonObject("spec").getAsJsonObject("task").getAsJsonObject("container"), "image"),
                "the refused create did not change dup");
    }

    // ------------------------------------------------------------ helpers: swarmlet

    static Dist.Result swarmlet(String... args) throws IOException, InterruptedException {
        return Dist.cli(socket, args);
    }

    /** Runs swarmlet, which must succeed. */
    static Dist.Result ok(String... args) throws IOException, InterruptedException {
        Dist.Result r = swarmlet(args);
        assertEquals(0, r.exit(), () -> "swarmlet " + String.join(" ", args) + " failed: " + r + logTail());
        return r;
    }

    /** Creates a replicated service running the long-running command and waits until its containers run. */
    static List<Container> createRunning(String name, int replicas, String... extraFlags) throws Exception {
        List<String> args = new ArrayList<>(List.of("service", "create", "--detach", "--name", name, "--replicas", String.valueOf(replicas)));
        args.addAll(List.of(extraFlags));
        args.add(IMAGE_1);
        args.addAll(List.of(LONG_RUNNING));
        ok(args.toArray(String[]::new));
        List<Container> running = await(replicas + " running containers of " + name, 60, () -> running(name), l -> l.size() == replicas);
        awaitReplicas(name, replicas + "/" + replicas);
        return running;
    }

    /** Waits until service ls shows {@code replicas} in the REPLICAS column of {@code name}. */
    static void awaitReplicas(String name, String replicas) throws Exception {
        await("service ls to show " + name + " " + replicas, 60, () -> ok("service", "ls").out(),
                out -> out.lines().anyMatch(l -> l.matches("\\S+\\s+" + Pattern.quote(name) + "\\s+replicated\\s+"
                        + Pattern.quote(replicas) + "\\s.*")));
    }

    /** {@code service inspect NAME} as JSON. */
    static JsonObject inspect(String service) throws Exception {
        JsonArray all = JsonParser.parseString(ok("service", "inspect", service).out()).getAsJsonArray();
        assertEquals(1, all.size());
        return all.get(0).getAsJsonObject();
    }

    /** updateStatus.state of the service ("" while it has none). */
    static String updateState(String service) throws Exception {
        JsonObject st = inspect(service).getAsJsonObject("updateStatus");
        return st == null ? "" : str(st, "state");
    }

    /** The tasks of the service ({@code service ps --format '{{json .}}'}), history included. */
    static List<JsonObject> tasks(String service) throws Exception {
        List<JsonObject> out = new ArrayList<>();
        for (String line : lines(ok("service", "ps", "--format", "{{json .}}", service))) {
            out.add(JsonParser.parseString(line).getAsJsonObject());
        }
        return out;
    }

    static String state(JsonObject task) {
        return str(task.getAsJsonObject("status"), "state");
    }

    static String err(JsonObject task) {
        return str(task.getAsJsonObject("status"), "err");
    }

    static String containerId(JsonObject task) {
        JsonObject cs = task.getAsJsonObject("status").getAsJsonObject("containerStatus");
        return cs == null ? "" : str(cs, "containerId");
    }

    static String str(JsonObject o, String field) {
        JsonElement e = o == null ? null : o.get(field);
        return e == null || e.isJsonNull() ? "" : e.getAsString();
    }

    static List<String> strings(JsonArray a) {
        List<String> out = new ArrayList<>();
        a.forEach(e -> out.add(e.getAsString()));
        return out;
    }

    static List<String> lines(Dist.Result r) {
        return r.out().lines().filter(l -> !l.isBlank()).toList();
    }

    // ------------------------------------------------------------ helpers: docker

    /** A container as docker ps lists it. */
    record Container(String id, String name, String image, String state) {
        @Override
        public String toString() {
            return name + " (" + id.substring(0, 12) + ", " + image + ", " + state + ")";
        }
    }

    static Dist.Result docker(String... args) throws IOException, InterruptedException {
        return Dist.docker(args);
    }

    /** The containers of {@code service} on this daemon's node: running ones, or all with {@code all}. */
    static List<Container> containers(String service, boolean all) throws Exception {
        return ps(all, "label=com.docker.swarm.service.name=" + service);
    }

    static List<Container> running(String service) throws Exception {
        return containers(service, false);
    }

    /** Every container swarmlet made for this daemon's node. */
    static List<Container> nodeContainers(boolean all) throws Exception {
        return ps(all);
    }

    private static List<Container> ps(boolean all, String... filters) throws Exception {
        List<String> args = new ArrayList<>(List.of("ps", "--no-trunc", "--filter", "label=io.swarmlet.node.id=" + nodeId));
        for (String f : filters) {
            args.add("--filter");
            args.add(f);
        }
        if (all) {
            args.add("--all");
        }
        args.addAll(List.of("--format", "{{.ID}}\t{{.Names}}\t{{.Image}}\t{{.State}}"));
        Dist.Result r = docker(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.toString());
        List<Container> out = new ArrayList<>();
        for (String line : lines(r)) {
            String[] f = line.split("\t");
            assertEquals(4, f.length, line);
            out.add(new Container(f[0], f[1], f[2], f[3]));
        }
        out.sort(java.util.Comparator.comparing(Container::name));
        return out;
    }

    static JsonObject inspectContainer(String id) throws Exception {
        Dist.Result r = docker("inspect", id);
        assertEquals(0, r.exit(), r.toString());
        return JsonParser.parseString(r.out()).getAsJsonArray().get(0).getAsJsonObject();
    }

    /** The container's command (Config.Cmd). */
    static List<String> cmd(String id) throws Exception {
        return strings(inspectContainer(id).getAsJsonObject("Config").getAsJsonArray("Cmd"));
    }

    static List<String> ids(List<Container> cs) {
        return cs.stream().map(Container::id).toList();
    }

    static int slot(Container c) {
        Matcher m = CONTAINER_NAME.matcher(c.name());
        assertTrue(m.matches(), c.name());
        return Integer.parseInt(m.group(2));
    }

    static String taskId(Container c) {
        Matcher m = CONTAINER_NAME.matcher(c.name());
        assertTrue(m.matches(), c.name());
        return m.group(3);
    }

    static Set<Integer> slots(List<Container> cs) {
        return cs.stream().map(ServiceEndToEndIT::slot).collect(Collectors.toCollection(TreeSet::new));
    }

    // ------------------------------------------------------------ helpers: waiting

    /** Polls {@code probe} until {@code done} accepts its value (see {@link Dist#await}), checking the daemon. */
    static <T> T await(String what, int seconds, Dist.Probe<T> probe, Predicate<? super T> done) throws Exception {
        return Dist.await(what, seconds, () -> {
            checkDaemon();
            return null;
        }, probe, done, String::valueOf, ServiceEndToEndIT::logTail);
    }

    /**
     * Watches for {@code seconds}: {@code violation} returns null while all is
     * well, else what is wrong (which fails the test at once).
     */
    static void during(String what, int seconds, Dist.Probe<String> violation) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        do {
            checkDaemon();
            String wrong = violation.get();
            if (wrong != null) {
                throw new AssertionError("expected " + what + ", but: " + wrong + logTail());
            }
            Thread.sleep(250);
        } while (System.nanoTime() < end);
    }

    static void checkDaemon() throws IOException {
        if (!daemon.isAlive()) {
            throw new AssertionError("swarmletd exited with " + daemon.exitValue() + ":\n" + Files.readString(daemonOut) + logTail());
        }
    }

    /** The last lines of the daemon's log, for failure messages. */
    static String logTail() {
        try {
            Path log = state.resolve("logs/swarmletd.log");
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "\n--- last lines of " + log + "\n" + String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size()));
        } catch (IOException | RuntimeException e) {
            return "\n(no daemon log: " + e + ")";
        }
    }
}
