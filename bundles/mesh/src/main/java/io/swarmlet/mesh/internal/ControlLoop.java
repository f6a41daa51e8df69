package io.swarmlet.mesh.internal;

import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.MeshStatus;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The mesh's control side: one thread long-polls the routing table from the
 * current {@link Dispatcher} and applies every new version to the
 * {@link RoutingMesh}; a timer reports the counters back (only when they
 * changed) and retries the ports that could not be taken.
 *
 * <p>The dispatcher is whichever one is current at each call: when leadership
 * moves, the component swaps it and calls {@link #dispatcherChanged}, which
 * cuts a long poll in progress short so the new one is asked at once. Without
 * a dispatcher, or while it fails, the mesh keeps the last table it had:
 * forwarding to the last known backends beats refusing every connection
 * during a leader election.
 */
final class ControlLoop implements AutoCloseable {

    private static final Logger LOG = LogManager.getLogger(ControlLoop.class);
    static final Duration POLL = Duration.ofSeconds(10);
    private static final long MIN_BACKOFF_MS = 200;
    private static final long MAX_BACKOFF_MS = 1_000;
    private static final long RETRY_LISTEN_MS = 5_000;

    private final RoutingMesh mesh;
    private final Supplier<Dispatcher> dispatcher;
    private final Supplier<String> nodeId;
    private final Duration reportPeriod;
    private final Object lock = new Object();
    private final Thread thread;
    private final ScheduledThreadPoolExecutor timer;
    private boolean stopping;
    private boolean polling;

    // the timer's own
    private Dispatcher reportedTo;
    private MeshStatus reported;

    ControlLoop(RoutingMesh mesh, Supplier<Dispatcher> dispatcher, Supplier<String> nodeId, Duration reportPeriod) {
        this.mesh = mesh;
        this.dispatcher = dispatcher;
        this.nodeId = nodeId;
        this.reportPeriod = reportPeriod;
        this.thread = new Thread(this::run, "swarmlet-mesh-routes");
        this.thread.setDaemon(true);
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "swarmlet-mesh-report");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        thread.start();
        long period = Math.max(10, reportPeriod.toMillis());
        timer.scheduleWithFixedDelay(this::report, period, period, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::retryListen, RETRY_LISTEN_MS, RETRY_LISTEN_MS, TimeUnit.MILLISECONDS);
    }

    /** The current dispatcher changed: stop waiting on the old one. */
    void dispatcherChanged() {
        synchronized (lock) {
            lock.notifyAll();
            if (polling) {
                thread.interrupt();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        synchronized (lock) {
            stopping = true;
            lock.notifyAll();
            thread.interrupt();
        }
        timer.shutdownNow();
        thread.join(1_000);
        timer.awaitTermination(1, TimeUnit.SECONDS);
    }

    private void run() {
        long version = 0;
        long backoff = MIN_BACKOFF_MS;
        Dispatcher last = null;
        boolean failing = false;
        while (true) {
            Dispatcher d;
            synchronized (lock) {
                while (!stopping && (d = dispatcher.get()) == null) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        // only close() interrupts outside a poll; the loop condition decides
                    }
                }
                if (stopping) {
                    return;
                }
                d = dispatcher.get();
                polling = true;
            }
            if (d != last) {
                last = d;
                version = 0; // a new leader numbers its tables its own way: ask for its whole table
            }
            MeshRoutes table = null;
            RuntimeException error = null;
            try {
                table = d.meshRoutes(version, POLL);
            } catch (InterruptedException e) {
                // stopping, or the dispatcher changed: the loop sees which
            } catch (RuntimeException e) {
                error = e;
            } finally {
                synchronized (lock) {
                    polling = false;
                    Thread.interrupted(); // an interrupt meant for this poll must not hit the next one
                }
            }
            if (error != null) {
                if (stoppingOrChanged(d)) {
                    continue;
                }
                if (!failing) {
                    failing = true;
                    LOG.info("mesh: cannot get the routing table ({}); keeping table {} and retrying",
                            error.toString(), version);
                } else {
                    LOG.debug("mesh: routing table still unavailable: {}", error.toString());
                }
                pause(d, backoff);
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
                continue;
            }
            if (failing && table != null) {
                failing = false;
                LOG.info("mesh: routing table available again");
            }
            backoff = MIN_BACKOFF_MS;
            if (table != null && table.getVersion() != version) {
                try {
                    mesh.apply(table);
                    version = table.getVersion();
                } catch (RuntimeException e) {
                    LOG.error("mesh: applying routing table {} failed", table.getVersion(), e);
                    pause(d, MAX_BACKOFF_MS);
                }
            }
        }
    }

    private boolean stoppingOrChanged(Dispatcher d) {
        synchronized (lock) {
            return stopping || dispatcher.get() != d;
        }
    }

    /** Waits before retrying; a new dispatcher or stopping ends the wait. */
    private void pause(Dispatcher d, long millis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (lock) {
            long left;
            while (!stopping && dispatcher.get() == d && (left = end - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** Sends the counters when they changed since the last report (or the dispatcher changed). On the timer. */
    void report() {
        Dispatcher d = dispatcher.get();
        if (d == null) {
            return;
        }
        MeshStatus status = mesh.status();
        MeshStatus comparable = status.toBuilder().clearTimestamp().build();
        if (d == reportedTo && comparable.equals(reported)) {
            return;
        }
        try {
            d.reportMesh(nodeId.get(), status);
            reportedTo = d;
            reported = comparable;
        } catch (RuntimeException e) {
            LOG.debug("mesh: reporting counters failed (next period retries): {}", e.toString());
        }
    }

    private void retryListen() {
        try {
            mesh.retryFailed();
        } catch (RuntimeException e) {
            LOG.warn("mesh: retrying the ports that could not be taken failed", e);
        }
    }
}
