package io.swarmlet.secrets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.security.DataKey;
import io.swarmlet.api.security.Keyring;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.security.SecretVault;
import io.swarmlet.api.security.UnlockKeys;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import io.swarmlet.api.testing.BareFelix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The built bundle in a real Felix with SCR: on a worker nothing of it is
 * registered; on a manager whose data key file is wrapped (autolock) the
 * Keyring says locked and there is no DataKey, no driver and no vault; a wrong
 * unlock key changes nothing; the right one registers the DataKey, and with it
 * the built-in driver and the vault; a demotion takes them all away. The API
 * comes from the class path through the system bundle.
 */
class SecretsBundleIT {

    @TempDir
    Path tmp;

    private record Node(Path stateDir) implements LocalNode {
        @Override public String nodeId() { return "itnode0000000000000000001"; }
        @Override public String clusterId() { return "itcluster0000000000000001"; }
        @Override public boolean bootstrapped() { return true; }
        @Override public String hostname() { return "it"; }
        @Override public Path controlSocket() { return stateDir.resolve("control.sock"); }
        @Override public String remoteApiAddr() { return "127.0.0.1:1"; }
        @Override public String advertiseAddr() { return "127.0.0.1:1"; }
        @Override public String raftAddr() { return "127.0.0.1:2"; }
        @Override public boolean manager() { return true; }
    }

    /** The wrapped file format (see DataKeyFile), written independently of the bundle's code. */
    private static byte[] wrapped(byte[] key, byte[] unlock, long version) throws Exception {
        byte[] out = new byte[76];
        byte[] magic = "SWLDEK1\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(magic, 0, out, 0, 8);
        java.nio.ByteBuffer.wrap(out, 8, 8).putLong(version);
        byte[] nonce = new byte[12];
        new java.security.SecureRandom().nextBytes(nonce);
        System.arraycopy(nonce, 0, out, 16, 12);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(unlock, "AES"), new GCMParameterSpec(128, nonce));
        c.updateAAD(out, 0, 16);
        c.doFinal(key, 0, 32, out, 28);
        return out;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aLockedManagerHasNoDataKeyUntilUnlocked() throws Exception {
        String secretsBundle = System.getProperty("secrets.bundle");
        assertNotNull(secretsBundle, "secrets.bundle (set by failsafe)");

        Path state = tmp.resolve("state");
        byte[] key = UnlockKeys.generate();
        byte[] unlock = UnlockKeys.generate();
        Files.createDirectories(state.resolve("certificates"));
        Files.write(state.resolve("certificates").resolve(Keyring.DATA_KEY_FILE), wrapped(key, unlock, 1));
        byte[] before = Files.readAllBytes(state.resolve("certificates").resolve(Keyring.DATA_KEY_FILE));

        try (BareFelix felix = BareFelix.start(tmp.resolve("felix-cache"), Map.of())) {
            BundleContext system = felix.system();
            Bundle secrets = felix.start(secretsBundle);
            system.registerService(LocalNode.class, new Node(state), null);
            NodeCredentials creds = (NodeCredentials) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {NodeCredentials.class}, (p, m, a) -> {
                        throw new UnsupportedOperationException(m.getName());
                    });
            // a worker first: nothing of the bundle is there
            ServiceRegistration<NodeCredentials> reg = system.registerService(NodeCredentials.class, creds,
                    new Hashtable<>(Map.of(NodeCredentials.ROLE, "worker")));
            ServiceTracker<Keyring, Keyring> keyrings = new ServiceTracker<>(system, Keyring.class, null);
            keyrings.open();
            assertNull(system.getServiceReference(Keyring.class), "no keyring on a worker");

            // promoted (its data key file is wrapped): locked
            reg.setProperties(new Hashtable<>(Map.of(NodeCredentials.ROLE, "manager")));
            Keyring keyring = keyrings.waitForService(TimeUnit.SECONDS.toMillis(20));
            assertNotNull(keyring, "the keyring runs on a manager");
            assertTrue(keyring.locked());
            assertNull(system.getServiceReference(DataKey.class), "no DataKey while locked");
            assertNull(system.getServiceReference(SecretVault.class), "no vault while locked");

            IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                    () -> keyring.unlock(UnlockKeys.format(UnlockKeys.generate())));
            assertEquals("invalid unlock key", wrong.getMessage());
            assertTrue(keyring.locked());
            assertNull(system.getServiceReference(DataKey.class));
            assertArrayEquals(before, Files.readAllBytes(state.resolve("certificates").resolve(Keyring.DATA_KEY_FILE)));

            keyring.unlock(UnlockKeys.format(unlock));
            assertFalse(keyring.locked());
            DataKey dk = system.getService(system.getServiceReference(DataKey.class));
            assertArrayEquals(key, dk.export());
            ServiceTracker<SecretVault, SecretVault> vaults = new ServiceTracker<>(system, SecretVault.class, null);
            vaults.open();
            SecretVault vault = vaults.waitForService(TimeUnit.SECONDS.toMillis(20));
            assertNotNull(vault, "the vault comes with the data key");
            byte[] value = "leak-canary-it-secret-value".getBytes(StandardCharsets.UTF_8);
            byte[] sealed = vault.seal("", "secret1", 1, value);
            assertArrayEquals(value, vault.open("builtin", "secret1", 1, sealed));
            assertThrows(IllegalStateException.class, () -> vault.open("", "secret1", 2, sealed));

            // demoted: keyring, data key and vault go
            reg.setProperties(new Hashtable<>(Map.of(NodeCredentials.ROLE, "worker")));
            await(() -> system.getServiceReference(DataKey.class) == null
                    && system.getServiceReference(SecretVault.class) == null
                    && system.getServiceReference(Keyring.class) == null, "the data key, vault and keyring to go");
            assertThrows(IllegalStateException.class, dk::export, "the key was wiped");
            vaults.close();
            keyrings.close();
        }
    }
}
