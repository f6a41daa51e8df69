package io.swarmlet.controlapi.internal;

import io.swarmlet.api.security.SecretVault;
import java.nio.charset.StandardCharsets;

/**
 * A test double of the secrets bundle's vault: the built-in driver ("" or "builtin")
 * seals with a {@link TestDataKey}, bound to the secret ID and version; any other
 * driver is not installed. Counts seals.
 */
final class TestSecretVault implements SecretVault {

    final TestDataKey key = new TestDataKey();
    int seals;

    private static byte[] bound(String secretId, long version) {
        return (secretId + "/" + version).getBytes(StandardCharsets.UTF_8);
    }

    private static void check(String driver) {
        if (driver != null && !driver.isEmpty() && !driver.equals("builtin")) {
            throw new IllegalArgumentException("secrets driver '" + driver + "' is not installed");
        }
    }

    @Override
    public synchronized byte[] seal(String driver, String secretId, long version, byte[] plain) {
        check(driver);
        seals++;
        return key.seal(plain, bound(secretId, version));
    }

    @Override
    public byte[] open(String driver, String secretId, long version, byte[] sealed) {
        check(driver);
        return key.open(sealed, bound(secretId, version));
    }
}
