/**
 * The control API that clients (the {@code swarmlet} CLI, the shell, the web console) call on a manager. Its gRPC form is {@code swarmlet/control.proto}.
 */
@Export
@Version("1.5.0")
package io.swarmlet.api.control;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
