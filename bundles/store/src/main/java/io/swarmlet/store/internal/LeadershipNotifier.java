package io.swarmlet.store.internal;

import io.swarmlet.api.store.LeadershipListener;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * This manager's leadership, and the {@link LeadershipListener}s told about it.
 * Ratis reports changes on its own threads; listeners are called on one thread
 * of their own ({@code swarmlet-store-leadership}), in the order of the changes,
 * each at most once per actual change, so that a slow or failing listener never
 * holds up Raft. A listener that registers is told the state at registration.
 *
 * <p>Used by {@link ReplicatedStore} (the state) and {@link RaftStore} (the
 * whiteboard of listeners, which may come and go before the store starts).
 */
final class LeadershipNotifier implements StoreStateMachine.LeadershipSink, AutoCloseable {

    private static final Logger LOG = LogManager.getLogger(LeadershipNotifier.class);

    private final Object lock = new Object();
    private final ExecutorService executor;
    private volatile boolean leader;
    /** What each listener was last told; touched only on the executor's thread. */
    private final Map<LeadershipListener, Boolean> told = new IdentityHashMap<>();

    LeadershipNotifier() {
        ThreadPoolExecutor e = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "swarmlet-store-leadership");
            t.setDaemon(true);
            return t;
        });
        e.allowCoreThreadTimeOut(true); // no idle thread when nothing happens
        this.executor = e;
    }

    boolean isLeader() {
        return leader;
    }

    @Override
    public void leadershipChanged(boolean now) {
        synchronized (lock) {
            if (leader == now) {
                return;
            }
            leader = now;
            LOG.info(now ? "this manager is now the raft leader" : "this manager is no longer the raft leader");
            submit(() -> {
                for (Map.Entry<LeadershipListener, Boolean> e : told.entrySet()) {
                    if (e.getValue() != now) {
                        e.setValue(now);
                        tell(e.getKey(), now);
                    }
                }
            });
        }
    }

    void add(LeadershipListener listener) {
        synchronized (lock) {
            boolean now = leader;
            submit(() -> {
                if (!told.containsKey(listener)) {
                    told.put(listener, now);
                    tell(listener, now);
                }
            });
        }
    }

    void remove(LeadershipListener listener) {
        synchronized (lock) {
            submit(() -> told.remove(listener));
        }
    }

    private void submit(Runnable task) {
        if (!executor.isShutdown()) {
            executor.execute(task);
        }
    }

    private static void tell(LeadershipListener listener, boolean now) {
        try {
            listener.leadershipChanged(now);
        } catch (RuntimeException | LinkageError e) {
            LOG.error("leadership listener {} failed on leadershipChanged({})", listener, now, e);
        }
    }

    /** Tells everyone leadership is gone, then stops the thread (waiting for it a short while). */
    @Override
    public void close() {
        leadershipChanged(false);
        synchronized (lock) {
            executor.shutdown();
        }
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("a leadership listener is still busy after 10s; not waiting for it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
