package io.swarmlet.store.internal;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * Only there for the embedded Ratis, not for the store (that is the DS
 * component {@link RaftStore}): when the bundle starts, before any component
 * touches Ratis, it pins Ratis' captured context class loader to this bundle's
 * ({@link RatisClassLoading}); when the bundle stops, after the component has
 * closed the store, it ends Ratis' process-wide timer threads
 * ({@link RatisThreads}), so a stopped bundle leaves no thread behind.
 */
public final class RatisBundleActivator implements BundleActivator {

    @Override
    public void start(BundleContext context) {
        RatisClassLoading.init();
    }

    @Override
    public void stop(BundleContext context) {
        RatisThreads.stopSharedTimers();
    }
}
