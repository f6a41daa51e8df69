package io.swarmlet.controlapi.internal;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.types.WatchEvent;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One watch of this manager's replica of the store, shared by every {@code Watch} call: it
 * turns each change into a {@link WatchEvent}, keeps the last {@value #KEPT} of them (every
 * kind but task, which change all the time; dockerd keeps its last 256 events the same way,
 * for {@code docker events --since}) and hands each to the calls watching. A call subscribes
 * under the same lock the events are kept and handed out under, so what it replays and what
 * it then receives neither overlap nor leave a gap.
 */
final class EventHub implements AutoCloseable {

    static final int KEPT = 256;
    /** Events a subscriber may have waiting before it is dropped as too slow. */
    static final int BACKLOG = 10_000;
    private static final Logger LOG = LogManager.getLogger(EventHub.class);

    private final Store store;
    private final Object lock = new Object();
    private final ArrayDeque<WatchEvent> kept = new ArrayDeque<>();
    private final List<Subscription> subscribers = new ArrayList<>();
    private Thread thread;
    private boolean closed;

    EventHub(Store store) {
        this.store = store;
    }

    /** What a call replays and then receives. */
    final class Subscription implements AutoCloseable {
        private final List<WatchEvent> replay;
        private final BlockingQueue<WatchEvent> queue = new LinkedBlockingQueue<>(BACKLOG);
        private volatile String ended;

        private Subscription(List<WatchEvent> replay) {
            this.replay = replay;
        }

        /** The kept events at the time of the subscription, oldest first. */
        List<WatchEvent> replay() {
            return replay;
        }

        /** The next event, or null after {@code timeout} or once the subscription ended ({@link #ended()}). */
        WatchEvent poll(long timeoutMs) throws InterruptedException {
            return ended != null && queue.isEmpty() ? null : queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
        }

        /** Why the events stopped coming (the caller may have missed some), or null. */
        String ended() {
            return queue.isEmpty() ? ended : null;
        }

        @Override
        public void close() {
            synchronized (lock) {
                subscribers.remove(this);
            }
        }
    }

    /** Subscribes, starting the store's watch on first use. */
    Subscription subscribe() {
        synchronized (lock) {
            if (closed) {
                throw new io.swarmlet.api.control.ControlException(io.swarmlet.api.control.ControlException.Code.UNAVAILABLE,
                        "this manager's control API is stopping; watch again");
            }
            if (thread == null) {
                Watch<Boolean> first = store.watch(tx -> Boolean.TRUE); // open now: what comes after this call is kept
                thread = new Thread(() -> run(first), "control-api-events");
                thread.setDaemon(true);
                thread.start();
            }
            Subscription s = new Subscription(List.copyOf(kept));
            subscribers.add(s);
            return s;
        }
    }

    /** Starts the store's watch now, so that the kept events begin with the manager. */
    void start() {
        subscribe().close();
    }

    @Override
    public void close() {
        Thread t;
        synchronized (lock) {
            closed = true;
            t = thread;
            end("this manager's control API stopped; watch again");
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run(Watch<Boolean> first) {
        Watch<Boolean> next = first;
        while (!Thread.currentThread().isInterrupted()) {
            try (Watch<Boolean> w = next != null ? next : store.watch(tx -> Boolean.TRUE)) {
                next = null;
                while (true) {
                    StoreEvent e = w.poll(Duration.ofSeconds(1));
                    if (e == null) {
                        if (w.isClosed()) {
                            LOG.debug("the store closed the events' watch; watching again");
                            synchronized (lock) {
                                end("the watch fell too far behind the store and was closed; watch again");
                            }
                            break;
                        }
                        continue;
                    }
                    if (e.kind() == Kind.TASK && !anyoneWatching()) {
                        continue; // tasks are not kept: made into events only for calls that may want them
                    }
                    WatchEvent event = ObjectEvents.event(e, ObjectEvents.KINDS);
                    if (event != null) {
                        hand(event);
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (StoreException | IllegalStateException e) {
                LOG.debug("cannot watch the store for events: {}", e.getMessage());
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private boolean anyoneWatching() {
        synchronized (lock) {
            return !subscribers.isEmpty();
        }
    }

    private void hand(WatchEvent event) {
        synchronized (lock) {
            if (!event.getKind().equals("task")) {
                if (kept.size() == KEPT) {
                    kept.removeFirst();
                }
                kept.addLast(event);
            }
            for (Subscription s : List.copyOf(subscribers)) {
                if (!s.queue.offer(event)) {
                    s.ended = "the watch fell more than " + BACKLOG + " events behind and was closed; watch again";
                    subscribers.remove(s);
                }
            }
        }
    }

    /** Ends every subscription (under the lock). */
    private void end(String why) {
        for (Subscription s : subscribers) {
            s.ended = why;
        }
        subscribers.clear();
    }
}
