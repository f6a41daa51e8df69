package io.swarmlet.store.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.thirdparty.com.google.protobuf.CodedInputStream;

/**
 * Looks at the Raft storage before Ratis is let near it, reading only: is it a
 * directory we may use, does it belong to this cluster's Raft group, and is the
 * log intact. Ratis itself would repair some damage it finds (it cuts a log
 * segment after a partly written last entry, deletes empty segments) or fail
 * with a stack trace; here any damage stops the start with a one-line message
 * and leaves every file as it was, for the operator to decide.
 *
 * <p>Log segment format (Ratis' {@code SegmentedRaftLogFormat}): the 8-byte
 * header {@code RaftLog1}, then per entry a varint32 length n, n bytes of
 * {@code LogEntryProto} and a big-endian CRC32C of the varint and the entry;
 * then zero bytes (preallocated space) to the end of the file. Closed segments
 * are named {@code log_<first>-<last>}, the open one {@code log_inprogress_<first>}.
 */
final class RaftStorageCheck {

    private static final byte[] HEADER = "RaftLog1".getBytes(StandardCharsets.US_ASCII);
    private static final Pattern CLOSED = Pattern.compile("log_(\\d+)-(\\d+)");
    private static final Pattern OPEN = Pattern.compile("log_inprogress_(\\d+)(?:\\..*)?");
    private static final String RESTORE = "restore the state dir from a backup or remove it to start a new cluster";

    private RaftStorageCheck() {}

