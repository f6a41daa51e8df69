package io.swarmlet.spi.executor;

import io.swarmlet.api.types.PortConfig;
import java.util.List;

/**
 * A controller whose task publishes ports on this node. The agent reads them
 * once the task runs and reports them in the task's status
 * ({@code status.port_status}), where the routing mesh finds its backends.
 *
 * @since 1.1
 */
@org.osgi.annotation.versioning.ConsumerType
public interface PortSource {

    /**
     * The task's ports as they are published on this node now. For an
     * ingress-mode port, {@code published_port} is the node port the engine
     * chose for the target port (the mesh forwards to it); for a host-mode
     * port, it is the published port itself. Empty when the task publishes
     * nothing or does not run.
     */
    List<PortConfig> publishedPorts() throws ExecutorException;

    /**
     * An address at which this node reaches the task's target ports directly,
     * without the published node port (for a container, its IP address on the
     * engine's bridge network), or "" if there is none. The routing mesh of
     * this node connects there, and falls back to the node port if it cannot.
     */
    default String containerAddress() throws ExecutorException {
        return "";
    }
}
