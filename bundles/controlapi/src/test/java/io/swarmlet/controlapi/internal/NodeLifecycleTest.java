package io.swarmlet.controlapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.*;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Node lifecycle through the control API, against a real one-member store:
 * promote/demote validation, node rm rules, labels and availability, and the
 * cluster object never carrying key material out.
 */
class NodeLifecycleTest {

    static final String M1 = "m1aaaaaaaaaaaaaaaaaaaaaaa";  // this node, the leader
    static final String M2 = "m2bbbbbbbbbbbbbbbbbbbbbbb";
    static final String M3 = "m3ccccccccccccccccccccccc";
    static final String W1 = "w1ddddddddddddddddddddddd";
    static final String W2 = "w2eeeeeeeeeeeeeeeeeeeeeee";

    @TempDir
    static Path dir;

    /** One store for the class (starting Ratis takes seconds); each test starts from the same objects. */
    private static SingleNodeStore running;
    private static Store store;
    private ControlApiImpl api;

    record Local(String nodeId, Path stateDir) implements LocalNode {
        @Override public String clusterId() { return "cluster0000000000000000001"; }
        @Override public boolean bootstrapped() { return true; }
        @Override public String hostname() { return "manager1"; }
        @Override public Path controlSocket() { return stateDir.resolve("c.sock"); }
        @Override public String remoteApiAddr() { return "127.0.0.1:4242"; }
        @Override public String advertiseAddr() { return "127.0.0.1:4242"; }
        @Override public String raftAddr() { return "127.0.0.1:4243"; }
        @Override public boolean manager() { return true; }
    }

    @BeforeAll
    static void startStore() throws Exception {
        running = SingleNodeStore.start(dir.resolve("store"));
        store = running.store();
    }

    @AfterAll
    static void stopStore() {
        running.close();
    }

    @BeforeEach
    void setUp() {
        api = new ControlApiImpl(store, new Local(M1, dir));
        store.update(tx -> {
            tx.find(Kind.NODE, n -> true).forEach(n -> tx.delete(Kind.NODE, n.getId()));
            tx.find(Kind.CLUSTER, c -> true).forEach(c -> tx.delete(Kind.CLUSTER, c.getId()));
        });
        store.update(tx -> {
            tx.create(Kind.NODE, manager(M1, "manager1", true).build());
            tx.create(Kind.NODE, manager(M2, "manager2", false).build());
            tx.create(Kind.NODE, manager(M3, "manager3", false).build());
            tx.create(Kind.NODE, worker(W1, "worker1", NodeStatus.State.READY).build());
            tx.create(Kind.NODE, worker(W2, "worker2", NodeStatus.State.DOWN).build());
        });
    }

    static Node.Builder worker(String id, String hostname, NodeStatus.State state) {
        return Node.newBuilder().setId(id)
                .setSpec(NodeSpec.newBuilder().setDesiredRole(NodeRole.WORKER).setMembership(NodeSpec.Membership.ACCEPTED))
                .setRole(NodeRole.WORKER)
                .setDescription(NodeDescription.newBuilder().setHostname(hostname))
                .setStatus(NodeStatus.newBuilder().setState(state).setAddr("127.0.0.1:5000"));
    }

    static Node.Builder manager(String id, String hostname, boolean leader) {
        return worker(id, hostname, NodeStatus.State.READY)
                .setSpec(NodeSpec.newBuilder().setDesiredRole(NodeRole.MANAGER).setMembership(NodeSpec.Membership.ACCEPTED))
                .setRole(NodeRole.MANAGER)
                .setManagerStatus(ManagerStatus.newBuilder().setAddr("127.0.0.1:4243").setLeader(leader)
                        .setReachability(ManagerStatus.Reachability.REACHABLE));
    }

    private Node get(String id) {
        return api.getNode(GetNodeRequest.newBuilder().setId(id).build()).getNode();
    }

    private Node update(String ref, Consumer<NodeSpec.Builder> change) {
        Node n = get(ref);
        NodeSpec.Builder spec = n.getSpec().toBuilder();
        change.accept(spec);
        return api.updateNode(UpdateNodeRequest.newBuilder().setId(ref).setVersion(n.getMeta().getVersion())
                .setSpec(spec).build()).getNode();
    }

