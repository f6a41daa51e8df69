package io.swarmlet.store.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The Raft files in the state directory besides Ratis' own storage: the join
 * request ({@code raft-join.properties}) and the old group directories moved
 * out of the way ({@code raft-old-<timestamp>}) when a manager joins afresh,
 * is forced into a new cluster or stops being a manager.
 */
final class RaftDirs {

    private static final Logger LOG = LogManager.getLogger(RaftDirs.class);

    /** Written by the launcher (join) or the ca bundle (promotion); deleted once this manager is a member. */
    static final String JOIN_FILE = "raft-join.properties";
    private static final String PEER_PREFIX = "peer.";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

    private RaftDirs() {}

    /**
     * A request to join the existing Raft group: the current members, by node ID,
     * with their Raft addresses.
     */
    record JoinRequest(Path file, Map<String, String> peers) {
        void delete() {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.warn("could not delete {} ({}); delete it by hand, or the next start joins again", file, e.toString());
            }
        }
    }

    /** The join request in {@code stateDir}, or null if there is none. */
    static JoinRequest readJoinRequest(Path stateDir) throws StartupException {
        Path file = stateDir.resolve(JOIN_FILE);
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | IllegalArgumentException e) {
            throw new StartupException("cannot read " + file + " (" + e + "); fix or remove it", e);
        }
        Map<String, String> peers = new TreeMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith(PEER_PREFIX) && key.length() > PEER_PREFIX.length()) {
                String addr = p.getProperty(key).trim();
                if (!addr.isEmpty()) {
                    peers.put(key.substring(PEER_PREFIX.length()), addr);
                }
            }
        }
        if (peers.isEmpty()) {
            throw new StartupException(file + " names no manager to join (expected peer.<nodeId>=<host:port> lines);"
                    + " fix it, or remove it to start from this manager's own raft state");
        }
        return new JoinRequest(file, Collections.unmodifiableMap(new LinkedHashMap<>(peers)));
    }

    /** Writes a join request (tests; the launcher and the ca bundle write their own). */
    static void writeJoinRequest(Path stateDir, Map<String, String> peers) throws IOException {
        StringBuilder b = new StringBuilder("# managers of the raft group this manager joins\n");
        peers.forEach((id, addr) -> b.append(PEER_PREFIX).append(id).append('=').append(addr).append('\n'));
        Files.createDirectories(stateDir);
        Files.writeString(stateDir.resolve(JOIN_FILE), b);
    }

    /**
     * Fails when another process (or another store in this JVM) holds the group
     * directory's {@code in_use.lock}, before anything moves it.
     */
    static void requireUnlocked(Path groupDir) throws StartupException {
        Path lock = groupDir.resolve("in_use.lock");
        if (!Files.exists(lock)) {
            return;
        }
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            FileLock held = channel.tryLock();
            if (held == null) {
                throw locked(groupDir, null);
            }
            held.release();
        } catch (OverlappingFileLockException e) {
            throw locked(groupDir, e);
        } catch (IOException e) {
            throw new StartupException("cannot check the lock of " + groupDir + " (" + e + ")", e);
        }
    }

    private static StartupException locked(Path groupDir, Exception cause) {
        return new StartupException("raft storage " + groupDir + " is locked by another process; stop the other"
                + " swarmletd that uses this state dir, or use another state dir", cause);
    }

    /**
     * Moves {@code dir} (a Raft group directory) to {@code <stateDir>/raft-old-<timestamp>},
     * keeping it for the operator; returns where it went.
     */
    static Path moveAway(Path stateDir, Path dir) throws IOException {
        String stamp = LocalDateTime.now().format(STAMP);
        Path target = stateDir.resolve("raft-old-" + stamp);
        for (int n = 1; Files.exists(target); n++) {
            target = stateDir.resolve("raft-old-" + stamp + "-" + n);
        }
        move(dir, target);
        return target;
    }

    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Deletes a directory tree (quietly: what cannot be deleted is logged). */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(Collections.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warn("could not delete {} ({})", p, e.toString());
                }
            });
        } catch (IOException e) {
            LOG.warn("could not delete {} ({})", dir, e.toString());
        }
    }
}
