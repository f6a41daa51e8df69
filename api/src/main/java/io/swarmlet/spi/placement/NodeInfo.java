package io.swarmlet.spi.placement;

import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Resources;
import java.util.Map;

/**
 * A node as the scheduler sees it while placing: the node object, what is
 * still free on it, and how many tasks it runs.
 */
@org.osgi.annotation.versioning.ProviderType
public interface NodeInfo {

    Node node();

    /** Resources not yet reserved by tasks assigned to it. */
    Resources available();

    /** Tasks assigned to it, by service ID. */
    Map<String, Integer> tasksByService();

    /** Host ports in use, as "tcp/8080". */
    java.util.Set<String> usedHostPorts();

    int totalTasks();
}
