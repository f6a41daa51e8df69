package io.swarmlet.mesh.internal;

import io.swarmlet.api.types.MeshBackend;
import io.swarmlet.api.types.MeshRoute;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Where one published port leads right now: the service, its balancing
 * strategy and its backends (resolved, in the table's order). Immutable: a new
 * table swaps a listener's whole target at once, so a connection being set up
 * sees either the old backends or the new ones, never a mix.
 */
record Target(String serviceId, String serviceName, String strategy, List<InetSocketAddress> backends) {

    private static final Logger LOG = LogManager.getLogger(Target.class);

    /**
     * Backends with an IP literal are converted without any lookup (the
     * dispatcher sends node IP addresses); anything else is resolved here, on
     * the control thread, never on an event loop. Unusable ones are left out.
     */
    static Target of(MeshRoute route) {
        List<InetSocketAddress> list = new ArrayList<>(route.getBackendsCount());
        for (MeshBackend b : route.getBackendsList()) {
            if (b.getAddr().isEmpty() || b.getPort() == 0 || b.getPort() > 65535) {
                LOG.debug("backend {} of service {} has no usable address ({}:{})", b.getTaskId(),
                        route.getServiceName(), b.getAddr(), b.getPort());
                continue;
            }
            try {
                list.add(new InetSocketAddress(InetAddress.getByName(b.getAddr()), b.getPort()));
            } catch (UnknownHostException e) {
                LOG.warn("backend {} of service {}: cannot resolve {}", b.getTaskId(), route.getServiceName(),
                        b.getAddr());
            }
        }
        return new Target(route.getServiceId(), route.getServiceName(), route.getLbStrategy(), List.copyOf(list));
    }

    /** The backends minus those that already refused this connection. */
    List<InetSocketAddress> without(java.util.Set<InetSocketAddress> failed) {
        if (failed.isEmpty()) {
            return backends;
        }
        List<InetSocketAddress> rest = new ArrayList<>(backends.size());
        for (InetSocketAddress b : backends) {
            if (!failed.contains(b)) {
                rest.add(b);
            }
        }
        return rest;
    }
}
