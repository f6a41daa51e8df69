/**
 * The object model: the messages generated from {@code swarmlet/*.proto} (SwarmKit-style spec, desired state and status kept apart) and small helpers over them.
 */
@Export
@Version("1.5.0")
package io.swarmlet.api.types;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
