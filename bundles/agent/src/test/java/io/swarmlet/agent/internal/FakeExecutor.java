package io.swarmlet.agent.internal;

import io.swarmlet.api.types.EngineDescription;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.executor.Controller;
import io.swarmlet.spi.executor.Executor;
import io.swarmlet.spi.executor.ExecutorException;
import io.swarmlet.spi.executor.LogSource;
import io.swarmlet.spi.executor.PortSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An executor whose containers are records in memory. Tests tell a container
 * to exit with a code or to turn unhealthy, make a task's prepare fail (fatally
 * or not) or hang, set the ports a running container publishes (or make
 * reading them fail), and read what the agent did to it (starts, shutdowns
 * and when, removals). Containers outlive agents, as real ones do.
 */
final class FakeExecutor implements Executor {

    /** One container. Guarded by the executor's monitor. */
    static final class FakeContainer {
        final String taskId;
        final String id;
        boolean running;
        boolean exited;
        int exitCode;
        String exitMessage = "";
        String health = "";
        int starts;
        int shutdowns;
        final List<LogSource.LogLine> logs = new ArrayList<>();

        FakeContainer(String taskId, String id) {
            this.taskId = taskId;
            this.id = id;
        }
    }

    private final Object lock = this;
    private final Map<String, FakeContainer> containers = new ConcurrentHashMap<>();
    private final Map<String, ExecutorException> prepareFailures = new ConcurrentHashMap<>();
    private final Set<String> hangingPrepares = ConcurrentHashMap.newKeySet();
    private final Map<String, List<PortConfig>> published = new ConcurrentHashMap<>();
    private final Set<String> failingPorts = ConcurrentHashMap.newKeySet();
    /** When each task's controller was first asked to shut down (System.nanoTime()). */
    final Map<String, Long> shutdownAt = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    /** Tasks whose container was removed, in order (by the controller or by removeTask). */
    final List<String> removed = new CopyOnWriteArrayList<>();
    /** Tasks whose controller was asked to shut down (whether or not anything ran). */
    final List<String> shutdownCalls = new CopyOnWriteArrayList<>();
    final AtomicInteger prepareCalls = new AtomicInteger();
    /** The task each controller was made for, by task ID (the latest). */
    final Map<String, Task> given = new ConcurrentHashMap<>();
    /**
     * What the sources of each task's bind mounts held when prepare (which creates the container)
     * was called: target -> content, or "(missing)".
     */
    final Map<String, Map<String, String>> bindsAtPrepare = new ConcurrentHashMap<>();
    private final String engineVersion;
    private volatile boolean describeFails;
    /** As an executor whose bundle was refreshed under its callers: every call fails with a LinkageError. */
    private volatile boolean codeGone;

    FakeExecutor() {
        this("fake-1.0");
    }

    /** An executor whose node description names that engine version (to tell executors apart). */
    FakeExecutor(String engineVersion) {
        this.engineVersion = engineVersion;
    }

    /** describe() fails (an engine that does not answer). */
    void codeGone(boolean gone) {
        codeGone = gone;
    }

    /** LinkageErrors thrown so far by {@link #codeGone}. */
    final java.util.concurrent.atomic.AtomicInteger linkageErrors = new java.util.concurrent.atomic.AtomicInteger();

    private void checkCode() {
        if (codeGone) {
            linkageErrors.incrementAndGet();
            throw new NoClassDefFoundError("com/google/common/collect/ImmutableSet");
        }
    }

    void failDescribe(boolean fails) {
        describeFails = fails;
    }

    // ------------------------------------------------------------ what tests do

    void failPrepare(String taskId, String message, boolean fatal) {
        prepareFailures.put(taskId, new ExecutorException(message, fatal));
    }

    /** The ports the task's container publishes while it runs. */
    void publish(String taskId, PortConfig... ports) {
        published.put(taskId, List.of(ports));
    }

