package io.swarmlet.executor.docker.internal;

import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.WaitResponse;
import io.swarmlet.spi.executor.ExecutorException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Tells a waiting controller that its container may have changed: the
 * engine's events for it (start, die, health_status, destroy) and, when asked,
 * the end of a {@code docker wait}. The controller re-inspects the container
 * on every signal, so a missed or duplicated signal costs nothing but a
 * request; it also re-inspects after a safety interval if nothing arrives. An
 * event stream that ends (the engine restarted, the connection broke) is
 * opened again.
 */
final class ContainerWatch implements AutoCloseable {

    private static final long SUBSCRIBE_WAIT_MS = 2_000;
    private static final long REOPEN_AFTER_MS = 1_000;

    private final DockerEngine engine;
    private final String containerId;
    private final boolean dockerWait;
    private final BlockingQueue<String> signals = new LinkedBlockingQueue<>();
    private Events events;
    private Exit exit;
    private long openedAt;

    private ContainerWatch(DockerEngine engine, String containerId, boolean dockerWait) {
        this.engine = engine;
        this.containerId = containerId;
        this.dockerWait = dockerWait;
    }

    /**
     * Subscribes to the container's events (waiting briefly until the engine
     * has registered the subscription, so a change right after this returns is
     * not missed) and, if {@code dockerWait}, starts a docker wait.
     */
    static ContainerWatch open(DockerEngine engine, String containerId, boolean dockerWait)
            throws ExecutorException, InterruptedException {
        ContainerWatch w = new ContainerWatch(engine, containerId, dockerWait);
        try {
            w.subscribe();
            return w;
        } catch (ExecutorException | InterruptedException | RuntimeException e) {
            w.close();
            throw e;
        }
    }

    private void subscribe() throws ExecutorException, InterruptedException {
        openedAt = System.nanoTime();
        Events ev = new Events();
        events = ev;
        engine.stream("watch container " + containerId, c -> c.eventsCmd()
                .withContainerFilter(containerId)
                .withEventFilter("start", "die", "health_status", "destroy")
                .exec(ev));
        ev.started.await(SUBSCRIBE_WAIT_MS, TimeUnit.MILLISECONDS);
        if (dockerWait && (exit == null || exit.isDone())) {
            Exit ex = new Exit();
            exit = ex;
            engine.stream("wait for container " + containerId, c -> c.waitContainerCmd(containerId).exec(ex));
        }
    }

    /**
     * Waits until a signal arrives or {@code timeoutMs} passes, then forgets
     * pending signals; reopens the event stream first if it has ended (and
     * then returns at once, as changes may have been missed).
     */
    void await(long timeoutMs) throws ExecutorException, InterruptedException {
        if (events.isDone() && System.nanoTime() - openedAt > TimeUnit.MILLISECONDS.toNanos(REOPEN_AFTER_MS)) {
            events.close();
            signals.clear();
            subscribe();
            return;
        }
        if (signals.poll(Math.max(1, timeoutMs), TimeUnit.MILLISECONDS) != null) {
            signals.clear();
        }
    }

    @Override
    public void close() {
        if (events != null) {
            events.close();
        }
        if (exit != null) {
            exit.close();
        }
    }

    private final class Events extends StreamCallback<Event> {

        final CountDownLatch started = new CountDownLatch(1);

        @Override
        public void onStart(java.io.Closeable stream) {
            super.onStart(stream);
            started.countDown();
        }

        @Override
        public void onNext(Event e) {
            signals.offer(e.getAction() == null ? String.valueOf(e.getStatus()) : e.getAction());
        }

        @Override
        protected void finished() {
            started.countDown();
            signals.offer("events ended");
        }
    }

    private final class Exit extends StreamCallback<WaitResponse> {

        @Override
        public void onNext(WaitResponse r) {
            signals.offer("exit");
        }

        @Override
        protected void finished() {
            signals.offer("wait ended");
        }
    }
}
