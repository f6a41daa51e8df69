package io.swarmlet.remote.internal;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.swarmlet.api.dispatcher.Assignments;
import io.swarmlet.api.dispatcher.LogProvider;
import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.remote.AssignmentsRequest;
import io.swarmlet.api.remote.AssignmentsResponse;
import io.swarmlet.api.remote.CloseSessionRequest;
import io.swarmlet.api.remote.HeartbeatRequest;
import io.swarmlet.api.remote.HeartbeatResponse;
import io.swarmlet.api.remote.OpenSessionResponse;
import io.swarmlet.api.remote.UpdateTaskStatusRequest;
import io.swarmlet.api.types.TaskStatus;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One session with the leader's dispatcher over gRPC. Once the leader does not
 * answer, or says it does not lead or know the session any more, the session
 * is dead: every call throws IllegalStateException at once (a long poll in
 * progress is cancelled), and the agent opens a new session, which finds the
 * leader again.
 */
final class RemoteSession implements Session {

    private static final Logger LOG = LogManager.getLogger(RemoteSession.class);
    /** Codes after which the session cannot be used again. */
    private static final Set<Status.Code> FATAL = EnumSet.of(Status.Code.UNAVAILABLE, Status.Code.FAILED_PRECONDITION,
            Status.Code.NOT_FOUND, Status.Code.DEADLINE_EXCEEDED, Status.Code.UNAUTHENTICATED,
            Status.Code.PERMISSION_DENIED);
    private static final long CLOSE_TIMEOUT_MS = 2_000;

    private final RemoteDispatcher owner;
    private final String addr;
    private final String id;

    private volatile long heartbeatMs;
    private volatile String dead;
    private volatile boolean closed;
    private volatile LogProvider logProvider;
    /** The assignments call in progress, cancelled when the session dies. */
    private volatile Context.CancellableContext poll;

    RemoteSession(RemoteDispatcher owner, String addr, OpenSessionResponse opened) {
        this.owner = owner;
        this.addr = addr;
        this.id = opened.getSessionId();
        this.heartbeatMs = opened.getHeartbeatPeriodMs() > 0 ? opened.getHeartbeatPeriodMs() : 5_000;
    }

    String id() {
        return id;
    }

    String addr() {
        return addr;
    }

    @Override
    public String nodeId() {
        return owner.nodeId();
    }

    @Override
    public Assignments assignments(long afterVersion, Duration timeout) throws InterruptedException {
        check();
        long ms = Math.max(0, Math.min(NodeDispatcherService.MAX_POLL_MS, timeout.toMillis()));
        AssignmentsRequest request = AssignmentsRequest.newBuilder().setSessionId(id).setAfterVersion(afterVersion)
                .setTimeoutMs(ms).build();
        Context.CancellableContext ctx = Context.current().withCancellation();
        poll = ctx;
        AssignmentsResponse r;
        try {
            if (dead != null) { // died while we set up
                throw new IllegalStateException(dead);
            }
            r = ctx.call(() -> owner.stub(addr)
                    .withDeadlineAfter(ms + RemoteDispatcher.CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .assignments(request));
        } catch (StatusRuntimeException e) {
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while waiting for assignments");
            }
            throw fail("assignments", e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e); // ctx.call declares Exception; the stub throws none other
        } finally {
            poll = null;
            ctx.cancel(null);
        }
        return r.getChanged()
                ? new Assignments(r.getVersion(), r.getTasksList(), r.getSecretsList(), r.getConfigsList())
                : null;
    }

    @Override
    public void updateTaskStatus(Map<String, TaskStatus> statusByTaskId) {
        check();
        try {
            owner.stub(addr).withDeadlineAfter(RemoteDispatcher.CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .updateTaskStatus(UpdateTaskStatusRequest.newBuilder().setSessionId(id).putAllStatuses(statusByTaskId).build());
        } catch (StatusRuntimeException e) {
            throw fail("task status", e);
        }
    }

    @Override
    public void heartbeat() {
        check();
        // within two periods (at least 1 s): a leader that takes longer is as good as gone
        long deadline = Math.max(1_000, Math.min(10_000, 2 * heartbeatMs));
        HeartbeatResponse r;
        try {
            r = owner.stub(addr).withDeadlineAfter(deadline, TimeUnit.MILLISECONDS)
                    .heartbeat(HeartbeatRequest.newBuilder().setSessionId(id).build());
        } catch (StatusRuntimeException e) {
            throw fail("heartbeat", e);
        }
        if (r.getHeartbeatPeriodMs() > 0) {
            heartbeatMs = r.getHeartbeatPeriodMs();
        }
        owner.learn(r.getManagersList());
        owner.wantedRole(r.getRole());
    }

    @Override
    public Duration heartbeatPeriod() {
        return Duration.ofMillis(heartbeatMs);
    }

    @Override
    public void setLogProvider(LogProvider provider) {
        check();
        logProvider = Objects.requireNonNull(provider, "provider");
        owner.attached(this);
    }

    LogProvider logProvider() {
        return logProvider;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        owner.detached(this);
        boolean wasDead = dead != null;
        kill("session " + id + " is closed");
        if (wasDead) {
            return; // the leader does not know it any more
        }
        try {
            owner.stub(addr).withDeadlineAfter(CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .closeSession(CloseSessionRequest.newBuilder().setSessionId(id).build());
        } catch (RuntimeException e) {
            LOG.debug("closing session {}: {}", id, e.toString());
        }
    }

    private void check() {
        String why = dead;
        if (why != null) {
            throw new IllegalStateException(why);
        }
    }

    /** Marks the session dead (the first reason stays) and cancels a poll in progress. */
    private void kill(String why) {
        synchronized (this) {
            if (dead == null) {
                dead = why;
            }
        }
        Context.CancellableContext p = poll;
        if (p != null) {
            p.cancel(null);
        }
    }

    /** The exception for a failed call; the session dies if the leader cannot serve it any more. */
    private IllegalStateException fail(String what, StatusRuntimeException e) {
        Status s = e.getStatus();
        String desc = s.getDescription() != null ? s.getDescription() : s.getCode().toString();
        String already = dead;
        if (already != null) { // killed while the call ran (that cancelled it)
            return new IllegalStateException(already);
        }
        String why = "session " + id + " with the leader at " + addr + " ended: " + what + ": " + desc;
        if (FATAL.contains(s.getCode())) {
            if (s.getCode() == Status.Code.UNAVAILABLE || s.getCode() == Status.Code.DEADLINE_EXCEEDED) {
                owner.unreachable(addr);
            }
            kill(why);
            LOG.info("{}", why);
            return new IllegalStateException(why, e);
        }
        return new IllegalStateException(what + " failed at the leader " + addr + ": " + desc, e);
    }
}
