package io.swarmlet.dockerapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.types.LogMessage;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.TaskState;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stock docker CLI (on the PATH) against the API: {@code service create/ls/inspect/ps/
 * update/scale/rollback/logs/rm}, as a user types them. The harness has no orchestrator, so
 * tasks are put in the store by the test where one is needed.
 */
class DockerCliServicesTest {

    @TempDir
    static Path dir;

    static ApiHarness h;

    record Run(int exit, String out, String err) {
        @Override public String toString() { return "exit " + exit + "\nstdout: " + out + "\nstderr: " + err; }
    }

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(docker() != null, "no docker CLI on the PATH");
        h = new ApiHarness(dir);
        ServicesApiTest.h = h;
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    static String docker() {
        for (String p : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(p, "docker"))) {
                return Path.of(p, "docker").toString();
            }
        }
        return null;
    }

    static Run docker(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(docker());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("DOCKER_HOST", "unix://" + h.server.socket());
        pb.environment().put("DOCKER_CONFIG", dir.resolve("docker-config").toString()); // not the user's ~/.docker
        pb.environment().remove("DOCKER_CONTEXT");
        pb.environment().remove("DOCKER_API_VERSION");
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("docker " + String.join(" ", args) + " did not end within 60s: " + Files.readString(out));
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    static Run ok(String... args) throws Exception {
        Run r = docker(args);
        assertEquals(0, r.exit(), "docker " + String.join(" ", args) + ": " + r);
        return r;
    }

    static Service web() {
        return h.store.view(tx -> tx.byName(Kind.SERVICE, "web")).orElseThrow();
    }

    @Test
    void theServiceWalkthrough() throws Exception {
        Run created = ok("service", "create", "--detach", "--name", "web", "--replicas", "3", "-p", "18080:80",
                "swarmlet/busybox:1", "httpd", "-f", "-p", "80");
        String id = web().getId();
        assertTrue(created.out().contains(id), created.toString());

        Run ls = ok("service", "ls");
        assertTrue(ls.out().matches("(?s).*" + id.substring(0, 12) + "\\s+web\\s+replicated\\s+0/3\\s+swarmlet/busybox:1\\s+\\*:18080->80/tcp.*"),
                ls.toString());

        assertEquals("swarmlet/busybox:1", ok("service", "inspect", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", "web").out().trim());
        Run pretty = ok("service", "inspect", "--pretty", "web");
        assertTrue(pretty.out().contains("Replicas:\t3") || pretty.out().matches("(?s).*Replicas:\\s+3.*"), pretty.toString());

        Service s = web();
        ServicesApiTest.task(s, 1, ApiHarness.W1, TaskState.RUNNING, TaskState.RUNNING);
        ServicesApiTest.task(s, 2, ApiHarness.M1, TaskState.RUNNING, TaskState.RUNNING);
        ServicesApiTest.task(s, 3, "", TaskState.PENDING, TaskState.RUNNING);
        assertTrue(ok("service", "ls").out().contains(" 2/3 "), "running tasks count");

        Run ps = ok("service", "ps", "web");
        assertTrue(ps.out().contains("web.1") && ps.out().contains("web.2") && ps.out().contains("web.3"), ps.toString());
        assertTrue(ps.out().contains("Running") && ps.out().contains("Pending"), ps.toString());

        ok("service", "update", "--detach", "--image", "swarmlet/busybox:2", "--update-parallelism", "1", "--update-delay", "3s", "web");
        assertEquals("swarmlet/busybox:2", web().getSpec().getTask().getContainer().getImage());
        assertEquals(3_000, web().getSpec().getUpdate().getDelayMs());

        ok("service", "scale", "--detach", "web=5");
        assertEquals(5, web().getSpec().getReplicated().getReplicas());

        ok("service", "rollback", "--detach", "web");
        assertEquals(3, web().getSpec().getReplicated().getReplicas(), "back to the spec before the scale");

        String task = h.store.view(tx -> tx.find(Kind.TASK, t -> t.getServiceId().equals(id) && t.getSlot() == 1)).get(0).getId();
        h.control.set(ServicesApiTest.withLogs(List.of(LogMessage.newBuilder().setTaskId(task).setNodeId(ApiHarness.W1)
                .setServiceName("web").setSlot(1).setTimestamp(System.currentTimeMillis()).setLine("hello from web").build()),
                new AtomicReference<>()));
        try {
            Run logs = ok("service", "logs", "--no-trunc", "web");
            assertTrue(logs.out().matches("(?s)web\\.1\\." + task + "@\\S+\\s+\\| hello from web\n"), logs.toString());
        } finally {
            h.control.set(h.api);
        }

        ok("service", "rm", "web");
        assertTrue(h.store.view(tx -> tx.byName(Kind.SERVICE, "web")).isEmpty());
        Run none = ok("service", "ls", "-q");
        assertEquals("", none.out().trim());
        Run missing = docker("service", "inspect", "web");
        assertEquals(1, missing.exit(), missing.toString());
        assertTrue(missing.err().contains("No such service: web") || missing.err().contains("no such service"), missing.toString());
    }

    @Test
    void refusalsReachTheUserAsDockerErrors() throws Exception {
        Run privileged = docker("service", "create", "--detach", "--name", "capped", "--cap-add", "NET_ADMIN", "swarmlet/busybox:1");
        assertEquals(1, privileged.exit(), privileged.toString());
        assertTrue(privileged.err().contains("Error response from daemon: TaskTemplate.ContainerSpec.CapabilityAdd is not supported by Swarmlet"),
                privileged.toString());
        assertTrue(h.store.view(tx -> tx.byName(Kind.SERVICE, "capped")).isEmpty());
    }
}
