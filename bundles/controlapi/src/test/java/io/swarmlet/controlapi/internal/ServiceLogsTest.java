package io.swarmlet.controlapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.LogMessage;
import io.swarmlet.api.types.LogsRequest;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.spi.executor.LogSource;
import io.swarmlet.store.internal.SingleNodeStore;
import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service's logs through the control API with a dispatcher whose nodes have lost some
 * tasks' containers: a finished task without logs is left out, as docker's
 * {@code service logs}; a running one that cannot be read still fails the call.
 */
class ServiceLogsTest {

    static final String M1 = RealControlApi.id("m1");

    @TempDir
    static Path dir;

    static SingleNodeStore running;
    static Store store;

    @BeforeAll
    static void start() throws Exception {
        running = SingleNodeStore.start(dir.resolve("store"));
        store = running.store();
    }

    @AfterAll
    static void stop() {
        running.close();
    }

    /** A dispatcher that has a line for each task but those in {@code gone}, whose containers were removed. */
    static Dispatcher dispatcher(Set<String> gone) {
        return (Dispatcher) Proxy.newProxyInstance(Dispatcher.class.getClassLoader(), new Class<?>[] {Dispatcher.class},
                (p, m, a) -> {
                    if (!m.getName().equals("logs")) {
                        throw new UnsupportedOperationException(m.getName());
                    }
                    String task = (String) a[1];
                    if (gone.contains(task)) {
                        throw new IllegalStateException("cannot read the logs of container x." + task + ": it does not exist");
                    }
                    @SuppressWarnings("unchecked")
                    java.util.function.Consumer<LogSource.LogLine> sink = (java.util.function.Consumer<LogSource.LogLine>) a[4];
                    sink.accept(new LogSource.LogLine(1, false, "line of " + task));
                    return null;
                });
    }

    static Task task(String id, Service s, long slot, TaskState state) {
        Task.Builder b = Task.newBuilder().setId(id).setServiceId(s.getId()).setSlot(slot).setNodeId(M1)
                .setServiceAnnotations(s.getSpec().getAnnotations());
        b.getStatusBuilder().setState(state);
        return b.build();
    }

    @Test
    void finishedTasksWithoutLogsAreLeftOutRunningOnesStillFail() throws Exception {
        ControlApiImpl api = new ControlApiImpl(store, new RealControlApi.Local(M1, dir, SingleNodeStore.CLUSTER_ID));
        Field f = ControlApiImpl.class.getDeclaredField("dispatcher");
        f.setAccessible(true);
        Service s = Service.newBuilder().setId(RealControlApi.id("svclogs")).build().toBuilder()
                .setSpec(io.swarmlet.api.types.ServiceSpec.newBuilder().setAnnotations(
                        io.swarmlet.api.types.Annotations.newBuilder().setName("logs"))).build();
        String running = RealControlApi.id("tlrun");
        String old = RealControlApi.id("tlold");
        String failed = RealControlApi.id("tlfail");
        store.update(tx -> {
            tx.create(Kind.SERVICE, s);
            tx.create(Kind.TASK, task(running, s, 1, TaskState.RUNNING));
            tx.create(Kind.TASK, task(old, s, 1, TaskState.SHUTDOWN));
            tx.create(Kind.TASK, task(failed, s, 2, TaskState.FAILED));
        });

        f.set(api, dispatcher(Set.of(old, failed)));
        List<String> lines = new ArrayList<>();
        api.logs(LogsRequest.newBuilder().setId("logs").setTail(-1).build(), (LogMessage m) -> lines.add(m.getLine()));
        assertEquals(List.of("line of " + running), lines, "the finished tasks' missing logs are left out");

        f.set(api, dispatcher(Set.of(running)));
        ControlException e = assertThrows(ControlException.class,
                () -> api.logs(LogsRequest.newBuilder().setId("logs").setTail(-1).build(), m -> { }));
        assertTrue(e.getMessage().contains("cannot read logs of task " + running), e.getMessage());

        f.set(api, dispatcher(Set.of(old)));
        assertThrows(ControlException.class, () -> api.logs(LogsRequest.newBuilder().setId(old).setTail(-1).build(), m -> { }),
                "one task asked for by ID: its error is the answer");
    }
}
