package io.swarmlet.secrets.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.security.UnlockKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keyring publishes the data key when the file is clear, stays locked when it is wrapped, until unlocked. */
class KeyringImplTest {

    @TempDir
    Path state;

    private final AtomicReference<DataKeyImpl> published = new AtomicReference<>();

    private KeyringImpl keyring() {
        return new KeyringImpl(state, published::set, () -> published.set(null));
    }

    @Test
    void aKeyInClearIsPublishedAtOnce() throws Exception {
        byte[] key = UnlockKeys.generate();
        DataKeyFile.writeClear(DataKeyFile.path(state), key);
        KeyringImpl k = keyring();
        assertFalse(k.locked());
        assertArrayEquals(key, published.get().export());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> k.unlock(UnlockKeys.format(UnlockKeys.generate())));
        assertEquals("swarm is not locked", e.getMessage());
        DataKeyImpl dk = published.get();
        k.deactivate();
        assertNull(published.get());
        assertThrows(IllegalStateException.class, dk::export, "wiped at deactivation");
    }

    @Test
    void aWrappedKeyLocksUntilTheRightUnlockKey() throws Exception {
        byte[] key = UnlockKeys.generate();
        byte[] unlock = UnlockKeys.generate();
        Path file = DataKeyFile.path(state);
        DataKeyFile.writeWrapped(file, key, unlock, 2);
        byte[] before = Files.readAllBytes(file);
        KeyringImpl k = keyring();
        assertTrue(k.locked());
        assertNull(published.get(), "no DataKey while locked");

        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> k.unlock(UnlockKeys.format(UnlockKeys.generate())));
        assertEquals("invalid unlock key", wrong.getMessage());
        IllegalArgumentException malformed = assertThrows(IllegalArgumentException.class, () -> k.unlock("SWMKEY-1-nope"));
        assertFalse(malformed.getMessage().contains("nope"));
        assertTrue(k.locked());
        assertNull(published.get());
        assertArrayEquals(before, Files.readAllBytes(file), "a refused key changes nothing");

        k.unlock(UnlockKeys.format(unlock));
        assertFalse(k.locked());
        assertArrayEquals(key, published.get().export());
        assertArrayEquals(before, Files.readAllBytes(file), "the file stays wrapped");
        assertThrows(IllegalStateException.class, () -> k.unlock(UnlockKeys.format(unlock)));
    }

    @Test
    void noFileMeansNoKeyButNoLock() {
        KeyringImpl k = keyring();
        assertFalse(k.locked());
        assertNull(published.get());
    }
}
