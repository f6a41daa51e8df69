/**
 * The routing mesh as other bundles see it: its routing table and counters.
 */
@Export
@Version("1.0.0")
package io.swarmlet.api.mesh;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
