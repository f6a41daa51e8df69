package io.swarmlet.agent.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import io.swarmlet.api.dispatcher.Assignments;
import io.swarmlet.api.security.SecretVault;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.ClusterSpec;
import io.swarmlet.api.types.Config;
import io.swarmlet.api.types.ConfigReference;
import io.swarmlet.api.types.ConfigSpec;
import io.swarmlet.api.types.ConfigVersion;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.DispatcherConfig;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.PayloadValue;
import io.swarmlet.api.types.Secret;
import io.swarmlet.api.types.SecretReference;
import io.swarmlet.api.types.SecretSpec;
import io.swarmlet.api.types.SecretVersion;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import io.swarmlet.dispatcher.internal.DispatcherImpl;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets and configs on the node: the agent against a real dispatcher (with a
 * vault) on a real store, writing real files; the tmpfs is really mounted when
 * the tests run as root.
 */
class SecretFilesTest {

    static final String NODE = AgentTest.NODE;
    static final Duration LONG = Duration.ofSeconds(30);
    static final String DB_PASS = "secret0000000000000000001";
    static final String APP_CONF = "config0000000000000000001";
    static final String VALUE = "leak-canary-hunter2-on-the-node";
    static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    @TempDir
    Path dir;

    private SingleNodeStore running;
    private Store store;
    private DispatcherImpl dispatcher;
    private Path state;
    private final FakeExecutor fake = new FakeExecutor();
    private final List<Agent> agents = new ArrayList<>();

    /** "Seals" by reversing the bytes. */
    static final SecretVault VAULT = new SecretVault() {
        @Override
        public byte[] seal(String driver, String secretId, long version, byte[] plain) {
            return reversed(plain);
        }

        @Override
        public byte[] open(String driver, String secretId, long version, byte[] sealed) {
            return reversed(sealed);
        }
    };

