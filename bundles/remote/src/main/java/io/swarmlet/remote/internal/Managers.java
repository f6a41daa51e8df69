package io.swarmlet.remote.internal;

import io.swarmlet.api.remote.RemoteManager;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.RaftMembership;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The managers of the cluster as nodes reach them: read from the store (on
 * managers) and kept in {@code <state-dir>/managers} (every node), one manager
 * a line, {@code <nodeId> <remoteAddr> <raftAddr>}; a line may also be just
 * {@code <remoteAddr>} or {@code <nodeId> <remoteAddr>}.
 */
final class Managers {

    static final String FILE = "managers";

    private Managers() {}

    /** A manager's remote API address as the store has it: the node's status address, if it is host:port. */
    static String remoteAddr(Node n) {
        String a = n.getStatus().getAddr();
        return hasPort(a) ? a : null;
    }

    static boolean hasPort(String hostPort) {
        if (hostPort == null) {
            return false;
        }
        int i = hostPort.lastIndexOf(':');
        if (i <= 0 || i == hostPort.length() - 1 || hostPort.endsWith("]")) {
            return false;
        }
        try {
            int port = Integer.parseInt(hostPort.substring(i + 1));
            return port > 0 && port <= 65535;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The managers in the store (nodes with role MANAGER and a remote address), in ID order. */
    static List<RemoteManager> fromStore(Store store) {
        List<Node> nodes = store.view(tx -> tx.find(Kind.NODE, n -> n.getRole() == NodeRole.MANAGER));
        List<RemoteManager> out = new ArrayList<>();
        for (Node n : nodes) {
            String addr = remoteAddr(n);
            if (addr != null) {
                out.add(RemoteManager.newBuilder().setNodeId(n.getId()).setRemoteAddr(addr)
                        .setRaftAddr(n.getManagerStatus().getAddr()).build());
            }
        }
        out.sort(Comparator.comparing(RemoteManager::getNodeId));
        return out;
    }

    /** The leader as this manager knows it: its node ID and, if the store has it, its remote API address. */
    record Leader(String nodeId, String addr) {}

    /** The Raft leader and its remote address; null when no leader is known (or this is no manager). */
    static Leader leader(Store store, RaftMembership raft) {
        if (raft == null) {
            return null;
        }
        String id;
        try {
            id = raft.leaderId();
        } catch (RuntimeException e) {
            return null; // the store is stopping
        }
        if (id == null || id.isEmpty()) {
            return null;
        }
        String addr = null;
        if (store != null) {
            try {
                Optional<Node> n = store.view(tx -> tx.get(Kind.NODE, id));
                addr = n.map(Managers::remoteAddr).orElse(null);
            } catch (RuntimeException e) {
                addr = null;
            }
        }
        return new Leader(id, addr);
    }

    /** Reads the managers file; empty if it is missing. Lines it cannot read are skipped. */
    static List<RemoteManager> read(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<RemoteManager> out = new ArrayList<>();
        for (String line : lines) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.split("\\s+");
            RemoteManager.Builder m = RemoteManager.newBuilder();
            if (f.length == 1) {
                m.setRemoteAddr(f[0]);
            } else {
                m.setNodeId(f[0]).setRemoteAddr(f[1]);
                if (f.length > 2) {
                    m.setRaftAddr(f[2]);
                }
            }
            if (hasPort(m.getRemoteAddr())) {
                out.add(m.build());
            }
        }
        return out;
    }

    /** Replaces the managers file atomically (a reader sees the old or the new list, never a part). */
    static void write(Path file, List<RemoteManager> managers) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, FILE, ".tmp");
        try {
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (RemoteManager m : managers) {
                    w.write(m.getNodeId().isEmpty() ? m.getRemoteAddr() : m.getNodeId() + " " + m.getRemoteAddr()
                            + (m.getRaftAddr().isEmpty() ? "" : " " + m.getRaftAddr()));
                    w.write('\n');
                }
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
