package io.swarmlet.dispatcher.internal;

import com.google.protobuf.ByteString;
import io.swarmlet.api.dispatcher.Assignments;
import io.swarmlet.api.security.SecretVault;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.Config;
import io.swarmlet.api.types.ConfigReference;
import io.swarmlet.api.types.ConfigVersion;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.PayloadValue;
import io.swarmlet.api.types.Secret;
import io.swarmlet.api.types.SecretReference;
import io.swarmlet.api.types.SecretVersion;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The secret and config values that go with a node's assignments: exactly the
 * versions referenced ({@code ContainerSpec.secrets[]/configs[]}, ID and
 * version) by the node's tasks that may still run (observed state RUNNING or
 * before; a finished task needs no value, so task history holds none).
 * Secrets are opened through the {@link SecretVault}, configs come from
 * {@code Config.versions[].data}.
 *
 * <p>A version is immutable, so opened values are kept per (ID, version) and
 * each long poll does not open them again; the watch loop drops every entry
 * that no task of any node references any more ({@link #retain}). A value that
 * is missing or cannot be opened is left out (the agent then rejects the task)
 * and logged once by ID and version, never with a value: {@link PayloadValue}
 * is never logged (its {@code toString} prints the data).
 *
 * <p>The set is a function of the tasks, so the assignments' version (which
 * changes with every change of a node's tasks) also changes with it: a rotation
 * gives the services new task specs, hence new tasks.
 */
final class Payloads {

    private static final Logger LOG = LogManager.getLogger(Payloads.class);

    private final Store store;
    private final Supplier<SecretVault> vault;
    /** Opened secret and config versions, by {@link #secretKey} / {@link #configKey}. */
    private final Map<String, PayloadValue> cache = new ConcurrentHashMap<>();
    /** Versions whose failure was logged already (until they are delivered or no task references them). */
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    Payloads(Store store, Supplier<SecretVault> vault) {
        this.store = store;
        this.vault = vault == null ? () -> null : vault;
    }

    /** Whether a task's references are delivered: it may still be started (or runs). */
    static boolean delivers(Task t) {
        return t.getStatus().getState().getNumber() <= TaskState.RUNNING_VALUE;
    }

    static String secretKey(String id, long version) {
        return "secret:" + id + "@" + version;
    }

    static String configKey(String id, long version) {
        return "config:" + id + "@" + version;
    }

    /** The keys of the versions a task references (none once it finished). */
    static List<String> keys(Task t) {
        ContainerSpec c = t.getSpec().getContainer();
        if ((c.getSecretsCount() == 0 && c.getConfigsCount() == 0) || !delivers(t)) {
            return List.of();
        }
        List<String> keys = new ArrayList<>(c.getSecretsCount() + c.getConfigsCount());
        for (SecretReference r : c.getSecretsList()) {
            keys.add(secretKey(r.getSecretId(), r.getVersion()));
        }
        for (ConfigReference r : c.getConfigsList()) {
            keys.add(configKey(r.getConfigId(), r.getVersion()));
        }
        return keys;
    }

    /** The assignments with the values their tasks reference, in key order; {@code a} itself when there are none. */
    Assignments with(String nodeId, Assignments a) {
        TreeMap<String, SecretReference> secrets = new TreeMap<>();
        TreeMap<String, ConfigReference> configs = new TreeMap<>();
        for (Task t : a.tasks()) {
            if (!delivers(t)) {
                continue;
            }
            ContainerSpec c = t.getSpec().getContainer();
            for (SecretReference r : c.getSecretsList()) {
                secrets.putIfAbsent(secretKey(r.getSecretId(), r.getVersion()), r);
            }
            for (ConfigReference r : c.getConfigsList()) {
                configs.putIfAbsent(configKey(r.getConfigId(), r.getVersion()), r);
            }
        }
        if (secrets.isEmpty() && configs.isEmpty()) {
            return a;
        }
        List<PayloadValue> s = new ArrayList<>(secrets.size());
        secrets.forEach((key, r) -> {
            PayloadValue v = cache.get(key);
            if (v == null) {
                v = openSecret(nodeId, key, r);
            }
            if (v != null) {
                s.add(v);
            }
        });
        List<PayloadValue> c = new ArrayList<>(configs.size());
        configs.forEach((key, r) -> {
            PayloadValue v = cache.get(key);
            if (v == null) {
                v = readConfig(nodeId, key, r);
            }
            if (v != null) {
                c.add(v);
            }
        });
        return new Assignments(a.version(), a.tasks(), s, c);
    }

    /** Drops every opened value whose version no task references any more. Watch loop. */
    void retain(Supplier<? extends Collection<String>> referenced) {
        if (cache.isEmpty() && reported.isEmpty()) {
            return;
        }
        Set<String> keep = Set.copyOf(referenced.get());
        int before = cache.size();
        cache.keySet().retainAll(keep);
        reported.retainAll(keep);
        if (cache.size() < before) {
            LOG.debug("dropped {} opened secret/config versions that no task references", before - cache.size());
        }
    }

    /** Number of opened values kept (tests). */
    int cached() {
        return cache.size();
    }

    private PayloadValue openSecret(String nodeId, String key, SecretReference r) {
        String id = r.getSecretId();
        long version = r.getVersion();
        Optional<Secret> secret;
        try {
            secret = store.view(tx -> tx.get(Kind.SECRET, id));
        } catch (RuntimeException e) {
            fail(key, "secret {} ({}) version {} for node {} is left out: cannot read the store: {}",
                    r.getSecretName(), id, version, nodeId, e.getMessage());
            return null;
        }
        Optional<SecretVersion> sv = secret.flatMap(s -> s.getVersionsList().stream()
                .filter(v -> v.getVersion() == version).findFirst());
        if (sv.isEmpty()) {
            fail(key, "secret {} ({}) version {} for node {} is left out: {}", r.getSecretName(), id, version, nodeId,
                    secret.isEmpty() ? "there is no such secret" : "the secret has no such version");
            return null;
        }
        SecretVault v = vault.get();
        if (v == null) {
            fail(key, "secret {} ({}) version {} for node {} is left out: no secret vault on this manager"
                    + " (the secrets bundle is not active, or the manager is locked)", r.getSecretName(), id, version,
                    nodeId);
            return null;
        }
        Secret s = secret.get();
        String driver = sv.get().getDriver().isEmpty() ? s.getSpec().getDriver().getName() : sv.get().getDriver();
        byte[] plain;
        try {
            plain = v.open(driver, id, version, sv.get().getSealed().toByteArray());
        } catch (RuntimeException e) {
            // the vault's messages name the secret, never a value
            fail(key, "secret {} ({}) version {} for node {} is left out: cannot open it: {}", r.getSecretName(), id,
                    version, nodeId, e.getMessage());
            return null;
        }
        PayloadValue value = PayloadValue.newBuilder().setId(id).setName(s.getSpec().getAnnotations().getName())
                .setVersion(version).setData(ByteString.copyFrom(plain)).build();
        Arrays.fill(plain, (byte) 0);
        cache.put(key, value);
        reported.remove(key);
        return value;
    }

    private PayloadValue readConfig(String nodeId, String key, ConfigReference r) {
        String id = r.getConfigId();
        long version = r.getVersion();
        Optional<Config> config;
        try {
            config = store.view(tx -> tx.get(Kind.CONFIG, id));
        } catch (RuntimeException e) {
            fail(key, "config {} ({}) version {} for node {} is left out: cannot read the store: {}",
                    r.getConfigName(), id, version, nodeId, e.getMessage());
            return null;
        }
        Optional<ConfigVersion> cv = config.flatMap(c -> c.getVersionsList().stream()
                .filter(v -> v.getVersion() == version).findFirst());
        if (cv.isEmpty()) {
            fail(key, "config {} ({}) version {} for node {} is left out: {}", r.getConfigName(), id, version, nodeId,
                    config.isEmpty() ? "there is no such config" : "the config has no such version");
            return null;
        }
        PayloadValue value = PayloadValue.newBuilder().setId(id).setName(config.get().getSpec().getAnnotations().getName())
                .setVersion(version).setData(cv.get().getData()).build();
        cache.put(key, value);
        reported.remove(key);
        return value;
    }

    /** Logs a value left out, once per version (each long poll of the node would repeat it). */
    private void fail(String key, String message, Object... args) {
        if (reported.add(key)) {
            LOG.warn(message + " (the node rejects the tasks that need it)", args);
        }
    }
}
