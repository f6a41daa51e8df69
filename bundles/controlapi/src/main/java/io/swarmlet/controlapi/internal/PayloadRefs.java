package io.swarmlet.controlapi.internal;

import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.types.Config;
import io.swarmlet.api.types.ConfigReference;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.Secret;
import io.swarmlet.api.types.PayloadTargets;
import io.swarmlet.api.types.SecretReference;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The secret and config references of a service spec ({@code --secret},
 * {@code --config}), resolved inside the write transaction that stores the
 * spec: each names its secret or config by ID, name or unambiguous ID prefix
 * and ends up with both the ID and the name, a version (the latest unless one
 * is given; a reference that has a version keeps it, so an unrelated update
 * moves nothing), and docker's defaults for target, uid, gid and mode.
 * An unknown name is INVALID_ARGUMENT in docker's words ("secret not found: db_pass"),
 * so the spec is refused and nothing is written.
 */
final class PayloadRefs {

    static final int DEFAULT_MODE = 0444;

    private PayloadRefs() {}

    /** The spec with every reference resolved and defaulted; refuses unknown names, missing versions, clashing targets. */
    static ServiceSpec resolve(ReadTx tx, ServiceSpec spec) {
        ContainerSpec c = spec.getTask().getContainer();
        if (c.getSecretsCount() == 0 && c.getConfigsCount() == 0) {
            return spec;
        }
        ServiceSpec.Builder b = spec.toBuilder();
        ContainerSpec.Builder cb = b.getTaskBuilder().getContainerBuilder();
        Map<String, String> targets = new HashMap<>();
        for (int i = 0; i < c.getSecretsCount(); i++) {
            SecretReference r = c.getSecrets(i);
            Secret s = find(tx, Kind.SECRET, r.getSecretId().isEmpty() ? r.getSecretName() : r.getSecretId());
            String name = s.getSpec().getAnnotations().getName();
            long latest = latest("secret", name, s.getVersionsCount() == 0 ? 0 : s.getVersions(s.getVersionsCount() - 1).getVersion());
            long version = version("secret", name, r.getVersion(), latest,
                    s.getVersionsList().stream().anyMatch(v -> v.getVersion() == r.getVersion()));
            String target = target("secret", name, PayloadTargets.secret(r.getTarget(), name));
            claim(targets, target, "secret " + name);
            cb.setSecrets(i, r.toBuilder().setSecretId(s.getId()).setSecretName(name).setVersion(version)
                    .setTarget(target).setUid(id("uid", name, r.getUid())).setGid(id("gid", name, r.getGid()))
                    .setMode(mode("secret", name, r.getMode())));
        }
        for (int i = 0; i < c.getConfigsCount(); i++) {
            ConfigReference r = c.getConfigs(i);
            Config s = find(tx, Kind.CONFIG, r.getConfigId().isEmpty() ? r.getConfigName() : r.getConfigId());
            String name = s.getSpec().getAnnotations().getName();
            long latest = latest("config", name, s.getVersionsCount() == 0 ? 0 : s.getVersions(s.getVersionsCount() - 1).getVersion());
            long version = version("config", name, r.getVersion(), latest,
                    s.getVersionsList().stream().anyMatch(v -> v.getVersion() == r.getVersion()));
            String target = target("config", name, PayloadTargets.config(r.getTarget(), name));
            claim(targets, target, "config " + name);
            cb.setConfigs(i, r.toBuilder().setConfigId(s.getId()).setConfigName(name).setVersion(version)
                    .setTarget(target).setUid(id("uid", name, r.getUid())).setGid(id("gid", name, r.getGid()))
                    .setMode(mode("config", name, r.getMode())));
        }
        return b.build();
    }

    /** By ID, name or unambiguous ID prefix; unknown is docker's "secret not found: NAME". */
    private static <T extends com.google.protobuf.Message> T find(ReadTx tx, Kind<T> kind, String ref) {
        if (ref.isBlank()) {
            throw ControlException.invalid("a " + kind.name() + " reference needs the " + kind.name()
                    + "'s name or ID (--" + kind.name() + " source=NAME)");
        }
        try {
            return Resolver.resolve(tx, kind, ref, null);
        } catch (ControlException e) {
            if (e.code() == ControlException.Code.NOT_FOUND) {
                throw ControlException.invalid(kind.name() + " not found: " + ref);
            }
            throw e;
        }
    }

