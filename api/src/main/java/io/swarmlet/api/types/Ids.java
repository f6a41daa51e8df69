package io.swarmlet.api.types;

import java.math.BigInteger;
import java.security.SecureRandom;

/** Object IDs as SwarmKit makes them: 128 random bits in base 36, 25 characters. */
public final class Ids {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** Length of every generated ID. */
    public static final int LENGTH = 25;

    private Ids() {}

    public static String newId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return base36(b, LENGTH);
    }

    /** The unsigned number in {@code bytes}, in lower-case base 36, left-padded with zeros to {@code width}. */
    public static String base36(byte[] bytes, int width) {
        String s = new BigInteger(1, bytes).toString(36);
        return s.length() >= width ? s : "0".repeat(width - s.length()) + s;
    }
}
