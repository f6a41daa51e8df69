package io.swarmlet.launcher.testbundle;

import java.util.Hashtable;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceFactory;
import org.osgi.framework.ServiceRegistration;

/**
 * Activator of the bundles {@code DaemonTest} builds: registers a DaemonState
 * service (by name, through a ServiceFactory, as the launcher sees it) with
 * the properties given in the bundle's {@code X-State}, {@code X-Message} and
 * {@code X-Node-Id} headers; with {@code X-Throw-In-Listener}, first causes
 * a framework error.
 */
public class StateActivator implements BundleActivator {

    @Override
    public void start(BundleContext context) {
        if (context.getBundle().getHeaders().get("X-Throw-In-Listener") != null) {
            // Felix reports a listener's exception as a FrameworkEvent.ERROR of this bundle
            context.addServiceListener(ev -> {
                throw new IllegalStateException("listener broke");
            });
            context.registerService(Runnable.class, () -> { }, null);
        }
        String state = context.getBundle().getHeaders().get("X-State");
        if (state == null) {
            return;
        }
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("swarmlet.daemon.state", state);
        String msg = context.getBundle().getHeaders().get("X-Message");
        if (msg != null) {
            props.put("swarmlet.daemon.message", msg);
        }
        String node = context.getBundle().getHeaders().get("X-Node-Id");
        if (node != null) {
            props.put("swarmlet.node.id", node);
        }
        context.registerService("io.swarmlet.api.node.DaemonState", new ServiceFactory<Object>() {
            @Override
            public Object getService(Bundle bundle, ServiceRegistration<Object> registration) {
                return new Object();
            }

            @Override
            public void ungetService(Bundle bundle, ServiceRegistration<Object> registration, Object service) {
            }
        }, props);
    }

    @Override
    public void stop(BundleContext context) {
    }
}
