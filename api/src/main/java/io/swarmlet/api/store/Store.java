package io.swarmlet.api.store;

import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The replicated store (SwarmKit's MemoryStore over Raft). Every manager holds
 * a full copy; reads are local, writes go through the Raft log and are applied
 * in log order on every manager. Components never call each other: they write
 * here and watch here.
 *
 * <p>Implemented by the store bundle; called by every manager component.
 */
@org.osgi.annotation.versioning.ProviderType
public interface Store {

    /**
     * The {@code osgi.condition.id} of the OSGi condition
     * ({@code org.osgi.service.condition.Condition}) the store bundle registers
     * while this manager is the Raft leader, and withdraws when it is not.
     * Leader-only components name it as their DS satisfying condition
     * ({@code @SatisfyingConditionTarget(Store.LEADER_CONDITION)}), so SCR
     * activates them with leadership and deactivates them when it goes.
     *
     * @since 1.2
     */
    String LEADER_CONDITION_ID = "swarmlet.leader";

    /** The condition target for leader-only components. @since 1.2 */
    String LEADER_CONDITION = "(osgi.condition.id=" + LEADER_CONDITION_ID + ")";

    /** Runs {@code reader} against a consistent view of the local copy. */
    <R> R view(Function<ReadTx, R> reader);

    /**
     * Runs {@code writer} against the current state, then replicates what it
     * wrote as one transaction and waits until it is applied here. Returns the
     * Raft index of the transaction (or the current index if it wrote nothing).
     *
     * @throws StoreException if the transaction was refused or could not be committed;
     *     then nothing of it was applied
     */
    long update(Consumer<WriteTx> writer);

    /**
     * A consistent snapshot read by {@code snapshotReader} plus every change
     * committed after it.
     */
    <R> Watch<R> watch(Function<ReadTx, R> snapshotReader);

    /** Whether this manager is the Raft leader now. */
    boolean isLeader();
}
