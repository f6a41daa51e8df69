package io.swarmlet.spi.secrets;

/**
 * Seals secret values before they reach the replicated store and opens them
 * for delivery to the nodes that run tasks referencing them. Register as an
 * OSGi service with the property {@link #NAME} set; a secret names its driver
 * in {@code spec.driver.name} ({@code secret create --driver NAME}), empty
 * meaning {@link #BUILTIN}.
 *
 * <p>The built-in driver (the secrets bundle) seals with AES-256-GCM under the
 * cluster's data key, so that the Raft log and its snapshots hold no value in
 * clear. A driver for an external vault may return a reference instead of a
 * ciphertext and fetch the value in {@link #open}.
 *
 * <p>Implemented by secrets driver plugins; called by the secrets bundle's
 * {@link io.swarmlet.api.security.SecretVault} on managers. Implementations
 * never log a value nor put one into an exception message.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface SecretsDriver {

    /** Service property: the driver's name. */
    String NAME = "swarmlet.secrets.driver";

    /** Name of the built-in driver (the replicated store, sealed by the data key). */
    String BUILTIN = "builtin";

    /**
     * What to keep in the store for one version of a secret.
     *
     * @param secretId the secret's ID; with {@code version}, bound to the result
     *                 (a sealed value copied to another secret or version does not open)
     * @param plain the value, 1 byte to 500 KB
     */
    byte[] seal(String secretId, long version, byte[] plain);

    /**
     * The value of one version from what {@link #seal} made of it.
     *
     * @throws IllegalStateException when it cannot be opened (the message names the secret ID, never a value)
     */
    byte[] open(String secretId, long version, byte[] sealed);
}
