/**
 * This daemon's own identity and settings, as given on the {@code swarmletd} command line and kept in its state directory.
 */
@Export
@Version("1.3.0")
package io.swarmlet.api.node;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
