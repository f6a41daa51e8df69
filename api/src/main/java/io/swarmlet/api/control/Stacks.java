package io.swarmlet.api.control;

import io.swarmlet.api.types.DeployStackRequest;
import io.swarmlet.api.types.DeployStackResponse;
import io.swarmlet.api.types.ListStacksRequest;
import io.swarmlet.api.types.ListStacksResponse;
import io.swarmlet.api.types.RemoveStackRequest;
import io.swarmlet.api.types.RemoveStackResponse;

/**
 * Stacks from compose files, on a manager (the stack bundle's). The control API
 * delegates its stack calls here; the implementation works through the
 * {@link ControlApi} itself (networks, secrets, configs, services), so a stack is
 * nothing but objects labelled {@code com.docker.stack.namespace=NAME}.
 * Errors are {@link ControlException}s meant for the user.
 *
 * @since 1.3
 */
@org.osgi.annotation.versioning.ProviderType
public interface Stacks {

    /** The label Docker puts on every object of a stack. */
    String NAMESPACE_LABEL = "com.docker.stack.namespace";

    /**
     * Parses, validates and maps the files, then creates or updates the stack's
     * networks, secrets, configs and services; nothing is written unless every file
     * is valid and every referenced object and local file is there (then
     * {@code missing_files} lists the local files to send). Only services whose spec
     * changed are updated.
     */
    DeployStackResponse deploy(DeployStackRequest request);

    ListStacksResponse list(ListStacksRequest request);

    /** Removes the stack's services, then its networks, secrets and configs (not external ones). */
    RemoveStackResponse remove(RemoveStackRequest request);
}
