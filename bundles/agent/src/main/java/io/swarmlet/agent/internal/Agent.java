package io.swarmlet.agent.internal;

import io.swarmlet.api.dispatcher.Assignments;
import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.dispatcher.LogProvider;
import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskStatus;
import io.swarmlet.spi.executor.ExecutorException;
import io.swarmlet.spi.executor.Executor;
import io.swarmlet.spi.executor.LogSource;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * This node's agent (SwarmKit's agent): opens a session with the dispatcher,
 * heartbeats, receives the tasks assigned to this node and drives each with a
 * {@link TaskWorker} through the {@link Executor} of its runtime
 * ({@code TaskSpec.runtime}, see {@link ExecutorSet}); reports their status
 * back through the session, and serves their output as the session's
 * {@link LogProvider}.
 *
 * <p>Every registered executor is used, one per runtime. The node's
 * description (opened with the session) comes from the {@code executor.target}
 * executor, else any, and lists the runtimes present; when the executors
 * change, a new session replaces the old one with the new description, without
 * the node going down. An executor that goes away leaves its tasks as they are
 * (its workers wait, and adopt them through the next executor of that
 * runtime); with no executor at all the agent stops heartbeating, as if it did
 * not run, until one comes. A task whose runtime has no executor here (and
 * got none within {@code executorWaitMs}) is REJECTED.
 *
 * <p>The dispatcher is optional: without one, tasks keep running (their status
 * waits in the {@link StatusReporter}) and a session is opened again as soon
 * as a dispatcher appears. Deactivation leaves containers running; the next
 * agent adopts them. Tasks an executor knows but the managers do not any
 * more (deleted while this agent was away) are removed, each executor's own.
 *
 * <p>Secrets and configs: the values that come with the assignments are kept
 * in memory only, replaced with every new set; a task's files are written
 * just before its container is created and bind-mounted at their targets
 * ({@link PayloadFiles}: secrets on a tmpfs this agent mounts), and deleted
 * when the task ends or leaves the node.
 *
 * <p>Threads: one session loop, one status reporter, one timer (heartbeats,
 * retries), and a bounded pool of task workers.
 */
@Component(service = {}, immediate = true, configurationPid = Agent.PID)
@Designate(ocd = Agent.Config.class)
public final class Agent {

    static final String PID = "io.swarmlet.agent";

    private static final Logger LOG = LogManager.getLogger(Agent.class);
    private static final Duration POLL = Duration.ofSeconds(1);
    /** Short: after a leader failover a node has 3 heartbeat periods to reach the new leader before it is DOWN. */
    private static final long MAX_BACKOFF_MS = 1_000;

    @ObjectClassDefinition(name = "Swarmlet agent",
            description = "Runs the tasks the dispatcher assigns to this node through an executor plugin.")
    public @interface Config {

        @AttributeDefinition(name = "Executor", description = "Filter on the " + Executor.TYPE + " and "
                + Executor.RUNTIME + " properties of the executor that describes the node, and that is preferred"
                + " when several executors run the same runtime")
        String executor_target() default "(" + Executor.TYPE + "=docker)";

        @AttributeDefinition(name = "Executor wait (ms)", description = "How long a task whose runtime has no"
                + " executor here waits for one (after the agent started, or after that runtime's executor went"
                + " away) before it is rejected")
        long executorWaitMs() default 10_000;

        @AttributeDefinition(description = "Task workers at most at once; each running task holds one while it"
                + " waits for its container to exit, tasks beyond wait for a free one")
        int maxWorkers() default 1024;

        @AttributeDefinition(name = "Mesh drain delay (ms)", description = "How long a running task that publishes"
                + " an ingress port keeps running after the managers asked to stop it, before it gets SIGTERM: the"
                + " time every node's routing mesh needs to stop sending it new connections. 0 stops at once")
        long meshDrainDelayMs() default 1_000;
    }

    @Reference
    private LocalNode local;

    private final ExecutorSet executors = new ExecutorSet();

