package io.swarmlet.sample.process;

import io.swarmlet.api.types.EngineDescription;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.Platform;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.executor.Controller;
import io.swarmlet.spi.executor.Executor;
import io.swarmlet.spi.executor.ExecutorException;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * An executor for hosts without Docker: runs each task of runtime "process"
 * ({@code swarmlet service create --runtime process}) as a host process under
 * this daemon's user, its output in files, supervised through its PID.
 *
 * <p>Everything it needs to find a task again lives in the task's directory
 * under {@code <swarmlet.state.dir>/process-executor/} ({@link TaskDir}), so a
 * new instance of this executor (the bundle updated, the daemon restarted)
 * adopts the processes an earlier one started: they keep running meanwhile,
 * their output goes straight to files. Only the exit code of a process this
 * instance did not start cannot be read (Java, like any non-parent, cannot
 * wait for it): it is reported as -1.
 *
 * <p>Stopping this bundle stops nothing: the agent waits for the next
 * executor of the runtime.
 */
@Component(service = Executor.class, property = {
        Executor.TYPE + "=process",
        Executor.RUNTIME + "=process"})
public final class ProcessExecutor implements Executor {

    static final org.apache.logging.log4j.Logger LOG = org.apache.logging.log4j.LogManager.getLogger(ProcessExecutor.class);

    /** Framework properties the daemon sets. */
    static final String STATE_DIR = "swarmlet.state.dir";
    static final String HOSTNAME = "swarmlet.hostname";

    private Path root;
    private String hostname;
    private String version = "dev";
    /** Helpers found on the PATH at activation, or null. */
    private String setsid;
    private String prlimit;
    /** The processes this instance started (their exit codes can be read), by task ID. */
    final Map<String, Process> children = new ConcurrentHashMap<>();
    /** Per child, done once its exit code is written down (waitExit answers only then). */
    final Map<String, java.util.concurrent.CompletableFuture<Void>> recorded = new ConcurrentHashMap<>();
    private final Object starting = new Object();
    private volatile boolean closed;

    public ProcessExecutor() {}

    /** For tests: tasks under {@code stateDir/process-executor}. */
    ProcessExecutor(Path stateDir, String hostname) throws IOException {
        start(stateDir, hostname);
    }

    @Activate
    void activate(BundleContext context) throws IOException {
        String dir = context.getProperty(STATE_DIR);
        Path state = dir == null || dir.isBlank()
                ? Path.of(System.getProperty("java.io.tmpdir"), "swarmlet-" + System.getProperty("user.name"))
                : Path.of(dir);
        version = context.getBundle().getVersion().toString();
        start(state, context.getProperty(HOSTNAME));
    }

    private void start(Path stateDir, String name) throws IOException {
        root = stateDir.resolve("process-executor");
        Files.createDirectories(root);
        hostname = name == null || name.isBlank() ? localHostname() : name;
        setsid = onPath("setsid");
        prlimit = onPath("prlimit");
        LOG.info("process executor: tasks in {}{}{}", root,
                setsid == null ? "; no setsid: tasks share the daemon's process group" : "",
                prlimit == null ? "; no prlimit: memory limits are not enforced" : "");
    }

    /** Leaves every process running: the next executor of runtime "process" adopts them. */
    @Deactivate
    void deactivate() {
        closed = true;
        LOG.info("process executor stopped; its {} processes keep running", children.size());
    }

    // ------------------------------------------------------------ Executor

    @Override
    public NodeDescription describe() throws ExecutorException {
        check();
        return NodeDescription.newBuilder()
                .setHostname(hostname)
                .setPlatform(Platform.newBuilder().setOs(os()).setArchitecture(arch()))
                .setResources(Resources.newBuilder()
                        .setNanoCpus(Runtime.getRuntime().availableProcessors() * 1_000_000_000L)
                        .setMemoryBytes(memTotal()))
                .setEngine(EngineDescription.newBuilder().setEngineVersion("process " + version)
                        .putLabels("swarmlet.executor", "process"))
                .build();
    }

    @Override
    public Controller controller(Task task) throws ExecutorException {
        check();
        if (!TaskDir.validId(task.getId())) {
            throw new ExecutorException("invalid task ID \"" + task.getId() + "\"", true);
        }
        return new ProcessController(this, task, new TaskDir(root, task.getId()));
    }

