package io.swarmlet.api.node;

import io.swarmlet.api.types.ChangeModuleRequest;
import io.swarmlet.api.types.ChangeModuleResponse;
import io.swarmlet.api.types.ListModulesResponse;

/**
 * This daemon's modules, the OSGi bundles it runs ({@code swarmlet module ls},
 * {@code module start|stop|update NAME}), on the node the CLI talks to.
 * Implemented by the node bundle; served on every node's control socket.
 *
 * @since 1.2
 */
@org.osgi.annotation.versioning.ProviderType
public interface Modules {

    /** Every bundle of the framework, by ID. */
    ListModulesResponse list();

    /**
     * Starts, stops or updates one module. Stopping and starting are transient
     * (a restarted daemon starts every module again). An update is checked first
     * (a bundle, with the module's symbolic name); if the new version cannot
     * resolve or start, the previous one is put back.
     *
     * @throws io.swarmlet.api.control.ControlException NOT_FOUND for an unknown
     *         name, INVALID_ARGUMENT for a jar that is not that module,
     *         FAILED_PRECONDITION when the change failed (the message says why
     *         and what runs now)
     */
    ChangeModuleResponse change(ChangeModuleRequest request);
}
