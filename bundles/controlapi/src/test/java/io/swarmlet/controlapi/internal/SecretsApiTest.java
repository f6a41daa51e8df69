package io.swarmlet.controlapi.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.security.UnlockKeys;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.*;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets, configs, their use by services and autolock through the control API,
 * against a real one-member store, with test doubles of the secrets bundle's
 * vault and data key (real AES-GCM). Every refusal and every response is checked
 * for the values the test used: none may carry one.
 */
class SecretsApiTest {

    static final String VALUE = "leak-canary-s3cr3t-VALUE-db-pass-4711";
    static final String VALUE2 = "leak-canary-s3cr3t-VALUE-rotated-0815";
    static final String CONF = "listen 8080 # app.conf v1";

    @TempDir
    static Path dir;

    private static SingleNodeStore running;
    private static Store store;
    private TestSecretVault vault;
    private TestDataKey dataKey;
    private ControlApiImpl api;
    /** Every message a refusal carried, and every response, checked for values after each test. */
    private final List<String> seen = new ArrayList<>();

    @BeforeAll
    static void startStore() throws Exception {
        running = SingleNodeStore.start(dir.resolve("store"));
        store = running.store();
    }

    @AfterAll
    static void stopStore() {
        running.close();
    }

    @BeforeEach
    void setUp() {
        vault = new TestSecretVault();
        dataKey = new TestDataKey();
        api = new ControlApiImpl(store, new NodeLifecycleTest.Local(NodeLifecycleTest.M1, dir), vault, dataKey);
        store.update(tx -> {
            tx.all(Kind.SERVICE).forEach(s -> tx.delete(Kind.SERVICE, s.getId()));
            tx.all(Kind.SECRET).forEach(s -> tx.delete(Kind.SECRET, s.getId()));
            tx.all(Kind.CONFIG).forEach(c -> tx.delete(Kind.CONFIG, c.getId()));
            tx.all(Kind.CLUSTER).forEach(c -> tx.delete(Kind.CLUSTER, c.getId()));
        });
    }

    @AfterEach
    void noValueLeft() {
        for (String s : seen) {
            for (String v : List.of(VALUE, VALUE2, "VALUE")) {
                assertFalse(s.contains(v), "a value in: " + s);
            }
        }
    }

    // ------------------------------------------------------------ helpers

    private void refused(ControlException.Code code, String message, Runnable call) {
        ControlException e = assertThrows(ControlException.class, call::run);
        seen.add(e.getMessage());
        assertEquals(code, e.code(), e.getMessage());
        assertEquals(message, e.getMessage());
    }

    private static SecretSpec.Builder secretSpec(String name, String value) {
        SecretSpec.Builder b = SecretSpec.newBuilder().setData(ByteString.copyFromUtf8(value));
        b.getAnnotationsBuilder().setName(name);
        return b;
    }

    private Secret createSecret(String name, String value) {
        Secret s = api.createSecret(CreateSecretRequest.newBuilder().setSpec(secretSpec(name, value)).build()).getSecret();
        seen.add(s.toString());
        return s;
    }

    private Config createConfig(String name, String value) {
        ConfigSpec.Builder b = ConfigSpec.newBuilder().setData(ByteString.copyFromUtf8(value));
        b.getAnnotationsBuilder().setName(name);
        return api.createConfig(CreateConfigRequest.newBuilder().setSpec(b).build()).getConfig();
    }

    private Secret stored(String id) {
        return store.view(tx -> tx.get(Kind.SECRET, id).orElseThrow());
    }

    private Service service(String name) {
        return store.view(tx -> tx.byName(Kind.SERVICE, name).orElseThrow());
    }

    private static ServiceSpec.Builder spec(String name, Consumer<ContainerSpec.Builder> refs) {
        ServiceSpec.Builder b = ServiceSpecsTest.spec(name, "swarmlet/busybox:1");
        refs.accept(b.getTaskBuilder().getContainerBuilder());
        return b;
    }

    private Service createService(String name, Consumer<ContainerSpec.Builder> refs) {
        return api.createService(CreateServiceRequest.newBuilder().setSpec(spec(name, refs)).build()).getService();
    }

    private static SecretReference.Builder secretRef(String source) {
        return SecretReference.newBuilder().setSecretName(source);
    }

