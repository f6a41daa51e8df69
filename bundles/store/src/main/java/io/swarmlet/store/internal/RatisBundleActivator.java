package io.swarmlet.store.internal;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * Only there for Ratis' class loading: when the bundle starts, before any
 * component touches Ratis, it pins Ratis' captured context class loader to this
 * bundle's (see {@link RatisClassLoading}). Everything else is done by the DS
 * component {@link RaftStore}.
 */
public final class RatisBundleActivator implements BundleActivator {

    @Override
    public void start(BundleContext context) {
        RatisClassLoading.init();
    }

    @Override
    public void stop(BundleContext context) {
        // nothing: RaftStore's deactivate stops the store
    }
}
