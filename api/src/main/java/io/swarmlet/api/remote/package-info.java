/**
 * Messages of the node-to-node protocol (remote API, mutual TLS): joining
 * through the CA service, agent sessions with the dispatcher, task logs. The
 * gRPC services are generated into the grpc bundle ({@code io.swarmlet.api.grpc}).
 */
@Export
@Version("1.0.0")
package io.swarmlet.api.remote;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
