package io.swarmlet.updater.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import org.junit.jupiter.api.Test;

/** Published ports as the updater sees them: part of what makes a task current, kept across a rollback. */
class PortsTest {

    private static PortConfig port(int published, int target) {
        return PortConfig.newBuilder().setPublishedPort(published).setTargetPort(target).build();
    }

    @Test
    void aTaskWithOtherPortsIsNotCurrent() {
        ServiceSpec spec = ServiceSpec.newBuilder().build();
        Endpoint ports = Endpoint.newBuilder().addPorts(port(8080, 80)).build();
        Service s = Service.newBuilder().setSpec(spec).setEndpoint(ports).build();
        assertTrue(Slots.current(Task.newBuilder().setSpec(spec.getTask()).setEndpoint(ports).build(), s));
        assertFalse(Slots.current(Task.newBuilder().setSpec(spec.getTask()).build(), s));
        assertFalse(Slots.current(Task.newBuilder().setSpec(spec.getTask())
                .setEndpoint(Endpoint.newBuilder().addPorts(port(8081, 80))).build(), s));
    }

    @Test
    void aRollbackKeepsTheDynamicPortTheServiceHolds() {
        // the failed spec published 80 dynamically (given 30005) and added 9090:90
        Endpoint current = Endpoint.newBuilder().addPorts(port(30005, 80)).addPorts(port(9090, 90)).build();
        EndpointSpec previous = EndpointSpec.newBuilder().addPorts(port(0, 80)).build();
        Endpoint back = Transitions.endpointFor(previous, current);
        assertEquals(previous, back.getSpec());
        assertEquals(1, back.getPortsCount());
        assertEquals(30005, back.getPorts(0).getPublishedPort());
    }
}
