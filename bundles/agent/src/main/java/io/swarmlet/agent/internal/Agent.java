package io.swarmlet.agent.internal;

import io.swarmlet.api.dispatcher.Assignments;
import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.dispatcher.LogProvider;
import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.node.LocalNode;
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
 * {@link TaskWorker} through the configured {@link Executor}; reports their
 * status back through the session, and serves their output as the session's
 * {@link LogProvider}.
 *
 * <p>The dispatcher is optional: without one, tasks keep running (their status
 * waits in the {@link StatusReporter}) and a session is opened again as soon
 * as a dispatcher appears. Deactivation leaves containers running; the next
 * agent adopts them. Tasks the executor knows but the managers do not any
 * more (deleted while this agent was away) are removed.
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

        @AttributeDefinition(name = "Executor", description = "Filter selecting the executor service by its "
                + Executor.TYPE + " property")
        String executor_target() default "(" + Executor.TYPE + "=docker)";

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

    @Reference(name = "executor")
    private Executor executor;

    private final Object lock = new Object();
    private volatile long drainDelayMs;
    private volatile Dispatcher dispatcher;
    private volatile boolean stopping;
    private volatile Session current;

    private final Map<String, TaskWorker> workers = new ConcurrentHashMap<>();
    private final StatusReporter reporter = new StatusReporter();
    private final LogProvider logProvider = this::logs;
    private ThreadPoolExecutor pool;
    private ScheduledThreadPoolExecutor timer;
    private Thread sessionLoop;

    public Agent() {}

    /** For tests outside OSGi. */
    Agent(LocalNode local, Executor executor) {
        this.local = local;
        this.executor = executor;
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

    private boolean frameworkStopping() {
        return framework == null || framework.getState() == org.osgi.framework.Bundle.STOPPING;
    }

    @Activate
    void activate(org.osgi.framework.BundleContext context, Config config) {
        framework = context == null ? null : context.getBundle(0);
        drainDelayMs = Math.max(0, config.meshDrainDelayMs());
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
        LOG.info("agent of node {} stopped; its containers keep running", local.nodeId());
    }

    // ------------------------------------------------------------ the session

    private void sessionLoop() {
        long backoff = 0;
        while (!stopping) {
            Dispatcher d;
            try {
                synchronized (lock) {
                    while (!stopping && dispatcher == null) {
                        lock.wait();
                    }
                    if (stopping) {
                        return;
                    }
                    d = dispatcher;
                    if (backoff > 0) {
                        lock.wait(backoff); // a new dispatcher or stopping ends it early
                        if (stopping) {
                            return;
                        }
                        if (dispatcher != d) {
                            backoff = 0;
                            continue;
                        }
                    }
                }
            } catch (InterruptedException e) {
                return;
            }
            Session s = null;
            try {
                // the node's name is the daemon's (--hostname), not the engine's
                s = d.open(local.nodeId(), executor.describe().toBuilder().setHostname(local.hostname()).build());
                s.setLogProvider(logProvider);
                backoff = 0;
                runSession(d, s);
            } catch (InterruptedException e) {
                return;
            } catch (ExecutorException | RuntimeException e) {
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
                    if (stopping && !frameworkStopping()) {
                        // a module update or restart (this agent's or its executor's): the next agent opens a
                        // session within moments and replaces this one; closing it would mark the node DOWN
                        // and have its tasks replaced (if no agent comes, the heartbeats lapse instead)
                        LOG.info("agent stopping without its daemon: leaving the session to the next agent");
                    } else {
                        try {
                            s.close();
                        } catch (RuntimeException e) {
                            LOG.debug("closing the session: {}", e.toString());
                        }
                    }
                }
            }
        }
    }

    private void runSession(Dispatcher d, Session s) throws InterruptedException {
        LOG.info("agent of node {} opened a session", local.nodeId());
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
        while (!stopping && dispatcher == d) {
            Assignments a = s.assignments(version, POLL);
            if (a != null) {
                version = a.version();
                reconcile(a.tasks(), first);
                first = false;
            }
        }
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

    /** Removes the runtime objects whose task is gone (deleted while no worker watched it). */
    private void sweep(Set<String> assigned) {
        Set<String> present;
        try {
            present = executor.taskIds();
        } catch (ExecutorException e) {
            LOG.warn("cannot list the executor's tasks: {}", e.getMessage());
            return;
        }
        for (String id : present) {
            if (!assigned.contains(id) && !workers.containsKey(id)) {
                try {
                    executor.removeTask(id);
                    LOG.info("removed the container of task {}: the task is gone", id);
                } catch (ExecutorException e) {
                    LOG.warn("cannot remove the container of task {}: {}", id, e.getMessage());
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

    Executor executor() {
        return executor;
    }

    boolean stopping() {
        return stopping;
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

    /** The worker of a task, if it has one (tests). */
    TaskWorker worker(String taskId) {
        return workers.get(taskId);
    }

    /** A retired worker is done. */
    void forget(TaskWorker w) {
        workers.remove(w.taskId(), w);
    }
}
