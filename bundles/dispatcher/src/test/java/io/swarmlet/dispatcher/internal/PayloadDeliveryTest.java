package io.swarmlet.dispatcher.internal;

import static io.swarmlet.dispatcher.internal.DispatcherImplTest.A;
import static io.swarmlet.dispatcher.internal.DispatcherImplTest.B;
import static io.swarmlet.dispatcher.internal.DispatcherImplTest.LONG;
import static io.swarmlet.dispatcher.internal.DispatcherImplTest.cluster;
import static io.swarmlet.dispatcher.internal.DispatcherImplTest.describe;
import static io.swarmlet.dispatcher.internal.DispatcherImplTest.node;
import static io.swarmlet.dispatcher.internal.DispatcherImplTest.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.swarmlet.api.dispatcher.Assignments;
import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.security.SecretVault;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Config;
import io.swarmlet.api.types.ConfigReference;
import io.swarmlet.api.types.ConfigSpec;
import io.swarmlet.api.types.ConfigVersion;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.Driver;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.PayloadValue;
import io.swarmlet.api.types.Secret;
import io.swarmlet.api.types.SecretReference;
import io.swarmlet.api.types.SecretSpec;
import io.swarmlet.api.types.SecretVersion;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Secrets and configs delivered with assignments: only to the nodes whose tasks reference them. */
class PayloadDeliveryTest {

    static final String DB_PASS = "secret0000000000000000001";
    static final String API_KEY = "secret0000000000000000002";
    static final String APP_CONF = "config0000000000000000001";

    @TempDir
    Path dir;

