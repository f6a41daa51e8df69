package io.swarmlet.agent.internal;

import com.google.protobuf.ByteString;
import io.swarmlet.api.dispatcher.Assignments;
import io.swarmlet.api.types.ConfigReference;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.PayloadTargets;
import io.swarmlet.api.types.PayloadValue;
import io.swarmlet.api.types.SecretReference;
import io.swarmlet.api.types.Task;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Where this node's tasks find their secrets and configs: one file per
 * reference, bind-mounted read-only at the reference's target.
 *
 * <ul>
 * <li>Secrets: {@code <state>/secrets/<taskId>/<secretId>.<version>}, on a tmpfs
 *     the agent mounts there at activation ({@code mount -t tmpfs -o mode=0700,size=64m})
 *     unless it is memory-backed already; when it cannot mount (not root), a
 *     directory under {@code /dev/shm}; when neither is memory-backed, tasks with
 *     secrets are rejected: nothing secret is written to a disk.</li>
 * <li>Configs: {@code <state>/configs/<taskId>/<configId>.<version>}.</li>
 * </ul>
 *
 * The values come from the latest assignments only ({@link Delivered}, in
 * memory), which hold exactly what this node's tasks reference. A task's files
 * are written just before its container is created (and again, if missing,
 * before it starts), with the reference's uid, gid and mode, and deleted when
 * the task reaches a terminal state or leaves the node. Deactivation deletes
 * every file and unmounts the tmpfs ({@code umount -l}): a running container
 * keeps its own bind mounts, so adoption needs no file. Never logs a value.
 */
final class PayloadFiles {

    private static final Logger LOG = LogManager.getLogger(PayloadFiles.class);

    static final int DEFAULT_MODE = 0444;
    static final String TMPFS_OPTIONS = "mode=0700,size=64m";
    static final String NOT_MEMORY_BACKED = "secrets need memory-backed storage: ";
    private static final Set<String> MEMORY_FS = Set.of("tmpfs", "ramfs");
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    /** A task that cannot get its files: it is REJECTED with this message (never a value). */
    static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;

