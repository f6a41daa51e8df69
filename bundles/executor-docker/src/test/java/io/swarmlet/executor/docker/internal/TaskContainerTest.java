package io.swarmlet.executor.docker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.exception.BadRequestException;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.MountType;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.HealthConfig;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.spi.executor.ExecutorException;
import io.swarmlet.spi.executor.LogSource.LogLine;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parts of the executor that need no engine: names, labels, spec mapping, messages, log lines. */
class TaskContainerTest {

    static Task task(long slot, ContainerSpec.Builder spec) {
        return Task.newBuilder().setId("t1").setServiceId("s1").setSlot(slot).setNodeId("n1")
                .setServiceAnnotations(Annotations.newBuilder().setName("web"))
                .setSpec(TaskSpec.newBuilder().setContainer(spec)).build();
    }

    static ContainerSpec.Builder spec() {
        return ContainerSpec.newBuilder().setImage("img:1");
    }

    @Test
    void namesAreServiceSlotTaskOrServiceNodeTaskForGlobalServices() {
        assertEquals("web.3.t1", new TaskContainer(task(3, spec()), "local").name());
        assertEquals("web.n1.t1", new TaskContainer(task(0, spec()), "local").name());
        Task noNode = task(0, spec()).toBuilder().setNodeId("").build();
        assertEquals("web.local.t1", new TaskContainer(noNode, "local").name());
    }

    @Test
    void ourLabelsWinOverTheSpecs() {
        Map<String, String> l = new TaskContainer(task(1, spec().putLabels("io.swarmlet.task.id", "spoofed")
                .putLabels("app", "x")), "local").labels();
        assertEquals("t1", l.get("io.swarmlet.task.id"));
        assertEquals("t1", l.get("com.docker.swarm.task.id"));
        assertEquals("web.1.t1", l.get("com.docker.swarm.task.name"));
        assertEquals("s1", l.get("com.docker.swarm.service.id"));
        assertEquals("web", l.get("io.swarmlet.service.name"));
        assertEquals("n1", l.get("io.swarmlet.node.id"));
        assertEquals("x", l.get("app"));
    }

    @Test
    void initIsOnUnlessTurnedOffAndGraceDefaultsToTenSeconds() {
        assertTrue(new TaskContainer(task(1, spec()), "n").init());
        assertFalse(new TaskContainer(task(1, spec().setInit(false)), "n").init());
        assertEquals(10, new TaskContainer(task(1, spec()), "n").stopTimeoutSeconds());
        assertEquals(2, new TaskContainer(task(1, spec().setStopGracePeriodMs(1_500)), "n").stopTimeoutSeconds());
    }

    @Test
    void healthCheckMapsToNanosecondsAndNoneDisables() {
        assertNull(new TaskContainer(task(1, spec()), "n").healthCheck());
        HealthCheck h = new TaskContainer(task(1, spec().setHealthcheck(HealthConfig.newBuilder()
                .addTest("CMD-SHELL").addTest("false").setIntervalMs(1_000).setTimeoutMs(500).setRetries(2)
                .setStartPeriodMs(3_000))), "n").healthCheck();
        assertEquals(List.of("CMD-SHELL", "false"), h.getTest());
        assertEquals(1_000_000_000L, h.getInterval());
        assertEquals(500_000_000L, h.getTimeout());
        assertEquals(2, h.getRetries());
        assertEquals(3_000_000_000L, h.getStartPeriod());
        HealthCheck none = new TaskContainer(task(1, spec().setHealthcheck(HealthConfig.newBuilder().addTest("NONE"))),
                "n").healthCheck();
        assertEquals(List.of("NONE"), none.getTest());
        assertNull(none.getInterval());
    }

    @Test
    void mountsMapToDockerMounts() {
        var bind = TaskContainer.mount(Mount.newBuilder().setType(Mount.Type.BIND).setSource("/a").setTarget("/b")
                .setReadOnly(true).build());
        assertEquals(MountType.BIND, bind.getType());
        assertEquals("/a", bind.getSource());
        assertTrue(bind.getReadOnly());
        var anon = TaskContainer.mount(Mount.newBuilder().setType(Mount.Type.VOLUME).setTarget("/v").build());
        assertEquals(MountType.VOLUME, anon.getType());
        assertNull(anon.getSource());
        assertEquals(MountType.TMPFS,
                TaskContainer.mount(Mount.newBuilder().setType(Mount.Type.TMPFS).setTarget("/t").build()).getType());
    }

    @Test
    void invalidSpecsAreFatalAndNameNoEnvValue() throws ExecutorException {
        new TaskContainer(task(1, spec().addEnv("A=b")), "n").validate();
        assertFatal("the task has no container image", spec().setImage(""));
        assertFatal("invalid environment variable name \"\"", spec().addEnv("=secretvalue"));
        assertFatal("healthcheck test must start with NONE, CMD or CMD-SHELL, not \"false\"",
                spec().setHealthcheck(HealthConfig.newBuilder().addTest("false")));
        assertFatal("bind mount /b needs an absolute source path, not \"rel\"",
                spec().addMounts(Mount.newBuilder().setType(Mount.Type.BIND).setSource("rel").setTarget("/b")));
    }

    static void assertFatal(String problem, ContainerSpec.Builder spec) {
        ExecutorException e = assertThrows(ExecutorException.class, () -> new TaskContainer(task(1, spec), "n").validate());
        assertTrue(e.fatal());
        assertEquals("invalid spec for task t1: " + problem, e.getMessage());
    }

    @Test
    void engineMessagesAreShortAndRedacted() {
        BadRequestException e = new BadRequestException("{\"message\":\"invalid mount config for type \\\"bind\\\":"
                + " bind source path does not exist: /x\"}\n");
        assertEquals("invalid mount config for type \"bind\": bind source path does not exist: /x",
                DockerErrors.engineMessage(e));
        ExecutorException x = DockerErrors.translate("create container a", new BadRequestException(
                "{\"message\":\"bad value hunter22 in spec\"}"), "unix:///s", List.of("PW=hunter22", "X=1"), true);
        assertEquals("create container a: bad value *** in spec", x.getMessage());
        assertTrue(x.fatal());
        assertFalse(String.valueOf(x.getCause().getMessage()).contains("hunter22"));
    }

    @Test
    void logLinesKeepTheirTimestamps() {
        LogLine l = LogPump.parse("2024-05-01T10:00:00.123456789Z hello world\r", true);
        assertEquals(java.time.Instant.parse("2024-05-01T10:00:00.123Z").toEpochMilli(), l.timestamp());
        assertEquals("hello world", l.line());
        assertTrue(l.stderr());
        assertEquals("no timestamp", LogPump.parse("no timestamp", false).line());
    }

    @Test
    void untaggedImagesArePulledAsLatest() {
        assertEquals("busybox:latest", Images.withDefaultTag("busybox"));
        assertEquals("localhost:5000/a/b:latest", Images.withDefaultTag("localhost:5000/a/b"));
        assertEquals("a/b:1", Images.withDefaultTag("a/b:1"));
        assertEquals("a@sha256:00", Images.withDefaultTag("a@sha256:00"));
        assertTrue(Images.unreachable("Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup x: no such host"));
        assertFalse(Images.unreachable("pull access denied for x, repository does not exist"));
    }
}
