package io.swarmlet.controlapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PortAllocatorTest {

    private static PortConfig ingress(int published, int target) {
        return PortConfig.newBuilder().setPublishedPort(published).setTargetPort(target).build();
    }

    private static EndpointSpec spec(PortConfig... ports) {
        return EndpointSpec.newBuilder().addAllPorts(List.of(ports)).build();
    }

    private static Service service(String id, String name, EndpointSpec spec, List<Service> others) {
        return Service.newBuilder().setId(id)
                .setSpec(ServiceSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName(name)).setEndpoint(spec))
                .setEndpoint(PortAllocator.allocate(spec, Endpoint.getDefaultInstance(), others)).build();
    }

    @Test
    void namedPortsAreKeptAndDynamicOnesComeFromTheRange() {
        Endpoint e = PortAllocator.allocate(spec(ingress(8080, 80), ingress(0, 443)), Endpoint.getDefaultInstance(), List.of());
        assertEquals(8080, e.getPorts(0).getPublishedPort());
        assertEquals(PortAllocator.DYNAMIC_FIRST, e.getPorts(1).getPublishedPort());
        assertEquals(443, e.getPorts(1).getTargetPort());
    }

    @Test
    void aPortTakenByAnotherServiceIsRefusedNamingIt() {
        Service web = service("s1", "web", spec(ingress(8080, 80)), List.of());
        ControlException e = assertThrows(ControlException.class,
                () -> PortAllocator.allocate(spec(ingress(8080, 81)), Endpoint.getDefaultInstance(), List.of(web)));
        assertTrue(e.getMessage().contains("'8080' is already in use by service 'web' (s1)"), e.getMessage());
        // the same number over udp is another port
        PortConfig udp = ingress(8080, 53).toBuilder().setProtocol(PortConfig.Protocol.UDP).build();
        assertEquals(8080, PortAllocator.allocate(spec(udp), Endpoint.getDefaultInstance(), List.of(web)).getPorts(0).getPublishedPort());
    }

    @Test
    void dynamicPortsSkipTakenOnesAndSurviveUpdates() {
        Service a = service("s1", "a", spec(ingress(0, 80)), List.of());
        assertEquals(30000, a.getEndpoint().getPorts(0).getPublishedPort());
        Service b = service("s2", "b", spec(ingress(0, 80), ingress(30001, 81)), List.of(a));
        assertEquals(30002, b.getEndpoint().getPorts(0).getPublishedPort(), "30000 is a's, 30001 is b's own");
        // b adds a port: the one it had stays
        Endpoint next = PortAllocator.allocate(spec(ingress(0, 80), ingress(30001, 81), ingress(0, 90)), b.getEndpoint(), List.of(a));
        assertEquals(30002, next.getPorts(0).getPublishedPort());
        assertEquals(30003, next.getPorts(2).getPublishedPort());
        // a dynamic port a service gives up can be taken again
        Endpoint dropped = PortAllocator.allocate(spec(), a.getEndpoint(), List.of());
        assertEquals(0, dropped.getPortsCount());
    }

    @Test
    void hostModePortsPassThroughAndTheRangeCanRunOut() {
        PortConfig host = PortConfig.newBuilder().setPublishMode(PortConfig.PublishMode.HOST).setPublishedPort(8080).setTargetPort(80).build();
        Service web = service("s1", "web", spec(ingress(8080, 80)), List.of());
        assertEquals(host, PortAllocator.allocate(spec(host), Endpoint.getDefaultInstance(), List.of(web)).getPorts(0));
        List<PortConfig> all = new ArrayList<>();
        for (int p = PortAllocator.DYNAMIC_FIRST; p <= PortAllocator.DYNAMIC_LAST; p++) {
            all.add(ingress(p, 80));
        }
        Service hog = service("s2", "hog", EndpointSpec.newBuilder().addAllPorts(all).build(), List.of());
        ControlException e = assertThrows(ControlException.class,
                () -> PortAllocator.allocate(spec(ingress(0, 80)), Endpoint.getDefaultInstance(), List.of(hog)));
        assertTrue(e.getMessage().contains("no published port left"), e.getMessage());
    }
}
