package io.swarmlet.api.types;

/**
 * Where a secret or config reference puts its file in the container, Docker's
 * rule: a secret's default is {@code /run/secrets/NAME} and a relative target
 * is taken under {@code /run/secrets/}; a config's default is {@code /NAME}
 * and a relative target is taken under {@code /}. The control API stores the
 * result in the reference; the CLI and the agent apply the same rule to
 * references as they are.
 *
 * @since 1.1
 */
public final class PayloadTargets {

    /** Where secrets go by default, and where relative secret targets are taken from. */
    public static final String SECRETS_DIR = "/run/secrets/";

    private PayloadTargets() {}

    /** @param name the secret's name (the default file name) */
    public static String secret(String target, String name) {
        if (target.isEmpty()) {
            return SECRETS_DIR + name;
        }
        return target.startsWith("/") ? target : SECRETS_DIR + target;
    }

    /** @param name the config's name (the default file name) */
    public static String config(String target, String name) {
        if (target.isEmpty()) {
            return "/" + name;
        }
        return target.startsWith("/") ? target : "/" + target;
    }

    public static String secret(SecretReference r) {
        return secret(r.getTarget(), r.getSecretName());
    }

    public static String config(ConfigReference r) {
        return config(r.getTarget(), r.getConfigName());
    }
}
