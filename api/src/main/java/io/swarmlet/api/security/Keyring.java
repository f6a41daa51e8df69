package io.swarmlet.api.security;

/**
 * This manager's data key file ({@code <state>/certificates/swarm-dek}, 0600)
 * and its lock. The file holds the 32-byte key in clear, or, with autolock on,
 * the key wrapped by the unlock key. A manager that starts with a wrapped key
 * is <em>locked</em>: no {@link DataKey} is registered (so no store, no Raft
 * vote, no control API) until {@link #unlock} is given the key.
 *
 * <p>The ca bundle writes the file (a new key at {@code swarm init}, the
 * received one when the node becomes a manager); the secrets bundle implements
 * this service on managers and keeps the file wrapped or not as the cluster's
 * {@code spec.encryption.auto_lock_managers} and {@code unlock_key_sealed} say.
 */
@org.osgi.annotation.versioning.ProviderType
public interface Keyring {

    /** Name of the data key file in the node's certificates directory. */
    String DATA_KEY_FILE = "swarm-dek";

    /** The message a locked manager answers every control call but unlock with (Docker's words). */
    String LOCKED_MESSAGE = "Swarm is encrypted and needs to be unlocked before it can be used."
            + " Please use \"swarmlet swarm unlock\" to unlock it.";

    /** Whether this manager is locked (its data key is wrapped and no unlock key was given yet). */
    boolean locked();

    /**
     * Unwraps the data key with {@code unlockKey} ({@code SWMKEY-1-...}) and
     * registers {@link DataKey}.
     *
     * @throws IllegalArgumentException when the key is malformed or does not open
     *         this manager's data key ("invalid unlock key"); nothing changes
     * @throws IllegalStateException when this manager is not locked
     */
    void unlock(String unlockKey);
}
