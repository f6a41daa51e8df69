package io.swarmlet.scheduler.internal;

import java.util.Set;

/**
 * The filters this bundle ships, each its own {@link io.swarmlet.spi.placement.NodeFilter}
 * DS component, with the service rankings that put them in SwarmKit's
 * pipeline order (ready first). Plugin filters rank 0 by default and so run
 * after them.
 */
final class CoreFilters {

    static final String READY = "ready";
    static final String AVAILABILITY = "availability";
    static final String RUNTIME = "runtime";
    static final String RESOURCES = "resources";
    static final String CONSTRAINTS = "constraints";
    static final String PLATFORM = "platform";
    static final String HOST_PORTS = "hostports";
    static final String MAX_REPLICAS = "maxreplicas";

    /** The names the scheduler waits for before it places anything (configurable). */
    static final Set<String> NAMES = Set.of(READY, AVAILABILITY, RUNTIME, RESOURCES, CONSTRAINTS, PLATFORM, HOST_PORTS,
            MAX_REPLICAS);

    private CoreFilters() {}
}