    private static void assertNoSealedBytes(Secret s) {
        assertTrue(s.getSpec().getData().isEmpty());
        s.getVersionsList().forEach(v -> assertTrue(v.getSealed().isEmpty(), "sealed bytes in a response: " + s.getId()));
    }

    // ------------------------------------------------------------ secrets

    @Test
    void aSecretIsSealedBeforeTheStoreAndNeverComesBack() {
        SecretSpec.Builder spec = secretSpec("db_pass", VALUE);
        spec.getAnnotationsBuilder().putLabels("env", "prod");
        Secret created = api.createSecret(CreateSecretRequest.newBuilder().setSpec(spec).build()).getSecret();
        seen.add(created.toString());
        assertNoSealedBytes(created);
        assertEquals("db_pass", created.getSpec().getAnnotations().getName());
        assertEquals("prod", created.getSpec().getAnnotations().getLabelsMap().get("env"));
        assertEquals(1, created.getVersionsCount());
        SecretVersion v1 = created.getVersions(0);
        assertEquals(1, v1.getVersion());
        assertEquals(VALUE.length(), v1.getSize());
        assertTrue(v1.getCreatedAt() > 0);

        // in the store: the spec without data, the value sealed (bound to the ID and version), never in clear
        Secret s = stored(created.getId());
        assertTrue(s.getSpec().getData().isEmpty());
        byte[] sealed = s.getVersions(0).getSealed().toByteArray();
        assertFalse(new String(sealed, StandardCharsets.ISO_8859_1).contains(VALUE));
        assertFalse(s.toByteString().toString(StandardCharsets.ISO_8859_1).contains(VALUE));
        assertArrayEquals(VALUE.getBytes(StandardCharsets.UTF_8), vault.open("", s.getId(), 1, sealed));

        // inspect by name, ID and prefix; ls with filters: never sealed bytes
        for (String ref : List.of("db_pass", created.getId(), created.getId().substring(0, 5))) {
            Secret got = api.getSecret(GetSecretRequest.newBuilder().setId(ref).build()).getSecret();
            assertEquals(created.getId(), got.getId());
            assertNoSealedBytes(got);
            assertEquals(1, got.getVersions(0).getVersion());
        }
        createSecret("api_key", "other-VALUE");
        List<Secret> all = api.listSecrets(ListSecretsRequest.getDefaultInstance()).getSecretsList();
        assertEquals(2, all.size());
        all.forEach(SecretsApiTest::assertNoSealedBytes);
        assertEquals(List.of("db_pass"), api.listSecrets(ListSecretsRequest.newBuilder()
                .setFilters(ListFilters.newBuilder().putLabels("env", "")).build())
                .getSecretsList().stream().map(x -> x.getSpec().getAnnotations().getName()).toList());
        assertEquals(1, api.listSecrets(ListSecretsRequest.newBuilder()
                .setFilters(ListFilters.newBuilder().addNames("api_key")).build()).getSecretsCount());
        assertEquals(1, api.listSecrets(ListSecretsRequest.newBuilder()
                .setFilters(ListFilters.newBuilder().addIdPrefixes(created.getId().substring(0, 6))).build()).getSecretsCount());
        refused(ControlException.Code.NOT_FOUND, "No such secret: nope",
                () -> api.getSecret(GetSecretRequest.newBuilder().setId("nope").build()));
    }