    private void put(Node n) {
        store.update(tx -> tx.update(Kind.NODE, n));
    }

    private Node stored(String id) {
        return store.view(tx -> tx.get(Kind.NODE, id).orElseThrow());
    }

    private static void assertRefused(ControlException.Code code, String message, Runnable call) {
        ControlException e = assertThrows(ControlException.class, call::run);
        assertEquals(code, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    // ------------------------------------------------------------ promote / demote

    @Test
    void promoteSetsOnlyTheDesiredRole() {
        Node n = update(W1, s -> s.setDesiredRole(NodeRole.MANAGER));
        assertEquals(NodeRole.MANAGER, n.getSpec().getDesiredRole());
        assertEquals(NodeRole.WORKER, n.getRole(), "the role manager changes the observed role, not the control API");
        assertEquals(NodeRole.MANAGER, stored(W1).getSpec().getDesiredRole());
    }

    @Test
    void aNodeOfAWorkerOnlyDistributionIsNotPromoted() {
        Node w = stored(W1);
        put(w.toBuilder().setDescription(w.getDescription().toBuilder().setHostname("w1")
                .addAllFeatures(java.util.List.of("osgi", "core", "worker", "executor-docker"))).build());
        assertRefused(ControlException.Code.FAILED_PRECONDITION,
                "node w1 runs a worker-only distribution (features: osgi, core, worker, executor-docker): it cannot be"
                        + " promoted to manager; run the full swarmlet distribution on it first",
                () -> update(W1, s -> s.setDesiredRole(NodeRole.MANAGER)));
        assertEquals(NodeRole.WORKER, stored(W1).getSpec().getDesiredRole(), "nothing changed");
        // the full distribution (manager among its features) may be promoted
        w = stored(W1);
        put(w.toBuilder().setDescription(w.getDescription().toBuilder().addFeatures("manager")).build());
        update(W1, s -> s.setDesiredRole(NodeRole.MANAGER));
        assertEquals(NodeRole.MANAGER, stored(W1).getSpec().getDesiredRole());
    }

    @Test
    void demoteAManagerWhileTheOthersKeepQuorum() {
        Node n = update(M2, s -> s.setDesiredRole(NodeRole.WORKER));
        assertEquals(NodeRole.WORKER, n.getSpec().getDesiredRole());
        assertEquals(NodeRole.MANAGER, n.getRole());
        // the leader itself may be demoted too (it hands leadership over first): M3 stays
        update(M1, s -> s.setDesiredRole(NodeRole.WORKER));
        assertEquals(NodeRole.WORKER, stored(M1).getSpec().getDesiredRole());
    }

    @Test
    void theLastManagerIsNeverDemoted() {
        update(M2, s -> s.setDesiredRole(NodeRole.WORKER));
        update(M3, s -> s.setDesiredRole(NodeRole.WORKER));
        assertRefused(ControlException.Code.FAILED_PRECONDITION, "attempting to demote the last manager of the swarm",
                () -> update("self", s -> s.setDesiredRole(NodeRole.WORKER)));
        assertEquals(NodeRole.MANAGER, stored(M1).getSpec().getDesiredRole());
    }

    @Test
    void aNodeBeingPromotedDoesNotCountAsAManagerThatStays() {
        store.update(tx -> {
            tx.delete(Kind.NODE, M2);
            tx.delete(Kind.NODE, M3);
        });
        update(W1, s -> s.setDesiredRole(NodeRole.MANAGER));
        assertRefused(ControlException.Code.FAILED_PRECONDITION, "last manager",
                () -> update(M1, s -> s.setDesiredRole(NodeRole.WORKER)));
        // cancelling the promotion needs no check: it is no Raft member yet
        update(W1, s -> s.setDesiredRole(NodeRole.WORKER));
        assertEquals(NodeRole.WORKER, stored(W1).getSpec().getDesiredRole());
    }

    @Test
    void demotionThatWouldLoseQuorumIsRefused() {
        put(stored(M3).toBuilder()
                .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.DOWN))
                .setManagerStatus(stored(M3).getManagerStatus().toBuilder().setReachability(ManagerStatus.Reachability.UNREACHABLE))
                .build());
        // M1 and M3 would remain, only M1 reachable: 1 of 2
        assertRefused(ControlException.Code.FAILED_PRECONDITION,
                "can't remove member from the raft: this would result in a loss of quorum",
                () -> update(M2, s -> s.setDesiredRole(NodeRole.WORKER)));
        assertEquals(NodeRole.MANAGER, stored(M2).getSpec().getDesiredRole());
        // demoting the unreachable one leaves M1 and M2, both reachable
        update(M3, s -> s.setDesiredRole(NodeRole.WORKER));
        assertEquals(NodeRole.WORKER, stored(M3).getSpec().getDesiredRole());
    }

