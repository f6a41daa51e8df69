package io.swarmlet.sample.process;

import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.executor.Controller;
import io.swarmlet.spi.executor.ExecutorException;
import io.swarmlet.spi.executor.LogSource;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One task's process. Every call is idempotent and works from the task's
 * directory, so a controller of a new executor instance picks up where an
 * earlier one left: {@code prepare} checks the spec and makes the directory,
 * {@code start} starts the process once (a task never runs twice: once the pid
 * file exists, start does nothing), {@code shutdown} sends SIGTERM then, after
 * the stop grace period, SIGKILL to the process and everything it started.
 *
 * <p>The argument vector follows docker: {@code command} replaces the
 * executable (the spec's image, which plays the image's entrypoint) and
 * {@code args} are its arguments.
 */
final class ProcessController implements Controller, LogSource {

    static final long DEFAULT_GRACE_MS = 10_000;
    /** How long a process has to go after SIGKILL. */
    private static final long KILL_WAIT_MS = 10_000;
    private static final long FOLLOW_POLL_MS = 100;

    private final ProcessExecutor executor;
    private final Task task;
    private final ContainerSpec spec;
    private final TaskDir dir;

    ProcessController(ProcessExecutor executor, Task task, TaskDir dir) {
        this.executor = executor;
        this.task = task;
        this.spec = task.getSpec().getContainer();
        this.dir = dir;
    }

    // ------------------------------------------------------------ lifecycle

    @Override
    public void prepare() throws ExecutorException {
        executor.check();
        if (dir.exists()) {
            return; // prepared (or started) before: adopt it
        }
        argv(); // checks the executable
        if (!spec.getDir().isEmpty()) {
            Path wd = Path.of(spec.getDir());
            if (!wd.isAbsolute()) {
                throw new ExecutorException("the working directory must be an absolute path, not \"" + spec.getDir()
                        + "\"", true);
            }
            if (!Files.isDirectory(wd)) {
                throw new ExecutorException("working directory " + spec.getDir() + " does not exist on node "
                        + executor.hostname() + ": create it or fix --workdir", true);
            }
        }
        checkUser();
        long memory = task.getSpec().getResources().getLimits().getMemoryBytes();
        if (memory > 0 && executor.prlimit() == null) {
            ProcessExecutor.LOG.warn("task {}: no prlimit on this host: its memory limit of {} bytes is not enforced", task.getId(),
                    memory);
        }
        try {
            dir.create();
        } catch (IOException e) {
            throw new ExecutorException("cannot make the directory of task " + task.getId() + ": " + e.getMessage(),
                    false, e);
        }
    }

