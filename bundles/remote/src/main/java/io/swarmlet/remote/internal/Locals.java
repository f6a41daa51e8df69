package io.swarmlet.remote.internal;

import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.dispatcher.LogProvider;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.store.RaftMembership;
import io.swarmlet.api.store.Store;

/**
 * What the remote API's services use of this node; every getter reads the
 * current state (services come and go while the server runs).
 */
interface Locals {

    String nodeId();

    NodeCredentials credentials();

    /** The leader's own dispatcher, registered here only while this manager leads; else null. */
    Dispatcher localDispatcher();

    /** The replicated store; null on workers. */
    Store store();

    /** The Raft group as this manager sees it; null on workers. */
    RaftMembership raft();

    /**
     * Where this node's agent reads its tasks' output: the provider it set on
     * its session with a remote leader; null if it has none.
     */
    LogProvider agentLogs();
}
