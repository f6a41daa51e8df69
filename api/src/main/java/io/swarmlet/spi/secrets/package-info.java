/**
 * Secrets driver plugins: where secret values come from and how they are sealed at rest.
 */
@Export
@Version("2.0.0")
package io.swarmlet.spi.secrets;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
