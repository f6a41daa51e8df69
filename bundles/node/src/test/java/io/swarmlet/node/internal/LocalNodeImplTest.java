package io.swarmlet.node.internal;

import static org.junit.jupiter.api.Assertions.*;

import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.TokenFormat;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalNodeImplTest {

    @TempDir
    Path dir;

    private LocalNodeImpl start(Map<String, String> props) {
        LocalNodeImpl n = new LocalNodeImpl();
        n.configure(props::get);
        return n;
    }

    @Test
    void identityIsCreatedOnceAndKept() {
        Map<String, String> props = new HashMap<>();
        props.put(LocalNodeImpl.STATE_DIR, dir.toString());
        props.put(LocalNodeImpl.HOSTNAME, "mgmt-01");
        LocalNodeImpl first = start(props);
        assertTrue(first.bootstrapped());
        assertTrue(first.nodeId().matches("[0-9a-z]{25}"));
        assertNotEquals(first.nodeId(), first.clusterId());
        assertEquals("mgmt-01", first.hostname());
        assertEquals(dir.resolve("swarmletd.sock"), first.controlSocket());

        LocalNodeImpl again = start(props);
        assertFalse(again.bootstrapped());
        assertEquals(first.nodeId(), again.nodeId());
        assertEquals(first.clusterId(), again.clusterId());
    }

    @Test
    void addressesDefaultFromTheRemoteApi() {
        Map<String, String> props = new HashMap<>();
        props.put(LocalNodeImpl.STATE_DIR, dir.toString());
        props.put(LocalNodeImpl.REMOTE_ADDR, "127.0.0.1:5000");
        LocalNodeImpl n = start(props);
        assertEquals("127.0.0.1:5001", n.raftAddr());
        assertEquals("127.0.0.1:5000", n.advertiseAddr());
        props.put(LocalNodeImpl.RAFT_ADDR, "127.0.0.1:7000");
        props.put(LocalNodeImpl.ADVERTISE_ADDR, "10.1.2.3:5000");
        LocalNodeImpl m = start(props);
        assertEquals("127.0.0.1:7000", m.raftAddr());
        assertEquals("10.1.2.3:5000", m.advertiseAddr());
    }

    @Test
    void damagedIdentityIsAClearError() throws Exception {
        Files.writeString(dir.resolve(LocalNodeImpl.IDENTITY_FILE), "node.id=\n");
        Map<String, String> props = Map.of(LocalNodeImpl.STATE_DIR, dir.toString());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> start(props));
        assertTrue(e.getMessage().contains("damaged"), e.getMessage());
        assertEquals("node.id=\n", Files.readString(dir.resolve(LocalNodeImpl.IDENTITY_FILE)), "left as it was");
    }

    @Test
    void unusableStateDirIsAClearError() throws Exception {
        Path file = dir.resolve("not-a-dir");
        Files.writeString(file, "x");
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> start(Map.of(LocalNodeImpl.STATE_DIR, file.toString())));
        assertTrue(e.getMessage().startsWith("cannot use state dir"), e.getMessage());
    }

    @Test
    void newClusterHasDefaultsAndTwoDistinctTokens() {
        byte[] rootDer = "not really DER, any bytes are hashed".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Cluster c = ClusterBootstrap.newCluster("c1", rootDer, java.time.Duration.ofSeconds(1), java.time.Duration.ofDays(90));
        assertEquals("default", c.getSpec().getAnnotations().getName());
        assertEquals(5, c.getSpec().getOrchestration().getTaskHistoryRetentionLimit());
        assertEquals(1000, c.getSpec().getDispatcher().getHeartbeatPeriodMs());
        String digest = TokenFormat.caDigest(rootDer);
        assertEquals(digest, c.getRootCa().getCaCertHash());
        assertTrue(c.getRootCa().getCaCert().toStringUtf8().startsWith("-----BEGIN CERTIFICATE-----\n"));
        assertTrue(c.getJoinTokens().getWorker().startsWith("SWMTKN-1-" + digest + "-"));
        assertTrue(c.getJoinTokens().getManager().matches("SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}"));
        assertNotEquals(c.getJoinTokens().getWorker(), c.getJoinTokens().getManager());
    }
}
