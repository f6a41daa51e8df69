package io.swarmlet.api.store;

/**
 * Told when this manager gains or loses Raft leadership. Leader-only
 * components (orchestrator, scheduler, dispatcher) register one as a
 * whiteboard service.
 *
 * <p>Implemented by manager components; called by the store bundle.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface LeadershipListener {

    void leadershipChanged(boolean leader);
}
