/**
 * The agent/dispatcher protocol (SwarmKit's Dispatcher service): a node's
 * agent opens a session, receives the tasks assigned to it and reports their
 * status; the managers reach the node's task output through it. Agents on a
 * manager call the OSGi service directly; remote agents will reach the same
 * interface over gRPC.
 */
@Export
@Version("1.4.0")
package io.swarmlet.api.dispatcher;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
