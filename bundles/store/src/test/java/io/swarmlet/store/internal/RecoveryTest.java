package io.swarmlet.store.internal;

import static io.swarmlet.store.internal.TestSupport.await;
import static io.swarmlet.store.internal.TestSupport.config;
import static io.swarmlet.store.internal.TestSupport.node;
import static io.swarmlet.store.internal.TestSupport.service;
import static io.swarmlet.store.internal.TestSupport.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.testing.FreePorts;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.StoreObject;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots, restarts and the start-up failures that must leave the state dir alone. */
class RecoveryTest {

    @TempDir
    Path stateDir;

    private final List<ReplicatedStore> open = new ArrayList<>();
    private int port;

    @AfterEach
    void closeAll() {
        open.forEach(ReplicatedStore::close);
    }

    private ReplicatedStore start(StoreConfig config) throws Exception {
        return start(TestSupport.node(stateDir, port()), config);
    }

    private ReplicatedStore start(TestSupport.TestNode node, StoreConfig config) throws Exception {
        ReplicatedStore store = new ReplicatedStore(node, config, null);
        open.add(store);
        store.start();
        return store;
    }

    private int port() throws IOException {
        if (port == 0) {
            port = FreePorts.next();
        }
        return port;
    }

    /** Some creates, updates and deletes over a few transactions. */
    private static void writeSome(ReplicatedStore store, String prefix, int n) {
        for (int i = 0; i < n; i++) {
            String id = prefix + i;
            store.update(tx -> {
                tx.create(Kind.SERVICE, service(id, "name-" + id));
                tx.create(Kind.TASK, task(id + "-t", id));
            });
        }
        for (int i = 0; i < n; i += 3) {
            String id = prefix + i;
            Service s = store.view(r -> r.get(Kind.SERVICE, id).orElseThrow());
            store.update(tx -> tx.update(Kind.SERVICE, s.toBuilder().setSpecVersion(s.getSpecVersion() + 1).build()));
        }
        for (int i = 1; i < n; i += 4) {
            String id = prefix + i + "-t";
            store.update(tx -> tx.delete(Kind.TASK, id));
        }
    }

    private static List<StoreObject> contents(ReplicatedStore store) {
        return store.memory().dump().objects();
    }

    /** The group's storage: current/ holds the log, sm/ the snapshots. */
    private Path groupDir(ReplicatedStore store) {
        return store.raftDir().resolve(store.groupUuid().toString());
    }

    private static List<Path> snapshots(Path group) throws IOException {
        Path sm = group.resolve("sm");
        if (!Files.isDirectory(sm)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(sm)) {
            return files.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")).sorted().toList();
        }
    }

    @Test
    void snapshotThenMoreWritesThenRestartRecoversEverything() throws Exception {
        ReplicatedStore store = start(config());
        writeSome(store, "a", 30);
        long snapshotIndex = store.snapshotNow();
        assertTrue(snapshotIndex > 0);
        List<Path> snaps = snapshots(groupDir(store));
        assertEquals(1, snaps.size());
        assertTrue(snaps.get(0).getFileName().toString().endsWith("_" + snapshotIndex));
        writeSome(store, "b", 20); // after the snapshot: only in the log
        List<StoreObject> before = contents(store);
        long indexBefore = store.memory().index();
        store.close();

        ReplicatedStore again = start(config());
        assertEquals(before, again.memory().dump().objects(), "same objects, same versions and times");
        assertTrue(again.memory().index() >= indexBefore);
        // and it goes on from there
        Service a0 = again.view(r -> r.get(Kind.SERVICE, "a0").orElseThrow());
        long i = again.update(tx -> tx.update(Kind.SERVICE, a0.toBuilder().setSpecVersion(99).build()));
        assertTrue(i > indexBefore);
    }

    @Test
    void restartWithoutSnapshotReplaysTheLog() throws Exception {
        ReplicatedStore store = start(config());
        writeSome(store, "a", 25);
        List<StoreObject> before = contents(store);
        Path group = groupDir(store);
        store.close();
        assertTrue(snapshots(group).isEmpty(), "no snapshot was taken");

        ReplicatedStore again = start(config());
        assertEquals(before, contents(again));
    }

