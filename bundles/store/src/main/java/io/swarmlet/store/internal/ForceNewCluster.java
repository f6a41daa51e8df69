package io.swarmlet.store.internal;

import io.swarmlet.api.types.StoreObject;
import io.swarmlet.api.types.StoreTransaction;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Matcher;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerProto;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.util.AtomicFileOutputStream;
import org.apache.ratis.util.MD5FileUtil;

/**
 * {@code --force-new-cluster}: turns this manager's Raft state into a new
 * one-member group (this manager only) that holds all of its data, for when
 * the other managers are gone for good and the group has lost its quorum.
 *
 * <p>The store's state is rebuilt, without Ratis, from the local snapshot and
 * every entry of the local log after it (committed or not: an entry this
 * manager logged but never saw committed may have been acknowledged by a
 * leader that had it committed elsewhere; keeping it loses nothing that was
 * acknowledged, and a transaction that was not is applied as if its proposer's
 * wait had timed out, which the store's callers already allow for). That state
 * becomes the first snapshot of a new group directory, at the index and term
 * of the last log entry, with {@code raft-meta} holding the old current term:
 * Ratis starts the new log right after the snapshot and the first election
 * moves to a higher term, so log indexes (the objects' versions) and terms
 * keep growing. The new group has no configuration on disk, so its members are
 * the group the store starts it with: this manager alone.
 *
 * <p>The new directory is built under {@code <state-dir>/raft-forced/} (marked
 * complete by a {@code READY} file), then the old group directory is moved to
 * {@code <state-dir>/raft-old-<timestamp>} and the new one into its place;
 * {@link #finishInterrupted} completes the swap if the daemon stopped between
 * the two moves.
 */
final class ForceNewCluster {

    private static final Logger LOG = LogManager.getLogger(ForceNewCluster.class);

    private static final String STAGING = "raft-forced";
    private static final String READY = "READY";

    private ForceNewCluster() {}

    /**
     * Completes or discards a swap that a stopped daemon left half done. Called on
     * every start, before the storage is looked at.
     */
    static void finishInterrupted(Path stateDir, Path raftDir, UUID groupId) throws StartupException {
        Path staging = stateDir.resolve(STAGING);
        if (!Files.exists(staging)) {
            return;
        }
        Path built = staging.resolve(groupId.toString());
        Path groupDir = raftDir.resolve(groupId.toString());
        if (Files.exists(staging.resolve(READY)) && Files.isDirectory(built) && !Files.exists(groupDir)) {
            try {
                Files.createDirectories(raftDir);
                RaftDirs.move(built, groupDir);
            } catch (IOException e) {
                throw new StartupException("cannot move the raft state built by --force-new-cluster from " + built
                        + " to " + groupDir + " (" + e + "); move it by hand", e);
            }
            LOG.warn("completed an interrupted --force-new-cluster: {} is now the raft state", groupDir);
        } else {
            LOG.info("discarding {} left by an interrupted --force-new-cluster (the raft state was not replaced)",
                    staging);
        }
        RaftDirs.deleteTree(staging);
    }

    /**
     * Rebuilds the group's state as a one-member group of {@code selfId}. The group
     * directory must exist and have passed {@link RaftStorageCheck}.
     *
     * @return false when there was nothing to do (the group is already this manager alone)
     */
    static boolean rebuild(Path stateDir, Path raftDir, UUID groupId, String selfId) throws StartupException {
        Path groupDir = raftDir.resolve(groupId.toString());
        RaftDirs.requireUnlocked(groupDir);
        Path current = groupDir.resolve("current");
        MemoryStore state = new MemoryStore(1);
        long snapshotIndex = loadLatestSnapshot(groupDir.resolve("sm"), state);

        LogEntryProto[] conf = {readConfFile(current.resolve("raft-meta.conf"))};
        long[] entries = {0};
        RaftStorageCheck.readLog(raftDir, current, entry -> {
            if (entry.hasConfigurationEntry() && (conf[0] == null || entry.getIndex() >= conf[0].getIndex())) {
                conf[0] = entry;
            }
            if (entry.getIndex() <= snapshotIndex) {
                return;
            }
            entries[0]++;
            StoreTransaction tx = entry.hasStateMachineLogEntry() ? parseOrNull(entry) : null;
            if (tx != null) {
                state.apply(tx, entry.getTerm(), entry.getIndex(), () -> { });
            } else {
                state.advance(entry.getTerm(), entry.getIndex(), () -> { });
            }
        });
        if (conf[0] != null && onlySelf(conf[0].getConfigurationEntry(), selfId)) {
            LOG.info("--force-new-cluster: the raft group is already this manager alone; nothing to do");
            return false;
        }
        long term = Math.max(readTerm(current.resolve("raft-meta")), state.term());
        MemoryStore.Dump dump = state.dump();

        Path staging = stateDir.resolve(STAGING);
        RaftDirs.deleteTree(staging);
        Path built = staging.resolve(groupId.toString());
        Path moved;
        try {
            Files.createDirectories(built.resolve("current"));
            Files.createDirectories(built.resolve("sm"));
            if (dump.index() > 0) {
                File file = built.resolve("sm").resolve("snapshot." + dump.term() + "_" + dump.index()).toFile();
                StoreStateMachine.writeSnapshot(file, dump);
            }
            writeMeta(built.resolve("current").resolve("raft-meta"), term);
            Files.writeString(staging.resolve(READY), "ready\n");
            moved = RaftDirs.moveAway(stateDir, groupDir);
            RaftDirs.move(built, groupDir);
        } catch (IOException e) {
            throw new StartupException("--force-new-cluster could not rebuild the raft state in " + groupDir + " ("
                    + e + "); the old state is still in " + groupDir + " or in a raft-old-* directory of "
                    + stateDir, e);
        }
        RaftDirs.deleteTree(staging);
        LOG.warn("--force-new-cluster: rebuilt the store from {} and {} log entries after it: {} objects at index {}"
                        + " (term {}); the old raft state ({}) is kept in {}; this manager now starts a new raft group"
                        + " with itself as the only member",
                snapshotIndex < 0 ? "no snapshot" : "the local snapshot at index " + snapshotIndex, entries[0],
                dump.objects().size(), dump.index(), dump.term(),
                conf[0] == null ? "members unknown" : "members " + members(conf[0].getConfigurationEntry()), moved);
        return true;
    }

