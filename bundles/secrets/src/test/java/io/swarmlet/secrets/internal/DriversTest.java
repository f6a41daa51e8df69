package io.swarmlet.secrets.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.swarmlet.api.security.UnlockKeys;
import io.swarmlet.spi.secrets.SecretsDriver;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The built-in driver binds a value to its secret and version; the vault picks drivers by name. */
class DriversTest {

    private static final byte[] VALUE = "leak-canary-hunter2-very-secret".getBytes(StandardCharsets.UTF_8);

    @Test
    void theBuiltinDriverBindsSecretIdAndVersion() {
        BuiltinSecretsDriver d = new BuiltinSecretsDriver(new DataKeyImpl(UnlockKeys.generate()));
        byte[] v1 = d.seal("abc123", 1, VALUE);
        assertArrayEquals(VALUE, d.open("abc123", 1, v1));
        IllegalStateException asV2 = assertThrows(IllegalStateException.class, () -> d.open("abc123", 2, v1));
        assertEquals("cannot open version 2 of secret abc123: it was not sealed by this cluster's data key for this"
                + " secret and version", asV2.getMessage());
        assertThrows(IllegalStateException.class, () -> d.open("abc124", 1, v1));
        assertThrows(IllegalStateException.class,
                () -> new BuiltinSecretsDriver(new DataKeyImpl(UnlockKeys.generate())).open("abc123", 1, v1));
    }

    @Test
    void theVaultPicksTheDriverASecretNames() {
        SecretVaultImpl vault = new SecretVaultImpl();
        BuiltinSecretsDriver builtin = new BuiltinSecretsDriver(new DataKeyImpl(UnlockKeys.generate()));
        vault.addDriver(builtin, Map.of(SecretsDriver.NAME, SecretsDriver.BUILTIN));
        SecretsDriver plain = new SecretsDriver() {
            @Override public byte[] seal(String id, long version, byte[] p) { return ("ref:" + id + "@" + version).getBytes(StandardCharsets.UTF_8); }
            @Override public byte[] open(String id, long version, byte[] s) { return VALUE.clone(); }
        };
        vault.addDriver(plain, Map.of(SecretsDriver.NAME, "vault"));

        byte[] sealed = vault.seal("", "s1", 1, VALUE);
        assertArrayEquals(VALUE, builtin.open("s1", 1, sealed));
        assertArrayEquals(VALUE, vault.open(null, "s1", 1, sealed));
        assertArrayEquals(VALUE, vault.open("builtin", "s1", 1, sealed));
        assertEquals("ref:s1@1", new String(vault.seal("vault", "s1", 1, VALUE), StandardCharsets.UTF_8));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> vault.seal("x", "s1", 1, VALUE));
        assertEquals("secrets driver 'x' is not installed on this manager", e.getMessage());
        vault.removeDriver(plain, Map.of(SecretsDriver.NAME, "vault"));
        assertThrows(IllegalArgumentException.class, () -> vault.open("vault", "s1", 1, sealed));
        vault.removeDriver(builtin, Map.of(SecretsDriver.NAME, SecretsDriver.BUILTIN));
        e = assertThrows(IllegalArgumentException.class, () -> vault.open("", "s1", 1, sealed));
        assertFalse(e.getMessage().contains("hunter2"));
        assertEquals("secrets driver 'builtin' is not installed on this manager", e.getMessage());
    }
}
