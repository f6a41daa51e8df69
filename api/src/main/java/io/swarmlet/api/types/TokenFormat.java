package io.swarmlet.api.types;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Join tokens in SwarmKit's format: {@code SWMTKN-1-<digest>-<secret>}, the
 * digest being the SHA-256 of the root CA certificate in base 36 (50
 * characters) and the secret 128 random bits in base 36 (25 characters).
 */
public final class TokenFormat {

    private static final SecureRandom RANDOM = new SecureRandom();

    private TokenFormat() {}

    /** The digest part for a CA certificate. */
    public static String caDigest(byte[] caCert) {
        try {
            return Ids.base36(MessageDigest.getInstance("SHA-256").digest(caCert), 50);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String newToken(String caDigest) {
        byte[] secret = new byte[16];
        RANDOM.nextBytes(secret);
        return "SWMTKN-1-" + caDigest + "-" + Ids.base36(secret, 25);
    }

    /**
     * Until the cluster has a real CA (the multi-node issue), the digest is
     * that of a random placeholder made once per cluster.
     */
    public static byte[] placeholderCa(String clusterId) {
        byte[] seed = new byte[32];
        RANDOM.nextBytes(seed);
        return ("swarmlet placeholder CA for cluster " + clusterId + " " + Ids.base36(seed, 50))
                .getBytes(StandardCharsets.UTF_8);
    }
}