    @Override
    public Set<String> taskIds() throws ExecutorException {
        check();
        try {
            return TaskDir.list(root);
        } catch (IOException e) {
            throw new ExecutorException("cannot list " + root + ": " + e.getMessage(), false, e);
        }
    }

    @Override
    public void removeTask(String taskId) throws ExecutorException {
        check();
        if (!TaskDir.validId(taskId)) {
            return;
        }
        ProcessController.remove(this, new TaskDir(root, taskId));
    }

    // ------------------------------------------------------------ for controllers

    void check() throws ExecutorException {
        if (closed) {
            throw new ExecutorException("the process executor was stopped", false);
        }
    }

    boolean closed() {
        return closed;
    }

    Object startLock() {
        return starting;
    }

    String setsid() {
        return setsid;
    }

    String prlimit() {
        return prlimit;
    }

    String hostname() {
        return hostname;
    }

    /**
     * The task's process if it runs: this instance's child, or the process
     * the pid file names if it is alive and started when the file says (a
     * reused PID is not ours).
     */
    Optional<ProcessHandle> live(TaskDir d) throws IOException {
        Process own = children.get(d.taskId);
        if (own != null) {
            return own.isAlive() ? Optional.of(own.toHandle()) : Optional.empty();
        }
        Optional<TaskDir.Started> s = d.started();
        if (s.isEmpty()) {
            return Optional.empty();
        }
        Optional<ProcessHandle> h = ProcessHandle.of(s.get().pid()).filter(ProcessHandle::isAlive);
        if (h.isPresent() && s.get().startMillis() != 0) {
            Optional<Instant> started = h.get().info().startInstant();
            if (started.isPresent() && started.get().toEpochMilli() != s.get().startMillis()) {
                return Optional.empty(); // the PID was reused by another process
            }
        }
        return h;
    }

    /** How the task's process ended: its exit code if this instance (or an earlier one) saw it, else -1. */
    int exitCode(TaskDir d) throws IOException {
        Process own = children.get(d.taskId);
        if (own != null && !own.isAlive()) {
            return own.exitValue();
        }
        return d.exitCode().orElse(-1);
    }

    /** Keeps a child this instance started, and writes its exit code down when it exits. */
    void adopt(TaskDir d, Process p) {
        children.put(d.taskId, p);
        recorded.put(d.taskId, p.onExit().thenAccept(done -> {
            synchronized (starting) { // not while remove() deletes the directory
                if (!closed && children.get(d.taskId) == done) {
                    try {
                        d.exitCode(done.exitValue());
                    } catch (IOException e) {
                        LOG.warn("task {}: cannot record its exit code: {}", d.taskId,
                                e.getMessage());
                    }
                }
            }
        }));
    }

    /** Waits (a little) until the exit of a child this instance started is written down. */
    void awaitRecorded(String taskId) throws InterruptedException {
        java.util.concurrent.CompletableFuture<Void> f = recorded.get(taskId);
        if (f != null) {
            try {
                f.get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.debug("task {}: its exit code was not written down: {}", taskId, e.toString());
            }
        }
    }

    // ------------------------------------------------------------ the host

    static String os() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            return "linux";
        }
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            return "darwin";
        }
        if (os.startsWith("windows")) {
            return "windows";
        }
        return os.replace(' ', '-');
    }

    static String arch() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        switch (arch) {
            case "amd64":
            case "x86_64":
                return "amd64";
            case "aarch64":
            case "arm64":
                return "arm64";
            case "x86":
            case "i386":
            case "i686":
                return "386";
            default:
                return arch;
        }
    }

    /** Total memory from /proc/meminfo (Linux); 0 where unknown. */
    static long memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    String[] f = line.substring("MemTotal:".length()).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return 0;
    }

    private static String localHostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** The absolute path of a program on the daemon's PATH, or null. */
    static String onPath(String program) {
        return search(program, System.getenv("PATH"));
    }

    static String search(String program, String path) {
        String p = path == null || path.isEmpty() ? DEFAULT_PATH : path;
        for (String dir : p.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}
