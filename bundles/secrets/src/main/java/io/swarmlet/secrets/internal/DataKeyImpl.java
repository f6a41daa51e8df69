package io.swarmlet.secrets.internal;

import io.swarmlet.api.security.DataKey;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The cluster's data key in memory: AES-256-GCM, a fresh 12-byte nonce per
 * value, the output being nonce, then ciphertext and tag. Registered as
 * {@link DataKey} by {@link KeyringImpl} while this manager is unlocked;
 * {@link #destroy} wipes the copy it holds. Never logs or prints the key
 * nor any plaintext or ciphertext.
 */
final class DataKeyImpl implements DataKey {

    static final int NONCE_BYTES = 12;
    static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] key;
    private final SecretKeySpec spec;
    private volatile boolean destroyed;

    DataKeyImpl(byte[] key) {
        if (key == null || key.length != DataKeyFile.KEY_BYTES) {
            throw new IllegalArgumentException("a data key has " + DataKeyFile.KEY_BYTES + " bytes");
        }
        this.key = key.clone();
        this.spec = new SecretKeySpec(this.key, "AES");
    }

    @Override
    public byte[] seal(byte[] plain, byte[] associatedData) {
        checkAlive();
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, spec, new GCMParameterSpec(TAG_BITS, nonce));
            if (associatedData != null) {
                c.updateAAD(associatedData);
            }
            byte[] out = new byte[NONCE_BYTES + c.getOutputSize(plain.length)];
            System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
            c.doFinal(plain, 0, plain.length, out, NONCE_BYTES);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available: " + e.getClass().getSimpleName(), e);
        }
    }

    @Override
    public byte[] open(byte[] sealed, byte[] associatedData) {
        checkAlive();
        if (sealed == null || sealed.length < NONCE_BYTES + TAG_BITS / 8) {
            throw new IllegalStateException("not a value sealed by the data key: too short");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, spec, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
            if (associatedData != null) {
                c.updateAAD(associatedData);
            }
            return c.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw new IllegalStateException("the value was not sealed by this data key with this associated data,"
                    + " or it was altered");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available: " + e.getClass().getSimpleName(), e);
        }
    }

    @Override
    public byte[] export() {
        checkAlive();
        byte[] copy = key.clone();
        checkAlive(); // not a wiped copy
        return copy;
    }

    /**
     * Wipes this copy of the key; afterwards every call fails (a caller that still
     * holds the service after it was unregistered gets no zeroed key).
     */
    void destroy() {
        destroyed = true;
        Arrays.fill(key, (byte) 0);
    }

    private void checkAlive() {
        if (destroyed) {
            throw new IllegalStateException("the data key is no longer available on this manager (it stopped, was"
                    + " demoted or locked)");
        }
    }

    @Override
    public String toString() {
        return "DataKey[AES-256-GCM]";
    }
}
