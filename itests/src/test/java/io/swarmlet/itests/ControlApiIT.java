package io.swarmlet.itests;

import io.swarmlet.api.testing.FreePorts;
import static org.junit.Assert.*;
import static org.ops4j.pax.exam.CoreOptions.*;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.types.*;
import io.swarmlet.grpc.RemoteControlApi;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Boots the real bundles (api, grpc, store on Ratis, node, controlapi) in
 * Felix with SCR, and uses the store and the control API as a client would:
 * in-process through the OSGi services and over gRPC on the control socket.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ControlApiIT {

    @Inject
    private ControlApi control;

    @Inject
    private Store store;

    @Inject
    private LocalNode local;

    @Configuration
    public Option[] config() throws IOException {
        Path state = Files.createTempDirectory(Path.of("/tmp"), "swl-it-");
        int raftPort = FreePorts.next();
        return options(
                junitBundles(),
                frameworkProperty("swarmlet.state.dir").value(state.toString()),
                frameworkProperty("swarmlet.control.socket").value(state.resolve("c.sock").toString()),
                frameworkProperty("swarmlet.remote.addr").value("127.0.0.1:" + FreePorts.next()),
                frameworkProperty("swarmlet.raft.addr").value("127.0.0.1:" + raftPort),
                frameworkProperty("swarmlet.hostname").value("itest-01"),
                systemProperty("org.ops4j.pax.exam.service.timeout").value("60000"),
                mavenBundle("org.osgi", "org.osgi.util.function").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.util.promise").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.service.component").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.scr").versionAsInProject(),
                mavenBundle("org.apache.logging.log4j", "log4j-api").versionAsInProject(),
                mavenBundle("com.google.protobuf", "protobuf-java").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.api").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.grpc").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.store").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.secrets").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.ca").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.node").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.controlapi").versionAsInProject());
    }


    /** Polls until {@code probe} returns non-null, or fails after {@code seconds}. */
    static <T> T await(String what, int seconds, Supplier<T> probe) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            T v = probe.get();
            if (v != null) {
                return v;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    private Node self() throws InterruptedException {
        return await("this node to be registered as ready leader", 30, () -> {
            List<Node> nodes = control.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList();
            return nodes.size() == 1 && nodes.get(0).getManagerStatus().getLeader()
                    && nodes.get(0).getStatus().getState() == NodeStatus.State.READY ? nodes.get(0) : null;
        });
    }

    @Test
    public void oneManagerClusterIsBootstrapped() throws Exception {
        Node self = self();
        assertEquals(local.nodeId(), self.getId());
        assertEquals("itest-01", self.getDescription().getHostname());
        assertEquals(NodeRole.MANAGER, self.getRole());
        assertEquals(NodeSpec.Availability.ACTIVE, self.getSpec().getAvailability());

        VersionResponse v = control.version(VersionRequest.getDefaultInstance());
        assertEquals(local.nodeId(), v.getNodeId());
        assertEquals(local.clusterId(), v.getClusterId());
        assertTrue(v.getLeader());
        assertTrue(store.isLeader());

        Cluster c = control.getCluster(GetClusterRequest.newBuilder().setId("default").build()).getCluster();
        assertEquals(local.clusterId(), c.getId());
        String token = "SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}";
        assertTrue(c.getJoinTokens().getWorker(), c.getJoinTokens().getWorker().matches(token));
        assertTrue(c.getJoinTokens().getManager(), c.getJoinTokens().getManager().matches(token));
        assertNotEquals(c.getJoinTokens().getWorker(), c.getJoinTokens().getManager());
        assertEquals(5, c.getSpec().getOrchestration().getTaskHistoryRetentionLimit());
    }

    @Test
    public void nodeUpdateChecksVersionAndPrefixes() throws Exception {
        Node self = self();
        String prefix = self.getId().substring(0, 4);
        Node byPrefix = control.getNode(GetNodeRequest.newBuilder().setId(prefix).build()).getNode();
        assertEquals(self.getId(), byPrefix.getId());
        assertEquals(self.getId(), control.getNode(GetNodeRequest.newBuilder().setId("itest-01").build()).getNode().getId());

        ControlException unknown = assertThrows(ControlException.class,
                () -> control.getNode(GetNodeRequest.newBuilder().setId("nosuchnode").build()));
        assertEquals(ControlException.Code.NOT_FOUND, unknown.code());
        assertEquals("No such node: nosuchnode", unknown.getMessage());

        Node drained = control.updateNode(UpdateNodeRequest.newBuilder().setId(prefix)
                .setVersion(self.getMeta().getVersion())
                .setSpec(self.getSpec().toBuilder().setAvailability(NodeSpec.Availability.DRAIN)).build()).getNode();
        assertEquals(NodeSpec.Availability.DRAIN, drained.getSpec().getAvailability());
        assertTrue(drained.getMeta().getVersion() > self.getMeta().getVersion());

        // the version read before the drain is stale now: refused, nothing changed
        ControlException stale = assertThrows(ControlException.class, () -> control.updateNode(UpdateNodeRequest.newBuilder()
                .setId(self.getId()).setVersion(self.getMeta().getVersion())
                .setSpec(self.getSpec().toBuilder().setAvailability(NodeSpec.Availability.PAUSE)).build()));
        assertEquals(ControlException.Code.ABORTED, stale.code());
        assertEquals(NodeSpec.Availability.DRAIN,
                control.getNode(GetNodeRequest.newBuilder().setId(self.getId()).build()).getNode().getSpec().getAvailability());

        Node active = control.updateNode(UpdateNodeRequest.newBuilder().setId(self.getId())
                .setVersion(drained.getMeta().getVersion())
                .setSpec(drained.getSpec().toBuilder().setAvailability(NodeSpec.Availability.ACTIVE)).build()).getNode();
        assertEquals(NodeSpec.Availability.ACTIVE, active.getSpec().getAvailability());
    }

    @Test
    public void storeWatchSeesCommittedChangesInOrder() throws Exception {
        try (Watch<Integer> w = store.watch(tx -> tx.all(Kind.CONFIG).size())) {
            int before = w.initial();
            String id = Ids.newId();
            store.update(tx -> tx.create(Kind.CONFIG, io.swarmlet.api.types.Config.newBuilder().setId(id)
                    .setSpec(ConfigSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("cfg-" + id))).build()));
            store.update(tx -> tx.delete(Kind.CONFIG, id));
            List<StoreEvent.Action> seen = new ArrayList<>();
            while (seen.size() < 4) {
                StoreEvent e = w.poll(Duration.ofSeconds(10));
                assertNotNull("watch delivered only " + seen, e);
                if (e.action() == StoreEvent.Action.COMMIT || e.kind() == Kind.CONFIG) {
                    seen.add(e.action());
                }
            }
            assertEquals(List.of(StoreEvent.Action.CREATE, StoreEvent.Action.COMMIT, StoreEvent.Action.REMOVE, StoreEvent.Action.COMMIT), seen);
            assertEquals(before, (int) store.view(tx -> tx.all(Kind.CONFIG).size()));
        }
        // a name taken twice is refused and nothing is written
        String name = "dup-" + Ids.newId();
        store.update(tx -> tx.create(Kind.CONFIG, io.swarmlet.api.types.Config.newBuilder().setId(Ids.newId())
                .setSpec(ConfigSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName(name))).build()));
        StoreException dup = assertThrows(StoreException.class, () -> store.update(tx -> tx.create(Kind.CONFIG,
                io.swarmlet.api.types.Config.newBuilder().setId(Ids.newId())
                        .setSpec(ConfigSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName(name))).build())));
        assertEquals(StoreException.Reason.EXISTS, dup.reason());
        assertEquals(1, (long) store.view(tx -> tx.find(Kind.CONFIG, c -> c.getSpec().getAnnotations().getName().equals(name)).size()));
    }

    @Test
    public void controlSocketServesGrpcToOwnerOnly() throws Exception {
        Node self = self();
        Path sock = local.controlSocket();
        assertTrue(Files.exists(sock));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
        try (RemoteControlApi remote = RemoteControlApi.unix(sock, 10_000)) {
            List<Node> nodes = remote.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList();
            assertEquals(1, nodes.size());
            assertEquals(self.getId(), nodes.get(0).getId());
            ControlException e = assertThrows(ControlException.class,
                    () -> remote.getNode(GetNodeRequest.newBuilder().setId("zzzz-unknown").build()));
            assertEquals(ControlException.Code.NOT_FOUND, e.code());
            assertEquals("No such node: zzzz-unknown", e.getMessage());
        }
    }
}
