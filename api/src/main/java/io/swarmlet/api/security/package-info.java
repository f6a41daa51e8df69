/**
 * Node identity and the cluster's certificate authority (SwarmKit's ca
 * package): every node holds a certificate signed by the cluster's root CA
 * (CN = node ID, OU = role, O = cluster ID); all node-to-node gRPC is mutual
 * TLS with these certificates. {@link PemTls} reads the operator's own PEM
 * files for the listeners that face users (web console, Docker API over TCP).
 */
@Export
@Version("1.2.0")
package io.swarmlet.api.security;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
