package io.swarmlet.spi.lb;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * Picks the backend for each new connection through the routing mesh.
 * Register as an OSGi service with {@link #NAME} set; configuration picks one.
 *
 * <p>Implemented by load balancer plugins (round robin by default); called by the mesh.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface LoadBalancer {

    String NAME = "swarmlet.lb.name";

    /**
     * The backend for a new connection from {@code client}, or null if none is usable.
     *
     * @param serviceId the service being reached
     * @param backends its healthy backends, in a stable order
     */
    InetSocketAddress pick(String serviceId, List<InetSocketAddress> backends, InetSocketAddress client);

    /** Told when a connection to a backend ends (for least-connections and the like). */
    default void released(String serviceId, InetSocketAddress backend) {}
}
