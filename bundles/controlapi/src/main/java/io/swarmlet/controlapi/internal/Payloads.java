package io.swarmlet.controlapi.internal;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.security.SecretVault;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.types.*;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Secrets and configs through the control API: create, inspect, list, remove
 * and rotate. A secret's value is sealed by the {@link SecretVault} (its driver)
 * before the write transaction, so no value in clear ever reaches the store;
 * responses never carry a secret's sealed bytes. A config's value is kept in
 * clear in its versions and shown by {@code config inspect}, as docker does.
 *
 * <p>A rotation adds a version and, in the same transaction, moves every service
 * that references the secret or config unpinned to it, through the same update
 * {@code service update} writes ({@link ControlApiImpl#updated}), so each rolls
 * through its own update config. Nothing here logs or reports a value.
 */
final class Payloads {

    private static final Logger LOG = LogManager.getLogger(Payloads.class);

    /** A rotation that raced another one is sealed again and retried this many times. */
    private static final int ROTATE_ATTEMPTS = 3;

    private final Supplier<Store> store;
    private final StoreCalls calls;
    private final Supplier<SecretVault> vault;

    Payloads(Supplier<Store> store, Supplier<SecretVault> vault) {
        this.store = store;
        this.calls = new StoreCalls(store);
        this.vault = vault;
    }

    // ------------------------------------------------------------ checks

    private static void checkName(String kind, String name) {
        if (name.isEmpty()) {
            throw ControlException.invalid("a " + kind + " needs a name: swarmlet " + kind + " create NAME FILE");
        }
        if (!ServiceSpecs.validName(name)) {
            throw ControlException.invalid("invalid " + kind + " name " + name
                    + ": use up to 63 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
    }

    /** The value's size, never the value, goes into a message. */
    static void checkData(String kind, int size) {
        if (size == 0) {
            throw ControlException.invalid(kind + " data must not be empty");
        }
        if (size > ControlApi.MAX_PAYLOAD_BYTES) {
            throw ControlException.invalid(kind + " data is too long: " + size + " bytes, at most "
                    + ControlApi.MAX_PAYLOAD_BYTES);
        }
    }

    private SecretVault vault() {
        SecretVault v = vault.get();
        if (v == null) {
            throw new ControlException(ControlException.Code.UNAVAILABLE, "secrets cannot be stored right now:"
                    + " this manager's secrets component (which seals values with the cluster's data key) is not"
                    + " running; see the daemon log");
        }
        return v;
    }

    private byte[] seal(String driver, String id, long version, byte[] plain) {
        try {
            return vault().seal(driver, id, version, plain);
        } catch (IllegalArgumentException e) {
            throw ControlException.invalid(e.getMessage());
        } catch (IllegalStateException e) {
            throw new ControlException(ControlException.Code.UNAVAILABLE, "cannot seal secret " + id + ": " + e.getMessage());
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** What clients may see of a secret: no sealed bytes, no data. */
    static Secret withoutValues(Secret s) {
        Secret.Builder b = s.toBuilder();
        b.getSpecBuilder().clearData();
        for (SecretVersion.Builder v : b.getVersionsBuilderList()) {
            v.clearSealed();
        }
        return b.build();
    }

    // ------------------------------------------------------------ secrets

    CreateSecretResponse createSecret(CreateSecretRequest request) {
        SecretSpec spec = request.getSpec();
        String name = spec.getAnnotations().getName();
        checkName("secret", name);
        checkData("secret", spec.getData().size());
        if (calls.read(tx -> tx.byName(Kind.SECRET, name)).isPresent()) {
            throw exists("secret", name);
        }
        String id = Ids.newId();
        String driver = spec.getDriver().getName();
        int size = spec.getData().size();
        byte[] sealed = seal(driver, id, 1, spec.getData().toByteArray());
        Secret secret = Secret.newBuilder().setId(id).setSpec(spec.toBuilder().clearData())
                .addVersions(SecretVersion.newBuilder().setVersion(1).setSealed(com.google.protobuf.ByteString.copyFrom(sealed))
                        .setCreatedAt(System.currentTimeMillis()).setDriver(driver).setSize(size))
                .build();
        calls.write(tx -> {
            if (tx.byName(Kind.SECRET, name).isPresent()) {
                throw exists("secret", name);
            }
            tx.create(Kind.SECRET, secret);
        });
        LOG.info("secret {} created ({})", name, id);
        return CreateSecretResponse.newBuilder().setSecret(withoutValues(calls.read(tx -> tx.get(Kind.SECRET, id).orElseThrow()))).build();
    }

    private static ControlException exists(String kind, String name) {
        return new ControlException(ControlException.Code.ALREADY_EXISTS, kind + " " + name + " already exists");
    }

    GetSecretResponse getSecret(GetSecretRequest request) {
        return GetSecretResponse.newBuilder()
                .setSecret(withoutValues(calls.read(tx -> Resolver.resolve(tx, Kind.SECRET, request.getId(), null)))).build();
    }

    ListSecretsResponse listSecrets(ListSecretsRequest request) {
        List<Secret> found = calls.read(tx -> tx.find(Kind.SECRET, ControlApiImpl.matches(Kind.SECRET, request.getFilters(), null,
                s -> s.getSpec().getAnnotations().getLabelsMap())));
        ListSecretsResponse.Builder b = ListSecretsResponse.newBuilder();
        found.forEach(s -> b.addSecrets(withoutValues(s)));
        return b.build();
    }

    RemoveSecretResponse removeSecret(RemoveSecretRequest request) {
        calls.write(tx -> {
            Secret s = Resolver.resolve(tx, Kind.SECRET, request.getId(), null);
            refuseInUse(tx, "secret", s.getSpec().getAnnotations().getName(), s.getId(), true);
            tx.delete(Kind.SECRET, s.getId());
        });
        return RemoveSecretResponse.getDefaultInstance();
    }

    /** Docker's words: "secret 'db_pass' is in use by the following service: web". */
    private static void refuseInUse(ReadTx tx, String kind, String name, String id, boolean secret) {
        List<String> users = PayloadRefs.users(tx, id, secret);
        if (!users.isEmpty()) {
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION, kind + " '" + name
                    + "' is in use by the following service" + (users.size() > 1 ? "s" : "") + ": "
                    + String.join(", ", users));
        }
    }

    RotateSecretResponse rotateSecret(RotateSecretRequest request) {
        checkData("secret", request.getData().size());
        vault();
        for (int attempt = 1; ; attempt++) {
            Secret cur = calls.read(tx -> Resolver.resolve(tx, Kind.SECRET, request.getId(), null));
            long latest = cur.getVersionsCount() == 0 ? 0 : cur.getVersions(cur.getVersionsCount() - 1).getVersion();
            long next = latest + 1;
            String driver = cur.getSpec().getDriver().getName();
            byte[] sealed = seal(driver, cur.getId(), next, request.getData().toByteArray());
            SecretVersion version = SecretVersion.newBuilder().setVersion(next)
                    .setSealed(com.google.protobuf.ByteString.copyFrom(sealed)).setCreatedAt(System.currentTimeMillis())
                    .setDriver(driver).setSize(request.getData().size()).build();
            List<String> updated = new ArrayList<>();
            try {
                store.get().update(tx -> {
                    Secret now = tx.get(Kind.SECRET, cur.getId()).orElseThrow(
                            () -> ControlException.notFound("No such secret: " + request.getId()));
                    if (!now.getMeta().equals(cur.getMeta())) {
                        throw new Raced();
                    }
                    tx.update(Kind.SECRET, now.toBuilder().addVersions(version).build());
                    for (Service s : tx.all(Kind.SERVICE)) {
                        ServiceSpec moved = PayloadRefs.moveSecret(s.getSpec(), cur.getId(), next);
                        if (moved != null) {
                            tx.update(Kind.SERVICE, ControlApiImpl.updated(tx, s, moved, false));
                            updated.add(s.getSpec().getAnnotations().getName());
                        }
                    }
                });
            } catch (Raced | StoreException e) {
                if (e instanceof StoreException se && se.reason() != StoreException.Reason.SEQUENCE_CONFLICT) {
                    throw ControlApiImpl.translate(se);
                }
                if (attempt < ROTATE_ATTEMPTS) {
                    continue; // another rotation came first: seal again as the version after it
                }
                throw raced("secret", cur.getSpec().getAnnotations().getName());
            }
            String name = cur.getSpec().getAnnotations().getName();
            LOG.info("secret {} rotated to version {}; services updated: {}", name, next, updated.isEmpty() ? "none" : updated);
            return RotateSecretResponse.newBuilder()
                    .setSecret(withoutValues(calls.read(tx -> tx.get(Kind.SECRET, cur.getId()).orElseThrow())))
                    .addAllUpdatedServices(updated).build();
        }
    }

    /**
     * Docker's {@code secret update}: the labels change, nothing else. A value sent along
     * (as {@code docker stack deploy} does) must be the current one: it is compared with the
     * opened current version and both are wiped; neither reaches a message or the log.
     */
    UpdateSecretResponse updateSecret(UpdateSecretRequest request) {
        Secret cur = calls.read(tx -> Resolver.resolve(tx, Kind.SECRET, request.getId(), null));
        checkLabelsOnly("secret", cur.getSpec().getAnnotations().getName(), request.getSpec().getAnnotations().getName());
        if (!request.getSpec().getData().isEmpty()) {
            SecretVersion v = cur.getVersions(cur.getVersionsCount() - 1);
            byte[] current = open(v.getDriver(), cur.getId(), v.getVersion(), v.getSealed().toByteArray());
            byte[] sent = request.getSpec().getData().toByteArray();
            try {
                if (!java.security.MessageDigest.isEqual(current, sent)) {
                    throw labelsOnly();
                }
            } finally {
                Arrays.fill(current, (byte) 0);
                Arrays.fill(sent, (byte) 0);
            }
        }
        calls.write(tx -> {
            Secret now = tx.get(Kind.SECRET, cur.getId()).orElseThrow(() -> ControlException.notFound("No such secret: " + request.getId()));
            checkVersion(request.getVersion(), now.getMeta().getVersion(), "secret", cur.getSpec().getAnnotations().getName());
            Secret.Builder b = now.toBuilder();
            b.getSpecBuilder().getAnnotationsBuilder().clearLabels().putAllLabels(request.getSpec().getAnnotations().getLabelsMap());
            tx.update(Kind.SECRET, b.build());
        });
        return UpdateSecretResponse.newBuilder()
                .setSecret(withoutValues(calls.read(tx -> tx.get(Kind.SECRET, cur.getId()).orElseThrow()))).build();
    }

    /** As {@link #updateSecret}; a config's value is in clear in its versions. */
    UpdateConfigResponse updateConfig(UpdateConfigRequest request) {
        Config cur = calls.read(tx -> Resolver.resolve(tx, Kind.CONFIG, request.getId(), null));
        checkLabelsOnly("config", cur.getSpec().getAnnotations().getName(), request.getSpec().getAnnotations().getName());
        if (!request.getSpec().getData().isEmpty()
                && !request.getSpec().getData().equals(cur.getVersions(cur.getVersionsCount() - 1).getData())) {
            throw labelsOnly();
        }
        calls.write(tx -> {
            Config now = tx.get(Kind.CONFIG, cur.getId()).orElseThrow(() -> ControlException.notFound("No such config: " + request.getId()));
            checkVersion(request.getVersion(), now.getMeta().getVersion(), "config", cur.getSpec().getAnnotations().getName());
            Config.Builder b = now.toBuilder();
            b.getSpecBuilder().getAnnotationsBuilder().clearLabels().putAllLabels(request.getSpec().getAnnotations().getLabelsMap());
            tx.update(Kind.CONFIG, b.build());
        });
        return UpdateConfigResponse.newBuilder().setConfig(calls.<Config>read(tx -> tx.get(Kind.CONFIG, cur.getId()).orElseThrow())).build();
    }

    private static void checkLabelsOnly(String kind, String current, String sent) {
        if (!sent.isEmpty() && !sent.equals(current)) {
            throw labelsOnly();
        }
    }

    private static ControlException labelsOnly() {
        return ControlException.invalid("only updates to Labels are allowed; to change the value, use `swarmlet "
                + "secret rotate` (or create a new secret or config under another name)");
    }

    private static void checkVersion(long requested, long current, String kind, String name) {
        if (requested != 0 && requested != current) {
            throw new ControlException(ControlException.Code.ABORTED, "update out of sequence: version " + requested
                    + " of " + kind + " " + name + " is not the current version " + current + "; inspect it again and retry");
        }
    }

    private byte[] open(String driver, String id, long version, byte[] sealed) {
        try {
            return vault().open(driver, id, version, sealed);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ControlException(ControlException.Code.UNAVAILABLE, "cannot read secret " + id + " to compare it: " + e.getMessage());
        }
    }

    /** Another rotation (or a removal) came between the read and the write. */
    private static final class Raced extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Raced() {
            super(null, null, false, false);
        }
    }

    private static ControlException raced(String kind, String name) {
        return new ControlException(ControlException.Code.ABORTED, kind + " " + name
                + " was changed by someone else meanwhile; inspect it and retry");
    }

    // ------------------------------------------------------------ configs

    CreateConfigResponse createConfig(CreateConfigRequest request) {
        ConfigSpec spec = request.getSpec();
        String name = spec.getAnnotations().getName();
        checkName("config", name);
        checkData("config", spec.getData().size());
        String id = Ids.newId();
        Config config = Config.newBuilder().setId(id).setSpec(spec.toBuilder().clearData())
                .addVersions(ConfigVersion.newBuilder().setVersion(1).setData(spec.getData())
                        .setCreatedAt(System.currentTimeMillis()).setSize(spec.getData().size()))
                .build();
        calls.write(tx -> {
            if (tx.byName(Kind.CONFIG, name).isPresent()) {
                throw exists("config", name);
            }
            tx.create(Kind.CONFIG, config);
        });
        LOG.info("config {} created ({})", name, id);
        return CreateConfigResponse.newBuilder().setConfig(calls.<Config>read(tx -> tx.get(Kind.CONFIG, id).orElseThrow())).build();
    }

    GetConfigResponse getConfig(GetConfigRequest request) {
        return GetConfigResponse.newBuilder()
                .setConfig(calls.<Config>read(tx -> Resolver.resolve(tx, Kind.CONFIG, request.getId(), null))).build();
    }

    ListConfigsResponse listConfigs(ListConfigsRequest request) {
        return ListConfigsResponse.newBuilder()
                .addAllConfigs(calls.read(tx -> tx.find(Kind.CONFIG, ControlApiImpl.matches(Kind.CONFIG, request.getFilters(), null,
                        c -> c.getSpec().getAnnotations().getLabelsMap()))))
                .build();
    }

    RemoveConfigResponse removeConfig(RemoveConfigRequest request) {
        calls.write(tx -> {
            Config c = Resolver.resolve(tx, Kind.CONFIG, request.getId(), null);
            refuseInUse(tx, "config", c.getSpec().getAnnotations().getName(), c.getId(), false);
            tx.delete(Kind.CONFIG, c.getId());
        });
        return RemoveConfigResponse.getDefaultInstance();
    }

    RotateConfigResponse rotateConfig(RotateConfigRequest request) {
        checkData("config", request.getData().size());
        AtomicReference<String> id = new AtomicReference<>();
        AtomicReference<Long> version = new AtomicReference<>();
        List<String> updated = new ArrayList<>();
        for (int attempt = 1; ; attempt++) {
            try {
                rotateConfig(request, id, version, updated);
                break;
            } catch (StoreException e) {
                if (e.reason() != StoreException.Reason.SEQUENCE_CONFLICT || attempt >= ROTATE_ATTEMPTS) {
                    throw ControlApiImpl.translate(e);
                }
            }
        }
        Config c = calls.read(tx -> tx.get(Kind.CONFIG, id.get()).orElseThrow());
        LOG.info("config {} rotated to version {}; services updated: {}", c.getSpec().getAnnotations().getName(),
                version.get(), updated.isEmpty() ? "none" : updated);
        return RotateConfigResponse.newBuilder().setConfig(c).addAllUpdatedServices(updated).build();
    }

    private void rotateConfig(RotateConfigRequest request, AtomicReference<String> id, AtomicReference<Long> version,
                              List<String> updated) {
        store.get().update(tx -> {
            updated.clear();
            Config cur = Resolver.resolve(tx, Kind.CONFIG, request.getId(), null);
            long next = (cur.getVersionsCount() == 0 ? 0 : cur.getVersions(cur.getVersionsCount() - 1).getVersion()) + 1;
            tx.update(Kind.CONFIG, cur.toBuilder().addVersions(ConfigVersion.newBuilder().setVersion(next)
                    .setData(request.getData()).setCreatedAt(System.currentTimeMillis()).setSize(request.getData().size()))
                    .build());
            for (Service s : tx.all(Kind.SERVICE)) {
                ServiceSpec moved = PayloadRefs.moveConfig(s.getSpec(), cur.getId(), next);
                if (moved != null) {
                    tx.update(Kind.SERVICE, ControlApiImpl.updated(tx, s, moved, false));
                    updated.add(s.getSpec().getAnnotations().getName());
                }
            }
            id.set(cur.getId());
            version.set(next);
        });
    }
}