        Rejected(String message) {
            super(message);
        }
    }

    /**
     * The values of the latest assignments, by {@code id@version}: kept in memory
     * only, replaced with every new set. {@code toString} prints no value.
     */
    record Delivered(Map<String, PayloadValue> secrets, Map<String, PayloadValue> configs) {
        static final Delivered NONE = new Delivered(Map.of(), Map.of());

        static Delivered of(Assignments a) {
            if (a.secrets().isEmpty() && a.configs().isEmpty()) {
                return NONE;
            }
            return new Delivered(index(a.secrets()), index(a.configs()));
        }

        private static Map<String, PayloadValue> index(List<PayloadValue> list) {
            Map<String, PayloadValue> m = new HashMap<>();
            for (PayloadValue v : list) {
                m.put(key(v.getId(), v.getVersion()), v);
            }
            return Map.copyOf(m);
        }

        @Override
        public String toString() {
            return "Delivered[secrets=" + secrets.keySet() + ", configs=" + configs.keySet() + "]";
        }
    }

    static String key(String id, long version) {
        return id + "@" + version;
    }

    private final Path stateDir;
    private final Path configsDir;
    private final Path shmBase;
    private final String nodeId;
    private final boolean mayMount;

    // guarded by this
    private Path secretsDir;
    /** The tmpfs at {@link #secretsDir} is this agent's to unmount. */
    private boolean mounted;
    /** Why secrets cannot be written (null: they can). */
    private String notMemoryBacked;

    PayloadFiles(Path stateDir, String nodeId) {
        this(stateDir, nodeId, Path.of("/dev/shm"), true);
    }

    /** For tests: the fallback's base directory, and whether to try mounting at all. */
    PayloadFiles(Path stateDir, String nodeId, Path shmBase, boolean mayMount) {
        this.stateDir = stateDir.toAbsolutePath(); // bind mount sources are absolute
        this.configsDir = this.stateDir.resolve("configs");
        this.shmBase = shmBase;
        this.nodeId = nodeId;
        this.mayMount = mayMount;
        this.secretsDir = this.stateDir.resolve("secrets");
    }

    /** At activation: a memory-backed secrets directory, and no file left by an earlier run. */
    synchronized void open() {
        Path dir = stateDir.resolve("secrets");
        String why;
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, OWNER_ONLY);
            Mounts.Entry at = Mounts.of(dir);
            if (at != null && MEMORY_FS.contains(at.type())) {
                secretsDir = dir;
                // our own mount point (left by a daemon that did not stop cleanly) is ours to unmount
                mounted = at.mountPoint().equals(dir.toRealPath());
                clean();
                return;
            }
            why = mayMount ? mount(dir) : "mounting is turned off";
            if (why == null) {
                secretsDir = dir;
                mounted = true;
                LOG.info("secrets of this node's tasks go to the tmpfs at {}", dir);
                clean();
                return;
            }
        } catch (IOException | RuntimeException e) {
            why = e.toString();
        }
        Path fallback = shmBase.resolve("swarmlet-" + nodeId).resolve("secrets");
        try {
            Mounts.Entry shm = Files.isDirectory(shmBase) ? Mounts.of(shmBase) : null;
            if (shm != null && MEMORY_FS.contains(shm.type())) {
                Files.createDirectories(fallback);
                Files.setPosixFilePermissions(fallback.getParent(), OWNER_ONLY);
                Files.setPosixFilePermissions(fallback, OWNER_ONLY);
                secretsDir = fallback;
                LOG.warn("cannot mount a tmpfs at {} ({}): the secrets of this node's tasks go to {} instead", dir,
                        why, fallback);
                clean();
                return;
            }
            why = why + "; " + shmBase + " is not a tmpfs either";
        } catch (IOException | RuntimeException e) {
            why = why + "; " + fallback + ": " + e;
        }
        secretsDir = dir;
        notMemoryBacked = "no tmpfs at " + dir + " (" + why + "); run the daemon as root, or give it a tmpfs there";
        LOG.warn("tasks with secrets will be rejected on this node: {}", NOT_MEMORY_BACKED + notMemoryBacked);
        try {
            clean();
        } catch (RuntimeException e) {
            LOG.debug("cleaning {}: {}", configsDir, e.toString());
        }
    }

    /** At deactivation: every file removed, then the tmpfs unmounted. Containers keep their bind mounts. */
    synchronized void close() {
        clean();
        if (mounted) {
            String failure = run(List.of("umount", "-l", secretsDir.toString()));
            if (failure != null) {
                LOG.warn("cannot unmount the secrets tmpfs at {}: {}", secretsDir, failure);
            }
            mounted = false;
        }
    }

    /** The secrets directory in use (tests). */
    synchronized Path secretsDir() {
        return secretsDir;
    }

    Path configsDir() {
        return configsDir;
    }

    /** Whether this agent mounted (and will unmount) the tmpfs (tests). */
    synchronized boolean mounted() {
        return mounted;
    }

    /** Whether a task references secrets or configs. */
    static boolean needsFiles(Task t) {
        ContainerSpec c = t.getSpec().getContainer();
        return c.getSecretsCount() > 0 || c.getConfigsCount() > 0;
    }

    /**
     * The task as the executor gets it: one read-only bind mount per reference
     * (source = its file, target = the reference's), whether the files exist or
     * not (an adopted container has its own mounts already).
     */
    synchronized Task withMounts(Task t) {
        if (!needsFiles(t)) {
            return t;
        }
        Task.Builder b = t.toBuilder();
        ContainerSpec.Builder c = b.getSpecBuilder().getContainerBuilder();
        for (int i = 0; i < c.getSecretsCount(); i++) {
            SecretReference r = c.getSecrets(i);
            c.addMounts(Mount.newBuilder().setType(Mount.Type.BIND).setReadOnly(true)
                    .setSource(secretFile(t.getId(), i, r).toString()).setTarget(PayloadTargets.secret(r)));
        }
        for (int i = 0; i < c.getConfigsCount(); i++) {
            ConfigReference r = c.getConfigs(i);
            c.addMounts(Mount.newBuilder().setType(Mount.Type.BIND).setReadOnly(true)
                    .setSource(configFile(t.getId(), i, r).toString()).setTarget(PayloadTargets.config(r)));
        }
        return b.build();
    }

    /**
     * Writes the task's files from the delivered values.
     *
     * @param onlyMissing keep the files there are (before a start: the container was created with them)
     * @throws Rejected when a value was not delivered, or secrets have no memory-backed place here
     * @throws IOException when a file cannot be written (the message names paths, never values)
     */
    synchronized void write(Task t, Delivered delivered, boolean onlyMissing) throws Rejected, IOException {
        if (!needsFiles(t)) {
            return;
        }
        ContainerSpec c = t.getSpec().getContainer();
        // everything is checked before anything is written
        String taskId = safe("task", t.getId());
        if (c.getSecretsCount() > 0 && notMemoryBacked != null) {
            throw new Rejected(NOT_MEMORY_BACKED + notMemoryBacked);
        }
        for (SecretReference r : c.getSecretsList()) {
            safe("secret", r.getSecretId());
            if (!delivered.secrets().containsKey(key(r.getSecretId(), r.getVersion()))) {
                throw new Rejected("secret " + r.getSecretName() + " (" + r.getSecretId() + ") was not delivered to"
                        + " this node");
            }
        }
        for (ConfigReference r : c.getConfigsList()) {
            safe("config", r.getConfigId());
            if (!delivered.configs().containsKey(key(r.getConfigId(), r.getVersion()))) {
                throw new Rejected("config " + r.getConfigName() + " (" + r.getConfigId() + ") was not delivered to"
                        + " this node");
            }
        }
        for (int i = 0; i < c.getSecretsCount(); i++) {
            SecretReference r = c.getSecrets(i);
            writeFile(taskId, secretFile(taskId, i, r),
                    delivered.secrets().get(key(r.getSecretId(), r.getVersion())).getData(),
                    r.getUid(), r.getGid(), r.getMode(), "secret " + r.getSecretName(), onlyMissing);
        }
        for (int i = 0; i < c.getConfigsCount(); i++) {
            ConfigReference r = c.getConfigs(i);
            writeFile(taskId, configFile(taskId, i, r),
                    delivered.configs().get(key(r.getConfigId(), r.getVersion())).getData(),
                    r.getUid(), r.getGid(), r.getMode(), "config " + r.getConfigName(), onlyMissing);
        }
    }

    /** Deletes the task's files (a terminal state, or the task left the node); quiet when there are none. */
    synchronized void remove(String taskId) {
        if (!SAFE_ID.matcher(taskId).matches()) {
            return;
        }
        delete(secretsDir.resolve(taskId));
        delete(configsDir.resolve(taskId));
    }

    // ------------------------------------------------------------ files

    /**
     * One file per reference (the {@code index}-th of the task's secrets): two references to
     * the same version may want other owners or modes.
     */
    private Path secretFile(String taskId, int index, SecretReference r) {
        return secretsDir.resolve(taskId).resolve(r.getSecretId() + "." + r.getVersion() + "." + index);
    }

    private Path configFile(String taskId, int index, ConfigReference r) {
        return configsDir.resolve(taskId).resolve(r.getConfigId() + "." + r.getVersion() + "." + index);
    }

    private void writeFile(String taskId, Path file, ByteString data, String uid, String gid, int mode, String what,
                           boolean onlyMissing) throws IOException {
        if (onlyMissing && Files.exists(file)) {
            return;
        }
        Path dir = file.getParent();
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, OWNER_ONLY);
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (var out = Files.newOutputStream(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            data.writeTo(out);
        }
        owner(file, "uid", uid, taskId, what);
        owner(file, "gid", gid, taskId, what);
        Files.setPosixFilePermissions(file, permissions(mode == 0 ? DEFAULT_MODE : mode));
    }

    /** Sets the file's uid or gid when it is numeric; a name cannot be resolved here: kept 0, with a warning. */
    private static void owner(Path file, String attr, String value, String taskId, String what) throws IOException {
        if (value.isEmpty() || value.equals("0")) {
            return;
        }
        int id;
        try {
            id = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            LOG.warn("task {}: the file of {} keeps {} 0: \"{}\" is not numeric (names are not resolved on the node)",
                    taskId, what, attr, value);
            return;
        }
        try {
            Files.setAttribute(file, "unix:" + attr, id);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            LOG.warn("task {}: the file of {} keeps {} 0: cannot set it to {} ({})", taskId, what, attr, id,
                    e.toString());
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> p = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
        };
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                p.add(bits[i]);
            }
        }
        return p;
    }

    private static String safe(String what, String id) throws Rejected {
        if (!SAFE_ID.matcher(id).matches()) {
            throw new Rejected("invalid " + what + " ID \"" + id + "\"");
        }
        return id;
    }

    /** Removes every task's files (activation, deactivation). */
    private void clean() {
        for (Path base : List.of(secretsDir, configsDir)) {
            if (!Files.isDirectory(base)) {
                continue;
            }
            try (Stream<Path> children = Files.list(base)) {
                children.forEach(PayloadFiles::delete);
            } catch (IOException e) {
                LOG.warn("cannot clean {}: {}", base, e.toString());
            }
        }
    }

    private static void delete(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> all = Files.walk(path)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (NoSuchFileException gone) {
                    // removed meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot delete {}: {}", path, e.toString());
        }
    }

    // ------------------------------------------------------------ mounting

    /** Mounts a tmpfs at {@code dir}; null when it worked, else why not. */
    private static String mount(Path dir) throws IOException {
        String failure = run(List.of("mount", "-t", "tmpfs", "-o", TMPFS_OPTIONS, "tmpfs", dir.toString()));
        if (failure != null) {
            return failure;
        }
        Mounts.Entry now = Mounts.of(dir);
        if (now == null || !MEMORY_FS.contains(now.type())) {
            return "mount said it mounted a tmpfs at " + dir + ", but /proc/mounts does not show it";
        }
        return null;
    }

    /** Runs a command; null when it exited 0, else its output (or why it could not run). */
    private static String run(List<String> command) {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return String.join(" ", command) + ": " + e.getMessage();
        }
        try (InputStream in = p.getInputStream()) {
            p.getOutputStream().close();
            byte[] out = in.readNBytes(4096);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return String.join(" ", command) + ": timed out";
            }
            if (p.exitValue() != 0) {
                String text = new String(out, StandardCharsets.UTF_8).strip();
                return String.join(" ", command) + " exited with " + p.exitValue() + (text.isEmpty() ? "" : ": " + text);
            }
            return null;
        } catch (IOException e) {
            return String.join(" ", command) + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return String.join(" ", command) + ": interrupted";
        }
    }

    /** The file system a path is on, from {@code /proc/mounts}. */
    static final class Mounts {

        record Entry(Path mountPoint, String type) {}

        private Mounts() {}

        /** The mount that holds {@code path} (the longest mount point above it, the latest of equals); null if unknown. */
        static Entry of(Path path) throws IOException {
            Path real = path.toRealPath();
            Path procMounts = Path.of("/proc/mounts");
            if (!Files.isReadable(procMounts)) {
                return null;
            }
            Entry best = null;
            for (String line : Files.readAllLines(procMounts, StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                if (f.length < 3) {
                    continue;
                }
                Path mp;
                try {
                    mp = Path.of(unescape(f[1]));
                } catch (RuntimeException e) {
                    continue;
                }
                if (real.startsWith(mp) && (best == null || mp.getNameCount() >= best.mountPoint().getNameCount())) {
                    best = new Entry(mp, f[2]);
                }
            }
            return best;
        }

        /** /proc/mounts writes space, tab, newline and backslash as octal escapes. */
        static String unescape(String s) {
            if (s.indexOf('\\') < 0) {
                return s;
            }
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < s.length(); i++) {
                char ch = s.charAt(i);
                if (ch == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                } else {
                    b.append(ch);
                }
            }
            return b.toString();
        }
    }
}
