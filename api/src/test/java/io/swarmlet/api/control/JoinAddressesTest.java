package io.swarmlet.api.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.swarmlet.api.types.ManagerStatus;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where {@code swarmlet swarm join-token} and the Docker API say a new node joins. */
class JoinAddressesTest {

    private static Node manager(String id, String statusAddr, String raftAddr, boolean leader) {
        return Node.newBuilder().setId(id)
                .setStatus(NodeStatus.newBuilder().setAddr(statusAddr))
                .setManagerStatus(ManagerStatus.newBuilder().setAddr(raftAddr).setLeader(leader))
                .build();
    }

    @Test
    void prefersSelfThenLeader() {
        List<Node> nodes = List.of(
                Node.newBuilder().setId("w").setStatus(NodeStatus.newBuilder().setAddr("10.0.0.9")).build(),
                manager("m1", "10.0.0.1", "", false),
                manager("m2", "10.0.0.2", "", true));
        assertEquals("10.0.0.1:4242", JoinAddresses.of(nodes, "m1"));
        assertEquals("10.0.0.2:4242", JoinAddresses.of(nodes, "w"));
        assertEquals(JoinAddresses.UNKNOWN, JoinAddresses.of(List.of(nodes.get(0)), "w"));
    }

    @Test
    void addressForms() {
        assertEquals("10.0.0.1:5000", JoinAddresses.of(manager("m", "10.0.0.1:5000", "10.0.0.1:4243", true)));
        assertEquals("10.0.0.3:4242", JoinAddresses.of(manager("m", "", "10.0.0.3:4243", true)));
        assertEquals("[fd00::1]:4242", JoinAddresses.of(manager("m", "fd00::1", "", true)));
        assertEquals("[fd00::1]:4242", JoinAddresses.of(manager("m", "", "[fd00::1]:4243", true)));
        assertEquals("<manager-ip>:4242", JoinAddresses.of(manager("m", "", "", true)));
    }
}
