package io.swarmlet.secrets.internal;

import io.swarmlet.api.security.Keyring;
import io.swarmlet.api.security.UnlockKeys;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The data key file, {@code <state>/certificates/swarm-dek} (0600), in one of two forms:
 * <ul>
 * <li><b>clear</b>: exactly the 32 bytes of the key (what the ca bundle writes at
 * {@code swarm init} and when a node becomes a manager);</li>
 * <li><b>wrapped</b> (autolock on): {@code "SWLDEK1\n"} (8 bytes), the unlock key version
 * (8 bytes, big-endian), a 12-byte nonce, then AES-256-GCM of the key under the unlock key
 * (32 bytes and the 16-byte tag), with the first 16 bytes (magic and version) as associated
 * data: 76 bytes.</li>
 * </ul>
 * Every write is atomic (a 0600 temporary file in the same directory, synced, then renamed).
 * Nothing here logs or puts a key into a message.
 */
final class DataKeyFile {

    static final int KEY_BYTES = 32;
    static final byte[] MAGIC = "SWLDEK1\n".getBytes(StandardCharsets.US_ASCII);
    static final int NONCE_BYTES = 12;
    static final int TAG_BITS = 128;
    static final int HEADER_BYTES = MAGIC.length + Long.BYTES;
    static final int WRAPPED_BYTES = HEADER_BYTES + NONCE_BYTES + KEY_BYTES + TAG_BITS / 8;

    private static final SecureRandom RANDOM = new SecureRandom();

    /** Writers of this bundle (the keyring, the autolock watcher) take turns. */
    static final Object WRITE_LOCK = new Object();

    private DataKeyFile() {}

    /** What the file holds. */
    sealed interface Contents permits Missing, Clear, Wrapped {}

    record Missing() implements Contents {}

    /** The key in clear. */
    record Clear(byte[] key) implements Contents {
        @Override
        public String toString() {
            return "Clear[]";
        }
    }

    /** The key wrapped by the unlock key of {@code unlockKeyVersion}. */
    record Wrapped(long unlockKeyVersion, byte[] bytes) implements Contents {
        @Override
        public String toString() {
            return "Wrapped[unlockKeyVersion=" + unlockKeyVersion + "]";
        }
    }

    static Path path(Path stateDir) {
        return stateDir.resolve("certificates").resolve(Keyring.DATA_KEY_FILE);
    }

    /**
     * @throws IOException when it cannot be read, or is neither 32 bytes nor a wrapped key
     *     (the message names the file, never its content)
     */
    static Contents read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new Missing();
        }
        byte[] b = Files.readAllBytes(file);
        return parse(file, b);
    }

    static Contents parse(Path file, byte[] b) throws IOException {
        if (b.length == KEY_BYTES) {
            return new Clear(b);
        }
        if (b.length == WRAPPED_BYTES && Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            long version = ByteBuffer.wrap(b, MAGIC.length, Long.BYTES).getLong();
            return new Wrapped(version, b);
        }
        throw new IOException(file + " is damaged: it holds neither a data key nor a wrapped one ("
                + b.length + " bytes); restore it from a backup of this manager, or remove this manager"
                + " from the swarm and join it again");
    }

    /** The wrapped form of {@code key} under {@code unlockKey}. */
    static byte[] wrap(byte[] key, byte[] unlockKey, long unlockKeyVersion) {
        check(key, "a data key");
        check(unlockKey, "an unlock key");
        byte[] out = new byte[WRAPPED_BYTES];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        ByteBuffer.wrap(out, MAGIC.length, Long.BYTES).putLong(unlockKeyVersion);
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        System.arraycopy(nonce, 0, out, HEADER_BYTES, NONCE_BYTES);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(unlockKey, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(out, 0, HEADER_BYTES);
            int n = c.doFinal(key, 0, key.length, out, HEADER_BYTES + NONCE_BYTES);
            if (n != KEY_BYTES + TAG_BITS / 8) {
                throw new IllegalStateException("AES-GCM wrote " + n + " bytes");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available: " + e.getClass().getSimpleName(), e);
        }
        return out;
    }

    /**
     * The data key from its wrapped form.
     *
     * @throws IllegalArgumentException "invalid unlock key" when {@code unlockKey} does not open it
     */
    static byte[] unwrap(Wrapped wrapped, byte[] unlockKey) {
        check(unlockKey, "an unlock key");
        byte[] b = wrapped.bytes();
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(unlockKey, "AES"),
                    new GCMParameterSpec(TAG_BITS, b, HEADER_BYTES, NONCE_BYTES));
            c.updateAAD(b, 0, HEADER_BYTES);
            return c.doFinal(b, HEADER_BYTES + NONCE_BYTES, b.length - HEADER_BYTES - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw new IllegalArgumentException("invalid unlock key");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available: " + e.getClass().getSimpleName(), e);
        }
    }

    static void writeClear(Path file, byte[] key) throws IOException {
        check(key, "a data key");
        write(file, key);
    }

    static void writeWrapped(Path file, byte[] key, byte[] unlockKey, long unlockKeyVersion) throws IOException {
        write(file, wrap(key, unlockKey, unlockKeyVersion));
    }

    private static void check(byte[] key, String what) {
        if (key == null || key.length != UnlockKeys.KEY_BYTES) {
            throw new IllegalArgumentException(what + " has " + KEY_BYTES + " bytes");
        }
    }

    /** Atomically: a 0600 temporary file in the same directory, synced, then moved over the old one. */
    static void write(Path file, byte[] content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
        synchronized (WRITE_LOCK) {
            Files.deleteIfExists(tmp);
            if (posix) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(tmp);
            }
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                     OutputStream out = Channels.newOutputStream(ch)) {
                    out.write(content);
                    out.flush();
                    ch.force(true);
                }
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