    @Test
    void snapshotsAreTakenAutomaticallyAndOldOnesDeleted() throws Exception {
        ReplicatedStore store = start(config().withSnapshotThreshold(20));
        writeSome(store, "a", 40); // about 80 entries
        Path group = groupDir(store);
        await("an automatic snapshot", Duration.ofSeconds(30), () -> {
            try {
                return !snapshots(group).isEmpty();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        writeSome(store, "b", 40);
        await("old snapshots to be deleted", Duration.ofSeconds(30), () -> {
            try {
                return snapshots(group).size() <= 2;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        List<StoreObject> before = contents(store);
        store.close();
        ReplicatedStore again = start(config());
        assertEquals(before, contents(again));
    }

    @Test
    void garbledLastLogEntryStopsTheStartAndTouchesNothing() throws Exception {
        corruptLastEntryAndExpectFailure(false);
    }

    @Test
    void truncatedLastLogEntryStopsTheStartAndTouchesNothing() throws Exception {
        corruptLastEntryAndExpectFailure(true);
    }

    private void corruptLastEntryAndExpectFailure(boolean truncate) throws Exception {
        ReplicatedStore store = start(config());
        writeSome(store, "a", 10);
        Path current = groupDir(store).resolve("current");
        Path raftDir = store.raftDir();
        store.close();

        Path segment;
        try (Stream<Path> files = Files.list(current)) {
            segment = files.filter(p -> p.getFileName().toString().startsWith("log_inprogress_")).findFirst()
                    .orElseThrow(() -> new AssertionError("no open log segment in " + current));
        }
        long intactLast = RaftStorageCheck.checkLog(raftDir, current);
        byte[] data = Files.readAllBytes(segment);
        int end = data.length - 1;
        while (data[end] == 0) {
            end--;
        }
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            if (truncate) {
                f.setLength(end - 2); // cut into the last entry
            } else {
                f.seek(end);
                f.write(~data[end] & 0xff); // flip the last written byte: a checksum mismatch
            }
        }
        Map<String, String> files = digests(stateDir);

        StartupException e = assertThrows(StartupException.class, () -> start(config()));
        String m = e.getMessage();
        assertTrue(m.startsWith("raft log in " + raftDir + " is corrupt ("), m);
        assertTrue(m.contains("entry at index " + intactLast + " in " + segment.getFileName() + " is unreadable"), m);
        assertTrue(m.contains(truncate ? "cut short" : "checksum mismatch"), m);
        assertTrue(m.endsWith("; restore the state dir from a backup or remove it to start a new cluster"), m);
        assertFalse(m.contains("\n"), "one line");
        assertEquals(files, digests(stateDir), "the state dir is left exactly as it was");
    }

    @Test
    void corruptSnapshotStopsTheStart() throws Exception {
        ReplicatedStore store = start(config());
        writeSome(store, "a", 5);
        store.snapshotNow();
        Path snapshot = snapshots(groupDir(store)).get(0);
        store.close();
        try (RandomAccessFile f = new RandomAccessFile(snapshot.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(~b & 0xff);
        }
        StartupException e = assertThrows(StartupException.class, () -> start(config()));
        assertTrue(e.getMessage().startsWith("raft snapshot " + snapshot + " is unreadable ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("restore the state dir from a backup or remove it to start a new cluster"));
    }

    @Test
    void stateDirOfAnotherClusterIsRefused() throws Exception {
        ReplicatedStore store = start(config());
        writeSome(store, "a", 2);
        store.close();
        Map<String, String> files = digests(stateDir);

        TestSupport.TestNode other = new TestSupport.TestNode("node0000000000000000000001",
                "othercluster00000000000001", stateDir, "127.0.0.1:" + port());
        StartupException e = assertThrows(StartupException.class, () -> start(other, config()));
        assertTrue(e.getMessage().startsWith("the state dir holds the raft log of another cluster (raft group "
                + store.groupUuid()), e.getMessage());
        assertTrue(e.getMessage().contains("cluster othercluster00000000000001 is raft group "
                + ReplicatedStore.groupId("othercluster00000000000001")), e.getMessage());
        assertEquals(files, digests(stateDir));
    }

    @Test
    void raftPortInUseIsReportedBeforeTheStorageIsTouched() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            TestSupport.TestNode n = node(stateDir, taken.getLocalPort());
            StartupException e = assertThrows(StartupException.class, () -> start(n, config()));
            assertTrue(e.getMessage().startsWith("raft address " + n.raftAddr() + " is already in use ("),
                    e.getMessage());
            assertFalse(Files.exists(stateDir.resolve("raft")), "nothing formatted");
        }
    }

    @Test
    void storageInUseByAnotherStoreIsRefused() throws Exception {
        ReplicatedStore first = start(config());
        writeSome(first, "a", 2);
        TestSupport.TestNode second = node(stateDir, FreePorts.next());
        StartupException e = assertThrows(StartupException.class, () -> start(second, config()));
        assertEquals("raft storage " + first.raftDir() + " is locked by another process; stop the other swarmletd"
                + " that uses this state dir, or use another state dir", e.getMessage());
        assertEquals(2, first.view(r -> r.all(Kind.SERVICE)).size(), "the first store is unharmed");
        writeSome(first, "b", 1);
    }

    /** Every file below {@code dir} with the SHA-256 of its bytes. */
    static Map<String, String> digests(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                byte[] d = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
                out.put(dir.relativize(p).toString(), HexFormat.of().formatHex(d));
            }
        }
        return out;
    }
}
