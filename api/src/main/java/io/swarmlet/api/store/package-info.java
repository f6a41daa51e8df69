/**
 * The replicated store, the only way components talk to each other: consistent read views, write transactions replicated through Raft, and watches (a snapshot plus every later change).
 */
@Export
@Version("1.3.0")
package io.swarmlet.api.store;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
