package io.swarmlet.cli;

import static io.swarmlet.cli.FakeControlApi.LEADER;
import static io.swarmlet.cli.FakeControlApi.MANAGER2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.LogMessage;
import io.swarmlet.api.types.Meta;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ServiceLogsTest {

    static final String T1 = "t1aaaaaaaaaaaaaaaaaaaaaaa";
    static final String T10 = "t10bbbbbbbbbbbbbbbbbbbbbb";
    static final long TS = 1_700_000_000_123L;

    final FakeControlApi fake = new FakeControlApi();

    record Result(int code, String out, String err) {}

    Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new Main(() -> fake), new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeEach
    void tenReplicasTwoTasksLogging() {
        ServiceSpec.Builder spec = ServiceSpec.newBuilder();
        spec.getAnnotationsBuilder().setName("web");
        spec.getTaskBuilder().getContainerBuilder().setImage("nginx");
        spec.getReplicatedBuilder().setReplicas(10);
        Service web = fake.putService(Service.newBuilder().setId("6ag3k2u4dpkh1ek1qzwj2gg6v").setMeta(Meta.newBuilder().setVersion(1))
                .setSpec(spec).setSpecVersion(1).build());
        for (Object[] t : new Object[][] {{T1, 1L, LEADER}, {T10, 10L, MANAGER2}}) {
            fake.putTask(Task.newBuilder().setId((String) t[0]).setServiceId(web.getId()).setSlot((Long) t[1]).setNodeId((String) t[2])
                    .setSpec(spec.getTask()).setDesiredState(TaskState.RUNNING)
                    .setStatus(TaskStatus.newBuilder().setState(TaskState.RUNNING)).build());
        }
        fake.logLines.add(LogMessage.newBuilder().setTaskId(T1).setNodeId(LEADER).setServiceName("web").setSlot(1)
                .setTimestamp(TS).setLine("hello").build());
        fake.logLines.add(LogMessage.newBuilder().setTaskId(T10).setNodeId(MANAGER2).setServiceName("web").setSlot(10)
                .setTimestamp(TS + 1).setStderr(true).setLine("oops").build());
    }

    @Test
    void linesArePrefixedWithTaskAndNodeLikeDocker() {
        Result r = run("service", "logs", "web");
        assertEquals(0, r.code(), r.err());
        assertEquals("web.1.t1aaaaaaaaaa@manager1     | hello\n", r.out(), "padded to the width of slot 10");
        assertEquals("web.10.t10bbbbbbbbb@manager2    | oops\n", r.err(), "stderr lines go to stderr");
        assertTrue(fake.calls.contains("logs 6ag3k2u4dpkh1ek1qzwj2gg6v tail=-1 follow=false"), fake.calls.toString());
    }

    @Test
    void optionsShapeThePrefix() {
        Result r = run("service", "logs", "-t", "--no-trunc", "--tail", "5", "web");
        assertEquals("2023-11-14T22:13:20.123000000Z web.1." + T1 + "@manager1     | hello\n", r.out());
        assertTrue(fake.calls.contains("logs 6ag3k2u4dpkh1ek1qzwj2gg6v tail=5 follow=false"), fake.calls.toString());
        r = run("service", "logs", "--no-task-ids", "web");
        assertEquals("web.1@manager1     | hello\n", r.out());
        r = run("service", "logs", "--raw", "-t", "web");
        assertEquals("2023-11-14T22:13:20.123000000Z hello\n", r.out());
        assertEquals("2023-11-14T22:13:20.124000000Z oops\n", r.err());
    }

    @Test
    void aTaskCanBeNamedToo() {
        Result r = run("service", "logs", "t10");
        assertEquals(0, r.code(), r.err());
        assertEquals("web.10.t10bbbbbbbbb@manager2    | oops\n", r.err());
        assertTrue(fake.calls.contains("logs " + T10 + " tail=-1 follow=false"), fake.calls.toString());
        r = run("service", "logs", "nope");
        assertEquals(1, r.code());
        assertEquals("Error: no such task or service: nope\n", r.err());
    }

    @Test
    void ttyServicesNeedRaw() {
        Service web = fake.services.values().iterator().next();
        fake.putService(web.toBuilder().setSpec(web.getSpec().toBuilder().setTask(web.getSpec().getTask().toBuilder()
                .setContainer(web.getSpec().getTask().getContainer().toBuilder().setTty(true)))).build());
        Result r = run("service", "logs", "web");
        assertEquals(1, r.code());
        assertEquals("Error: tty service logs only supported with --raw\n", r.err());
        assertEquals(0, run("service", "logs", "--raw", "web").code());
    }

    @Test
    void anInterruptEndsAFollowedStreamCleanly() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        AtomicInteger code = new AtomicInteger(-1);
        Thread t = new Thread(() -> code.set(Main.run(new Main(() -> fake), new PrintWriter(out), new PrintWriter(err),
                "service", "logs", "-f", "web")));
        t.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!out.toString().contains("hello") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(out.toString().contains("hello"), "the line arrives while following");
        assertTrue(t.isAlive(), "still following");
        t.interrupt();
        t.join(10_000);
        assertFalse(t.isAlive());
        assertEquals(0, code.get(), err.toString());
        assertEquals("web.10.t10bbbbbbbbb@manager2    | oops\n", err.toString(), "no error line");
    }
}
