package io.swarmlet.agent.internal;

import io.swarmlet.api.types.ContainerStatus;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.PortStatus;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStates;
import io.swarmlet.api.types.TaskStatus;
import io.swarmlet.spi.executor.Controller;
import io.swarmlet.spi.executor.ExecutorException;
import io.swarmlet.spi.executor.LogSource;
import io.swarmlet.spi.executor.PortSource;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Drives one task towards its desired state with its {@link Controller}, one
 * step at a time (SwarmKit's exec.Do), and reports every state it reaches:
 *
 * <pre>
 * ASSIGNED -> ACCEPTED -> PREPARING (prepare) -> READY -> STARTING (start, waitReady) -> RUNNING (waitExit)
 *   -> COMPLETE (exit 0) | FAILED (non-zero exit, unhealthy)
 * fatal prepare error -> REJECTED; other prepare or start error -> FAILED
 * desired state past RUNNING (COMPLETE, SHUTDOWN, REMOVE) before the end -> shutdown -> SHUTDOWN
 * desired REMOVE once stopped -> remove; task gone from the assignments -> shutdown, remove, forget
 * </pre>
 *
 * A task with secrets or configs gets their files ({@link PayloadFiles}) just before
 * prepare (a value not delivered to this node: REJECTED) and, if they went
 * meanwhile, before start; the executor gets the task with one read-only bind
 * mount per file. They are deleted once the task is in a terminal state or gone.
 *
 * A state never moves backwards: the worker knows the later of the state the
 * store has and the one it reported last. A worker that first sees its task
 * RUNNING (the agent restarted) adopts the runtime object through
 * {@link Controller#inspect()} instead of starting another one.
 *
 * <p>The RUNNING status carries the task's published ports when the controller
 * is a {@link PortSource} (the routing mesh's backends). A running task with an
 * ingress port is stopped only after the agent's mesh drain delay: the
 * managers take it out of every node's mesh as soon as its desired state
 * passes RUNNING, and the delay lets that reach every node before the
 * container gets SIGTERM, so no new connection is sent to a dying container.
 * The worker waits on the agent's timer, not on its pool thread.
 *
 * <p>A worker holds a pool thread only while it has something to do (or waits
 * on a running task); a new assignment schedules it again. A desired-state
 * change past RUNNING interrupts a blocking prepare/start/wait.
 *
 * <p>The task runs on the executor of its runtime ({@code spec.runtime}). When
 * that executor goes away (a plugin removed or updated), the worker drops its
 * controller without reporting anything and waits: the task's runtime object
 * is left as it is, and the next executor of that runtime adopts it, as after
 * an agent restart. A task with no executor for its runtime that has not
 * started yet (before STARTING) is REJECTED once the agent's executor wait is
 * over; one that may run waits for as long as it takes.
 */
final class TaskWorker implements Runnable {

    private static final Logger LOG = LogManager.getLogger(TaskWorker.class);
    static final String NOT_FOUND = "container not found";
    static final String UNHEALTHY = "unhealthy container";
    static final String NO_EXECUTOR = "no executor for runtime '%s' on this node";
    private static final long MAX_BACKOFF_MS = 10_000;

    private enum Step { PROGRESS, IDLE, RETRY, STOPPED, FINISHED }

    @FunctionalInterface
    private interface Call<T> {
        T apply(Controller c) throws ExecutorException, InterruptedException;
    }

    private final Agent agent;
    private final String taskId;
    private final String runtime;

    // guarded by this
    private Task task;
    private boolean gone;
    private boolean scheduled;
    private boolean dirty;
    private boolean finished;
    private Thread blocked;
    private Controller controller;
    /** The executor {@link #controller} came from. */
    private io.swarmlet.spi.executor.Executor owner;
    /** The runtime's executor changed since the last step: drop the controller, adopt again. */
    private boolean executorChanged;

    // the running step's thread only (runs never overlap)
    private TaskStatus status;
    private boolean adoptionChecked;
    private boolean runtimeRemoved;
    /** The task's secret and config files are deleted (it ended). */
    private boolean filesRemoved;
    private ContainerStatus container = ContainerStatus.getDefaultInstance();
    private PortStatus ports = PortStatus.getDefaultInstance();
    /** Where this node reaches the task's ports directly ("" = only through its node ports). */
    private String address = "";
    /** System.nanoTime() when the mesh drain before stopping ends; 0 = not draining. */
    private long drainUntil;
    private long backoffMs;

    private volatile TaskStatus reported;

    TaskWorker(Agent agent, Task task) {
        this.agent = agent;
        this.taskId = task.getId();
        this.task = task;
        this.runtime = ExecutorSet.runtimeOf(task.getSpec().getRuntime());
    }

    /** The task's runtime ("container", "process"...). */
    String runtime() {
        return runtime;
    }

    /** The executor of this task's runtime went away or was replaced: stop using the old one. */
    void executorChanged() {
        synchronized (this) {
            executorChanged = true;
            if (blocked != null) {
                blocked.interrupt();
            }
        }
        schedule();
    }

    /** Whether the executor changed under a call in progress (its outcome says nothing then). */
    private synchronized boolean lostExecutor() {
        return executorChanged;
    }

    String taskId() {
        return taskId;
    }

    /** The last status this worker reported, null if none yet. */
    TaskStatus reported() {
        return reported;
    }

    /** The task as the managers want it now. */
    void update(Task t) {
        synchronized (this) {
            if (gone) {
                return;
            }
            task = t;
            if (blocked != null && t.getDesiredState().getNumber() > TaskState.RUNNING_VALUE) {
                blocked.interrupt();
            }
        }
        schedule();
    }

    /** The task left the assignments (deleted): stop and remove its runtime object. True if it was not retired yet. */
    boolean retire() {
        synchronized (this) {
            if (gone) {
                return false;
            }
            gone = true;
            if (blocked != null) {
                blocked.interrupt();
            }
        }
        schedule();
        return true;
    }

    /** The agent stops: leave the runtime object as it is (the next agent adopts it). */
    void stop() {
        synchronized (this) {
            if (blocked != null) {
                blocked.interrupt();
            }
        }
    }

    void schedule() {
        synchronized (this) {
            if (finished) {
                return;
            }
            dirty = true;
            if (scheduled) {
                return;
            }
            scheduled = true;
        }
        if (!agent.execute(this)) {
            synchronized (this) {
                scheduled = false;
            }
        }
    }

    @Override
    public void run() {
        while (true) {
            Task t;
            boolean g;
            synchronized (this) {
                if (agent.stopping() || !dirty) {
                    scheduled = false;
                    return;
                }
                dirty = false;
                t = task;
                g = gone;
            }
            Step step;
            try {
                step = step(t, g);
            } catch (RuntimeException e) {
                LOG.error("task {}: unexpected failure, will retry", taskId, e);
                step = Step.RETRY;
            } catch (LinkageError e) {
                // the executor's bundle was updated or refreshed under this call (its classes are gone):
                // drop its controller and go on with the executor that replaces it
                LOG.info("task {}: its executor's code went away during a call ({}); retrying with the next one",
                        taskId, e.toString());
                closeController();
                step = Step.RETRY;
            }
            switch (step) {
                case PROGRESS:
                    backoffMs = 0;
                    synchronized (this) {
                        dirty = true;
                    }
                    break;
                case IDLE:
                    backoffMs = 0;
                    break;
                case RETRY:
                    backoffMs = backoffMs == 0 ? 500 : Math.min(MAX_BACKOFF_MS, backoffMs * 2);
                    agent.later(this::schedule, backoffMs);
                    break;
                case STOPPED:
                    synchronized (this) {
                        scheduled = false;
                    }
                    return;
                case FINISHED:
                    synchronized (this) {
                        finished = true;
                        scheduled = false;
                    }
                    agent.forget(this);
                    return;
                default:
                    throw new AssertionError(step);
            }
        }
    }

    // ------------------------------------------------------------ the lifecycle

    private Step step(Task t, boolean isGone) {
        // the store may know a later state than this worker (reports of an earlier agent, or of a manager)
        if (status == null || t.getStatus().getState().getNumber() > status.getState().getNumber()) {
            status = t.getStatus();
        }
        TaskState current = status.getState();
        TaskState desired = t.getDesiredState();
        synchronized (this) {
            if (executorChanged) {
                executorChanged = false;
                adoptionChecked = false; // a task that runs is adopted by the new executor
                closeController();
            }
        }
        boolean hasExecutor = agent.executor(runtime) != null;

        if (isGone) {
            removeFiles();
            if (!hasExecutor) {
                // nothing to stop it with: the agent removes what is left once an executor of its runtime comes
                LOG.info("task {} is gone; no executor for runtime '{}' here to remove what it left", taskId, runtime);
                return Step.FINISHED;
            }
            return removeGone(t, current);
        }
        if (TaskStates.isTerminal(current)) {
            removeFiles();
            if (desired == TaskState.REMOVE && !runtimeRemoved) {
                return hasExecutor ? removeRuntime() : Step.IDLE; // removed once an executor comes
            }
            return Step.IDLE;
        }
        if (!hasExecutor && current.getNumber() >= TaskState.PREPARING_VALUE
                && (current.getNumber() >= TaskState.STARTING_VALUE || waitForExecutor())) {
            return Step.IDLE; // it may have a runtime object: only an executor of its runtime may touch it
        }
        if (desired.getNumber() > TaskState.RUNNING_VALUE) {
            return shutdown(t, current);
        }
        if (!hasExecutor && (current.getNumber() >= TaskState.PREPARING_VALUE || !waitForExecutor())) {
            fail(TaskState.REJECTED, String.format(NO_EXECUTOR, runtime));
            return Step.PROGRESS;
        }
        if (!hasExecutor) {
            return Step.IDLE; // waitForExecutor() scheduled the next look
        }
        if (!adoptionChecked) {
            adoptionChecked = true;
            if (current == TaskState.RUNNING) {
                return adopt();
            }
        }
        if (current != TaskState.RUNNING && current.getNumber() >= desired.getNumber()) {
            return Step.IDLE; // e.g. prepared, and the managers want it READY only (a restart delay runs)
        }
        switch (current) {
            case ACCEPTED:
                if (desired == TaskState.READY) {
                    // a restart delay runs: prepare only once it is over, so a task that cannot
                    // be prepared (an image not there) is retried at the policy's pace, not at once
                    return Step.IDLE;
                }
                report(TaskState.PREPARING, "preparing", "");
                return Step.PROGRESS;
            case PREPARING:
                return prepare(t);
            case READY:
                report(TaskState.STARTING, "starting", "");
                return Step.PROGRESS;
            case STARTING:
                return start(t);
            case RUNNING:
                return waitExit();
            default:
                if (current.getNumber() < TaskState.ACCEPTED_VALUE) {
                    report(TaskState.ACCEPTED, "accepted", "");
                    return Step.PROGRESS;
                }
                LOG.warn("task {}: unexpected state {}", taskId, current);
                return Step.IDLE;
        }
    }

    /**
     * Whether a task without an executor still waits for one (the agent just
     * started, or the runtime's executor just went away); if so, this worker
     * looks again when the wait is over (an executor coming sooner schedules it).
     */
    private boolean waitForExecutor() {
        long left = agent.executorDeadline(runtime) - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        agent.later(this::schedule, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        return true;
    }

    private Step prepare(Task t) {
        Step noFiles = writeFiles(t, false);
        if (noFiles != null) {
            return noFiles;
        }
        try {
            interruptibly(c -> {
                c.prepare();
                return null;
            });
        } catch (InterruptedException e) {
            return interrupted();
        } catch (ExecutorException e) {
            if (agent.stopping()) {
                return Step.STOPPED;
            }
            if (stopRequested() || lostExecutor()) {
                return Step.PROGRESS;
            }
            LOG.warn("task {}: prepare failed{}: {}", taskId, e.fatal() ? " (fatal)" : "", e.getMessage());
            fail(e.fatal() ? TaskState.REJECTED : TaskState.FAILED, e.getMessage());
            return Step.PROGRESS;
        }
        report(TaskState.READY, "prepared", "");
        return Step.PROGRESS;
    }

    private Step start(Task t) {
        // created with them; missing only when the agent restarted since (its files were deleted)
        Step noFiles = writeFiles(t, true);
        if (noFiles != null) {
            return noFiles;
        }
        boolean started = false;
        try {
            interruptibly(c -> {
                c.start();
                return null;
            });
            started = true;
            interruptibly(c -> {
                c.waitReady();
                return null;
            });
        } catch (InterruptedException e) {
            return interrupted();
        } catch (ExecutorException e) {
            if (agent.stopping()) {
                return Step.STOPPED;
            }
            if (stopRequested() || lostExecutor()) {
                return Step.PROGRESS;
            }
            return startFailed(e, started);
        }
        inspectQuietly().ifPresent(this::see);
        readPorts();
        report(TaskState.RUNNING, "started", "");
        return Step.PROGRESS;
    }

    /**
     * Writes the task's secret and config files from the latest assignments;
     * null when done (or none needed), else the step after rejecting or failing the task.
     */
    private Step writeFiles(Task t, boolean onlyMissing) {
        PayloadFiles files = agent.files();
        if (files == null || !PayloadFiles.needsFiles(t)) {
            return null;
        }
        try {
            files.write(t, agent.delivered(), onlyMissing);
            return null;
        } catch (PayloadFiles.Rejected e) {
            LOG.warn("task {}: rejected: {}", taskId, e.getMessage());
            fail(TaskState.REJECTED, e.getMessage());
            return Step.PROGRESS;
        } catch (java.io.IOException | RuntimeException e) {
            LOG.warn("task {}: cannot write its secret and config files: {}", taskId, e.toString());
            fail(TaskState.FAILED, "cannot write the task's secret and config files: " + e.getMessage());
            return Step.PROGRESS;
        }
    }

    /** Deletes the task's secret and config files once (it ended, or left the node). */
    private void removeFiles() {
        if (filesRemoved) {
            return;
        }
        filesRemoved = true;
        PayloadFiles files = agent.files();
        if (files != null && PayloadFiles.needsFiles(task())) {
            files.remove(taskId);
        }
    }

    private synchronized Task task() {
        return task;
    }

    private Step startFailed(ExecutorException e, boolean started) {
        if (lostExecutor()) {
            return Step.PROGRESS;
        }
        LOG.warn("task {}: {} failed: {}", taskId, started ? "waiting for it to be ready" : "start", e.getMessage());
        Optional<Controller.RuntimeStatus> now = started ? inspectQuietly() : Optional.empty();
        if (now.isPresent() && now.get().running()) {
            // it runs but never became ready (unhealthy, or the wait gave up): stop it before the task
            // is reported failed, since nothing stops the container of a task in a terminal state
            try {
                controller().shutdown();
            } catch (ExecutorException se) {
                if (agent.stopping()) {
                    return Step.STOPPED;
                }
                LOG.warn("task {}: cannot stop its container that failed to get ready, will retry: {}", taskId, se.getMessage());
                return Step.RETRY;
            }
            inspectQuietly().ifPresent(this::see);
        } else if (now.isPresent()) {
            see(now.get());
            if (!unhealthy(e.getMessage())) {
                // it ran, and exited before it was ready (or a short job finished at once): say how it ended
                return exited(new Controller.ExitStatus(now.get().exitCode(), now.get().health()));
            }
        }
        if (unhealthy(e.getMessage())) {
            fail(TaskState.FAILED, UNHEALTHY);
            return Step.PROGRESS;
        }
        fail(TaskState.FAILED, e.getMessage());
        return Step.PROGRESS;
    }

    private Step waitExit() {
        Controller.ExitStatus exit;
        try {
            exit = interruptibly(Controller::waitExit);
        } catch (InterruptedException e) {
            return interrupted();
        } catch (ExecutorException e) {
            if (agent.stopping()) {
                return Step.STOPPED;
            }
            if (stopRequested() || lostExecutor()) {
                return Step.PROGRESS;
            }
            if (e.fatal()) {
                fail(TaskState.FAILED, e.getMessage());
                return Step.PROGRESS;
            }
            LOG.warn("task {}: lost track of its container, looking again: {}", taskId, e.getMessage());
            adoptionChecked = false;
            return Step.RETRY;
        }
        if (lostExecutor()) {
            return Step.PROGRESS; // its executor went away meanwhile: the next one says how it ended
        }
        return exited(exit);
    }

    /** The task was RUNNING before this worker: find out what became of its runtime object. */
    private Step adopt() {
        Optional<Controller.RuntimeStatus> now;
        try {
            now = controller().inspect();
        } catch (ExecutorException e) {
            adoptionChecked = false;
            if (lostExecutor()) {
                return Step.PROGRESS;
            }
            LOG.warn("task {}: cannot inspect its container, will retry: {}", taskId, e.getMessage());
            return Step.RETRY;
        }
        if (lostExecutor()) {
            adoptionChecked = false;
            return Step.PROGRESS;
        }
        if (now.isEmpty()) {
            LOG.warn("task {} was running, but its container is gone", taskId);
            fail(TaskState.FAILED, NOT_FOUND);
            return Step.PROGRESS;
        }
        Controller.RuntimeStatus rs = now.get();
        see(rs);
        if (rs.running()) {
            LOG.info("task {}: adopted its running container {}", taskId, rs.containerId());
            readPorts();
            if (!ports.equals(status.getPortStatus()) || !address.equals(status.getContainerStatus().getAddress())) {
                // the store may lack them (reported by an agent that did not read ports) or have stale ones
                report(TaskState.RUNNING, status.getMessage().isEmpty() ? "started" : status.getMessage(), "");
            }
            return Step.PROGRESS;
        }
        LOG.info("task {}: its container {} exited with {} meanwhile", taskId, rs.containerId(), rs.exitCode());
        return exited(new Controller.ExitStatus(rs.exitCode(), rs.health()));
    }

    private Step exited(Controller.ExitStatus exit) {
        container = container.toBuilder().setExitCode(exit.exitCode()).setPid(0).build();
        if (unhealthy(exit.message())) {
            report(TaskState.FAILED, "failed", UNHEALTHY);
        } else if (exit.exitCode() == 0) {
            report(TaskState.COMPLETE, "finished", "");
        } else {
            report(TaskState.FAILED, "failed", "task: non-zero exit (" + exit.exitCode() + ")");
        }
        return Step.PROGRESS;
    }

    private Step shutdown(Task t, TaskState current) {
        if (current == TaskState.RUNNING && !drained(t)) {
            return Step.IDLE; // the timer schedules this worker again once the delay is over
        }
        // there may be a runtime object (without an executor here, none that started: nothing to stop)
        if (current.getNumber() >= TaskState.PREPARING_VALUE && agent.executor(runtime) != null) {
            try {
                controller().shutdown();
            } catch (ExecutorException e) {
                if (agent.stopping()) {
                    return Step.STOPPED;
                }
                if (lostExecutor()) {
                    return Step.PROGRESS;
                }
                if (!e.fatal()) {
                    LOG.warn("task {}: shutdown failed, will retry: {}", taskId, e.getMessage());
                    return Step.RETRY;
                }
                LOG.warn("task {}: shutdown failed: {}", taskId, e.getMessage());
                fail(TaskState.FAILED, e.getMessage());
                return Step.PROGRESS;
            }
        }
        report(TaskState.SHUTDOWN, "shutdown", "");
        return Step.PROGRESS;
    }

    private Step removeRuntime() {
        try {
            controller().remove();
        } catch (ExecutorException e) {
            if (lostExecutor()) {
                return Step.PROGRESS;
            }
            if (!e.fatal() && !agent.stopping()) {
                LOG.warn("task {}: remove failed, will retry: {}", taskId, e.getMessage());
                return Step.RETRY;
            }
            LOG.warn("task {}: remove failed: {}", taskId, e.getMessage());
        }
        runtimeRemoved = true;
        closeController();
        return Step.IDLE;
    }

    /** The task was deleted from the store: nothing of it may stay. */
    private Step removeGone(Task t, TaskState current) {
        if (current == TaskState.RUNNING && !drained(t)) {
            return Step.IDLE;
        }
        try {
            if (current.getNumber() >= TaskState.PREPARING_VALUE && !TaskStates.isTerminal(current)) {
                controller().shutdown();
            }
            controller().remove();
            LOG.info("task {} is gone: removed its container", taskId);
        } catch (ExecutorException e) {
            // the agent's sweep of runtime objects without a task tries again
            LOG.warn("task {} is gone, but its container could not be removed: {}", taskId, e.getMessage());
        }
        closeController();
        return Step.FINISHED;
    }

    private Step interrupted() {
        return agent.stopping() ? Step.STOPPED : Step.PROGRESS;
    }

    /**
     * Whether a RUNNING task may be stopped now: true at once unless it
     * publishes an ingress port, the drain delay is on and its container
     * still runs (one that exited is no backend any more); otherwise starts
     * the delay on the agent's timer, which schedules this worker again when
     * it is over, and says false until then. The pool thread is free
     * meanwhile, so one task's delay never holds up another task.
     */
    private boolean drained(Task t) {
        long now = System.nanoTime();
        if (drainUntil != 0) {
            return now - drainUntil >= 0;
        }
        long delay = agent.drainDelayMs();
        if (delay <= 0 || !publishesIngress(t)) {
            return true;
        }
        try {
            Optional<Controller.RuntimeStatus> rs = controller().inspect();
            if (rs.isEmpty() || !rs.get().running()) {
                return true;
            }
        } catch (ExecutorException e) {
            // cannot tell: it may still run and be a backend, so drain anyway
            LOG.debug("task {}: inspect before stopping failed: {}", taskId, e.getMessage());
        }
        drainUntil = now + TimeUnit.MILLISECONDS.toNanos(delay);
        if (drainUntil == 0) {
            drainUntil = 1;
        }
        LOG.debug("task {}: leaving it running {} ms while the routing mesh stops sending it connections",
                taskId, delay);
        agent.later(this::schedule, delay);
        return false;
    }

    /** Whether the task publishes an ingress port that the routing mesh serves (one with a published port). */
    static boolean publishesIngress(Task t) {
        Endpoint e = t.getEndpoint();
        List<PortConfig> ports = e.getPortsCount() > 0 ? e.getPortsList() : e.getSpec().getPortsList();
        for (PortConfig p : ports) {
            if (p.getPublishMode() == PortConfig.PublishMode.INGRESS && p.getPublishedPort() != 0) {
                return true;
            }
        }
        return false;
    }

    /** The task's published ports, for the RUNNING status, if its controller can tell them. */
    private void readPorts() {
        try {
            Controller c = controller();
            if (c instanceof PortSource source) {
                ports = PortStatus.newBuilder().addAllPorts(source.publishedPorts()).build();
                address = ports.getPortsCount() > 0 ? source.containerAddress() : "";
            }
        } catch (ExecutorException | RuntimeException | LinkageError e) {
            // the task runs all the same; the mesh only misses it as a backend
            LOG.warn("task {}: cannot read its published ports, reporting it running without them: {}", taskId,
                    e.getMessage());
        }
    }

    // ------------------------------------------------------------ helpers

    /** Reports a new state, unless it would move backwards. */
    private void report(TaskState state, String message, String err) {
        if (!TaskStates.canMove(status.getState(), state)) {
            return;
        }
        TaskStatus.Builder b = TaskStatus.newBuilder()
                .setTimestamp(System.currentTimeMillis())
                .setState(state)
                .setMessage(message)
                .setErr(err);
        if (!container.equals(ContainerStatus.getDefaultInstance())) {
            b.setContainerStatus(container);
        }
        if (state == TaskState.RUNNING && ports.getPortsCount() > 0) {
            b.setPortStatus(ports);
            if (!address.isEmpty()) {
                b.setContainerStatus(container.toBuilder().setAddress(address));
            }
        }
        status = b.build();
        reported = status;
        if (TaskStates.isTerminal(state)) {
            removeFiles();
        }
        LOG.debug("task {}: {} ({}{})", taskId, state, message, err.isEmpty() ? "" : ": " + err);
        agent.report(taskId, status);
    }

    /** A terminal error state, keeping the message of the step that failed (as SwarmKit does). */
    private void fail(TaskState state, String err) {
        report(state, status.getMessage(), err == null || err.isEmpty() ? "failed" : err);
    }

    private void see(Controller.RuntimeStatus rs) {
        ContainerStatus.Builder b = container.toBuilder().setContainerId(rs.containerId()).setPid(rs.pid());
        if (!rs.running()) {
            b.setExitCode(rs.exitCode());
        }
        container = b.build();
    }

    private Optional<Controller.RuntimeStatus> inspectQuietly() {
        try {
            return controller().inspect();
        } catch (ExecutorException e) {
            LOG.debug("task {}: inspect failed: {}", taskId, e.getMessage());
            return Optional.empty();
        }
    }

    private static boolean unhealthy(String message) {
        return message != null && message.toLowerCase(Locale.ROOT).contains("unhealthy");
    }

    /** Whether the managers want the task stopped (or gone) while a blocking call runs. */
    private synchronized boolean stopRequested() {
        return gone || task.getDesiredState().getNumber() > TaskState.RUNNING_VALUE;
    }

    /** Runs a blocking controller call that a stop request or the agent stopping interrupts. */
    private <T> T interruptibly(Call<T> call) throws ExecutorException, InterruptedException {
        Controller c = controller();
        synchronized (this) {
            if (agent.stopping() || gone || executorChanged
                    || task.getDesiredState().getNumber() > TaskState.RUNNING_VALUE) {
                throw new InterruptedException();
            }
            blocked = Thread.currentThread();
        }
        try {
            return call.apply(c);
        } finally {
            synchronized (this) {
                blocked = null;
                Thread.interrupted(); // an interrupt that came too late for the call is not for the next one
            }
        }
    }

    synchronized Controller controller() throws ExecutorException {
        io.swarmlet.spi.executor.Executor e = agent.executor(runtime);
        if (e == null) {
            throw new ExecutorException(String.format(NO_EXECUTOR, runtime), false);
        }
        if (controller != null && owner != e) {
            closeController(); // the step that runs finds executorChanged set: it adopts again
        }
        if (controller == null) {
            PayloadFiles files = agent.files();
            controller = e.controller(files == null ? task : files.withMounts(task));
            owner = e;
        }
        return controller;
    }

    synchronized void closeController() {
        if (controller != null) {
            try {
                controller.close();
            } catch (RuntimeException | LinkageError e) {
                LOG.debug("task {}: closing its controller: {}", taskId, e.toString());
            }
            controller = null;
            owner = null;
        }
    }

    /** The task's output, if its controller can read it. */
    void logs(int tail, boolean follow, Consumer<LogSource.LogLine> sink) throws InterruptedException {
        Controller c;
        try {
            c = controller();
        } catch (ExecutorException e) {
            throw new IllegalStateException("cannot read the logs of task " + taskId + ": " + e.getMessage(), e);
        }
        if (!(c instanceof LogSource)) {
            throw new IllegalStateException("the executor cannot read task logs");
        }
        try {
            ((LogSource) c).logs(tail, follow, sink);
        } catch (ExecutorException e) {
            throw new IllegalStateException("cannot read the logs of task " + taskId + ": " + e.getMessage(), e);
        }
    }
}