    private final Object lock = new Object();
    /** Bumped (under lock) whenever a runtime gets another executor, or none. */
    private long executorsVersion;
    private volatile long executorWaitNanos;
    private volatile long activatedAt = System.nanoTime();
    /** The tasks of the latest assignments, null before the first. */
    private volatile Set<String> lastAssigned;
    private volatile long drainDelayMs;
    private volatile Dispatcher dispatcher;
    private volatile boolean stopping;
    private volatile Session current;

    /** The secret and config values of the latest assignments (memory only; never logged). */
    private volatile PayloadFiles.Delivered delivered = PayloadFiles.Delivered.NONE;
    /** Where tasks' secret and config files go; set at activation. */
    private volatile PayloadFiles files;

    private final Map<String, TaskWorker> workers = new ConcurrentHashMap<>();
    private final StatusReporter reporter = new StatusReporter();
    private final LogProvider logProvider = this::logs;
    private volatile ThreadPoolExecutor pool;
    private ScheduledThreadPoolExecutor timer;
    private Thread sessionLoop;

    public Agent() {}

    /** For tests outside OSGi: one executor, of type "fake" and runtime "container". */
    Agent(LocalNode local, Executor executor) {
        this.local = local;
        addExecutor(executor, Map.of(Executor.TYPE, "fake"));
    }

    /** For tests outside OSGi: no executor yet. */
    Agent(LocalNode local) {
        this.local = local;
    }

    @Reference(name = "executors", service = Executor.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "removeExecutor", updated = "updatedExecutor")
    void addExecutor(Executor e, Map<String, Object> props) {
        executorsChanged(executors.add(e, props));
    }

    void updatedExecutor(Executor e, Map<String, Object> props) {
        executorsChanged(executors.add(e, props));
    }

    void removeExecutor(Executor e) {
        executorsChanged(executors.remove(e));
    }

    /**
     * Some runtimes have another executor, or none: their workers drop their
     * controllers (and adopt through the next executor), the node is described
     * again, and a new executor's leftovers of deleted tasks are removed.
     */
    private void executorsChanged(Set<String> runtimes) {
        if (runtimes.isEmpty()) {
            return;
        }
        LOG.info("executors of this node: {} (changed: {})", describeExecutors(), runtimes);
        synchronized (lock) {
            executorsVersion++;
            lock.notifyAll();
        }
        for (TaskWorker w : workers.values()) {
            if (runtimes.contains(w.runtime())) {
                w.executorChanged();
            }
        }
        Set<String> assigned = lastAssigned;
        if (assigned != null && pool != null) {
            for (String rt : runtimes) {
                Executor e = executors.get(rt);
                if (e != null) {
                    try {
                        pool.execute(() -> sweep(e, assigned));
                    } catch (RejectedExecutionException x) {
                        // stopping
                    }
                }
            }
        }
    }