    /**
     * Checks {@code raftDir} for the group {@code groupId}.
     *
     * @return true if the group's storage exists (recover it), false if it must be formatted
     * @throws StartupException with the one-line message when the storage cannot be used
     */
    static boolean check(Path raftDir, UUID groupId, String clusterId) throws StartupException {
        if (!Files.exists(raftDir)) {
            return false;
        }
        if (!Files.isDirectory(raftDir)) {
            throw new StartupException("raft storage " + raftDir + " is not a directory; move it away or fix the state dir");
        }
        if (!Files.isReadable(raftDir) || !Files.isWritable(raftDir) || !Files.isExecutable(raftDir)) {
            throw new StartupException("cannot read and write the raft storage " + raftDir
                    + " (permission denied); give the daemon's user access to the state dir");
        }
        boolean ours = false;
        List<String> others = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(raftDir, Files::isDirectory)) {
            for (Path d : dirs) {
                String name = d.getFileName().toString();
                UUID id;
                try {
                    id = UUID.fromString(name);
                } catch (IllegalArgumentException e) {
                    continue; // not a group directory (Ratis ignores it too)
                }
                if (id.equals(groupId)) {
                    ours = true;
                } else {
                    others.add(name);
                }
            }
        } catch (IOException e) {
            throw unreadable(raftDir, e);
        }
        if (!others.isEmpty()) {
            throw new StartupException("the state dir holds the raft log of another cluster (raft group "
                    + String.join(", ", others) + " in " + raftDir + ", but cluster " + clusterId
                    + " is raft group " + groupId + "); start with that cluster's identity or use another state dir");
        }
        if (!ours) {
            return false;
        }
        Path group = raftDir.resolve(groupId.toString());
        Path current = group.resolve("current");
        if (!Files.exists(current.resolve("raft-meta"))) {
            // Ratis formats a group directory that holds nothing yet (a first start that stopped
            // early); anything more without its raft-meta is damage, not for us to paper over
            if (!isEmpty(current) || !isEmpty(group.resolve("sm"))) {
                throw new StartupException("raft storage " + group + " is incomplete (" + current.resolve("raft-meta")
                        + " is missing); " + RESTORE);
            }
            return true;
        }
        checkLog(raftDir, current);
        return true;
    }

    /**
     * The number of members in the last configuration the group applied
     * ({@code current/raft-meta.conf}, which Ratis writes when it applies a
     * configuration entry); 1 when there is none.
     */
    static int lastConfigurationSize(Path groupDir) {
        Path file = groupDir.resolve("current").resolve("raft-meta.conf");
        if (!Files.exists(file)) {
            return 1;
        }
        try (InputStream in = Files.newInputStream(file)) {
            var conf = LogEntryProto.parseFrom(in).getConfigurationEntry();
            return Math.max(1, Math.max(conf.getPeersCount(), conf.getOldPeersCount()));
        } catch (IOException e) {
            return 1;
        }
    }

    private static boolean isEmpty(Path dir) throws StartupException {
        if (!Files.isDirectory(dir)) {
            return true;
        }
        // raft-meta.tmp is a format that never finished: Ratis deletes it itself
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir,
                p -> !p.getFileName().toString().equals("raft-meta.tmp"))) {
            return !entries.iterator().hasNext();
        } catch (IOException e) {
            throw unreadable(dir, e);
        }
    }

    /** An I/O failure while reading the storage: permissions, or the disk. */
    private static StartupException unreadable(Path path, IOException e) {
        if (e instanceof AccessDeniedException) {
            return new StartupException("cannot read " + path + " (permission denied);"
                    + " give the daemon's user access to the state dir", e);
        }
        return new StartupException("cannot read " + path + " (" + e + "); check the disk, or " + RESTORE, e);
    }

    private record Segment(Path path, long start, long end, boolean open) {}

    /**
     * Reads every log segment and checks that the entries are whole, their
     * checksums right and their indexes consecutive.
     *
     * @return the index of the last entry, or -1 if the log is empty
     */
    static long checkLog(Path raftDir, Path current) throws StartupException {
        return readLog(raftDir, current, e -> { });
    }

    /**
     * Like {@link #checkLog}, and hands every entry, in index order, to {@code visitor}
     * (used by --force-new-cluster to rebuild the state from the local log).
     */
    static long readLog(Path raftDir, Path current, Consumer<LogEntryProto> visitor) throws StartupException {
        List<Segment> segments = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(current, Files::isRegularFile)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                Matcher m = CLOSED.matcher(name);
                if (m.matches()) {
                    segments.add(new Segment(f, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), false));
                    continue;
                }
                m = OPEN.matcher(name);
                if (m.matches()) {
                    segments.add(new Segment(f, Long.parseLong(m.group(1)), -1, true));
                }
            }
        } catch (IOException e) {
            throw unreadable(current, e);
        } catch (NumberFormatException e) {
            throw corrupt(raftDir, "a log segment name holds an index that is out of range (" + e.getMessage() + ")");
        }
        segments.sort(Comparator.comparingLong(Segment::start));
        long last = -1;
        for (Segment s : segments) {
            if (last >= 0 && s.start() != last + 1) {
                throw corrupt(raftDir, "segment " + s.path().getFileName() + " starts at index " + s.start()
                        + " but the one before it ends at " + last);
            }
            last = checkSegment(raftDir, s, last, visitor);
        }
        return last;
    }

    private static long checkSegment(Path raftDir, Segment s, long last, Consumer<LogEntryProto> visitor)
            throws StartupException {
        byte[] data;
        try {
            data = Files.readAllBytes(s.path());
        } catch (IOException e) {
            throw unreadable(s.path(), e);
        }
        String file = s.path().getFileName().toString();
        int headerMatch = 0;
        while (headerMatch < HEADER.length && headerMatch < data.length && data[headerMatch] == HEADER[headerMatch]) {
            headerMatch++;
        }
        if (headerMatch < HEADER.length) {
            // a header that was being written when the daemon stopped: only the open segment may have one
            if (s.open() && allZero(data, headerMatch, Math.min(HEADER.length, data.length))
                    && allZero(data, Math.min(HEADER.length, data.length), data.length)) {
                return last;
            }
            throw corrupt(raftDir, file + " has no valid segment header");
        }
        CRC32C crc = new CRC32C();
        int pos = HEADER.length;
        long expected = s.start();
        while (pos < data.length) {
            if (data[pos] == 0) {
                int junk = firstNonZero(data, pos, data.length);
                if (junk >= 0) {
                    throw corrupt(raftDir, "entry at index " + expected + " in " + file
                            + " is unreadable (unexpected bytes at offset " + junk + " after the last entry)");
                }
                break;
            }
            int length = 0;
            int shift = 0;
            int p = pos;
            boolean done = false;
            while (p < data.length && shift < 35) {
                byte b = data[p++];
                length |= (b & 0x7f) << shift;
                shift += 7;
                if ((b & 0x80) == 0) {
                    done = true;
                    break;
                }
            }
            if (!done) {
                throw corrupt(raftDir, "entry at index " + expected + " in " + file
                        + " is unreadable (" + (p >= data.length ? "cut short" : "bad length") + " at offset " + pos + ")");
            }
            if (length <= 0 || (long) p + length + 4 > data.length) {
                throw corrupt(raftDir, "entry at index " + expected + " in " + file + " is unreadable ("
                        + (length <= 0 ? "bad length" : "cut short: " + (data.length - pos) + " of "
                        + (p - pos + length + 4) + " bytes") + " at offset " + pos + ")");
            }
            crc.reset();
            crc.update(data, pos, p - pos + length);
            int stored = ((data[p + length] & 0xff) << 24) | ((data[p + length + 1] & 0xff) << 16)
                    | ((data[p + length + 2] & 0xff) << 8) | (data[p + length + 3] & 0xff);
            if ((int) crc.getValue() != stored) {
                throw corrupt(raftDir, "entry at index " + expected + " in " + file
                        + " is unreadable (checksum mismatch at offset " + pos + ")");
            }
            LogEntryProto entry;
            try {
                entry = LogEntryProto.parseFrom(CodedInputStream.newInstance(data, p, length));
            } catch (IOException e) {
                throw corrupt(raftDir, "entry at index " + expected + " in " + file
                        + " is unreadable (" + e.getMessage() + ")");
            }
            long index = entry.getIndex();
            if (index != expected) {
                throw corrupt(raftDir, file + " holds index " + index + " where index " + expected + " belongs");
            }
            visitor.accept(entry);
            last = index;
            expected = index + 1;
            pos = p + length + 4;
        }
        if (!s.open() && last != s.end()) {
            throw corrupt(raftDir, file + " ends at index " + last + " but its name says " + s.end());
        }
        return last;
    }

    private static StartupException corrupt(Path raftDir, String what) {
        return new StartupException("raft log in " + raftDir + " is corrupt (" + what + "); " + RESTORE);
    }

    private static boolean allZero(byte[] data, int from, int to) {
        return firstNonZero(data, from, to) < 0;
    }

    private static int firstNonZero(byte[] data, int from, int to) {
        for (int i = from; i < to; i++) {
            if (data[i] != 0) {
                return i;
            }
        }
        return -1;
    }
}
