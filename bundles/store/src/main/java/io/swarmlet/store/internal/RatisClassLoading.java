package io.swarmlet.store.internal;

import org.apache.ratis.util.ReflectionUtils;

/**
 * Runs Ratis code with this bundle's class loader as the thread context class
 * loader. Ratis loads its RPC transport (and a few more classes) by name through
 * {@code ReflectionUtils}, which captures the context class loader once, in a
 * static field, the first time it is used: inside OSGi that must be this
 * bundle's loader (the only one that sees the embedded Ratis), never Felix's or
 * a caller's. {@link #call} sets it and touches {@code ReflectionUtils} before
 * the action, so whichever Ratis call comes first, the capture is right; the
 * threads Ratis starts meanwhile inherit the same loader.
 */
final class RatisClassLoading {

    private static final ClassLoader LOADER = RatisClassLoading.class.getClassLoader();

    interface Action<T> {
        T run() throws Exception;
    }

    private RatisClassLoading() {}

    /** Pins Ratis' class loader to this bundle's (idempotent). */
    static void init() {
        try {
            call(() -> null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static <T> T call(Action<T> action) throws Exception {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(LOADER);
        try {
            ReflectionUtils.getClassLoader(); // forces the one-time capture, with LOADER in place
            return action.run();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
