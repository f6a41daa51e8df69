package io.swarmlet.dispatcher.internal;

import io.swarmlet.api.dispatcher.Assignments;
import io.swarmlet.api.dispatcher.LogProvider;
import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.types.TaskStatus;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One node's session: its heartbeat clock and its log provider. Handed out by
 * {@link DispatcherImpl#open}; every call after {@link #close()} (or after the
 * dispatcher stopped or a newer session of the same node replaced it) throws
 * IllegalStateException, which tells the agent to open a new one.
 */
final class SessionImpl implements Session {

    private final DispatcherImpl dispatcher;
    private final String nodeId;

    // guarded by this
    private long lastBeat = System.nanoTime();
    private boolean down;
    private volatile boolean closed;
    private volatile LogProvider logProvider;

    SessionImpl(DispatcherImpl dispatcher, String nodeId) {
        this.dispatcher = dispatcher;
        this.nodeId = nodeId;
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public Assignments assignments(long afterVersion, Duration timeout) throws InterruptedException {
        checkOpen();
        Assignments a = dispatcher.index().await(nodeId, afterVersion, timeout, () -> closed);
        return a == null ? null : dispatcher.payloads().with(nodeId, a);
    }

    @Override
    public void updateTaskStatus(Map<String, TaskStatus> statusByTaskId) {
        checkOpen();
        dispatcher.writer().reportTasks(nodeId, Map.copyOf(statusByTaskId));
    }

    @Override
    public void heartbeat() {
        synchronized (this) {
            checkOpen();
            lastBeat = System.nanoTime();
            if (down) {
                down = false;
                dispatcher.nodeUp(nodeId, null);
            }
        }
    }

    @Override
    public Duration heartbeatPeriod() {
        return Duration.ofMillis(dispatcher.heartbeatMs());
    }

    @Override
    public void setLogProvider(LogProvider provider) {
        checkOpen();
        this.logProvider = Objects.requireNonNull(provider, "provider");
    }

    /** The node's log provider while this session is open, else null. */
    LogProvider logProvider() {
        return closed ? null : logProvider;
    }

    /**
     * Marks the session down if it has not beaten for {@code limitNanos}; true
     * if this call did (the caller then marks the node DOWN, under this lock so
     * that a heartbeat racing with it is ordered after).
     */
    synchronized boolean expire(long now, long limitNanos, Runnable markDown) {
        if (closed || down || now - lastBeat <= limitNanos) {
            return false;
        }
        down = true;
        markDown.run();
        return true;
    }

    @Override
    public void close() {
        if (end()) {
            dispatcher.closed(this);
        }
    }

    /** Ends the session without touching the node (dispatcher stopped, or replaced); true if it was open. */
    boolean end() {
        synchronized (this) {
            if (closed) {
                return false;
            }
            closed = true;
        }
        dispatcher.index().wakeAll();
        return true;
    }

    boolean isClosed() {
        return closed;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("session of node " + nodeId + " is closed");
        }
    }

    @Override
    public String toString() {
        return "session of node " + nodeId;
    }
}
