package io.swarmlet.secrets.internal;

import io.swarmlet.api.security.DataKey;
import io.swarmlet.spi.secrets.SecretsDriver;
import java.nio.charset.StandardCharsets;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The built-in secrets driver ({@link SecretsDriver#BUILTIN}): a value is sealed
 * with AES-256-GCM under the cluster's {@link DataKey}, with
 * {@code "<secretId>@<version>"} as associated data, so that a sealed value
 * copied to another secret or another version does not open. Present only
 * while the DataKey is (an unlocked manager).
 */
@Component(service = SecretsDriver.class, property = SecretsDriver.NAME + "=" + SecretsDriver.BUILTIN)
public class BuiltinSecretsDriver implements SecretsDriver {

    @Reference
    private DataKey dataKey;

    public BuiltinSecretsDriver() {}

    /** For tests outside OSGi. */
    BuiltinSecretsDriver(DataKey dataKey) {
        this.dataKey = dataKey;
    }

    @Override
    public byte[] seal(String secretId, long version, byte[] plain) {
        return dataKey.seal(plain, associatedData(secretId, version));
    }

    @Override
    public byte[] open(String secretId, long version, byte[] sealed) {
        try {
            return dataKey.open(sealed, associatedData(secretId, version));
        } catch (IllegalStateException e) {
            throw new IllegalStateException("cannot open version " + version + " of secret " + secretId
                    + ": it was not sealed by this cluster's data key for this secret and version");
        }
    }

    static byte[] associatedData(String secretId, long version) {
        return (secretId + "@" + version).getBytes(StandardCharsets.UTF_8);
    }
}
