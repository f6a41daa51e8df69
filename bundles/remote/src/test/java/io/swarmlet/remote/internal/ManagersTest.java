package io.swarmlet.remote.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.remote.RemoteManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The managers file of the state directory. */
class ManagersTest {

    @TempDir
    Path dir;

    @Test
    void readsEveryLineFormatAndSkipsWhatIsNoAddress() throws Exception {
        Path f = dir.resolve(Managers.FILE);
        Files.writeString(f, """
                # written at join
                127.0.0.1:4242
                node0000000000000000000002 127.0.0.2:4242
                node0000000000000000000003   127.0.0.3:4242 127.0.0.3:4243

                node0000000000000000000004 10.0.0.4
                """);
        List<RemoteManager> m = Managers.read(f);
        assertEquals(List.of("127.0.0.1:4242", "127.0.0.2:4242", "127.0.0.3:4242"),
                m.stream().map(RemoteManager::getRemoteAddr).toList());
        assertEquals(List.of("", "node0000000000000000000002", "node0000000000000000000003"),
                m.stream().map(RemoteManager::getNodeId).toList());
        assertEquals("127.0.0.3:4243", m.get(2).getRaftAddr());
        assertEquals(List.of(), Managers.read(dir.resolve("missing")));
    }

    @Test
    void writesAtomicallyInTheContractsFormat() throws Exception {
        Path f = dir.resolve(Managers.FILE);
        List<RemoteManager> m = List.of(
                RemoteManager.newBuilder().setNodeId("a").setRemoteAddr("127.0.0.1:4242").setRaftAddr("127.0.0.1:4243").build(),
                RemoteManager.newBuilder().setNodeId("b").setRemoteAddr("[::1]:4244").build());
        Managers.write(f, m);
        assertEquals("a 127.0.0.1:4242 127.0.0.1:4243\nb [::1]:4244\n", Files.readString(f));
        assertEquals(m, Managers.read(f));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList(), "no temporary file left");
        }
    }

    @Test
    void onlyHostAndPortIsAnAddress() {
        assertTrue(Managers.hasPort("127.0.0.1:4242"));
        assertTrue(Managers.hasPort("[::1]:4242"));
        assertFalse(Managers.hasPort("127.0.0.1"));
        assertFalse(Managers.hasPort("[::1]"));
        assertFalse(Managers.hasPort(":4242"));
        assertFalse(Managers.hasPort("host:0"));
        assertFalse(Managers.hasPort(""));
        assertFalse(Managers.hasPort(null));
    }
}