    private String describeExecutors() {
        StringBuilder b = new StringBuilder();
        for (ExecutorSet.Entry e : executors.inUse()) {
            b.append(b.length() == 0 ? "" : ", ").append(e.runtime()).append('=').append(e.type());
        }
        return b.length() == 0 ? "none" : b.toString();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindDispatcher")
    void bindDispatcher(Dispatcher d) {
        synchronized (lock) {
            dispatcher = d;
            lock.notifyAll();
        }
    }

    void unbindDispatcher(Dispatcher d) {
        synchronized (lock) {
            if (dispatcher == d) {
                dispatcher = null;
            }
            lock.notifyAll();
        }
    }

    /** The framework, to tell a daemon that stops from a module that restarts. */
    private org.osgi.framework.Bundle framework;

    /** Framework property (set by the launcher): the distribution's boot features, comma-separated. */
    static final String FEATURES_PROPERTY = "swarmlet.features";

    /** The distribution's features, advertised in the node's description (empty: unknown). */
    private volatile List<String> features = List.of();

    private boolean frameworkStopping() {
        return framework == null || framework.getState() == org.osgi.framework.Bundle.STOPPING;
    }

    @Activate
    void activate(org.osgi.framework.BundleContext context, Config config) {
        framework = context == null ? null : context.getBundle(0);
        String f = context == null ? null : context.getProperty(FEATURES_PROPERTY);
        features = f == null || f.isBlank() ? List.of()
                : java.util.Arrays.stream(f.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
        drainDelayMs = Math.max(0, config.meshDrainDelayMs());
        executorWaitNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, config.executorWaitMs()));
        activatedAt = System.nanoTime();
        String target = config.executor_target();
        try {
            executors.target(target == null || target.isBlank() ? null : FrameworkUtil.createFilter(target));
        } catch (InvalidSyntaxException e) {
            LOG.warn("executor.target {} is not a valid filter ({}): no executor is preferred", target, e.getMessage());
        }
        int max = Math.max(1, config.maxWorkers());
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(max, max, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "swarmlet-task-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "swarmlet-agent-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        PayloadFiles payloadFiles = new PayloadFiles(local.stateDir(), local.nodeId());
        payloadFiles.open();
        files = payloadFiles;
        reporter.start();
        sessionLoop = new Thread(this::sessionLoop, "swarmlet-agent-session");
        sessionLoop.setDaemon(true);
        sessionLoop.start();
        LOG.info("agent of node {} started", local.nodeId());
    }

    /** Stops the loops and the workers; containers keep running for the next agent to adopt. */
    @Deactivate
    void deactivate() throws InterruptedException {
        synchronized (lock) {
            stopping = true;
            lock.notifyAll();
        }
        workers.values().forEach(TaskWorker::stop);
        pool.shutdownNow();
        if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
            LOG.warn("task workers did not stop within 10 s");
        }
        timer.shutdownNow();
        reporter.stop(); // the last reports go out through the session, which the session loop closes next
        sessionLoop.interrupt();
        sessionLoop.join(10_000);
        workers.values().forEach(TaskWorker::closeController);
        workers.clear();
        delivered = PayloadFiles.Delivered.NONE;
        if (files != null) {
            files.close(); // running containers keep their bind mounts
        }
        LOG.info("agent of node {} stopped; its containers keep running", local.nodeId());
    }

    // ------------------------------------------------------------ the session

    /** Why a session's loop returned. */
    private enum End { STOPPING, DISPATCHER_CHANGED, DESCRIPTION_CHANGED, NO_EXECUTOR }

    private void sessionLoop() {
        long backoff = 0;
        // a session left open for the next one to replace: the node's description changed, or the
        // last executor went away (then heartbeats stop, as if this agent did not run)
        Session replaced = null;
        while (!stopping) {
            Dispatcher d;
            try {
                synchronized (lock) {
                    while (!stopping && (dispatcher == null || executors.isEmpty())) {
                        lock.wait();
                    }
                    if (stopping) {
                        break;
                    }
                    d = dispatcher;
                    if (backoff > 0) {
                        lock.wait(backoff); // a new dispatcher or stopping ends it early
                        if (stopping) {
                            break;
                        }
                        if (dispatcher != d) {
                            backoff = 0;
                            continue;
                        }
                    }
                }
            } catch (InterruptedException e) {
                break;
            }
            Session s = null;
            boolean leaveOpen = false;
            try {
                long seen;
                synchronized (lock) {
                    seen = executorsVersion;
                }
                NodeDescription description = describe();
                s = d.open(local.nodeId(), description);
                s.setLogProvider(logProvider);
                if (replaced != null) {
                    // the dispatcher ended it when s replaced it: closing it does not touch the node
                    closeQuietly(replaced);
                    replaced = null;
                }
                backoff = 0;
                End end = runSession(d, s, description, seen);
                if (end == End.DESCRIPTION_CHANGED || end == End.NO_EXECUTOR) {
                    leaveOpen = true;
                    replaced = s;
                }
            } catch (InterruptedException e) {
                break;
            } catch (ExecutorException | RuntimeException | LinkageError e) {
                if (!stopping && dispatcher != d) {
                    LOG.info("the dispatcher went away; waiting for the next one");
                } else if (!stopping) {
                    backoff = backoff == 0 ? 200 : Math.min(MAX_BACKOFF_MS, backoff * 2);
                    LOG.warn("agent session {}: {}; trying again in {} ms", s == null ? "not opened" : "ended",
                            e.getMessage(), backoff);
                }
            } finally {
                current = null;
                if (s != null) {
                    reporter.detach(s);
                    if (leaveOpen) {
                        // replaced by the next session (or lapsing while there is no executor)
                    } else if (stopping && !frameworkStopping()) {
                        // a module update or restart (this agent's or its executor's): the next agent opens a
                        // session within moments and replaces this one; closing it would mark the node DOWN
                        // and have its tasks replaced (if no agent comes, the heartbeats lapse instead)
                        LOG.info("agent stopping without its daemon: leaving the session to the next agent");
                    } else {
                        closeQuietly(s);
                    }
                }
            }
        }
        if (replaced != null && frameworkStopping()) {
            closeQuietly(replaced);
        }
    }

