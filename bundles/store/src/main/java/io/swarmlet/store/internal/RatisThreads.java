package io.swarmlet.store.internal;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Timer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.ratis.util.MemoizedSupplier;
import org.apache.ratis.util.TimeoutTimer;

/**
 * Ratis' one process-wide source of threads that its close methods do not end:
 * {@code TimeoutTimer}, a static singleton of up to eight lazily made
 * {@link Timer}s (threads {@code timer0}..{@code timer7}) kept for the life of
 * the class loader. Everything else (Netty event loops, Raft daemons, the gRPC
 * executors) ends when the store closes.
 *
 * <p>When the bundle stops, {@link RatisBundleActivator#stop} calls
 * {@link #stopSharedTimers}: each started timer is taken out of its lazy holder
 * and cancelled, which ends its thread; should the bundle start again in the
 * same class loader, Ratis simply makes new timers on first use. Ratis has no
 * API for this, hence the reflection on its private fields (a test checks them,
 * so that a Ratis upgrade that moves them is noticed).
 */
final class RatisThreads {

    private static final Logger LOG = LogManager.getLogger(RatisThreads.class);

    private RatisThreads() {}

    /** Whether {@code t} is one of Ratis' shared timer threads. */
    static boolean isSharedTimer(Thread t) {
        return t.getName().matches("timer\\d") && "java.util.TimerThread".equals(t.getClass().getName());
    }

    /** The lazy holders of Ratis' shared timers, or none if Ratis never made its TimeoutTimer. */
    private static List<MemoizedSupplier<?>> holders() throws ReflectiveOperationException {
        Field instance = TimeoutTimer.class.getDeclaredField("INSTANCE");
        instance.setAccessible(true);
        List<MemoizedSupplier<?>> out = new ArrayList<>();
        if (!(instance.get(null) instanceof MemoizedSupplier<?> supplier) || !supplier.isInitialized()) {
            return out;
        }
        Field timers = TimeoutTimer.class.getDeclaredField("timers");
        timers.setAccessible(true);
        for (Object o : (List<?>) timers.get(supplier.get())) {
            out.add((MemoizedSupplier<?>) o);
        }
        return out;
    }

    /** How many of Ratis' shared timers are running. */
    static int runningSharedTimers() throws ReflectiveOperationException {
        int n = 0;
        for (MemoizedSupplier<?> h : holders()) {
            if (h.isInitialized()) {
                n++;
            }
        }
        return n;
    }

    /** Cancels Ratis' shared timers (ending their threads); Ratis makes new ones if used again. */
    static void stopSharedTimers() {
        try {
            Field value = MemoizedSupplier.class.getSuperclass().getDeclaredField("value");
            value.setAccessible(true);
            int stopped = 0;
            for (MemoizedSupplier<?> h : holders()) {
                synchronized (h) { // the holder's own lock, as its lazy initialisation takes it
                    if (value.get(h) instanceof Timer timer) {
                        value.set(h, null);
                        timer.cancel();
                        stopped++;
                    }
                }
            }
            LOG.debug("stopped {} Ratis timer threads", stopped);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("could not stop Ratis' shared timer threads ({}); they end with the JVM", e.toString());
        }
    }
}