    @Test
    void badSecretsAreRefusedAndNothingIsWritten() {
        refused(ControlException.Code.INVALID_ARGUMENT, "secret data must not be empty",
                () -> createSecret("db_pass", ""));
        byte[] big = new byte[ControlApi.MAX_PAYLOAD_BYTES + 1];
        refused(ControlException.Code.INVALID_ARGUMENT, "secret data is too long: 512001 bytes, at most 512000",
                () -> api.createSecret(CreateSecretRequest.newBuilder().setSpec(secretSpec("big", "")
                        .setData(ByteString.copyFrom(big))).build()));
        refused(ControlException.Code.INVALID_ARGUMENT, "invalid secret name db pass: use up to 63 letters, digits,"
                + " '_', '.' or '-', starting with a letter or digit", () -> createSecret("db pass", VALUE));
        refused(ControlException.Code.INVALID_ARGUMENT, "secrets driver 'vault9' is not installed",
                () -> api.createSecret(CreateSecretRequest.newBuilder().setSpec(secretSpec("v", VALUE)
                        .setDriver(Driver.newBuilder().setName("vault9"))).build()));
        assertEquals(0, store.view(tx -> tx.all(Kind.SECRET)).size(), "nothing written");

        // exactly the limit is fine
        Secret max = api.createSecret(CreateSecretRequest.newBuilder().setSpec(secretSpec("max", "")
                .setData(ByteString.copyFrom(new byte[ControlApi.MAX_PAYLOAD_BYTES]))).build()).getSecret();
        assertEquals(ControlApi.MAX_PAYLOAD_BYTES, max.getVersions(0).getSize());

        createSecret("db_pass", VALUE);
        int seals = vault.seals;
        refused(ControlException.Code.ALREADY_EXISTS, "secret db_pass already exists", () -> createSecret("db_pass", VALUE2));
        assertEquals(seals, vault.seals, "a duplicate is refused before sealing");
        assertEquals(2, store.view(tx -> tx.all(Kind.SECRET)).size());

        ControlApiImpl noVault = new ControlApiImpl(store, new NodeLifecycleTest.Local(NodeLifecycleTest.M1, dir), null, null);
        ControlException e = assertThrows(ControlException.class, () -> noVault.createSecret(
                CreateSecretRequest.newBuilder().setSpec(secretSpec("later", VALUE)).build()));
        seen.add(e.getMessage());
        assertEquals(ControlException.Code.UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("secrets component"), e.getMessage());
    }

    @Test
    void anInUseSecretIsNotRemovedAndTheServicesAreNamed() {
        Secret s = createSecret("db_pass", VALUE);
        createService("web", c -> c.addSecrets(secretRef("db_pass")));
        createService("api", c -> c.addSecrets(secretRef(s.getId())));
        RemoveSecretRequest rm = RemoveSecretRequest.newBuilder().setId("db_pass").build();
        refused(ControlException.Code.FAILED_PRECONDITION,
                "secret 'db_pass' is in use by the following services: api, web", () -> api.removeSecret(rm));
        api.removeService(RemoveServiceRequest.newBuilder().setId("api").build());
        refused(ControlException.Code.FAILED_PRECONDITION,
                "secret 'db_pass' is in use by the following service: web", () -> api.removeSecret(rm));
        assertTrue(store.view(tx -> tx.get(Kind.SECRET, s.getId())).isPresent(), "nothing removed");

        Service web = service("web");
        ServiceSpec.Builder without = web.getSpec().toBuilder();
        without.getTaskBuilder().getContainerBuilder().clearSecrets();
        api.updateService(UpdateServiceRequest.newBuilder().setId("web").setVersion(web.getMeta().getVersion())
                .setSpec(without).build());
        api.removeSecret(rm);
        assertFalse(store.view(tx -> tx.get(Kind.SECRET, s.getId())).isPresent());
    }

    @Test
    void referencesResolveToIdNameVersionAndDockersDefaults() {
        Secret s = createSecret("db_pass", VALUE);
        Config c = createConfig("app.conf", CONF);
        createService("web", cs -> cs
                .addSecrets(secretRef("db_pass"))
                .addSecrets(SecretReference.newBuilder().setSecretId(s.getId().substring(0, 7)).setTarget("app/pass")
                        .setUid("1000").setGid("1001").setMode(0400))
                .addConfigs(ConfigReference.newBuilder().setConfigName("app.conf"))
                .addConfigs(ConfigReference.newBuilder().setConfigId(c.getId()).setTarget("/etc/app.conf")));
        ContainerSpec cs = service("web").getSpec().getTask().getContainer();
        assertEquals(SecretReference.newBuilder().setSecretId(s.getId()).setSecretName("db_pass")
                .setTarget("/run/secrets/db_pass").setUid("0").setGid("0").setMode(0444).setVersion(1).build(), cs.getSecrets(0));
        assertEquals(SecretReference.newBuilder().setSecretId(s.getId()).setSecretName("db_pass")
                .setTarget("/run/secrets/app/pass").setUid("1000").setGid("1001").setMode(0400).setVersion(1).build(), cs.getSecrets(1));
        assertEquals(ConfigReference.newBuilder().setConfigId(c.getId()).setConfigName("app.conf")
                .setTarget("/app.conf").setUid("0").setGid("0").setMode(0444).setVersion(1).build(), cs.getConfigs(0));
        assertEquals("/etc/app.conf", cs.getConfigs(1).getTarget());
    }