    private static void closeQuietly(Session s) {
        try {
            s.close();
        } catch (RuntimeException e) {
            LOG.debug("closing the session: {}", e.toString());
        }
    }

    private End runSession(Dispatcher d, Session s, NodeDescription sent, long seen) throws InterruptedException {
        LOG.info("agent of node {} opened a session (runtimes {})", local.nodeId(), sent.getRuntimesList());
        current = s;
        Map<String, TaskStatus> known = new HashMap<>();
        workers.forEach((id, w) -> {
            TaskStatus r = w.reported();
            if (r != null) {
                known.put(id, r);
            }
        });
        reporter.attach(s, known);
        scheduleHeartbeat(s);
        long version = 0;
        boolean first = true;
        while (true) {
            boolean changed = false;
            synchronized (lock) {
                if (stopping) {
                    return End.STOPPING;
                }
                if (dispatcher != d) {
                    return End.DISPATCHER_CHANGED;
                }
                if (executorsVersion != seen) {
                    seen = executorsVersion;
                    changed = true;
                }
            }
            if (changed) {
                if (executors.isEmpty()) {
                    LOG.warn("no executor on this node any more: the agent stops heartbeating until one comes"
                            + " (the node goes down if none does); its tasks are left as they are");
                    return End.NO_EXECUTOR;
                }
                try {
                    NodeDescription now = describe();
                    if (!now.equals(sent)) {
                        LOG.info("the executors changed: describing node {} again (runtimes {})", local.nodeId(),
                                now.getRuntimesList());
                        return End.DESCRIPTION_CHANGED;
                    }
                } catch (ExecutorException | RuntimeException | LinkageError e) {
                    LOG.warn("the executors changed, but they cannot describe the node; keeping its description: {}",
                            e.getMessage());
                }
            }
            Assignments a = s.assignments(version, POLL);
            if (a != null) {
                version = a.version();
                delivered = PayloadFiles.Delivered.of(a); // before the workers look
                reconcile(a.tasks(), first);
                first = false;
            }
        }
    }

    /**
     * This node as its executors see it: the {@code executor.target} executor's
     * description (else the first that can describe it), named by the daemon's
     * hostname, with every runtime present.
     */
    NodeDescription describe() throws ExecutorException {
        SortedSet<String> runtimes = executors.runtimes();
        ExecutorException failure = null;
        for (ExecutorSet.Entry e : executors.describers()) {
            try {
                // the node's name is the daemon's (--hostname), not the engine's
                NodeDescription d = e.executor().describe().toBuilder()
                        .setHostname(local.hostname())
                        .clearRuntimes().addAllRuntimes(runtimes)
                        .clearFeatures().addAllFeatures(features)
                        .build();
                if (failure != null) {
                    LOG.info("node {} described by executor {} ({}): {}", local.nodeId(), e.type(), e.runtime(),
                            failure.getMessage());
                }
                return d;
            } catch (ExecutorException | RuntimeException | LinkageError x) {
                LOG.debug("executor {} ({}) cannot describe this node: {}", e.type(), e.runtime(), x.getMessage());
                if (failure == null) {
                    failure = x instanceof ExecutorException ee ? ee
                            : new ExecutorException(x.getMessage() == null ? x.toString() : x.getMessage(), false, x);
                }
            }
        }
        throw failure != null ? failure : new ExecutorException("no executor on this node", false);
    }

