package io.swarmlet.controlapi.internal;

import static org.junit.jupiter.api.Assertions.*;

import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.*;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceSpecsTest {

    static ServiceSpec.Builder spec(String name, String image) {
        ServiceSpec.Builder b = ServiceSpec.newBuilder();
        b.getAnnotationsBuilder().setName(name);
        b.getTaskBuilder().getContainerBuilder().setImage(image);
        return b;
    }

    static String refused(ServiceSpec s) {
        ControlException e = assertThrows(ControlException.class, () -> ServiceSpecs.validate(ServiceSpecs.withDefaults(s)));
        assertEquals(ControlException.Code.INVALID_ARGUMENT, e.code());
        return e.getMessage();
    }

    @Test
    void defaultsAreDockers() {
        ServiceSpec s = ServiceSpecs.withDefaults(spec("web", "swarmlet/busybox:1").build());
        assertEquals(1, s.getReplicated().getReplicas());
        assertEquals(RestartPolicy.Condition.ANY, s.getTask().getRestart().getCondition());
        assertEquals(5_000, s.getTask().getRestart().getDelayMs());
        assertTrue(s.getTask().getContainer().getInit());
        assertEquals(1, s.getUpdate().getParallelism());
        assertEquals(UpdateConfig.FailureAction.PAUSE, s.getUpdate().getFailureAction());
        assertEquals(5_000, s.getUpdate().getMonitorMs());
        assertEquals(UpdateConfig.UpdateOrder.STOP_FIRST, s.getRollback().getOrder());
        ServiceSpecs.validate(s);

        ServiceSpec unnamed = ServiceSpecs.withDefaults(spec("", "swarmlet/busybox:1").build());
        assertTrue(unnamed.getAnnotations().getName().matches("[a-z]+_[a-z]+"));

        ServiceSpec.Builder job = spec("j", "swarmlet/busybox:1");
        job.getReplicatedJobBuilder().setMaxConcurrent(2);
        ServiceSpec j = ServiceSpecs.withDefaults(job.build());
        assertEquals(RestartPolicy.Condition.ON_FAILURE, j.getTask().getRestart().getCondition());
        assertEquals(2, j.getReplicatedJob().getTotalCompletions());
    }

    @Test
    void badSpecsAreRefusedWithAReason() {
        assertTrue(refused(spec("web", "").build()).contains("has no image"));
        assertTrue(refused(spec("bad name!", "x").build()).startsWith("invalid service name"));
        ServiceSpec.Builder mem = spec("web", "x");
        mem.getTaskBuilder().getResourcesBuilder().getLimitsBuilder().setMemoryBytes(1024 * 1024);
        assertTrue(refused(mem.build()).contains("at least 6MB"));
        ServiceSpec.Builder con = spec("web", "x");
        con.getTaskBuilder().getPlacementBuilder().addConstraints("node.colour==red");
        assertTrue(refused(con.build()).contains("unknown key node.colour"));
        ServiceSpec.Builder ratio = spec("web", "x");
        ratio.getUpdateBuilder().setMaxFailureRatio(2);
        assertTrue(refused(ratio.build()).contains("between 0 and 1"));
        ServiceSpec.Builder ports = spec("web", "x");
        ports.getEndpointBuilder().addPorts(PortConfig.newBuilder().setPublishedPort(80).setTargetPort(80))
                .addPorts(PortConfig.newBuilder().setPublishedPort(80).setTargetPort(81));
        assertTrue(refused(ports.build()).contains("published twice"));
        ServiceSpec.Builder sctp = spec("web", "x");
        sctp.getEndpointBuilder().addPorts(PortConfig.newBuilder().setProtocol(PortConfig.Protocol.SCTP).setTargetPort(80));
        assertTrue(refused(sctp.build()).contains("sctp"));
        ServiceSpec.Builder lb = spec("web", "x");
        lb.getEndpointBuilder().setLbStrategy("Round Robin!");
        assertTrue(refused(lb.build()).contains("--lb-strategy"));
    }

    @Test
    void placementStrategyAndRuntimeNamesAreCheckedNotLookedUp() {
        for (String ok : List.of("", "spread", "binpack", "my.strategy_2-b", "x".repeat(64))) {
            ServiceSpec.Builder b = spec("web", "x");
            b.getTaskBuilder().getPlacementBuilder().setStrategy(ok);
            b.getTaskBuilder().setRuntime(ok);
            ServiceSpecs.validate(ServiceSpecs.withDefaults(b.build())); // no plugin needs to provide it yet
        }
        ServiceSpec.Builder strategy = spec("web", "x");
        strategy.getTaskBuilder().getPlacementBuilder().setStrategy("Bin Pack");
        assertEquals("invalid placement strategy 'Bin Pack': use lower-case letters, digits, '.', '_' or '-'",
                refused(strategy.build()));
        ServiceSpec.Builder dash = spec("web", "x");
        dash.getTaskBuilder().getPlacementBuilder().setStrategy("-binpack");
        assertEquals("invalid placement strategy '-binpack': use lower-case letters, digits, '.', '_' or '-',"
                + " starting with a letter or digit", refused(dash.build()));
        ServiceSpec.Builder runtime = spec("web", "x");
        runtime.getTaskBuilder().setRuntime("Process");
        assertEquals("invalid runtime 'Process': use lower-case letters, digits, '.', '_' or '-'", refused(runtime.build()));
        ServiceSpec.Builder tooLong = spec("web", "x");
        tooLong.getTaskBuilder().setRuntime("p".repeat(65));
        assertEquals("invalid runtime '" + "p".repeat(65) + "': use at most 64 characters", refused(tooLong.build()));

        ControlException e = assertThrows(ControlException.class, () -> ServiceSpecs.checkPlacementStrategy("bin/pack"));
        assertEquals(ControlException.Code.INVALID_ARGUMENT, e.code());
    }
}
