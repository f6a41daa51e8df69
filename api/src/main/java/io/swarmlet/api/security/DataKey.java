package io.swarmlet.api.security;

/**
 * The cluster's data key (DEK, 256 bits), present on a manager while it is
 * unlocked. Every manager holds the same key: the first one makes it at
 * {@code swarm init}, joining and promoted managers receive it with their
 * manager certificate ({@code IssueNodeCertificateResponse.data_key}). It seals
 * what must not be in the Raft log in clear: secret values (through the
 * built-in secrets driver) and the autolock unlock key.
 *
 * <p>Registered by the secrets bundle only while the key is available in clear
 * in memory: never on workers, not on a locked manager. The store requires it,
 * so a locked manager runs no Raft member. Implementations never log the key,
 * a plaintext or a ciphertext.
 */
@org.osgi.annotation.versioning.ProviderType
public interface DataKey {

    /**
     * AES-256-GCM with a fresh 96-bit nonce: nonce, then ciphertext and tag.
     *
     * @param associatedData bound to the result; {@link #open} must be given the same
     */
    byte[] seal(byte[] plain, byte[] associatedData);

    /**
     * @throws IllegalStateException when {@code sealed} was not made by this key
     *         with this associated data (or was altered)
     */
    byte[] open(byte[] sealed, byte[] associatedData);

    /** The key itself (32 bytes), for the CA to hand to a joining or promoted manager over TLS. */
    byte[] export();
}
