/**
 * Executor plugins run tasks on a node (SwarmKit's agent/exec): a small controller per task; the task lifecycle stays in the core.
 */
@Export
@Version("1.2.0")
package io.swarmlet.spi.executor;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