    /** Loads the newest snapshot in {@code smDir} into {@code state}; returns its index (-1 if none). */
    private static long loadLatestSnapshot(Path smDir, MemoryStore state) throws StartupException {
        Path latest = null;
        long latestIndex = -1;
        long latestTerm = 0;
        if (Files.isDirectory(smDir)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(smDir, Files::isRegularFile)) {
                for (Path f : files) {
                    Matcher m = SimpleStateMachineStorage.SNAPSHOT_REGEX.matcher(f.getFileName().toString());
                    if (m.matches()) {
                        long index = Long.parseLong(m.group(2));
                        if (index > latestIndex) {
                            latest = f;
                            latestIndex = index;
                            latestTerm = Long.parseLong(m.group(1));
                        }
                    }
                }
            } catch (IOException | NumberFormatException e) {
                throw new StartupException("cannot read the raft snapshots in " + smDir + " (" + e + ")", e);
            }
        }
        if (latest == null) {
            return -1;
        }
        try {
            MD5Hash md5 = MD5FileUtil.readStoredMd5ForFile(latest.toFile());
            List<StoreObject> objects = StoreStateMachine.readSnapshot(latest.toFile(), md5, latestTerm, latestIndex);
            state.reset(latestTerm, latestIndex, objects);
        } catch (IOException | RuntimeException e) {
            throw new StartupException("raft snapshot " + latest + " is unreadable (" + e.getMessage()
                    + "); --force-new-cluster cannot rebuild the store from it", e);
        }
        return latestIndex;
    }

    private static StoreTransaction parseOrNull(LogEntryProto entry) {
        try {
            return StoreStateMachine.parse(entry.getStateMachineLogEntry().getLogData());
        } catch (RuntimeException e) {
            return null; // refused on every replica alike (see StoreStateMachine.applyTransaction)
        }
    }

    private static LogEntryProto readConfFile(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try (InputStream in = Files.newInputStream(file)) {
            return LogEntryProto.parseFrom(in);
        } catch (IOException e) {
            LOG.warn("cannot read {} ({}); going by the log", file, e.toString());
            return null;
        }
    }

    private static boolean onlySelf(RaftConfigurationProto conf, String selfId) {
        return conf.getOldPeersCount() == 0 && conf.getPeersCount() == 1
                && conf.getPeers(0).getId().toStringUtf8().equals(selfId);
    }

    private static List<String> members(RaftConfigurationProto conf) {
        return conf.getPeersList().stream().map(RaftPeerProto::getId).map(b -> b.toStringUtf8()).toList();
    }

    private static long readTerm(Path meta) throws StartupException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(meta)) {
            p.load(in);
            return Long.parseLong(p.getProperty("term", "0").trim());
        } catch (IOException | NumberFormatException e) {
            throw new StartupException("cannot read the raft term from " + meta + " (" + e + ")", e);
        }
    }

    /** Ratis' raft-meta: a properties file with the current term and the vote (none). */
    private static void writeMeta(Path meta, long term) throws IOException {
        Properties p = new Properties();
        p.setProperty("term", Long.toString(term));
        p.setProperty("votedFor", "");
        try (BufferedWriter out = new BufferedWriter(new OutputStreamWriter(
                new AtomicFileOutputStream(meta.toFile()), StandardCharsets.UTF_8))) {
            p.store(out, "written by swarmlet --force-new-cluster");
        }
    }
}
