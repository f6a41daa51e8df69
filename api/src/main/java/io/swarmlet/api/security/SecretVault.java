package io.swarmlet.api.security;

/**
 * Seals and opens secret values through the {@link io.swarmlet.spi.secrets.SecretsDriver}
 * a secret names (empty = the built-in one). Registered by the secrets bundle
 * on managers while they are unlocked; called by the control API (seal, when a
 * secret is created or rotated) and the leader's dispatcher (open, when it
 * delivers a version to a node that runs a task referencing it).
 */
@org.osgi.annotation.versioning.ProviderType
public interface SecretVault {

    /**
     * @param driver the driver's name; null or empty = built-in
     * @throws IllegalArgumentException when no such driver is registered ("secrets driver 'x' is not installed")
     */
    byte[] seal(String driver, String secretId, long version, byte[] plain);

    /**
     * @throws IllegalArgumentException when no such driver is registered
     * @throws IllegalStateException when the value cannot be opened (names the secret, never a value)
     */
    byte[] open(String driver, String secretId, long version, byte[] sealed);
}
