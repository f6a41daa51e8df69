/**
 * gRPC plumbing shared by the daemon's bundles and the plain-JVM CLI: servers
 * and channels over unix sockets and TCP, and the {@code ControlApi} carried
 * over gRPC in both directions with one mapping of errors.
 */
@Version("1.0.0")
package io.swarmlet.grpc;

import org.osgi.annotation.versioning.Version;
