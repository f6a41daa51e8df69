package io.swarmlet.spi.lb;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * Picks the backend for each new connection through the routing mesh.
 * Register as an OSGi service with {@link #NAME} set ("round-robin",
 * "least-connections"...); a service selects one with
 * {@code --lb-strategy NAME}, the cluster's {@code mesh.default_lb_strategy}
 * applies otherwise. When the named strategy is not installed the mesh uses
 * round-robin and logs that it did.
 *
 * <p>Implemented by load balancer plugins; called by the mesh from its event
 * loop threads, concurrently for different connections: implementations must be
 * thread-safe and must not block.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface LoadBalancer {

    /** Service property: the strategy's name. */
    String NAME = "swarmlet.lb.name";

    /**
     * The backend for a new TCP connection or UDP flow from {@code client}, or
     * null if none is usable. Each non-null pick is later matched by exactly one
     * {@link #released} call for the same backend (also when connecting to it
     * failed and the mesh retries another one).
     *
     * @param serviceId the service being reached
     * @param backends its usable backends (never empty), in a stable order; a
     *                 retry passes the list without the backends that refused
     * @param client the client's address
     */
    InetSocketAddress pick(String serviceId, List<InetSocketAddress> backends, InetSocketAddress client);

    /** Told when a connection or flow to a backend ends (for least-connections and the like). */
    default void released(String serviceId, InetSocketAddress backend) {}
}
