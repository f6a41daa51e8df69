package io.swarmlet.agent.internal;

import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.types.TaskStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Carries task status changes to the dispatcher: the latest status of each
 * task is kept until a session took it, so nothing is lost while there is no
 * dispatcher (a new session is first sent every task's status again: the
 * previous dispatcher may have dropped what it had not written yet).
 */
final class StatusReporter {

    private static final Logger LOG = LogManager.getLogger(StatusReporter.class);
    private static final long FAILURE_BACKOFF_MS = 500;

    private final Object lock = new Object();
    private final Map<String, TaskStatus> pending = new LinkedHashMap<>();
    private Session session;
    /** After a failed send: not before then (unless a new session comes); 0 = now. */
    private long retryAt;
    private boolean running;
    private Thread thread;

    void start() {
        synchronized (lock) {
            running = true;
            thread = new Thread(this::loop, "swarmlet-agent-reporter");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** Sends what is pending one last time, if there is a session, and stops. */
    void stop() throws InterruptedException {
        Thread t;
        synchronized (lock) {
            running = false;
            t = thread;
            lock.notifyAll();
        }
        if (t != null) {
            t.join(10_000);
        }
        Map<String, TaskStatus> last;
        Session s;
        synchronized (lock) {
            last = new LinkedHashMap<>(pending);
            pending.clear();
            s = session;
        }
        if (s != null && !last.isEmpty()) {
            try {
                s.updateTaskStatus(last);
            } catch (RuntimeException e) {
                LOG.debug("last task status reports not sent: {}", e.getMessage());
            }
        }
    }

    /** A task's new status; it replaces one of the same task not sent yet. */
    void report(String taskId, TaskStatus status) {
        synchronized (lock) {
            pending.put(taskId, status);
            lock.notifyAll();
        }
    }

    /** Reports go to {@code s} from now on, starting with {@code known} (every task's last status). */
    void attach(Session s, Map<String, TaskStatus> known) {
        synchronized (lock) {
            session = s;
            retryAt = 0;
            known.forEach(pending::putIfAbsent);
            lock.notifyAll();
        }
    }

    void detach(Session s) {
        synchronized (lock) {
            if (session == s) {
                session = null;
            }
        }
    }

    private void loop() {
        while (true) {
            Map<String, TaskStatus> batch;
            Session s;
            synchronized (lock) {
                try {
                    while (true) {
                        if (!running) {
                            return;
                        }
                        long wait = retryAt == 0 ? 0 : retryAt - System.currentTimeMillis();
                        if (session != null && !pending.isEmpty() && (retryAt == 0 || wait <= 0)) {
                            break;
                        }
                        lock.wait(session != null && !pending.isEmpty() ? Math.max(1, wait) : 0);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                batch = new LinkedHashMap<>(pending);
                pending.clear();
                s = session;
                retryAt = 0;
            }
            try {
                s.updateTaskStatus(batch);
            } catch (RuntimeException e) {
                LOG.debug("task status reports not sent, will retry: {}", e.getMessage());
                synchronized (lock) {
                    batch.forEach(pending::putIfAbsent);
                    if (session == s) {
                        retryAt = System.currentTimeMillis() + FAILURE_BACKOFF_MS;
                    }
                }
            }
        }
    }
}
