package io.swarmlet.stack.internal;

import com.google.protobuf.CodedOutputStream;
import io.swarmlet.api.types.ServiceSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * What a redeploy compares. A service's spec hash: SHA-256 of the mapped spec in protobuf's deterministic
 * form (maps sorted), taken before the stack's own bookkeeping labels are added. A secret value's
 * fingerprint: a salted PBKDF2 (never the value, nor a plain hash of it, since secrets may be short
 * passwords and the label is readable by anyone who can inspect the object).
 */
final class Fingerprints {

    private static final int ITERATIONS = 20_000;
    private static final String PREFIX = "pbkdf2-sha256$" + ITERATIONS + "$";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Fingerprints() {
    }

    static String specHash(ServiceSpec spec) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.useDeterministicSerialization();
            spec.writeTo(out);
            out.flush();
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new fingerprint of {@code value}, with a fresh salt. */
    static String secret(byte[] value) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return PREFIX + b64.encodeToString(salt) + "$" + b64.encodeToString(derive(value, salt, ITERATIONS));
    }

    /** Whether {@code fingerprint} (as {@link #secret} made it) is that of {@code value}. */
    static boolean matches(String fingerprint, byte[] value) {
        String[] parts = fingerprint.split("\\$");
        if (parts.length != 4 || !parts[0].equals("pbkdf2-sha256")) {
            return false;
        }
        try {
            int iterations = Integer.parseInt(parts[1]);
            if (iterations < 1 || iterations > 10_000_000) {
                return false;
            }
            Base64.Decoder b64 = Base64.getDecoder();
            return MessageDigest.isEqual(b64.decode(parts[3]), derive(value, b64.decode(parts[2]), iterations));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static byte[] derive(byte[] value, byte[] salt, int iterations) {
        // PBEKeySpec takes chars: each byte becomes one char, so any value (binary too) maps one to one
        char[] chars = new char[value.length];
        for (int i = 0; i < value.length; i++) {
            chars[i] = (char) (value[i] & 0xff);
        }
        PBEKeySpec spec = new PBEKeySpec(chars, salt, iterations, 256);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } finally {
            spec.clearPassword();
            java.util.Arrays.fill(chars, '\0');
        }
    }
}
