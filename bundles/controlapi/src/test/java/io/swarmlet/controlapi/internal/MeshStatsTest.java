package io.swarmlet.controlapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.MeshPortStats;
import io.swarmlet.api.types.MeshStatus;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.Service;
import java.util.List;
import org.junit.jupiter.api.Test;

class MeshStatsTest {

    private static MeshPortStats.Builder stats(String service, int port, long total) {
        return MeshPortStats.newBuilder().setServiceId(service).setPublishedPort(port).setConnectionsTotal(total)
                .setBytesIn(total * 10).setBytesOut(total * 100);
    }

    @Test
    void countersAreSummedOverNodesAndListenErrorsNameTheNode() {
        Service web = Service.newBuilder().setId("s1").setEndpoint(Endpoint.newBuilder()
                .addPorts(PortConfig.newBuilder().setPublishedPort(8080).setTargetPort(80))).build();
        Node a = Node.newBuilder().setId("n1").setDescription(NodeDescription.newBuilder().setHostname("alpha"))
                .setMesh(MeshStatus.newBuilder().addPorts(stats("s1", 8080, 3)).addPorts(stats("s2", 9090, 50))).build();
        Node b = Node.newBuilder().setId("n2")
                .setMesh(MeshStatus.newBuilder().addPorts(stats("s1", 8080, 4).setListenError("address already in use"))).build();
        Service out = MeshStats.withStats(web, List.of(a, b, Node.newBuilder().setId("n3").build()));
        assertEquals(1, out.getEndpoint().getMeshStatsCount());
        MeshPortStats sum = out.getEndpoint().getMeshStats(0);
        assertEquals(7, sum.getConnectionsTotal());
        assertEquals(70, sum.getBytesIn());
        assertEquals(700, sum.getBytesOut());
        assertTrue(sum.getListenError().contains("node n2: address already in use"), sum.getListenError());
    }
}