    @BeforeEach
    void setUp() throws Exception {
        running = SingleNodeStore.start(dir.resolve("store"), "manager0000000000000000001");
        store = running.store();
        state = dir.resolve("node-state");
        store.update(tx -> {
            tx.create(Kind.CLUSTER, Cluster.newBuilder().setId(SingleNodeStore.CLUSTER_ID)
                    .setSpec(ClusterSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("default"))
                            .setDispatcher(DispatcherConfig.newBuilder().setHeartbeatPeriodMs(5_000)))
                    .build());
            tx.create(Kind.NODE, Node.newBuilder().setId(NODE)
                    .setDescription(NodeDescription.newBuilder().setHostname("this-host"))
                    .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.READY).setAddr("10.0.0.1"))
                    .build());
            tx.create(Kind.SECRET, Secret.newBuilder().setId(DB_PASS)
                    .setSpec(SecretSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("db_pass")))
                    .addVersions(SecretVersion.newBuilder().setVersion(1)
                            .setSealed(ByteString.copyFrom(reversed(VALUE.getBytes(StandardCharsets.UTF_8)))))
                    .build());
            tx.create(Kind.CONFIG, Config.newBuilder().setId(APP_CONF)
                    .setSpec(ConfigSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("app.conf")))
                    .addVersions(ConfigVersion.newBuilder().setVersion(1).setData(ByteString.copyFromUtf8("port=80\n")))
                    .build());
        });
        dispatcher = new DispatcherImpl(store, () -> VAULT);
        dispatcher.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Agent a : agents) {
            a.deactivate();
        }
        dispatcher.stop();
        running.close();
    }

    private Agent startAgent() {
        Agent a = new Agent(new AgentTest.TestNode(NODE, state), fake);
        a.activate(null, AgentTest.config());
        agents.add(a);
        a.bindDispatcher(dispatcher);
        return a;
    }

    private void stopAgent(Agent a) throws InterruptedException {
        agents.remove(a);
        a.deactivate();
    }

    // ------------------------------------------------------------ through the agent

    @Test
    void secretsAndConfigsBecomeFilesWrittenBeforeTheContainerAndBindMountedReadOnly() throws Exception {
        Agent agent = startAgent();
        createTask("t1", SecretReference.newBuilder().setSecretId(DB_PASS).setSecretName("db_pass").setVersion(1)
                        .setTarget("/run/secrets/db_pass").setUid("1000").setGid("1001").setMode(0400).build(),
                ConfigReference.newBuilder().setConfigId(APP_CONF).setConfigName("app.conf").setVersion(1)
                        .setTarget("etc/app.conf").build());
        awaitState("t1", TaskState.RUNNING);

        Path secretsDir = agent.files().secretsDir();
        Path secretFile = secretsDir.resolve("t1").resolve(DB_PASS + ".1.0");
        Path configFile = state.resolve("configs").resolve("t1").resolve(APP_CONF + ".1.0");
        assertEquals(VALUE, Files.readString(secretFile));
        assertEquals("port=80\n", Files.readString(configFile));
        assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile)));
        assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(configFile)),
                "default mode 0444");
        if (ROOT) {
            assertEquals(1000, Files.getAttribute(secretFile, "unix:uid"));
            assertEquals(1001, Files.getAttribute(secretFile, "unix:gid"));
        }
        assertTrue(memoryBacked(secretsDir), secretsDir + " is memory-backed");

        // the executor got the task with one read-only bind mount per reference, and the files were there
        // when it created the container
        List<Mount> binds = fake.given.get("t1").getSpec().getContainer().getMountsList();
        assertEquals(List.of(
                Mount.newBuilder().setType(Mount.Type.BIND).setReadOnly(true).setSource(secretFile.toString())
                        .setTarget("/run/secrets/db_pass").build(),
                Mount.newBuilder().setType(Mount.Type.BIND).setReadOnly(true).setSource(configFile.toString())
                        .setTarget("/etc/app.conf").build()), binds);
        assertEquals(Map.of("/run/secrets/db_pass", VALUE, "/etc/app.conf", "port=80\n"), fake.bindsAtPrepare.get("t1"));
        assertTrue(task("t1").getSpec().getContainer().getMountsList().isEmpty(), "the store's task is untouched");
        assertEquals(1, agent.delivered().secrets().size());
        assertFalse(agent.delivered().toString().contains(VALUE), "no value in toString");

        // the task ends: its files go, and so does the value (the next set does not carry it)
        fake.exit("t1", 0);
        awaitState("t1", TaskState.COMPLETE);
        await("files removed", () -> !Files.exists(secretFile.getParent()) && !Files.exists(configFile.getParent()));
        await("value forgotten", () -> agent.delivered().secrets().isEmpty() && agent.delivered().configs().isEmpty());
    }

    @Test
    void aReferenceWithoutItsValueRejectsTheTaskBeforeAnyContainerIsMade() throws Exception {
        startAgent();
        // version 9 does not exist: the dispatcher leaves it out
        createTask("t1", SecretReference.newBuilder().setSecretId(DB_PASS).setSecretName("db_pass").setVersion(9)
                .setTarget("/run/secrets/db_pass").build(), null);
        TaskStatus rejected = awaitState("t1", TaskState.REJECTED);
        assertEquals("secret db_pass (" + DB_PASS + ") was not delivered to this node", rejected.getErr());
        assertEquals(0, fake.prepareCalls.get());
        assertFalse(fake.has("t1"));
    }

    @Test
    void theFilesGoWhenTheTaskLeavesTheNodeAndTheTmpfsWithTheAgent() throws Exception {
        Agent agent = startAgent();
        createTask("t1", SecretReference.newBuilder().setSecretId(DB_PASS).setSecretName("db_pass").setVersion(1)
                .setTarget("/run/secrets/db_pass").build(), null);
        awaitState("t1", TaskState.RUNNING);
        Path taskDir = agent.files().secretsDir().resolve("t1");
        assertTrue(Files.exists(taskDir.resolve(DB_PASS + ".1.0")));

        store.update(tx -> tx.delete(Kind.TASK, "t1"));
        await("container removed", () -> fake.removed.contains("t1"));
        await("files removed", () -> !Files.exists(taskDir));
        await("value forgotten", () -> agent.delivered().secrets().isEmpty());

        // a task of another service, still running, when the agent stops: its files go, the tmpfs too
        createTask("t2", SecretReference.newBuilder().setSecretId(DB_PASS).setSecretName("db_pass").setVersion(1)
                .setTarget("/run/secrets/db_pass").build(), null);
        awaitState("t2", TaskState.RUNNING);
        Path secretsDir = agent.files().secretsDir();
        boolean mounted = agent.files().mounted();
        stopAgent(agent);
        try (Stream<Path> left = Files.list(secretsDir)) {
            assertEquals(List.of(), left.toList(), "nothing left in " + secretsDir);
        }
        if (mounted) {
            assertFalse(tmpfsMountedAt(secretsDir), "unmounted");
        }
    }

    @Test
    void aRestartedAgentAdoptsTheRunningContainerWithoutItsFiles() throws Exception {
        Agent first = startAgent();
        createTask("t1", SecretReference.newBuilder().setSecretId(DB_PASS).setSecretName("db_pass").setVersion(1)
                .setTarget("/run/secrets/db_pass").build(), null);
        awaitState("t1", TaskState.RUNNING);
        stopAgent(first); // deletes every file; the container keeps its bind mounts

        Agent second = startAgent();
        await("adopted", () -> second.worker("t1") != null && second.connected());
        await("assignments received", () -> second.delivered().secrets().size() == 1);
        assertEquals(TaskState.RUNNING, task("t1").getStatus().getState());
        assertTrue(fake.running("t1"));
        assertEquals(1, fake.starts("t1"), "not started again");
        fake.exit("t1", 0);
        awaitState("t1", TaskState.COMPLETE);
    }

    @Test
    void theTmpfsIsMountedAtActivationWhenRoot() throws Exception {
        assumeTrue(ROOT, "mounting a tmpfs needs root");
        Agent agent = startAgent();
        Path secretsDir = state.resolve("secrets");
        assertEquals(secretsDir, agent.files().secretsDir());
        assertTrue(agent.files().mounted());
        assertTrue(tmpfsMountedAt(secretsDir), "a tmpfs at " + secretsDir);
        stopAgent(agent);
        assertFalse(tmpfsMountedAt(secretsDir));
    }

    // ------------------------------------------------------------ PayloadFiles alone

    @Test
    void withoutMemoryBackedStorageTasksWithSecretsAreRejectedAndConfigsStillWritten() throws Exception {
        Path notShm = Files.createDirectories(dir.resolve("not-shm"));
        assumeTrue(!memoryBacked(notShm), "the temporary directory must be on a disk for this test");
        PayloadFiles files = new PayloadFiles(dir.resolve("disk-state"), NODE, notShm, false);
        files.open();
        try {
            Task withSecret = task("t1", SecretReference.newBuilder().setSecretId(DB_PASS).setSecretName("db_pass")
                    .setVersion(1).build(), null);
            PayloadFiles.Delivered delivered = delivered();
            PayloadFiles.Rejected e = assertThrows(PayloadFiles.Rejected.class,
                    () -> files.write(withSecret, delivered, false));
            assertTrue(e.getMessage().startsWith(PayloadFiles.NOT_MEMORY_BACKED), e.getMessage());
            assertFalse(e.getMessage().contains(VALUE));
            try (Stream<Path> all = Files.walk(dir.resolve("disk-state"))) {
                assertTrue(all.noneMatch(p -> p.getFileName().toString().startsWith(DB_PASS)), "nothing written");
            }

            Task withConfig = task("t2", null, ConfigReference.newBuilder().setConfigId(APP_CONF)
                    .setConfigName("app.conf").setVersion(1).setMode(0440).build());
            files.write(withConfig, delivered, false);
            Path f = dir.resolve("disk-state").resolve("configs").resolve("t2").resolve(APP_CONF + ".1.0");
            assertEquals("port=80\n", Files.readString(f));
            assertEquals("r--r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
            assertEquals("/app.conf", files.withMounts(withConfig).getSpec().getContainer().getMounts(0).getTarget(),
                    "a config without a target goes to /NAME");
            files.remove("t2");
            assertFalse(Files.exists(f.getParent()));
        } finally {
            files.close();
        }
    }

    @Test
    void whenItCannotMountSecretsGoUnderDevShm() throws Exception {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && memoryBacked(shm), "/dev/shm must be a tmpfs");
        String node = "test" + Long.toHexString(System.nanoTime());
        PayloadFiles files = new PayloadFiles(dir.resolve("s"), node, shm, false);
        files.open();
        try {
            assertEquals(shm.resolve("swarmlet-" + node).resolve("secrets"), files.secretsDir());
            assertFalse(files.mounted());
            Task t = task("t1", SecretReference.newBuilder().setSecretId(DB_PASS).setSecretName("db_pass")
                    .setVersion(1).setTarget("db").build(), null);
            files.write(t, delivered(), false);
            assertEquals(VALUE, Files.readString(files.secretsDir().resolve("t1").resolve(DB_PASS + ".1.0")));
            assertEquals("/run/secrets/db", files.withMounts(t).getSpec().getContainer().getMounts(0).getTarget(),
                    "a relative secret target is under /run/secrets");
        } finally {
            files.close();
            try (Stream<Path> left = Files.list(files.secretsDir())) {
                assertEquals(0, left.count());
            }
            Files.delete(files.secretsDir());
            Files.delete(files.secretsDir().getParent());
        }
    }

    @Test
    void mountPointsOfProcMountsAreUnescaped() {
        assertEquals("/a b/c\td\\e", PayloadFiles.Mounts.unescape("/a\\040b/c\\011d\\134e"));
        assertEquals("/plain", PayloadFiles.Mounts.unescape("/plain"));
    }

    // ------------------------------------------------------------ helpers

    static byte[] reversed(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }

    private static PayloadFiles.Delivered delivered() {
        return PayloadFiles.Delivered.of(new Assignments(1, List.of(),
                List.of(PayloadValue.newBuilder().setId(DB_PASS).setName("db_pass").setVersion(1)
                        .setData(ByteString.copyFromUtf8(VALUE)).build()),
                List.of(PayloadValue.newBuilder().setId(APP_CONF).setName("app.conf").setVersion(1)
                        .setData(ByteString.copyFromUtf8("port=80\n")).build())));
    }

    static boolean memoryBacked(Path p) throws Exception {
        PayloadFiles.Mounts.Entry e = PayloadFiles.Mounts.of(p);
        assertNotNull(e, "no mount for " + p);
        return e.type().equals("tmpfs") || e.type().equals("ramfs");
    }

    static boolean tmpfsMountedAt(Path p) throws Exception {
        PayloadFiles.Mounts.Entry e = PayloadFiles.Mounts.of(p);
        return e != null && e.mountPoint().equals(p.toRealPath()) && e.type().equals("tmpfs");
    }

    static Task task(String id, SecretReference secret, ConfigReference config) {
        ContainerSpec.Builder c = ContainerSpec.newBuilder().setImage("busybox");
        if (secret != null) {
            c.addSecrets(secret);
        }
        if (config != null) {
            c.addConfigs(config);
        }
        return Task.newBuilder().setId(id).setServiceId("svc").setNodeId(NODE)
                .setAnnotations(Annotations.newBuilder().setName("web." + id))
                .setSpec(TaskSpec.newBuilder().setContainer(c))
                .setDesiredState(TaskState.RUNNING)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.ASSIGNED).setTimestamp(1).setMessage("assigned"))
                .build();
    }

    private void createTask(String id, SecretReference secret, ConfigReference config) {
        store.update(tx -> tx.create(Kind.TASK, task(id, secret, config)));
    }

    private Task task(String id) {
        return store.view(tx -> tx.get(Kind.TASK, id).orElseThrow());
    }

    private TaskStatus awaitState(String id, TaskState state) throws InterruptedException {
        await("task " + id + " " + state, () -> task(id).getStatus().getState() == state);
        return task(id).getStatus();
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