    @Override
    public void start() throws ExecutorException {
        executor.check();
        synchronized (executor.startLock()) {
            try {
                if (dir.started().isPresent()) {
                    return; // running, or ran: a task never runs twice
                }
                if (!dir.exists()) {
                    throw new ExecutorException("task " + task.getId() + " was not prepared", false);
                }
                ProcessBuilder pb = new ProcessBuilder(wrapped(argv()))
                        .directory(spec.getDir().isEmpty() ? dir.work().toFile() : new File(spec.getDir()))
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.stdout().toFile()))
                        .redirectError(ProcessBuilder.Redirect.appendTo(dir.stderr().toFile()));
                environment(pb.environment());
                Process p;
                try {
                    p = pb.start();
                } catch (IOException e) {
                    throw new ExecutorException("cannot start " + argv().get(0) + ": " + e.getMessage(), true, e);
                }
                long started = p.toHandle().info().startInstant().map(i -> i.toEpochMilli()).orElse(0L);
                try {
                    dir.started(p.pid(), started);
                } catch (IOException e) {
                    p.destroyForcibly();
                    throw new ExecutorException("cannot record the PID of task " + task.getId() + ": " + e.getMessage(),
                            false, e);
                }
                executor.adopt(dir, p);
                ProcessExecutor.LOG.info("task {}: started process {}", task.getId(),
                        String.valueOf(p.pid()));
            } catch (IOException e) {
                throw new ExecutorException("task " + task.getId() + ": " + e.getMessage(), false, e);
            }
        }
    }

    @Override
    public void waitReady() throws ExecutorException {
        executor.check();
        try {
            if (dir.started().isEmpty()) {
                throw new ExecutorException("the process of task " + task.getId() + " was not started", false);
            }
            if (executor.live(dir).isPresent()) {
                return; // no health checks: running is ready
            }
            int code = executor.exitCode(dir);
            if (code != 0) {
                throw new ExecutorException("the process exited with code " + code + " before it was ready", false);
            }
        } catch (IOException e) {
            throw io(e);
        }
    }

    @Override
    public ExitStatus waitExit() throws ExecutorException, InterruptedException {
        executor.check();
        try {
            if (dir.started().isEmpty()) {
                throw new ExecutorException("the process of task " + task.getId() + " was not started", false);
            }
            Process own = executor.children.get(task.getId());
            if (own != null) {
                int code = own.waitFor();
                executor.awaitRecorded(task.getId()); // written down before anyone acts on the exit (removes the dir)
                return new ExitStatus(code, "");
            }
            Optional<ProcessHandle> h = executor.live(dir);
            if (h.isPresent()) {
                try {
                    h.get().onExit().get();
                } catch (ExecutionException e) {
                    throw new ExecutorException("waiting for process " + h.get().pid() + ": " + e.getCause(), false);
                }
            }
            int code = executor.exitCode(dir);
            return new ExitStatus(code, code == -1 ? "exit code unknown (process adopted from an earlier executor)" : "");
        } catch (IOException e) {
            throw io(e);
        }
    }

    @Override
    public Optional<RuntimeStatus> inspect() throws ExecutorException {
        executor.check();
        try {
            if (!dir.exists()) {
                return Optional.empty();
            }
            Optional<TaskDir.Started> s = dir.started();
            if (s.isEmpty()) {
                return Optional.of(new RuntimeStatus("", false, 0, 0, "")); // prepared, not started
            }
            String id = "pid-" + s.get().pid();
            if (executor.live(dir).isPresent()) {
                return Optional.of(new RuntimeStatus(id, true, 0, (int) s.get().pid(), ""));
            }
            return Optional.of(new RuntimeStatus(id, false, executor.exitCode(dir), 0, ""));
        } catch (IOException e) {
            throw io(e);
        }
    }

    @Override
    public void shutdown() throws ExecutorException {
        executor.check();
        long grace = spec.getStopGracePeriodMs() > 0 ? spec.getStopGracePeriodMs() : DEFAULT_GRACE_MS;
        stop(executor, dir, grace);
    }

    @Override
    public void terminate() throws ExecutorException {
        executor.check();
        stop(executor, dir, 0);
    }

    @Override
    public void remove() throws ExecutorException {
        executor.check();
        remove(executor, dir);
    }

    /** Kills the task's process if it runs, and deletes its directory. */
    static void remove(ProcessExecutor executor, TaskDir dir) throws ExecutorException {
        stop(executor, dir, 0);
        try {
            synchronized (executor.startLock()) { // the exit code of a child is not written meanwhile
                executor.children.remove(dir.taskId);
                executor.recorded.remove(dir.taskId);
                dir.delete();
            }
        } catch (IOException e) {
            throw new ExecutorException("cannot remove the directory of task " + dir.taskId + ": " + e.getMessage(),
                    false, e);
        }
    }

    /**
     * SIGTERM to the process, then after {@code graceMs} (0: at once) SIGKILL to
     * it, its process group and its descendants; once it is gone, what it left
     * behind in its group is killed too (as a container's end takes its
     * processes with it).
     */
    static void stop(ProcessExecutor executor, TaskDir dir, long graceMs) throws ExecutorException {
        Optional<ProcessHandle> live;
        try {
            live = executor.live(dir);
        } catch (IOException e) {
            throw io(e);
        }
        if (live.isEmpty()) {
            return;
        }
        ProcessHandle h = live.get();
        List<ProcessHandle> family = new ArrayList<>(h.descendants().toList());
        try {
            if (graceMs > 0) {
                h.destroy(); // SIGTERM
                if (exited(h, graceMs)) {
                    killGroup(executor, h.pid(), family);
                    return;
                }
                ProcessExecutor.LOG.info("task {}: process {} did not stop within {} ms of SIGTERM: killing it", dir.taskId,
                        String.valueOf(h.pid()), graceMs);
            }
            family.addAll(h.descendants().toList());
            h.destroyForcibly(); // SIGKILL
            killGroup(executor, h.pid(), family);
            if (!exited(h, KILL_WAIT_MS)) {
                throw new ExecutorException("process " + h.pid() + " of task " + dir.taskId
                        + " did not exit after SIGKILL", false);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExecutorException("interrupted while stopping task " + dir.taskId, false, e);
        }
    }

    private static boolean exited(ProcessHandle h, long ms) throws InterruptedException {
        try {
            h.onExit().get(ms, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return !h.isAlive();
        } catch (ExecutionException e) {
            return !h.isAlive();
        }
    }

    /** SIGKILL to the process group the task leads (with setsid) and to the descendants seen. */
    private static void killGroup(ProcessExecutor executor, long pid, List<ProcessHandle> family) {
        if (executor.setsid() != null) {
            try {
                new ProcessBuilder("kill", "-KILL", "--", "-" + pid)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start().waitFor(5, TimeUnit.SECONDS);
            } catch (IOException e) {
                // no kill(1): the descendants below are still killed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        family.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    // ------------------------------------------------------------ the process

    /** The command line: {@code command} (else the image) then {@code args}. */
    List<String> argv() throws ExecutorException {
        List<String> argv = new ArrayList<>();
        if (spec.getCommandCount() > 0) {
            argv.addAll(spec.getCommandList());
        } else if (!spec.getImage().isEmpty()) {
            argv.add(spec.getImage());
        } else {
            throw new ExecutorException("no executable: give the program to run as the image", true);
        }
        argv.addAll(spec.getArgsList());
        String exe = argv.get(0);
        if (exe.contains("/")) {
            Path p = Path.of(exe);
            if (!Files.exists(p)) {
                throw new ExecutorException("exec: \"" + exe + "\": stat " + exe + ": no such file or directory", true);
            }
            if (Files.isDirectory(p) || !Files.isExecutable(p)) {
                throw new ExecutorException("exec: \"" + exe + "\": permission denied", true);
            }
        } else if (ProcessExecutor.search(exe, env().get("PATH")) == null) {
            throw new ExecutorException("exec: \"" + exe + "\": executable file not found in $PATH", true);
        } else {
            argv.set(0, ProcessExecutor.search(exe, env().get("PATH")));
        }
        return argv;
    }

    /** The argument vector behind setsid (its own process group) and prlimit (the memory limit), where present. */
    private List<String> wrapped(List<String> argv) {
        List<String> all = new ArrayList<>();
        if (executor.setsid() != null) {
            all.add(executor.setsid());
            all.add("--");
        }
        long memory = task.getSpec().getResources().getLimits().getMemoryBytes();
        if (memory > 0 && executor.prlimit() != null) {
            all.add(executor.prlimit());
            all.add("--as=" + memory + ":" + memory);
            all.add("--");
        }
        all.addAll(argv);
        return all;
    }

    private void environment(Map<String, String> env) {
        env.clear();
        env.putAll(env());
    }

    /** The daemon's PATH and HOME, the node's hostname, then the spec's variables ("NAME" alone: the daemon's). */
    private Map<String, String> env() {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        String path = System.getenv("PATH");
        env.put("PATH", path == null || path.isEmpty() ? ProcessExecutor.DEFAULT_PATH : path);
        env.put("HOME", System.getProperty("user.home", "/"));
        env.put("HOSTNAME", executor.hostname());
        for (String e : spec.getEnvList()) {
            int eq = e.indexOf('=');
            if (eq > 0) {
                env.put(e.substring(0, eq), e.substring(eq + 1));
            } else if (eq < 0 && System.getenv(e) != null) {
                env.put(e, System.getenv(e));
            }
        }
        return env;
    }

    /** Only the daemon's own user: switching users would need privileges and a helper this sample does without. */
    private void checkUser() throws ExecutorException {
        String user = spec.getUser();
        if (user.isEmpty()) {
            return;
        }
        String me = System.getProperty("user.name", "");
        String uid = uid();
        String name = user.contains(":") ? user.substring(0, user.indexOf(':')) : user;
        if (!name.equals(me) && !name.equals(uid)) {
            throw new ExecutorException("the process executor runs tasks as the daemon's user (" + me
                    + ") and cannot switch to user \"" + user + "\": leave --user out", true);
        }
    }

    private static String uid() {
        try {
            return String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static ExecutorException io(IOException e) {
        return new ExecutorException(e.getMessage(), false, e);
    }

    // ------------------------------------------------------------ logs

    /**
     * The last {@code tail} lines of each stream (stdout first: the two files
     * do not say how their lines interleave), then, if {@code follow}, new
     * lines as they come until the process ends. Lines written before have the
     * time their file was last written; followed lines the time they were read.
     */
    @Override
    public void logs(int tail, boolean follow, Consumer<LogLine> sink) throws ExecutorException, InterruptedException {
        executor.check();
        if (!dir.exists()) {
            throw new ExecutorException("no such task: " + task.getId(), false);
        }
        Stream out = new Stream(dir.stdout(), false);
        Stream err = new Stream(dir.stderr(), true);
        try {
            boolean ended = !follow && executor.live(dir).isEmpty();
            out.history(tail, sink, ended);
            err.history(tail, sink, ended);
            if (!follow) {
                return;
            }
            while (true) {
                boolean running = executor.live(dir).isPresent();
                out.more(sink, !running);
                err.more(sink, !running);
                if (!running) {
                    return;
                }
                Thread.sleep(FOLLOW_POLL_MS);
            }
        } catch (IOException e) {
            throw new ExecutorException("cannot read the output of task " + task.getId() + ": " + e.getMessage(),
                    false, e);
        }
    }

    /** One output file read line by line from an offset. */
    private static final class Stream {
        private final Path file;
        private final boolean stderr;
        private long offset;
        private final java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();

        Stream(Path file, boolean stderr) {
            this.file = file;
            this.stderr = stderr;
        }

        /** The last {@code tail} lines (all if negative) written so far; with {@code end}, an unterminated last one too. */
        void history(int tail, Consumer<LogLine> sink, boolean end) throws IOException {
            long when = Files.exists(file) ? Files.getLastModifiedTime(file).toMillis() : System.currentTimeMillis();
            Deque<String> last = new ArrayDeque<>();
            read(line -> {
                last.addLast(line);
                if (tail >= 0 && last.size() > tail) {
                    last.removeFirst();
                }
            }, end);
            for (String l : last) {
                sink.accept(new LogLine(when, stderr, l));
            }
        }

        /** The lines written since; with {@code end}, an unterminated last line too. */
        void more(Consumer<LogLine> sink, boolean end) throws IOException {
            long now = System.currentTimeMillis();
            read(line -> sink.accept(new LogLine(now, stderr, line)), end);
        }

        private void read(Consumer<String> line, boolean flush) throws IOException {
            if (Files.exists(file)) {
                try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
                    long size = f.length();
                    if (size < offset) {
                        offset = 0; // truncated
                        partial.reset();
                    }
                    f.seek(offset);
                    byte[] buf = new byte[8192];
                    while (offset < size) {
                        int n = f.read(buf, 0, (int) Math.min(buf.length, size - offset));
                        if (n <= 0) {
                            break;
                        }
                        offset += n;
                        for (int i = 0; i < n; i++) {
                            if (buf[i] == '\n') {
                                line.accept(take());
                            } else {
                                partial.write(buf[i]);
                            }
                        }
                    }
                }
            }
            if (flush && partial.size() > 0) {
                line.accept(take());
            }
        }

        private String take() {
            String s = partial.toString(StandardCharsets.UTF_8);
            partial.reset();
            return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }
    }
}