    @Test
    void aServiceWithABadReferenceIsRefusedAndNotCreated() {
        Secret s = createSecret("db_pass", VALUE);
        refused(ControlException.Code.INVALID_ARGUMENT, "secret not found: nope",
                () -> createService("web", c -> c.addSecrets(secretRef("nope"))));
        refused(ControlException.Code.INVALID_ARGUMENT, "config not found: app.conf",
                () -> createService("web", c -> c.addConfigs(ConfigReference.newBuilder().setConfigName("app.conf"))));
        refused(ControlException.Code.INVALID_ARGUMENT, "secret db_pass has no version 5 (latest is 1)",
                () -> createService("web", c -> c.addSecrets(secretRef("db_pass").setVersion(5).setPinned(true))));
        refused(ControlException.Code.INVALID_ARGUMENT, "secret db_pass and secret db_pass both use the target"
                        + " /run/secrets/db_pass: give one of them another target (target=PATH)",
                () -> createService("web", c -> c.addSecrets(secretRef("db_pass")).addSecrets(secretRef(s.getId()))));
        createConfig("db_pass.conf", CONF);
        refused(ControlException.Code.INVALID_ARGUMENT, "secret db_pass and config db_pass.conf both use the target"
                        + " /x: give one of them another target (target=PATH)",
                () -> createService("web", c -> c.addSecrets(secretRef("db_pass").setTarget("/x"))
                        .addConfigs(ConfigReference.newBuilder().setConfigName("db_pass.conf").setTarget("/x"))));
        refused(ControlException.Code.INVALID_ARGUMENT, "invalid target \"/run/secrets/../etc/passwd\" for secret db_pass:"
                        + " use a path without '.' or '..' parts",
                () -> createService("web", c -> c.addSecrets(secretRef("db_pass").setTarget("../etc/passwd"))));
        assertEquals(0, store.view(tx -> tx.all(Kind.SERVICE)).size(), "nothing created");

        // an ambiguous prefix is an error, not a guess
        String prefix = "";
        List<Secret> more = new ArrayList<>(List.of(s));
        for (int i = 0; prefix.isEmpty() && i < 200; i++) {
            Secret n = createSecret("s" + i, VALUE);
            for (Secret o : more) {
                if (o.getId().charAt(0) == n.getId().charAt(0)) {
                    prefix = n.getId().substring(0, 1);
                }
            }
            more.add(n);
        }
        String p = prefix;
        ControlException e = assertThrows(ControlException.class,
                () -> createService("web", c -> c.addSecrets(SecretReference.newBuilder().setSecretId(p))));
        assertEquals(ControlException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().startsWith("secret " + p + " is ambiguous ("), e.getMessage());
    }