    /** Reading the task's published ports fails. */
    void failPorts(String taskId) {
        failingPorts.add(taskId);
    }

    /** prepare() of that task blocks until interrupted. */
    void hangPrepare(String taskId) {
        hangingPrepares.add(taskId);
    }

    /** The container's process exits. */
    void exit(String taskId, int code) {
        synchronized (lock) {
            FakeContainer c = require(taskId);
            c.running = false;
            c.exited = true;
            c.exitCode = code;
            lock.notifyAll();
        }
    }

    /** The health check fails: the container is stopped (as the engine does) and says why. */
    void unhealthy(String taskId) {
        synchronized (lock) {
            FakeContainer c = require(taskId);
            c.health = "unhealthy";
            c.running = false;
            c.exited = true;
            c.exitCode = 137;
            c.exitMessage = "unhealthy";
            lock.notifyAll();
        }
    }

    void log(String taskId, boolean stderr, String line) {
        synchronized (lock) {
            require(taskId).logs.add(new LogSource.LogLine(System.currentTimeMillis(), stderr, line));
            lock.notifyAll();
        }
    }

    /** A running container of a task, as a previous agent would have left it. */
    void leftRunning(String taskId) {
        synchronized (lock) {
            FakeContainer c = new FakeContainer(taskId, "c" + ids.incrementAndGet());
            c.running = true;
            c.starts = 1;
            containers.put(taskId, c);
        }
    }

    // ------------------------------------------------------------ what tests read

    boolean has(String taskId) {
        return containers.containsKey(taskId);
    }

    boolean running(String taskId) {
        synchronized (lock) {
            FakeContainer c = containers.get(taskId);
            return c != null && c.running;
        }
    }

    int starts(String taskId) {
        synchronized (lock) {
            FakeContainer c = containers.get(taskId);
            return c == null ? 0 : c.starts;
        }
    }

    String containerId(String taskId) {
        synchronized (lock) {
            return require(taskId).id;
        }
    }

    private FakeContainer require(String taskId) {
        FakeContainer c = containers.get(taskId);
        if (c == null) {
            throw new IllegalStateException("no container for task " + taskId);
        }
        return c;
    }

    // ------------------------------------------------------------ Executor

    @Override
    public NodeDescription describe() throws ExecutorException {
        checkCode();
        if (describeFails) {
            throw new ExecutorException("Cannot connect to the engine", false);
        }
        return NodeDescription.newBuilder().setHostname("fake-host")
                .setEngine(EngineDescription.newBuilder().setEngineVersion(engineVersion)).build();
    }

    @Override
    public Controller controller(Task task) {
        checkCode();
        given.put(task.getId(), task);
        return new FakeController(task.getId());
    }

    @Override
    public Set<String> taskIds() {
        checkCode();
        return Set.copyOf(containers.keySet());
    }

    @Override
    public void removeTask(String taskId) {
        remove(taskId);
    }

    private void remove(String taskId) {
        synchronized (lock) {
            FakeContainer c = containers.remove(taskId);
            if (c != null) {
                c.running = false;
                c.exited = true;
                removed.add(taskId);
                lock.notifyAll();
            }
        }
    }

    /** The controller: every call idempotent, an existing container is adopted. */
    private final class FakeController implements Controller, LogSource, PortSource {

        private final String taskId;

        FakeController(String taskId) {
            this.taskId = taskId;
        }