    private static long latest(String kind, String name, long latest) {
        if (latest == 0) {
            throw ControlException.invalid(kind + " " + name + " has no stored value: give it one with swarmlet "
                    + kind + " rotate " + name + " FILE");
        }
        return latest;
    }

    private static long version(String kind, String name, long asked, long latest, boolean exists) {
        if (asked == 0) {
            return latest;
        }
        if (!exists) {
            throw ControlException.invalid(kind + " " + name + " has no version " + asked + " (latest is " + latest + ")");
        }
        return asked;
    }

    private static String target(String kind, String name, String target) {
        for (String part : target.split("/", -1)) {
            if (part.equals("..") || part.equals(".")) {
                throw ControlException.invalid("invalid target \"" + target + "\" for " + kind + " " + name
                        + ": use a path without '.' or '..' parts");
            }
        }
        if (target.endsWith("/") || target.contains("//")) {
            throw ControlException.invalid("invalid target \"" + target + "\" for " + kind + " " + name
                    + ": give a file path, e.g. " + (kind.equals("secret") ? PayloadTargets.SECRETS_DIR + name : "/" + name));
        }
        return target;
    }

    private static void claim(Map<String, String> targets, String target, String who) {
        String other = targets.putIfAbsent(target, who);
        if (other != null) {
            throw ControlException.invalid(other + " and " + who + " both use the target " + target
                    + ": give one of them another target (target=PATH)");
        }
    }

    private static String id(String what, String name, String value) {
        if (value.isEmpty()) {
            return "0";
        }
        if (!value.matches("[0-9]{1,10}")) {
            throw ControlException.invalid("invalid " + what + " \"" + value + "\" for " + name + ": use a number, e.g. "
                    + what + "=0");
        }
        return value;
    }

    private static int mode(String kind, String name, int mode) {
        if (mode == 0) {
            return DEFAULT_MODE;
        }
        if (mode < 0 || mode > 07777) {
            throw ControlException.invalid("invalid mode " + Integer.toOctalString(mode) + " for " + kind + " " + name
                    + ": use an octal file mode such as 0444");
        }
        return mode;
    }

    // ------------------------------------------------------------ who uses what

    /** Whether the spec references the secret with that ID (at any version). */
    static boolean usesSecret(ServiceSpec s, String id) {
        return s.getTask().getContainer().getSecretsList().stream().anyMatch(r -> r.getSecretId().equals(id));
    }

    static boolean usesConfig(ServiceSpec s, String id) {
        return s.getTask().getContainer().getConfigsList().stream().anyMatch(r -> r.getConfigId().equals(id));
    }

    /** The names of the services whose spec references it, sorted. */
    static List<String> users(ReadTx tx, String id, boolean secret) {
        List<String> names = new ArrayList<>();
        for (Service s : tx.all(Kind.SERVICE)) {
            if (secret ? usesSecret(s.getSpec(), id) : usesConfig(s.getSpec(), id)) {
                names.add(s.getSpec().getAnnotations().getName());
            }
        }
        names.sort(null);
        return names;
    }

    /**
     * The spec with its unpinned references to the secret moved to {@code version},
     * or null when there are none that are not there already.
     */
    static ServiceSpec moveSecret(ServiceSpec spec, String id, long version) {
        ServiceSpec.Builder b = spec.toBuilder();
        ContainerSpec.Builder c = b.getTaskBuilder().getContainerBuilder();
        boolean moved = false;
        for (int i = 0; i < c.getSecretsCount(); i++) {
            SecretReference r = c.getSecrets(i);
            if (r.getSecretId().equals(id) && !r.getPinned() && r.getVersion() != version) {
                c.setSecrets(i, r.toBuilder().setVersion(version));
                moved = true;
            }
        }
        return moved ? b.build() : null;
    }

    static ServiceSpec moveConfig(ServiceSpec spec, String id, long version) {
        ServiceSpec.Builder b = spec.toBuilder();
        ContainerSpec.Builder c = b.getTaskBuilder().getContainerBuilder();
        boolean moved = false;
        for (int i = 0; i < c.getConfigsCount(); i++) {
            ConfigReference r = c.getConfigs(i);
            if (r.getConfigId().equals(id) && !r.getPinned() && r.getVersion() != version) {
                c.setConfigs(i, r.toBuilder().setVersion(version));
                moved = true;
            }
        }
        return moved ? b.build() : null;
    }
}