    @Test
    void reachabilityFallsBackToNodeStatusWhenRaftHasNotReported() {
        // M2 has no Raft report yet but is ready: counts; M3 down: does not
        put(stored(M2).toBuilder().setManagerStatus(ManagerStatus.newBuilder().setAddr("127.0.0.1:4245")).build());
        put(stored(M3).toBuilder().setManagerStatus(ManagerStatus.newBuilder().setAddr("127.0.0.1:4247"))
                .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.DOWN)).build());
        assertRefused(ControlException.Code.FAILED_PRECONDITION, "loss of quorum",
                () -> update(M2, s -> s.setDesiredRole(NodeRole.WORKER)));
        update(M3, s -> s.setDesiredRole(NodeRole.WORKER));
    }

    @Test
    void anUpdateReadBeforeTheManagersOwnWritesStillAppliesButOneReadBeforeASpecChangeIsStale() {
        Node read = get(W1);
        // the managers' own writes after the read: state, mesh counters, plugins
        put(stored(W1).toBuilder().setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.DOWN)).build());
        put(stored(W1).toBuilder().setMesh(MeshStatus.newBuilder().addPorts(MeshPortStats.newBuilder().setPublishedPort(8080).setConnectionsTotal(3))).build());
        assertTrue(stored(W1).getMeta().getVersion() > read.getMeta().getVersion());
        Node drained = api.updateNode(UpdateNodeRequest.newBuilder().setId(W1).setVersion(read.getMeta().getVersion())
                .setSpec(read.getSpec().toBuilder().setAvailability(NodeSpec.Availability.DRAIN)).build()).getNode();
        assertEquals(NodeSpec.Availability.DRAIN, drained.getSpec().getAvailability());
        assertEquals(NodeStatus.State.DOWN, drained.getStatus().getState(), "the status written after the read is kept");
        assertEquals(3, drained.getMesh().getPorts(0).getConnectionsTotal());

        // the spec changed after this read: refused, and nothing written
        Node after = stored(W1);
        assertRefused(ControlException.Code.ABORTED, "update out of sequence: the spec of node " + W1 + " changed after version "
                + read.getMeta().getVersion(), () -> api.updateNode(UpdateNodeRequest.newBuilder().setId(W1)
                .setVersion(read.getMeta().getVersion()).setSpec(read.getSpec().toBuilder().setAnnotations(Annotations.newBuilder().putLabels("zone", "a"))).build()));
        // ... and so is the version the spec was written over
        assertRefused(ControlException.Code.ABORTED, "update out of sequence", () -> api.updateNode(UpdateNodeRequest.newBuilder()
                .setId(W1).setVersion(after.getSpecChangedAfter()).setSpec(after.getSpec()).build()));
        assertEquals(after, stored(W1));

        // a read after the change goes through, past a later status write too
        put(stored(W1).toBuilder().setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.READY)).build());
        Node active = api.updateNode(UpdateNodeRequest.newBuilder().setId(W1).setVersion(after.getMeta().getVersion())
                .setSpec(after.getSpec().toBuilder().setAvailability(NodeSpec.Availability.ACTIVE)).build()).getNode();
        assertEquals(NodeSpec.Availability.ACTIVE, active.getSpec().getAvailability());
        assertEquals(NodeStatus.State.READY, active.getStatus().getState());
    }

    @Test
    void badRoleOrAvailabilityValuesAreRefused() {
        Node n = get(W1);
        assertRefused(ControlException.Code.INVALID_ARGUMENT, "invalid role",
                () -> api.updateNode(UpdateNodeRequest.newBuilder().setId(W1)
                        .setSpec(n.getSpec().toBuilder().setDesiredRoleValue(9)).build()));
        assertRefused(ControlException.Code.INVALID_ARGUMENT, "invalid availability",
                () -> api.updateNode(UpdateNodeRequest.newBuilder().setId(W1)
                        .setSpec(n.getSpec().toBuilder().setAvailabilityValue(7)).build()));
        assertRefused(ControlException.Code.ABORTED, "update out of sequence",
                () -> api.updateNode(UpdateNodeRequest.newBuilder().setId(W1).setVersion(n.getMeta().getVersion() + 5)
                        .setSpec(n.getSpec()).build()));
        assertEquals(n, stored(W1));
    }

    // ------------------------------------------------------------ availability and labels

    @Test
    void availabilityAndLabelsAreStored() {
        Node n = update("worker1", s -> {
            s.setAvailability(NodeSpec.Availability.DRAIN);
            s.getAnnotationsBuilder().putLabels("zone", "eu-1").putLabels("ssd", "");
        });
        assertEquals(W1, n.getId(), "hostnames resolve");
        assertEquals(NodeSpec.Availability.DRAIN, stored(W1).getSpec().getAvailability());
        assertEquals(Map.of("zone", "eu-1", "ssd", ""), stored(W1).getSpec().getAnnotations().getLabelsMap());

        update(W1, s -> {
            s.setAvailability(NodeSpec.Availability.PAUSE);
            s.getAnnotationsBuilder().removeLabels("ssd");
        });
        assertEquals(NodeSpec.Availability.PAUSE, stored(W1).getSpec().getAvailability());
        assertEquals(Map.of("zone", "eu-1"), stored(W1).getSpec().getAnnotations().getLabelsMap());
        assertEquals(NodeRole.WORKER, stored(W1).getSpec().getDesiredRole(), "the rest of the spec is kept");

        update(W1, s -> s.setAvailability(NodeSpec.Availability.ACTIVE));
        assertEquals(NodeSpec.Availability.ACTIVE, stored(W1).getSpec().getAvailability());

        ListNodesResponse labelled = api.listNodes(ListNodesRequest.newBuilder()
                .setFilters(ListFilters.newBuilder().putLabels("zone", "eu-1")).build());
        assertEquals(1, labelled.getNodesCount());
        assertEquals(W1, labelled.getNodes(0).getId());
    }

    // ------------------------------------------------------------ node rm

    @Test
    void aManagerMustBeDemotedBeforeRemovalEvenWithForce() {
        assertRefused(ControlException.Code.FAILED_PRECONDITION,
                "node m2 is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal",
                () -> api.removeNode(RemoveNodeRequest.newBuilder().setId("m2").setForce(true).build()));
        assertTrue(store.view(tx -> tx.get(Kind.NODE, M2)).isPresent());
    }

    @Test
    void aLiveWorkerIsRemovedOnlyWithForce() {
        assertRefused(ControlException.Code.FAILED_PRECONDITION, "node worker1 is not down and can't be removed",
                () -> api.removeNode(RemoveNodeRequest.newBuilder().setId("worker1").build()));
        assertTrue(store.view(tx -> tx.get(Kind.NODE, W1)).isPresent());
        api.removeNode(RemoveNodeRequest.newBuilder().setId("worker1").setForce(true).build());
        assertFalse(store.view(tx -> tx.get(Kind.NODE, W1)).isPresent());
    }

    @Test
    void aNodeThatIsNotDownNeedsForceWhateverItsState() {
        put(stored(W1).toBuilder().setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.UNKNOWN)).build());
        assertRefused(ControlException.Code.FAILED_PRECONDITION, "is not down and can't be removed",
                () -> api.removeNode(RemoveNodeRequest.newBuilder().setId(W1).build()));
    }

    @Test
    void aDownWorkerIsRemoved() {
        api.removeNode(RemoveNodeRequest.newBuilder().setId(W2).build());
        assertFalse(store.view(tx -> tx.get(Kind.NODE, W2)).isPresent());
        assertRefused(ControlException.Code.NOT_FOUND, "No such node: " + W2,
                () -> api.removeNode(RemoveNodeRequest.newBuilder().setId(W2).build()));
    }

    @Test
    void aDemotedManagerIsRemovableOnceItIsAWorker() {
        update(M3, s -> s.setDesiredRole(NodeRole.WORKER));
        // still a Raft member until the role manager has removed it
        assertRefused(ControlException.Code.FAILED_PRECONDITION, "must be demoted",
                () -> api.removeNode(RemoveNodeRequest.newBuilder().setId(M3).setForce(true).build()));
        put(stored(M3).toBuilder().setRole(NodeRole.WORKER).clearManagerStatus()
                .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.DOWN)).build());
        api.removeNode(RemoveNodeRequest.newBuilder().setId(M3).build());
        assertFalse(store.view(tx -> tx.get(Kind.NODE, M3)).isPresent());
    }

    // ------------------------------------------------------------ cluster

    @Test
    void clusterObjectsCarryTheRootCertificateAndNothingElseOfTheCa() {
        // a field this build does not know (say, a key someone's newer build wrote) must not come out
        RootCA withExtra = RootCA.newBuilder().setCaCert(ByteString.copyFromUtf8("-----BEGIN CERTIFICATE-----\n"))
                .setCaCertHash("0abc")
                .setUnknownFields(UnknownFieldSet.newBuilder()
                        .addField(9, UnknownFieldSet.Field.newBuilder()
                                .addLengthDelimited(ByteString.copyFromUtf8("-----BEGIN PRIVATE KEY-----")).build())
                        .build())
                .build();
        store.update(tx -> tx.create(Kind.CLUSTER, Cluster.newBuilder().setId("clu1")
                .setSpec(ClusterSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("default")))
                .setRootCa(withExtra)
                .setJoinTokens(JoinTokens.newBuilder().setWorker("SWMTKN-1-0abc-w").setManager("SWMTKN-1-0abc-m"))
                .build()));

        Cluster got = api.getCluster(GetClusterRequest.newBuilder().setId("default").build()).getCluster();
        Cluster listed = api.listClusters(ListClustersRequest.getDefaultInstance()).getClusters(0);
        Cluster rotated = api.updateCluster(UpdateClusterRequest.newBuilder().setId("default")
                .setSpec(got.getSpec()).setRotateWorkerToken(true).build()).getCluster();
        for (Cluster c : java.util.List.of(got, listed, rotated)) {
            assertEquals("-----BEGIN CERTIFICATE-----\n", c.getRootCa().getCaCert().toStringUtf8());
            assertEquals("0abc", c.getRootCa().getCaCertHash());
            assertFalse(c.toByteString().toStringUtf8().contains("PRIVATE KEY"), c.toString());
        }
        assertTrue(rotated.getJoinTokens().getWorker().startsWith("SWMTKN-1-0abc-"), rotated.getJoinTokens().getWorker());
        assertFalse(rotated.getJoinTokens().getWorker().equals("SWMTKN-1-0abc-w"));
        assertEquals("SWMTKN-1-0abc-m", rotated.getJoinTokens().getManager());
    }

    @Test
    void theDefaultPlacementStrategyIsCheckedButNeedNotBeInstalled() {
        store.update(tx -> tx.create(Kind.CLUSTER, Cluster.newBuilder().setId("clu1")
                .setSpec(ClusterSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("default"))).build()));
        ClusterSpec.Builder spec = api.getCluster(GetClusterRequest.newBuilder().setId("default").build())
                .getCluster().getSpec().toBuilder();
        spec.getOrchestrationBuilder().setDefaultPlacementStrategy("binpack");
        Cluster updated = api.updateCluster(UpdateClusterRequest.newBuilder().setId("default").setSpec(spec).build())
                .getCluster();
        assertEquals("binpack", updated.getSpec().getOrchestration().getDefaultPlacementStrategy(),
                "a strategy a plugin may bring later is accepted");

        spec.getOrchestrationBuilder().setDefaultPlacementStrategy("Bin Pack");
        ControlException e = assertThrows(ControlException.class, () -> api.updateCluster(
                UpdateClusterRequest.newBuilder().setId("default").setSpec(spec).build()));
        assertEquals(ControlException.Code.INVALID_ARGUMENT, e.code());
        assertEquals("invalid placement strategy 'Bin Pack': use lower-case letters, digits, '.', '_' or '-'",
                e.getMessage());
        assertEquals("binpack", store.view(tx -> tx.get(Kind.CLUSTER, "clu1")).orElseThrow().getSpec()
                .getOrchestration().getDefaultPlacementStrategy(), "nothing written");
    }
}