    @Test
    void rotationMovesUnpinnedReferencesOnlyAndRollsThoseServices() {
        Secret s = createSecret("db_pass", VALUE);
        createService("web", c -> c.addSecrets(secretRef("db_pass")));
        createService("pinned", c -> c.addSecrets(secretRef("db_pass").setVersion(1).setPinned(true)));
        createService("other", c -> {});
        Service web0 = service("web");
        Service pinned0 = service("pinned");
        Service other0 = service("other");

        refused(ControlException.Code.INVALID_ARGUMENT, "secret data must not be empty",
                () -> api.rotateSecret(RotateSecretRequest.newBuilder().setId("db_pass").build()));
        assertEquals(1, stored(s.getId()).getVersionsCount(), "nothing written");

        RotateSecretResponse r = api.rotateSecret(RotateSecretRequest.newBuilder().setId(s.getId().substring(0, 8))
                .setData(ByteString.copyFromUtf8(VALUE2)).build());
        seen.add(r.toString());
        assertEquals(List.of("web"), r.getUpdatedServicesList());
        assertNoSealedBytes(r.getSecret());
        assertEquals(List.of(1L, 2L), r.getSecret().getVersionsList().stream().map(SecretVersion::getVersion).toList());
        Secret after = stored(s.getId());
        assertArrayEquals(VALUE2.getBytes(StandardCharsets.UTF_8),
                vault.open("", s.getId(), 2, after.getVersions(1).getSealed().toByteArray()));
        assertArrayEquals(VALUE.getBytes(StandardCharsets.UTF_8),
                vault.open("", s.getId(), 1, after.getVersions(0).getSealed().toByteArray()), "the old version stays");

        Service web = service("web");
        assertEquals(2, web.getSpec().getTask().getContainer().getSecrets(0).getVersion());
        assertEquals(web0.getSpec(), web.getPreviousSpec());
        assertEquals(web0.getSpecVersion() + 1, web.getSpecVersion());
        assertEquals(UpdateStatus.UpdateState.UPDATING, web.getUpdateStatus().getState());
        assertEquals(pinned0, service("pinned"), "a pinned reference stays");
        assertEquals(other0, service("other"));

        // an update that says nothing of the secret does not move it; an older version given explicitly stays
        ServiceSpec.Builder relabelled = web.getSpec().toBuilder();
        relabelled.getAnnotationsBuilder().putLabels("team", "a");
        relabelled.getTaskBuilder().getContainerBuilder().setSecrets(0,
                relabelled.getTask().getContainer().getSecrets(0).toBuilder().setVersion(1));
        api.updateService(UpdateServiceRequest.newBuilder().setId("web").setVersion(web.getMeta().getVersion())
                .setSpec(relabelled).build());
        assertEquals(1, service("web").getSpec().getTask().getContainer().getSecrets(0).getVersion());
        // a new reference without a version gets the latest
        Service pinned = service("pinned");
        ServiceSpec.Builder added = pinned.getSpec().toBuilder();
        added.getTaskBuilder().getContainerBuilder().addSecrets(secretRef("db_pass").setTarget("again"));
        api.updateService(UpdateServiceRequest.newBuilder().setId("pinned").setSpec(added).build());
        List<SecretReference> refs = service("pinned").getSpec().getTask().getContainer().getSecretsList();
        assertEquals(List.of(1L, 2L), refs.stream().map(SecretReference::getVersion).toList());

        // a second rotation: NAME@N checks against the new latest
        api.rotateSecret(RotateSecretRequest.newBuilder().setId("db_pass").setData(ByteString.copyFromUtf8(VALUE2 + "3")).build());
        refused(ControlException.Code.INVALID_ARGUMENT, "secret db_pass has no version 5 (latest is 3)",
                () -> createService("late", c -> c.addSecrets(secretRef("db_pass").setVersion(5).setPinned(true))));
        createService("late", c -> c.addSecrets(secretRef("db_pass").setVersion(2).setPinned(true)));
        assertEquals(2, service("late").getSpec().getTask().getContainer().getSecrets(0).getVersion());
    }

    // ------------------------------------------------------------ configs

    @Test
    void configsKeepTheirDataAndRotateLikeSecrets() {
        Config c = createConfig("app.conf", CONF);
        assertTrue(c.getSpec().getData().isEmpty());
        assertEquals(CONF, c.getVersions(0).getData().toStringUtf8(), "config inspect shows the value");
        assertEquals(CONF.length(), c.getVersions(0).getSize());
        assertEquals(c, api.getConfig(GetConfigRequest.newBuilder().setId(c.getId().substring(0, 4)).build()).getConfig());
        assertEquals(1, api.listConfigs(ListConfigsRequest.getDefaultInstance()).getConfigsCount());
        refused(ControlException.Code.ALREADY_EXISTS, "config app.conf already exists", () -> createConfig("app.conf", CONF));
        refused(ControlException.Code.INVALID_ARGUMENT, "config data must not be empty", () -> createConfig("empty", ""));

        createService("web", cs -> cs.addConfigs(ConfigReference.newBuilder().setConfigName("app.conf").setTarget("/etc/app.conf")));
        Service web0 = service("web");
        RotateConfigResponse r = api.rotateConfig(RotateConfigRequest.newBuilder().setId("app.conf")
                .setData(ByteString.copyFromUtf8("listen 9090")).build());
        assertEquals(List.of("web"), r.getUpdatedServicesList());
        assertEquals("listen 9090", r.getConfig().getVersions(1).getData().toStringUtf8());
        Service web = service("web");
        assertEquals(2, web.getSpec().getTask().getContainer().getConfigs(0).getVersion());
        assertEquals(web0.getSpec(), web.getPreviousSpec());
        assertEquals(UpdateStatus.UpdateState.UPDATING, web.getUpdateStatus().getState());

        refused(ControlException.Code.FAILED_PRECONDITION, "config 'app.conf' is in use by the following service: web",
                () -> api.removeConfig(RemoveConfigRequest.newBuilder().setId("app.conf").build()));
        createConfig("unused", CONF);
        api.removeConfig(RemoveConfigRequest.newBuilder().setId("unused").build());
        assertEquals(1, store.view(tx -> tx.all(Kind.CONFIG)).size());
    }

