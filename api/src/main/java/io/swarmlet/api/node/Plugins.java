package io.swarmlet.api.node;

import io.swarmlet.api.types.InstallPluginRequest;
import io.swarmlet.api.types.InstallPluginResponse;
import io.swarmlet.api.types.ListPluginsResponse;
import io.swarmlet.api.types.RemovePluginRequest;
import io.swarmlet.api.types.RemovePluginResponse;

/**
 * The plugins of this node: those installed on it alone
 * ({@code swarmlet plugin install FILE.jar} without {@code --cluster}, kept in
 * the state directory and installed again when the daemon restarts) and the
 * cluster's ({@code --cluster}), which this node installs from the replicated
 * store through the dispatcher. Implemented by the node bundle; served on
 * every node's control socket; reports every state to the managers
 * ({@code node.plugins}).
 *
 * <p>A plugin that cannot be installed, resolved or started is reported
 * FAILED with the reason and uninstalled again; it never stops the daemon.
 *
 * @since 1.3
 */
@org.osgi.annotation.versioning.ProviderType
public interface Plugins {

    /** This node's plugins (local and cluster-wide), one entry each, with this node's ID. */
    ListPluginsResponse list();

    /**
     * Installs a plugin on this node only ({@code request.cluster} is false):
     * checked (a bundle jar, at most {@code ControlApi.MAX_PLUGIN_BYTES}, digest
     * as sent, name not taken), then installed and started.
     *
     * @throws io.swarmlet.api.control.ControlException INVALID_ARGUMENT for a bad
     *         jar, ALREADY_EXISTS for a name taken, FAILED_PRECONDITION when it
     *         does not resolve or start (nothing stays installed)
     */
    InstallPluginResponse install(InstallPluginRequest request);

    /**
     * Uninstalls a plugin installed on this node only, by name.
     *
     * @throws io.swarmlet.api.control.ControlException NOT_FOUND when this node has no such local plugin
     */
    RemovePluginResponse remove(RemovePluginRequest request);
}
