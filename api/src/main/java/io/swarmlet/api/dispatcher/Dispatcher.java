package io.swarmlet.api.dispatcher;

import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.MeshStatus;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.Plugin;
import io.swarmlet.api.types.PluginSet;
import io.swarmlet.api.types.PluginStatus;
import java.time.Duration;
import io.swarmlet.spi.executor.LogSource;
import java.util.function.Consumer;

/**
 * The manager side of the agent protocol. Implemented by the dispatcher
 * bundle (leader only; it writes node and task status to the store in
 * batches); called by agents.
 */
@org.osgi.annotation.versioning.ProviderType
public interface Dispatcher {

    /**
     * Opens a session for a node: marks it READY with that description (and
     * DOWN again when the session closes or misses heartbeats).
     */
    Session open(String nodeId, NodeDescription description);

    /**
     * Streams a task's output from the node that runs it: the last
     * {@code tail} lines (negative = all), then, if {@code follow}, new lines
     * until the task ends or the calling thread is interrupted.
     *
     * @throws IllegalStateException if that node has no open session
     */
    void logs(String nodeId, String taskId, int tail, boolean follow, Consumer<LogSource.LogLine> sink)
            throws InterruptedException;

    /**
     * The routing mesh's table: every ingress-published port with the RUNNING
     * tasks it leads to (tasks whose desired state is past RUNNING are left out
     * at once, before their agent stops them). Returns as soon as the table's
     * version differs from {@code afterVersion} (0 = none yet), or null after
     * {@code timeout}. Every node's mesh calls it; no session is needed.
     *
     * @since 1.2
     */
    default MeshRoutes meshRoutes(long afterVersion, Duration timeout) throws InterruptedException {
        throw new UnsupportedOperationException("this dispatcher does not serve the routing mesh");
    }

    /**
     * Records what a node's routing mesh counted and which ports it could not
     * take ({@code node.mesh} in the store, written in batches).
     *
     * @since 1.2
     */
    default void reportMesh(String nodeId, MeshStatus status) {}

    /**
     * The cluster's plugins ({@code plugin install --cluster}), without their
     * jars. Returns as soon as the set's version differs from
     * {@code afterVersion} (0 = none yet), or null after {@code timeout}. Every
     * node's plugin installer calls it; no session is needed.
     *
     * @since 1.3
     */
    default PluginSet plugins(long afterVersion, Duration timeout) throws InterruptedException {
        throw new UnsupportedOperationException("this dispatcher does not serve cluster plugins");
    }

    /**
     * One cluster plugin with its jar, or null when there is no such plugin
     * (any more).
     *
     * @since 1.3
     */
    default Plugin pluginJar(String pluginId) {
        throw new UnsupportedOperationException("this dispatcher does not serve cluster plugins");
    }

    /**
     * Records the plugins a node runs and their states ({@code node.plugins} in
     * the store), as {@code plugin ls} shows them.
     *
     * @since 1.3
     */
    default void reportPlugins(String nodeId, java.util.List<PluginStatus> plugins) {}
}
