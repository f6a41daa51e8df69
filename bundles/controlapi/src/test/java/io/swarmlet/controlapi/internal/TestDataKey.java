package io.swarmlet.controlapi.internal;

import io.swarmlet.api.security.DataKey;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** A test double of the secrets bundle's data key: real AES-256-GCM, nonce first, under a random key. */
final class TestDataKey implements DataKey {

    private static final SecureRandom RANDOM = new SecureRandom();
    private final byte[] key = new byte[32];

    TestDataKey() {
        RANDOM.nextBytes(key);
    }

    @Override
    public byte[] seal(byte[] plain, byte[] associatedData) {
        try {
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(associatedData);
            byte[] out = c.doFinal(plain);
            return ByteBuffer.allocate(12 + out.length).put(nonce).put(out).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal", e);
        }
    }

    @Override
    public byte[] open(byte[] sealed, byte[] associatedData) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, sealed, 0, 12));
            c.updateAAD(associatedData);
            return c.doFinal(sealed, 12, sealed.length - 12);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot open: not sealed by this key with this associated data");
        }
    }

    @Override
    public byte[] export() {
        return key.clone();
    }
}