    private void scheduleHeartbeat(Session s) {
        if (stopping || current != s) {
            return;
        }
        long ms = Math.max(10, s.heartbeatPeriod().toMillis());
        try {
            timer.schedule(() -> heartbeat(s), ms, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    private void heartbeat(Session s) {
        if (stopping || current != s) {
            return;
        }
        try {
            s.heartbeat();
        } catch (RuntimeException e) {
            LOG.debug("heartbeat failed: {}", e.getMessage());
        }
        scheduleHeartbeat(s);
    }

    // ------------------------------------------------------------ tasks

    /** Hands every assigned task to its worker; tasks no longer assigned are retired. */
    void reconcile(List<Task> tasks, boolean sweep) {
        Set<String> assigned = new HashSet<>();
        for (Task t : tasks) {
            assigned.add(t.getId());
        }
        lastAssigned = Set.copyOf(assigned);
        for (Task t : tasks) {
            workers.computeIfAbsent(t.getId(), id -> new TaskWorker(this, t)).update(t);
        }
        boolean retired = false;
        for (TaskWorker w : workers.values()) {
            if (!assigned.contains(w.taskId()) && w.retire()) {
                retired = true;
            }
        }
        if (sweep || retired) {
            sweep(assigned);
        }
    }

    /** Removes the runtime objects whose task is gone (deleted while no worker watched it), each executor its own. */
    private void sweep(Set<String> assigned) {
        for (ExecutorSet.Entry e : executors.inUse()) {
            sweep(e.executor(), assigned);
        }
    }

    private void sweep(Executor executor, Set<String> assigned) {
        Set<String> present;
        try {
            present = executor.taskIds();
        } catch (ExecutorException | RuntimeException | LinkageError e) {
            LOG.warn("cannot list the executor's tasks: {}", e.getMessage());
            return;
        }
        for (String id : present) {
            if (!assigned.contains(id) && !workers.containsKey(id)) {
                try {
                    executor.removeTask(id);
                    LOG.info("removed the runtime object of task {}: the task is gone", id);
                } catch (ExecutorException | RuntimeException | LinkageError e) {
                    LOG.warn("cannot remove the runtime object of task {}: {}", id, e.getMessage());
                }
            }
        }
    }

    private void logs(String taskId, int tail, boolean follow, Consumer<LogSource.LogLine> sink)
            throws InterruptedException {
        TaskWorker w = workers.get(taskId);
        if (w == null) {
            throw new IllegalArgumentException("task " + taskId + " is not on node " + local.nodeId());
        }
        w.logs(tail, follow, sink);
    }

    // ------------------------------------------------------------ for workers

    /** The executor of that runtime, or null if there is none on this node (now). */
    Executor executor(String runtime) {
        return executors.get(runtime);
    }

    /**
     * Until when (System.nanoTime()) a task of that runtime waits for an
     * executor before it is rejected: {@code executorWaitMs} after the agent
     * started, or after the runtime's executor went away.
     */
    long executorDeadline(String runtime) {
        Long lost = executors.lostAt(runtime);
        long from = lost == null || lost - activatedAt < 0 ? activatedAt : lost;
        return from + executorWaitNanos;
    }

    boolean stopping() {
        return stopping;
    }

    /** Where tasks' secret and config files go (null before activation). */
    PayloadFiles files() {
        return files;
    }

    /** The secret and config values of the latest assignments. */
    PayloadFiles.Delivered delivered() {
        return delivered;
    }

    /** How long a task with an ingress port is left running before it is stopped (0 = not at all). */
    long drainDelayMs() {
        return drainDelayMs;
    }

    void report(String taskId, TaskStatus status) {
        reporter.report(taskId, status);
    }

    /** Runs a worker on the pool; false if the agent is stopping. */
    boolean execute(TaskWorker w) {
        if (stopping) {
            return false;
        }
        try {
            pool.execute(w);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** Runs {@code r} on the agent's timer after {@code delayMs} (dropped once the agent stops). */
    void later(Runnable r, long delayMs) {
        try {
            timer.schedule(r, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    /** Whether a session is in use (heartbeating) now (tests). */
    boolean connected() {
        return current != null;
    }

    /** The worker of a task, if it has one (tests). */
    TaskWorker worker(String taskId) {
        return workers.get(taskId);
    }

    /** A retired worker is done. */
    void forget(TaskWorker w) {
        workers.remove(w.taskId(), w);
    }
}