    // ------------------------------------------------------------ autolock

    private void createCluster() {
        store.update(tx -> tx.create(Kind.CLUSTER, Cluster.newBuilder().setId("clu1")
                .setSpec(ClusterSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("default"))).build()));
    }

    private Cluster cluster() {
        return store.view(tx -> tx.get(Kind.CLUSTER, "clu1").orElseThrow());
    }

    private Cluster updateCluster(ControlApi on, Consumer<ClusterSpec.Builder> change, boolean rotate) {
        ClusterSpec.Builder spec = cluster().getSpec().toBuilder();
        change.accept(spec);
        return on.updateCluster(UpdateClusterRequest.newBuilder().setId("default").setSpec(spec)
                .setRotateUnlockKey(rotate).build()).getCluster();
    }

    private String unlockKey() {
        String key = api.getUnlockKey(GetUnlockKeyRequest.getDefaultInstance()).getUnlockKey();
        if (!key.isEmpty()) {
            seen.add("got a key"); // the key itself is the answer of this call; it goes nowhere else
        }
        return key;
    }

    @Test
    void autolockMakesRotatesAndDropsTheSealedUnlockKey() {
        createCluster();
        assertEquals("", unlockKey(), "off: no key");
        refused(ControlException.Code.FAILED_PRECONDITION, AutoLock.NOT_ENABLED, () -> updateCluster(api, s -> {}, true));

        // no data key here: nothing can be sealed, nothing is written
        ControlApiImpl noKey = new ControlApiImpl(store, new NodeLifecycleTest.Local(NodeLifecycleTest.M1, dir), null, null);
        assertThrows(ControlException.class, () -> updateCluster(noKey, s -> s.getEncryptionBuilder().setAutoLockManagers(true), false));
        assertFalse(cluster().getSpec().getEncryption().getAutoLockManagers());

        Cluster shown = updateCluster(api, s -> s.getEncryptionBuilder().setAutoLockManagers(true), false);
        assertTrue(shown.getUnlockKeySealed().isEmpty(), "no sealed key in responses");
        assertTrue(api.getCluster(GetClusterRequest.newBuilder().setId("default").build()).getCluster().getUnlockKeySealed().isEmpty());
        Cluster c1 = cluster();
        assertEquals(1, c1.getUnlockKeyVersion());
        byte[] opened = dataKey.open(c1.getUnlockKeySealed().toByteArray(), "swarmlet-unlock-key".getBytes(StandardCharsets.UTF_8));
        String key1 = unlockKey();
        assertEquals(UnlockKeys.format(opened), key1);
        assertTrue(key1.startsWith("SWMKEY-1-"));
        assertEquals(1, api.getUnlockKey(GetUnlockKeyRequest.getDefaultInstance()).getVersion());

        // an unrelated update keeps the key
        updateCluster(api, s -> s.getOrchestrationBuilder().setTaskHistoryRetentionLimit(3), false);
        assertEquals(c1.getUnlockKeySealed(), cluster().getUnlockKeySealed());
        assertEquals(key1, unlockKey());

        // rotate: a new key
        updateCluster(api, s -> {}, true);
        assertEquals(2, cluster().getUnlockKeyVersion());
        String key2 = unlockKey();
        assertNotEquals(key1, key2);
        assertTrue(key2.startsWith("SWMKEY-1-"));

        // off: the key goes
        updateCluster(api, s -> s.getEncryptionBuilder().setAutoLockManagers(false), false);
        assertTrue(cluster().getUnlockKeySealed().isEmpty());
        assertEquals("", unlockKey());
        // on again: a new one
        updateCluster(api, s -> s.getEncryptionBuilder().setAutoLockManagers(true), false);
        assertEquals(3, cluster().getUnlockKeyVersion());
        assertNotEquals(key2, unlockKey());

        refused(ControlException.Code.FAILED_PRECONDITION, "swarm is not locked",
                () -> api.unlockSwarm(UnlockSwarmRequest.newBuilder().setUnlockKey(key1).build()));
    }
}
