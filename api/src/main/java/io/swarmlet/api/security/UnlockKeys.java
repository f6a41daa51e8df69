package io.swarmlet.api.security;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * The text form of autolock unlock keys: {@code SWMKEY-1-} followed by the
 * 32-byte key in unpadded base64 (URL alphabet), as {@code swarm unlock-key} prints it.
 */
public final class UnlockKeys {

    public static final String PREFIX = "SWMKEY-1-";
    public static final int KEY_BYTES = 32;

    private static final SecureRandom RANDOM = new SecureRandom();

    private UnlockKeys() {}

    /** A new random key. */
    public static byte[] generate() {
        byte[] key = new byte[KEY_BYTES];
        RANDOM.nextBytes(key);
        return key;
    }

    public static String format(byte[] key) {
        if (key == null || key.length != KEY_BYTES) {
            throw new IllegalArgumentException("an unlock key has " + KEY_BYTES + " bytes");
        }
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(key);
    }

    /**
     * @throws IllegalArgumentException "invalid unlock key" (never echoing the text) when malformed
     */
    public static byte[] parse(String text) {
        String t = text == null ? "" : text.strip();
        if (!t.startsWith(PREFIX)) {
            throw new IllegalArgumentException("invalid unlock key: it must start with " + PREFIX);
        }
        byte[] key;
        try {
            key = Base64.getUrlDecoder().decode(t.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid unlock key: not a key printed by swarmlet swarm unlock-key");
        }
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("invalid unlock key: not a key printed by swarmlet swarm unlock-key");
        }
        return key;
    }
}
