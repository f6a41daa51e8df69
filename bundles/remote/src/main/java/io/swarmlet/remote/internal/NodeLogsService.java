package io.swarmlet.remote.internal;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.dispatcher.LogProvider;
import io.swarmlet.api.grpc.NodeLogsGrpc;
import io.swarmlet.api.remote.TaskLogLine;
import io.swarmlet.api.remote.TaskLogsRequest;
import io.swarmlet.api.security.NodeCertificates;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.grpc.PeerIdentity;
import java.security.cert.X509Certificate;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Serves the output of this node's tasks to managers (the leader's dispatcher
 * for {@code logs}, or a manager's control API directly): callers must
 * present a manager certificate. Lines come from this node's agent: the
 * {@link LogProvider} it set on its session with a remote leader, or, on the
 * leader itself, the one it set on the local dispatcher's session.
 *
 * <p>The lines are produced on the call's thread, which waits while the
 * client is not ready for more; cancelling the call (its context) interrupts it.
 */
final class NodeLogsService extends NodeLogsGrpc.NodeLogsImplBase {

    private static final Logger LOG = LogManager.getLogger(NodeLogsService.class);

    private final Locals locals;

    NodeLogsService(Locals locals) {
        this.locals = locals;
    }

    @Override
    public void taskLogs(TaskLogsRequest request, StreamObserver<TaskLogLine> observer) {
        X509Certificate cert = PeerIdentity.current();
        if (cert == null) {
            observer.onError(Status.UNAUTHENTICATED.withDescription("a node certificate of this cluster is required")
                    .asRuntimeException());
            return;
        }
        if (NodeCertificates.role(cert) != NodeRole.MANAGER) {
            observer.onError(Status.PERMISSION_DENIED.withDescription("task logs can only be read by managers")
                    .asRuntimeException());
            return;
        }
        LogProvider provider = provider();
        if (provider == null) {
            observer.onError(Status.UNAVAILABLE.withDescription("the agent of node " + locals.nodeId()
                    + " has no session with the dispatcher").asRuntimeException());
            return;
        }
        ServerCallStreamObserver<TaskLogLine> out = (ServerCallStreamObserver<TaskLogLine>) observer;
        // the call's callbacks (onCancel, onReady) wait behind this thread; its context is cancelled at once
        Context ctx = Context.current();
        Producer p = new Producer(Thread.currentThread(), out, ctx);
        Context.CancellationListener onCancel = c -> p.cancelled();
        ctx.addListener(onCancel, Runnable::run);
        try {
            provider.logs(request.getTaskId(), request.getTail(), request.getFollow(), line -> p.send(LogsClient.toProto(line)));
            out.onCompleted();
        } catch (InterruptedException | CancelledException e) {
            if (!ctx.isCancelled()) {
                out.onError(Status.CANCELLED.withDescription("stopping").asRuntimeException());
            }
        } catch (IllegalArgumentException e) {
            out.onError(Status.NOT_FOUND.withDescription(e.getMessage()).asRuntimeException());
        } catch (IllegalStateException e) {
            out.onError(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
        } catch (RuntimeException e) {
            if (!ctx.isCancelled()) {
                LOG.warn("reading the logs of task {} failed: {}", request.getTaskId(), e.toString());
                out.onError(Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
            }
        } finally {
            ctx.removeListener(onCancel);
            p.finished();
        }
    }

    /** The agent's provider on its remote session, else the local dispatcher's session of this node. */
    private LogProvider provider() {
        LogProvider p = locals.agentLogs();
        if (p != null) {
            return p;
        }
        Dispatcher d = locals.localDispatcher();
        if (d == null) {
            return null;
        }
        String self = locals.nodeId();
        return (taskId, tail, follow, sink) -> d.logs(self, taskId, tail, follow, sink);
    }

    /** The producing thread's side of one call: waits for the client, and is interrupted on cancel. */
    private static final class Producer {
        /** How often a producer waiting for a slow client looks again. */
        private static final long READY_POLL_MS = 20;

        private final Thread thread;
        private final ServerCallStreamObserver<TaskLogLine> out;
        private final Context ctx;
        private boolean finished;

        Producer(Thread thread, ServerCallStreamObserver<TaskLogLine> out, Context ctx) {
            this.thread = thread;
            this.out = out;
            this.ctx = ctx;
        }

        void send(TaskLogLine line) {
            synchronized (this) {
                while (!out.isReady() && !ctx.isCancelled()) {
                    try {
                        wait(READY_POLL_MS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new CancelledException();
                    }
                }
            }
            if (ctx.isCancelled()) {
                throw new CancelledException();
            }
            out.onNext(line);
        }

        synchronized void cancelled() {
            notifyAll();
            if (!finished) {
                thread.interrupt();
            }
        }

        /** The call is over: no interrupt may reach this (pooled) thread any more. */
        void finished() {
            synchronized (this) {
                finished = true;
            }
            Thread.interrupted();
        }
    }

    /** Ends a producer whose client went away; the provider passes it on. */
    private static final class CancelledException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CancelledException() {
            super("the client went away", null, false, false);
        }
    }
}
