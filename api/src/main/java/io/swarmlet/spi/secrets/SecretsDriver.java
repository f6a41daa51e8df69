package io.swarmlet.spi.secrets;

/**
 * Seals secret values before they reach the replicated store and opens them
 * for delivery to the nodes that need them. Register as an OSGi service with
 * {@link #NAME} set.
 *
 * <p>Implemented by secrets driver plugins; called by the secrets bundle.
 * Implementations never log or put a value into an exception message.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface SecretsDriver {

    String NAME = "swarmlet.secrets.driver";

    byte[] seal(String secretId, byte[] plain);

    byte[] open(String secretId, byte[] sealed);
}
