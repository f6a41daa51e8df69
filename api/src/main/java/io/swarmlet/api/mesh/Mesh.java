package io.swarmlet.api.mesh;

import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.MeshStatus;

/**
 * This node's routing mesh: it listens on every ingress-published port and
 * forwards each connection (or UDP flow) to a RUNNING task of the service,
 * on whichever node it runs. Implemented by the mesh bundle (on every node);
 * read by the web console, metrics and tests. The same counters reach the
 * store as {@code node.mesh} through the dispatcher.
 */
@org.osgi.annotation.versioning.ProviderType
public interface Mesh {

    /** The routing table in use (version 0 and no routes before the first one arrives). */
    MeshRoutes routes();

    /** Counters and listen errors per published port, since the mesh started. */
    MeshStatus status();
}