    private SingleNodeStore running;
    private Store store;
    private final FakeVault vault = new FakeVault();
    private final List<DispatcherImpl> dispatchers = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        running = SingleNodeStore.start(dir, "manager0000000000000000001");
        store = running.store();
        store.update(tx -> {
            tx.create(Kind.CLUSTER, cluster(0));
            tx.create(Kind.NODE, node(A, NodeStatus.State.READY));
            tx.create(Kind.NODE, node(B, NodeStatus.State.READY));
            tx.create(Kind.SECRET, secret(DB_PASS, "db_pass", "leak-canary-hunter2-v1", "leak-canary-hunter2-v2"));
            tx.create(Kind.SECRET, secret(API_KEY, "api_key", "key-v1"));
            tx.create(Kind.CONFIG, Config.newBuilder().setId(APP_CONF)
                    .setSpec(ConfigSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("app.conf")))
                    .addVersions(ConfigVersion.newBuilder().setVersion(1).setData(utf8("port=80")))
                    .addVersions(ConfigVersion.newBuilder().setVersion(2).setData(utf8("port=8080")))
                    .build());
        });
    }

    @AfterEach
    void tearDown() {
        dispatchers.forEach(DispatcherImpl::stop);
        running.close();
    }

    private DispatcherImpl start(boolean withVault) {
        DispatcherImpl d = new DispatcherImpl(store, () -> withVault ? vault : null);
        dispatchers.add(d);
        d.start();
        return d;
    }

    @Test
    void aNodeGetsExactlyTheVersionsItsTasksReferenceAndANodeWithoutSuchTasksGetsNone() throws Exception {
        store.update(tx -> {
            tx.create(Kind.TASK, task("t1", A, TaskState.ASSIGNED, List.of(ref(DB_PASS, "db_pass", 1)),
                    List.of(cref(APP_CONF, 2))));
            tx.create(Kind.TASK, task("t2", A, TaskState.RUNNING, List.of(ref(DB_PASS, "db_pass", 1)), List.of()));
            tx.create(Kind.TASK, task("t3", B, TaskState.ASSIGNED, List.of(), List.of()));
        });
        DispatcherImpl d = start(true);
        Session a = d.open(A, describe("a"));
        Session b = d.open(B, describe("b"));

        Assignments forA = a.assignments(0, LONG);
        assertEquals(List.of("db_pass@1=leak-canary-hunter2-v1"), values(forA.secrets()), "once, though two tasks use it");
        assertEquals(List.of("app.conf@2=port=8080"), values(forA.configs()));
        assertEquals(DB_PASS, forA.secrets().get(0).getId());
        assertEquals(List.of(DB_PASS + "@1 by driver vault-x"), vault.opened);
        assertFalse(forA.toString().contains("hunter2"), "Assignments.toString prints no value: " + forA);

        Assignments forB = b.assignments(0, LONG);
        assertTrue(forB.secrets().isEmpty());
        assertTrue(forB.configs().isEmpty());
        assertEquals(1, vault.opened.size(), "B needed nothing opened");
    }

    @Test
    void aRotatedVersionIsDeliveredTheOldOneGoesWithItsTasksAndOpenedValuesAreCachedUntilUnreferenced() throws Exception {
        store.update(tx -> tx.create(Kind.TASK, task("old", A, TaskState.RUNNING, List.of(ref(DB_PASS, "db_pass", 1)),
                List.of())));
        DispatcherImpl d = start(true);
        Session a = d.open(A, describe("a"));
        Assignments first = a.assignments(0, LONG);
        assertEquals(List.of("db_pass@1=leak-canary-hunter2-v1"), values(first.secrets()));

        // an unrelated change of the node's set: the value is not opened again
        store.update(tx -> tx.create(Kind.TASK, task("plain", A, TaskState.ASSIGNED, List.of(), List.of())));
        Assignments second = a.assignments(first.version(), LONG);
        assertEquals(List.of("db_pass@1=leak-canary-hunter2-v1"), values(second.secrets()));
        assertEquals(1, vault.opened.size(), "cached: " + vault.opened);

        // the rotation gives the service a new task that references version 2; the old one still runs
        store.update(tx -> tx.create(Kind.TASK, task("new", A, TaskState.ASSIGNED, List.of(ref(DB_PASS, "db_pass", 2)),
                List.of())));
        Assignments third = a.assignments(second.version(), LONG);
        assertTrue(third.version() > second.version());
        assertEquals(List.of("db_pass@1=leak-canary-hunter2-v1", "db_pass@2=leak-canary-hunter2-v2"), values(third.secrets()));

        // the old task finished: its version is no longer delivered, nor kept opened on the manager
        store.update(tx -> tx.update(Kind.TASK, tx.get(Kind.TASK, "old").orElseThrow().toBuilder()
                .setDesiredState(TaskState.SHUTDOWN).setStatus(status(TaskState.SHUTDOWN, 2)).build()));
        Assignments fourth = a.assignments(third.version(), LONG);
        assertEquals(List.of("db_pass@2=leak-canary-hunter2-v2"), values(fourth.secrets()));
        await("version 1 dropped from the cache", () -> d.payloads().cached() == 1);

        // every task using it gone: nothing kept
        store.update(tx -> tx.delete(Kind.TASK, "new"));
        Assignments fifth = a.assignments(fourth.version(), LONG);
        assertTrue(fifth.secrets().isEmpty());
        await("cache empty", () -> d.payloads().cached() == 0);
    }

    @Test
    void whatCannotBeOpenedIsLeftOutAndTheRestDelivered() throws Exception {
        vault.broken.add(API_KEY);
        store.update(tx -> tx.create(Kind.TASK, task("t1", A, TaskState.ASSIGNED,
                List.of(ref(DB_PASS, "db_pass", 1), ref(API_KEY, "api_key", 1), ref(DB_PASS, "db_pass", 7),
                        ref("secret000000000000000000gone", "gone", 1)),
                List.of(cref(APP_CONF, 1), cref(APP_CONF, 9)))));
        DispatcherImpl d = start(true);
        Assignments a = d.open(A, describe("a")).assignments(0, LONG);
        assertEquals(List.of("db_pass@1=leak-canary-hunter2-v1"), values(a.secrets()));
        assertEquals(List.of("app.conf@1=port=80"), values(a.configs()));
    }

    @Test
    void withoutAVaultSecretsAreLeftOutAndConfigsStillDelivered() throws Exception {
        store.update(tx -> tx.create(Kind.TASK, task("t1", A, TaskState.ASSIGNED, List.of(ref(DB_PASS, "db_pass", 1)),
                List.of(cref(APP_CONF, 1)))));
        DispatcherImpl d = start(false);
        Assignments a = d.open(A, describe("a")).assignments(0, LONG);
        assertTrue(a.secrets().isEmpty());
        assertEquals(List.of("app.conf@1=port=80"), values(a.configs()));
    }

    // ------------------------------------------------------------ helpers

    /** "Seals" by reversing the bytes; remembers what it opened. */
    static final class FakeVault implements SecretVault {
        final List<String> opened = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.Set<String> broken = ConcurrentHashMap.newKeySet();

        @Override
        public byte[] seal(String driver, String secretId, long version, byte[] plain) {
            return reverse(plain);
        }

        @Override
        public byte[] open(String driver, String secretId, long version, byte[] sealed) {
            if (broken.contains(secretId)) {
                throw new IllegalStateException("secret " + secretId + " cannot be opened");
            }
            opened.add(secretId + "@" + version + " by driver " + driver);
            return reverse(sealed);
        }
    }

    static byte[] reverse(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }

    static ByteString utf8(String s) {
        return ByteString.copyFromUtf8(s);
    }

    static Secret secret(String id, String name, String... values) {
        Secret.Builder b = Secret.newBuilder().setId(id)
                .setSpec(SecretSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName(name))
                        .setDriver(Driver.newBuilder().setName("vault-x")));
        for (int i = 0; i < values.length; i++) {
            b.addVersions(SecretVersion.newBuilder().setVersion(i + 1).setDriver("vault-x")
                    .setSealed(ByteString.copyFrom(reverse(values[i].getBytes(StandardCharsets.UTF_8)))));
        }
        return b.build();
    }

    static SecretReference ref(String id, String name, long version) {
        return SecretReference.newBuilder().setSecretId(id).setSecretName(name).setVersion(version)
                .setTarget("/run/secrets/" + name).build();
    }

    static ConfigReference cref(String id, long version) {
        return ConfigReference.newBuilder().setConfigId(id).setConfigName("app.conf").setVersion(version)
                .setTarget("/etc/app.conf").build();
    }

    static Task task(String id, String nodeId, TaskState state, List<SecretReference> secrets,
                     List<ConfigReference> configs) {
        return DispatcherImplTest.task(id, nodeId, state).toBuilder()
                .setStatus(status(state, 1))
                .setSpec(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage("busybox")
                        .addAllSecrets(secrets).addAllConfigs(configs)))
                .build();
    }

    /** name@version=value, values as text (test values only). */
    static List<String> values(List<PayloadValue> list) {
        return list.stream().map(v -> v.getName() + "@" + v.getVersion() + "=" + v.getData().toStringUtf8()).toList();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + LONG.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
