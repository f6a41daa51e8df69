package io.swarmlet.secrets.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.security.UnlockKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data key in memory (seal/open) and on disk (clear or wrapped). */
class DataKeyTest {

    @TempDir
    Path dir;

    private static final byte[] VALUE = "leak-canary-db-password-s3cr3t-value".getBytes(StandardCharsets.UTF_8);
    private static final byte[] AAD = "sec1@1".getBytes(StandardCharsets.UTF_8);

    @Test
    void sealsAndOpensWithAFreshNonceEachTime() {
        DataKeyImpl k = new DataKeyImpl(UnlockKeys.generate());
        byte[] a = k.seal(VALUE, AAD);
        byte[] b = k.seal(VALUE, AAD);
        assertFalse(Arrays.equals(a, b), "a fresh nonce per value");
        assertEquals(12 + VALUE.length + 16, a.length);
        assertFalse(new String(a, StandardCharsets.ISO_8859_1).contains("s3cr3t"));
        assertArrayEquals(VALUE, k.open(a, AAD));
        assertArrayEquals(VALUE, k.open(b, AAD));
    }

    @Test
    void otherAssociatedDataOtherKeyOrAlteredBytesDoNotOpen() {
        byte[] raw = UnlockKeys.generate();
        DataKeyImpl k = new DataKeyImpl(raw);
        byte[] sealed = k.seal(VALUE, AAD);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> k.open(sealed, "sec1@2".getBytes(StandardCharsets.UTF_8)));
        assertFalse(e.getMessage().contains("s3cr3t"));
        assertThrows(IllegalStateException.class, () -> new DataKeyImpl(UnlockKeys.generate()).open(sealed, AAD));
        for (int i : new int[] {0, 11, 12, sealed.length - 1}) {
            byte[] tampered = sealed.clone();
            tampered[i] ^= 1;
            assertThrows(IllegalStateException.class, () -> k.open(tampered, AAD), "byte " + i + " altered");
        }
        assertThrows(IllegalStateException.class, () -> k.open(new byte[5], AAD));
        assertArrayEquals(raw, k.export());
        assertEquals("DataKey[AES-256-GCM]", k.toString());
    }

    @Test
    void aDestroyedKeyRefusesEverything() {
        DataKeyImpl k = new DataKeyImpl(UnlockKeys.generate());
        k.destroy();
        assertThrows(IllegalStateException.class, k::export);
        assertThrows(IllegalStateException.class, () -> k.seal(VALUE, AAD));
    }

    @Test
    void thirtyTwoBytesAreAKeyInClear() throws IOException {
        Path file = DataKeyFile.path(dir);
        assertInstanceOf(DataKeyFile.Missing.class, DataKeyFile.read(file));
        byte[] key = UnlockKeys.generate();
        DataKeyFile.writeClear(file, key);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        DataKeyFile.Clear c = assertInstanceOf(DataKeyFile.Clear.class, DataKeyFile.read(file));
        assertArrayEquals(key, c.key());
        assertEquals(32, Files.size(file));
    }

    @Test
    void wrapsAndUnwrapsUnderTheUnlockKey() throws IOException {
        Path file = DataKeyFile.path(dir);
        byte[] key = UnlockKeys.generate();
        byte[] unlock = UnlockKeys.generate();
        DataKeyFile.writeWrapped(file, key, unlock, 3);
        assertEquals(DataKeyFile.WRAPPED_BYTES, Files.size(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        DataKeyFile.Wrapped w = assertInstanceOf(DataKeyFile.Wrapped.class, DataKeyFile.read(file));
        assertEquals(3, w.unlockKeyVersion());
        assertArrayEquals(key, DataKeyFile.unwrap(w, unlock));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DataKeyFile.unwrap(w, UnlockKeys.generate()));
        assertEquals("invalid unlock key", e.getMessage());
    }

    @Test
    void aTamperedWrappedFileDoesNotOpen() throws IOException {
        byte[] key = UnlockKeys.generate();
        byte[] unlock = UnlockKeys.generate();
        byte[] wrapped = DataKeyFile.wrap(key, unlock, 7);
        // the version is associated data: changing it breaks the tag too
        for (int i : new int[] {DataKeyFile.MAGIC.length + 7, DataKeyFile.HEADER_BYTES, wrapped.length - 1}) {
            byte[] t = wrapped.clone();
            t[i] ^= 1;
            DataKeyFile.Wrapped w = assertInstanceOf(DataKeyFile.Wrapped.class, DataKeyFile.parse(dir, t));
            assertThrows(IllegalArgumentException.class, () -> DataKeyFile.unwrap(w, unlock), "byte " + i);
        }
    }

    @Test
    void aFileOfAnotherSizeIsDamaged() throws IOException {
        Path file = DataKeyFile.path(dir);
        DataKeyFile.write(file, new byte[33]);
        IOException e = assertThrows(IOException.class, () -> DataKeyFile.read(file));
        assertTrue(e.getMessage().contains("damaged"), e.getMessage());
    }
}