        @Override
        public void prepare() throws ExecutorException {
            prepareCalls.incrementAndGet();
            if (hangingPrepares.contains(taskId)) {
                synchronized (lock) {
                    try {
                        while (true) {
                            lock.wait();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new ExecutorException("prepare interrupted", false, e);
                    }
                }
            }
            ExecutorException failure = prepareFailures.get(taskId);
            if (failure != null) {
                throw failure;
            }
            Task t = given.get(taskId);
            if (t != null) {
                Map<String, String> binds = new TreeMap<>();
                for (Mount m : t.getSpec().getContainer().getMountsList()) {
                    if (m.getType() == Mount.Type.BIND) {
                        Path source = Path.of(m.getSource());
                        try {
                            binds.put(m.getTarget(), Files.readString(source));
                        } catch (IOException e) {
                            binds.put(m.getTarget(), "(missing)");
                        }
                    }
                }
                bindsAtPrepare.put(taskId, binds);
            }
            synchronized (lock) {
                containers.computeIfAbsent(taskId, id -> new FakeContainer(id, "c" + ids.incrementAndGet()));
            }
        }

        @Override
        public void start() throws ExecutorException {
            synchronized (lock) {
                FakeContainer c = container();
                if (!c.running) {
                    c.running = true;
                    c.exited = false;
                    c.starts++;
                }
            }
        }

        @Override
        public void waitReady() throws ExecutorException {
            synchronized (lock) {
                FakeContainer c = container();
                if ("unhealthy".equals(c.health)) {
                    throw new ExecutorException("container is unhealthy", false);
                }
                if (c.exited) {
                    throw new ExecutorException("container exited before it was ready", false);
                }
            }
        }

        @Override
        public ExitStatus waitExit() throws ExecutorException, InterruptedException {
            synchronized (lock) {
                FakeContainer c = container();
                while (!c.exited) {
                    lock.wait();
                }
                return new ExitStatus(c.exitCode, c.exitMessage);
            }
        }

        @Override
        public Optional<RuntimeStatus> inspect() {
            checkCode();
            synchronized (lock) {
                FakeContainer c = containers.get(taskId);
                return Optional.ofNullable(c)
                        .map(x -> new RuntimeStatus(x.id, x.running, x.exitCode, x.running ? 4242 : 0, x.health));
            }
        }

        @Override
        public void shutdown() {
            shutdownAt.putIfAbsent(taskId, System.nanoTime());
            shutdownCalls.add(taskId);
            synchronized (lock) {
                FakeContainer c = containers.get(taskId);
                if (c != null && c.running) {
                    c.shutdowns++;
                    c.running = false;
                    c.exited = true;
                    c.exitCode = 143;
                    lock.notifyAll();
                }
            }
        }

        @Override
        public List<PortConfig> publishedPorts() throws ExecutorException {
            if (failingPorts.contains(taskId)) {
                throw new ExecutorException("inspect container: engine busy", false);
            }
            synchronized (lock) {
                FakeContainer c = containers.get(taskId);
                return c != null && c.running ? published.getOrDefault(taskId, List.of()) : List.of();
            }
        }

        @Override
        public void terminate() {
            shutdown();
        }

        @Override
        public void remove() {
            FakeExecutor.this.remove(taskId);
        }

        @Override
        public void logs(int tail, boolean follow, Consumer<LogLine> sink) throws ExecutorException, InterruptedException {
            int next;
            List<LogLine> first;
            synchronized (lock) {
                FakeContainer c = container();
                int from = tail < 0 ? 0 : Math.max(0, c.logs.size() - tail);
                first = new ArrayList<>(c.logs.subList(from, c.logs.size()));
                next = c.logs.size();
            }
            first.forEach(sink);
            while (follow) {
                List<LogLine> more;
                boolean ended;
                synchronized (lock) {
                    FakeContainer c = container();
                    while (c.logs.size() == next && !c.exited) {
                        lock.wait();
                    }
                    more = new ArrayList<>(c.logs.subList(next, c.logs.size()));
                    next = c.logs.size();
                    ended = c.exited;
                }
                more.forEach(sink);
                if (ended) {
                    return;
                }
            }
        }

        private FakeContainer container() throws ExecutorException {
            FakeContainer c = containers.get(taskId);
            if (c == null) {
                throw new ExecutorException("no such container for task " + taskId, false);
            }
            return c;
        }
    }
}
