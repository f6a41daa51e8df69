/**
 * The node's metrics, exposed in Prometheus' text format on a manager's {@code /metrics}
 * (the metrics bundle implements {@link io.swarmlet.api.metrics.Metrics} with Micrometer,
 * embedded privately; the web bundle serves it). Bundles that have something to count
 * take an optional, dynamic reference to {@code Metrics} and record through it.
 */
@Export
@Version("1.0.0")
package io.swarmlet.api.metrics;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
