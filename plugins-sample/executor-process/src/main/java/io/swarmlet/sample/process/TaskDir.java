package io.swarmlet.sample.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One task's directory, {@code <state dir>/process-executor/<task id>/}: all
 * that outlives the executor (a bundle update, a daemon restart), so a new
 * executor adopts what an earlier one started.
 *
 * <pre>
 * pid          "PID START_MILLIS" once started (the start time tells a reused PID apart)
 * exit         the exit code, once this executor saw its own child exit
 * stdout.log   the process's standard output, written by the process itself
 * stderr.log   its standard error
 * work/        its working directory when the spec names none
 * </pre>
 */
final class TaskDir {

    /** Task IDs are alphanumeric; anything else never becomes a path. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    /** What the pid file says. */
    record Started(long pid, long startMillis) {}

    final String taskId;
    final Path dir;

    TaskDir(Path root, String taskId) {
        if (!ID.matcher(taskId).matches()) {
            throw new IllegalArgumentException("invalid task ID \"" + taskId + "\"");
        }
        this.taskId = taskId;
        this.dir = root.resolve(taskId);
    }

    static boolean validId(String taskId) {
        return ID.matcher(taskId).matches();
    }

    boolean exists() {
        return Files.isDirectory(dir);
    }

    void create() throws IOException {
        Files.createDirectories(work());
    }

    Path work() {
        return dir.resolve("work");
    }

    Path stdout() {
        return dir.resolve("stdout.log");
    }

    Path stderr() {
        return dir.resolve("stderr.log");
    }

    Optional<Started> started() throws IOException {
        String s = read("pid");
        if (s == null) {
            return Optional.empty();
        }
        String[] parts = s.trim().split("\\s+");
        try {
            return Optional.of(new Started(Long.parseLong(parts[0]), parts.length > 1 ? Long.parseLong(parts[1]) : 0));
        } catch (NumberFormatException e) {
            throw new IOException("unreadable pid file " + dir.resolve("pid") + ": \"" + s.trim() + "\"");
        }
    }

    void started(long pid, long startMillis) throws IOException {
        write("pid", pid + " " + startMillis + "\n");
    }

    Optional<Integer> exitCode() throws IOException {
        String s = read("exit");
        if (s == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Integer.parseInt(s.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    void exitCode(int code) throws IOException {
        if (exists()) {
            write("exit", code + "\n");
        }
    }

    /** Removes the directory and everything in it. */
    void delete() throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The task IDs that have a directory under {@code root}. */
    static java.util.Set<String> list(Path root) throws IOException {
        java.util.Set<String> ids = new java.util.TreeSet<>();
        if (!Files.isDirectory(root)) {
            return ids;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(root)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                if (Files.isDirectory(p) && validId(name)) {
                    ids.add(name);
                }
            }
        }
        return ids;
    }

    private String read(String name) throws IOException {
        try {
            return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Writes a small file atomically (a reader never sees half of it). */
    private void write(String name, String content) throws IOException {
        Path tmp = dir.resolve(name + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
