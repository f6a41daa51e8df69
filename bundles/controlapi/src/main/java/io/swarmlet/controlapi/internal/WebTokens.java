package io.swarmlet.controlapi.internal;

import io.swarmlet.api.types.WebToken;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Tokens for the web console's actions: {@code SWLWEB-1-<id>-<secret>}, the id
 * 10 random lower-case base-36 characters (public: it names the token),
 * the secret 32 random bytes in lower-case base 32 (52 characters, no padding).
 * Only {@link WebToken} (id, SHA-256 of the whole text, time) is ever stored.
 */
final class WebTokens {

    static final String PREFIX = "SWLWEB-1-";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

    private WebTokens() {}

    /** A new token's text. */
    static String newToken() {
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            id.append(Character.forDigit(RANDOM.nextInt(36), 36));
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return PREFIX + id + "-" + base32(secret);
    }

    /** The id part of a token made by {@link #newToken}. */
    static String idOf(String token) {
        return token.substring(PREFIX.length(), token.indexOf('-', PREFIX.length()));
    }

    /** What is stored of {@code token}. */
    static WebToken stored(String token, long now) {
        return WebToken.newBuilder().setId(idOf(token))
                .setSha256(com.google.protobuf.ByteString.copyFrom(sha256(token))).setCreatedAt(now).build();
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** RFC 4648 base 32, lower case, without padding. */
    static String base32(byte[] bytes) {
        StringBuilder out = new StringBuilder((bytes.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(BASE32[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(BASE32[(buffer << (5 - bits)) & 31]);
        }
        return out.toString();
    }
}
