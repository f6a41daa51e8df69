package io.swarmlet.secrets.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import io.swarmlet.api.security.UnlockKeys;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.ClusterSpec;
import io.swarmlet.api.types.EncryptionConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file follows the cluster's autolock setting and unlock key version. */
class AutoLockWatcherTest {

    @TempDir
    Path state;

    private static Cluster cluster(boolean autolock, DataKeyImpl dk, byte[] unlock, long version) {
        Cluster.Builder b = Cluster.newBuilder().setId("c1")
                .setSpec(ClusterSpec.newBuilder().setEncryption(EncryptionConfig.newBuilder().setAutoLockManagers(autolock)));
        if (unlock != null) {
            b.setUnlockKeySealed(ByteString.copyFrom(dk.seal(unlock,
                    AutoLockWatcher.UNLOCK_KEY_AAD.getBytes(StandardCharsets.UTF_8))));
            b.setUnlockKeyVersion(version);
        }
        return b.build();
    }

    @Test
    void wrapsRewrapsOnANewVersionAndUnwrapsWhenAutolockGoesOff() throws Exception {
        byte[] key = UnlockKeys.generate();
        DataKeyImpl dk = new DataKeyImpl(key);
        Path file = DataKeyFile.path(state);
        DataKeyFile.writeClear(file, key);

        assertNull(AutoLockWatcher.reconcile(file, cluster(false, dk, null, 0), dk), "off and clear: nothing to do");
        assertNull(AutoLockWatcher.reconcile(file, cluster(true, dk, null, 0), dk), "on without a key yet: nothing");

        byte[] unlock3 = UnlockKeys.generate();
        assertEquals("data key file wrapped with unlock key version 3 (autolock on)",
                AutoLockWatcher.reconcile(file, cluster(true, dk, unlock3, 3), dk));
        DataKeyFile.Wrapped w = assertInstanceOf(DataKeyFile.Wrapped.class, DataKeyFile.read(file));
        assertArrayEquals(key, DataKeyFile.unwrap(w, unlock3));
        byte[] wrapped3 = Files.readAllBytes(file);
        assertNull(AutoLockWatcher.reconcile(file, cluster(true, dk, unlock3, 3), dk), "same version: untouched");
        assertArrayEquals(wrapped3, Files.readAllBytes(file));

        byte[] unlock4 = UnlockKeys.generate();
        assertEquals("data key file wrapped with unlock key version 4 (autolock on)",
                AutoLockWatcher.reconcile(file, cluster(true, dk, unlock4, 4), dk));
        w = assertInstanceOf(DataKeyFile.Wrapped.class, DataKeyFile.read(file));
        assertArrayEquals(key, DataKeyFile.unwrap(w, unlock4));

        assertEquals("data key file no longer wrapped (autolock off)",
                AutoLockWatcher.reconcile(file, cluster(false, dk, null, 0), dk));
        assertArrayEquals(key, Files.readAllBytes(file));
    }

    @Test
    void aMissingFileStaysMissing() throws Exception {
        DataKeyImpl dk = new DataKeyImpl(UnlockKeys.generate());
        Path file = DataKeyFile.path(state);
        assertNull(AutoLockWatcher.reconcile(file, cluster(true, dk, UnlockKeys.generate(), 1), dk));
        assertFalse(Files.exists(file));
    }
}
