package io.swarmlet.sample.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.ResourceRequirements;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.spi.executor.Controller;
import io.swarmlet.spi.executor.ExecutorException;
import io.swarmlet.spi.executor.LogSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The process executor against real processes (/bin/sh). */
class ProcessExecutorTest {

    @TempDir
    Path state;

    private ProcessExecutor executor;
    private final List<Controller> started = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeEach
    void setUp() throws Exception {
        executor = new ProcessExecutor(state, "proc-host");
    }

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
        for (Controller c : started) {
            try {
                c.terminate();
            } catch (ExecutorException e) {
                // stopped executor: the processes are killed below
            }
        }
        ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
        // the executor writes each child's exit code into the state dir: let it finish before @TempDir goes
        for (String taskId : List.copyOf(executor.recorded.keySet())) {
            try {
                executor.awaitRecorded(taskId);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------ running

    @Test
    void aProcessRunsItsOutputIsCapturedAndItsExitCodeZeroReported() throws Exception {
        Controller c = run(task("t1", "/bin/sh", "-c", "echo out; echo err >&2; echo partial | tr -d '\\n'"));
        assertEquals(new Controller.ExitStatus(0, ""), c.waitExit());
        Controller.RuntimeStatus rs = c.inspect().orElseThrow();
        assertFalse(rs.running());
        assertEquals(0, rs.exitCode());
        assertTrue(rs.containerId().startsWith("pid-"));

        assertEquals(List.of("out:out", "out:partial", "err:err"), logs(c, -1));
        assertEquals(List.of("out:partial", "err:err"), logs(c, 1));
        c.waitReady(); // an exit 0 counts as ready
    }

    @Test
    void aNonZeroExitIsReported() throws Exception {
        Controller c = run(task("t1", "/bin/sh", "-c", "exit 3"));
        assertEquals(3, c.waitExit().exitCode());
        assertEquals(3, c.inspect().orElseThrow().exitCode());
        ExecutorException e = assertThrows(ExecutorException.class, c::waitReady);
        assertEquals("the process exited with code 3 before it was ready", e.getMessage());
    }

    @Test
    void startRunsAProcessOnlyOnce() throws Exception {
        Controller c = run(task("t1", "/bin/sh", "-c", "echo once"));
        c.waitExit();
        c.prepare();
        c.start();
        assertEquals(0, c.waitExit().exitCode());
        assertEquals(List.of("out:once"), logs(c, -1));
    }

    @Test
    void commandReplacesTheImageArgsAreItsArgumentsWithEnvAndDir() throws Exception {
        Task t = task("t1", "/nonexistent/ignored", "-c", "echo $FOO; pwd; echo $HOSTNAME", "ignored-$0");
        t = with(t, s -> s.clearArgs().addCommand("sh").addArgs("-c").addArgs("echo $FOO; pwd; echo $HOSTNAME")
                .addEnv("FOO=bar").setDir("/tmp"));
        Controller c = run(t);
        assertEquals(0, c.waitExit().exitCode());
        assertEquals(List.of("out:bar", "out:/tmp", "out:proc-host"), logs(c, -1));
    }

    @Test
    void theMemoryLimitIsSetWithPrlimit() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(executor.prlimit() != null, "no prlimit on this host");
        Task t = task("t1", "/bin/sh", "-c", "ulimit -v").toBuilder()
                .setSpec(task("t1", "/bin/sh", "-c", "ulimit -v").getSpec().toBuilder()
                        .setResources(ResourceRequirements.newBuilder()
                                .setLimits(Resources.newBuilder().setMemoryBytes(100_000_000L))))
                .build();
        Controller c = run(t);
        c.waitExit();
        assertEquals(List.of("out:" + (100_000_000L / 1024)), logs(c, -1));
    }

    // ------------------------------------------------------------ logs

    @Test
    void logsAreTailedAndFollowedUntilTheProcessEnds() throws Exception {
        Path go = state.resolve("go");
        Controller c = run(task("t1", "/bin/sh", "-c",
                "echo a; echo b; echo c >&2; while [ ! -f " + go + " ]; do sleep 0.05; done; echo d"));
        await("first lines", () -> logsQuietly(c, -1).size() == 3);
        assertEquals(List.of("out:b", "err:c"), logs(c, 1));

        List<String> followed = new CopyOnWriteArrayList<>();
        Future<?> follow = pool.submit(() -> {
            ((LogSource) c).logs(-1, true, l -> followed.add(l.line()));
            return null;
        });
        await("history", () -> followed.size() == 3);
        assertFalse(follow.isDone(), "following while the process runs");
        Files.createFile(go);
        follow.get(30, TimeUnit.SECONDS); // ends with the process
        assertEquals(List.of("a", "b", "c", "d"), followed);
    }

    // ------------------------------------------------------------ stopping

    @Test
    void shutdownStopsAProcessWithSigterm() throws Exception {
        Controller c = run(withGrace(task("t1", "/bin/sh", "-c", "echo ready; exec sleep 600"), 600_000));
        await("running", () -> logsQuietly(c, -1).contains("out:ready"));
        long pid = c.inspect().orElseThrow().pid();
        c.shutdown();
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertEquals(143, c.waitExit().exitCode(), "killed by SIGTERM (128 + 15)");
        assertFalse(c.inspect().orElseThrow().running());
        c.shutdown(); // idempotent
    }

    @Test
    void shutdownKillsAProcessThatIgnoresSigtermAfterTheGracePeriod() throws Exception {
        Controller c = run(withGrace(task("t1", "/bin/sh", "-c",
                "trap '' TERM; echo ready; while true; do sleep 0.05; done"), 300));
        await("trap set", () -> logsQuietly(c, -1).contains("out:ready"));
        ProcessHandle h = ProcessHandle.of(c.inspect().orElseThrow().pid()).orElseThrow();
        c.shutdown();
        assertFalse(h.isAlive());
        assertEquals(137, c.waitExit().exitCode(), "killed by SIGKILL (128 + 9)");
    }

    @Test
    void removeKillsTheProcessAndDeletesItsDirectory() throws Exception {
        Controller c = run(task("t1", "/bin/sh", "-c", "exec sleep 600"));
        long pid = c.inspect().orElseThrow().pid();
        assertEquals(java.util.Set.of("t1"), executor.taskIds());
        executor.removeTask("t1");
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertEquals(java.util.Set.of(), executor.taskIds());
        assertTrue(c.inspect().isEmpty());
        assertFalse(Files.exists(state.resolve("process-executor/t1")));
    }

    // ------------------------------------------------------------ bad specs

    @Test
    void aMissingExecutableOrDirectoryOrAnotherUserIsRejected() throws Exception {
        assertFatal("exec: \"/nope\": stat /nope: no such file or directory", task("t1", "/nope"));
        assertFatal("exec: \"no-such-program-xyz\": executable file not found in $PATH",
                task("t2", "no-such-program-xyz"));
        assertFatal("exec: \"/tmp\": permission denied", task("t3", "/tmp"));
        assertFatal("working directory /nonexistent/dir does not exist on node proc-host: create it or fix --workdir",
                with(task("t4", "/bin/sh"), s -> s.setDir("/nonexistent/dir")));
        ExecutorException e = assertThrows(ExecutorException.class,
                () -> executor.controller(with(task("t5", "/bin/sh"), s -> s.setUser("nobody-xyz"))).prepare());
        assertTrue(e.fatal());
        assertTrue(e.getMessage().contains("cannot switch to user \"nobody-xyz\""), e.getMessage());
        assertEquals(java.util.Set.of(), executor.taskIds(), "nothing left behind");
    }

    // ------------------------------------------------------------ adoption

    @Test
    void aNewExecutorOverTheSameStateAdoptsARunningProcess() throws Exception {
        Task t = task("t1", "/bin/sh", "-c", "echo hello; exec sleep 600");
        Controller first = run(t);
        await("running", () -> logsQuietly(first, -1).contains("out:hello"));
        long pid = first.inspect().orElseThrow().pid();
        executor.deactivate(); // the bundle stops: its process keeps running
        assertTrue(ProcessHandle.of(pid).orElseThrow().isAlive());
        assertThrows(ExecutorException.class, first::inspect, "a stopped executor does nothing");

        ProcessExecutor next = new ProcessExecutor(state, "proc-host");
        assertEquals(java.util.Set.of("t1"), next.taskIds());
        Controller c = next.controller(t);
        started.add(c);
        Controller.RuntimeStatus rs = c.inspect().orElseThrow();
        assertTrue(rs.running());
        assertEquals(pid, rs.pid());
        c.prepare();
        c.start(); // adopts: no second process
        c.waitReady();
        assertEquals(pid, c.inspect().orElseThrow().pid());
        assertEquals(List.of("out:hello"), logs(c, -1));

        Future<Controller.ExitStatus> exit = pool.submit(c::waitExit);
        c.shutdown();
        Controller.ExitStatus status = exit.get(30, TimeUnit.SECONDS);
        assertEquals(-1, status.exitCode(), "an adopted process's exit code cannot be read");
        assertTrue(status.message().contains("unknown"), status.message());
        c.remove();
        assertEquals(java.util.Set.of(), next.taskIds());
    }

    @Test
    void aNewExecutorReportsHowAProcessThatEndedMeanwhileExited() throws Exception {
        Task t = task("t1", "/bin/sh", "-c", "exit 4");
        Controller first = run(t);
        assertEquals(4, first.waitExit().exitCode());
        await("exit code recorded", () -> Files.exists(state.resolve("process-executor/t1/exit")));
        executor.deactivate();
        Controller c = new ProcessExecutor(state, "proc-host").controller(t);
        assertEquals(4, c.inspect().orElseThrow().exitCode());
        assertEquals(4, c.waitExit().exitCode());
    }

    // ------------------------------------------------------------ the node

    @Test
    void describesTheHost() throws Exception {
        NodeDescription d = executor.describe();
        assertEquals("proc-host", d.getHostname());
        assertEquals("linux", d.getPlatform().getOs());
        assertEquals(ProcessExecutor.arch(), d.getPlatform().getArchitecture());
        assertFalse(d.getPlatform().getArchitecture().equals("x86_64"), "docker's names: amd64");
        assertEquals(Runtime.getRuntime().availableProcessors() * 1_000_000_000L, d.getResources().getNanoCpus());
        assertTrue(d.getResources().getMemoryBytes() > 0);
    }

    // ------------------------------------------------------------ helpers

    static Task task(String id, String image, String... args) {
        return Task.newBuilder().setId(id).setServiceId("svc")
                .setSpec(TaskSpec.newBuilder().setRuntime("process")
                        .setContainer(ContainerSpec.newBuilder().setImage(image).addAllArgs(List.of(args))))
                .build();
    }

    static Task with(Task t, UnaryOperator<ContainerSpec.Builder> change) {
        Task.Builder b = t.toBuilder();
        change.apply(b.getSpecBuilder().getContainerBuilder());
        return b.build();
    }

    static Task withGrace(Task t, long ms) {
        return with(t, s -> s.setStopGracePeriodMs(ms));
    }

    private Controller run(Task t) throws Exception {
        Controller c = executor.controller(t);
        started.add(c);
        c.prepare();
        c.start();
        return c;
    }

    private void assertFatal(String message, Task t) throws ExecutorException {
        Controller c = executor.controller(t);
        ExecutorException e = assertThrows(ExecutorException.class, c::prepare);
        assertEquals(message, e.getMessage());
        assertTrue(e.fatal(), "retrying cannot help");
    }

    private static List<String> logs(Controller c, int tail) throws Exception {
        List<String> lines = new ArrayList<>();
        ((LogSource) c).logs(tail, false, l -> lines.add((l.stderr() ? "err:" : "out:") + l.line()));
        return lines;
    }

    private static List<String> logsQuietly(Controller c, int tail) {
        try {
            return logs(c, tail);
        } catch (Exception e) {
            return List.of();
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
