/**
 * Load balancer plugins for the routing mesh: pick a backend for each new connection.
 */
@Export
@Version("1.0.0")
package io.swarmlet.spi.lb;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
