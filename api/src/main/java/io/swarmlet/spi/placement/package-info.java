/**
 * Placement plugins: scheduler filters that accept or reject a node for a task and explain their rejections.
 */
@Export
@Version("1.1.0")
package io.swarmlet.spi.placement;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
