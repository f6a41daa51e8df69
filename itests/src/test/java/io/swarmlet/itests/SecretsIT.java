package io.swarmlet.itests;

import static io.swarmlet.itests.ClusterIT.await;
import static io.swarmlet.itests.ClusterIT.awaitNodes;
import static io.swarmlet.itests.ClusterIT.docker;
import static io.swarmlet.itests.ClusterIT.lines;
import static org.junit.jupiter.api.Assertions.*;

import io.swarmlet.itests.ClusterIT.Member;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Secrets and configs end to end on 3 managers and 1 worker (each its own
 * swarmletd on 127.0.0.41–.44, real containers): a service on the worker reads
 * {@code /run/secrets/db_pass} and {@code /etc/app.conf}; the values match; the
 * only copy outside the managers' sealed store is in the worker's tmpfs while
 * the task runs; no state directory (Raft logs, snapshots, logs) and no CLI
 * output holds a value in clear; rotation rolls the service to the new value;
 * autolock keeps a restarted manager locked until it is given the right key.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecretsIT {

    static final String IMAGE = ServiceEndToEndIT.IMAGE_1;
    static final String SERVICE = "secretapp";
    static final String LOCKED = "Swarm is encrypted and needs to be unlocked";

    /**
     * Values that appear nowhere else, so that finding one anywhere is a leak. Like every
     * test's secret value they hold "leak-canary", which .ci/leak-scan.sh looks for in the
     * output of the whole test run.
     */
    static final String PASS_1 = "leak-canary-pw1-" + UUID.randomUUID();
    static final String PASS_2 = "leak-canary-pw2-" + UUID.randomUUID();
    static final String CONF_1 = "listen=8080\ntoken=cf1-" + UUID.randomUUID() + "\n";

    static Path root;
    static final Map<String, Member> nodes = new LinkedHashMap<>();
    static Member m1;
    static Member m2;
    static Member m3;
    static Member w1;
    /** Everything the CLI printed during the test, searched for values at the end. */
    static final StringBuilder cliOutput = new StringBuilder();
    static String unlockKey;
    static final Map<String, String> figures = new TreeMap<>();

    @RegisterExtension
    static final AnyFailed FAILED = new AnyFailed();

    @BeforeAll
    static void formCluster() throws Exception {
        Dist.requireDistributionAndImages(IMAGE);
        root = Files.createTempDirectory(Path.of("/tmp"), "swl-secrets-");
        m1 = new Member(root, "sec-m1", "127.0.0.41");
        m2 = new Member(root, "sec-m2", "127.0.0.42");
        m3 = new Member(root, "sec-m3", "127.0.0.43");
        w1 = new Member(root, "sec-w1", "127.0.0.44");
        for (Member m : List.of(m1, m2, m3, w1)) {
            nodes.put(m.name, m);
        }
        m1.start();
        m1.awaitReady();
        String managerToken = ok(m1, "swarm", "join-token", "-q", "manager").trim();
        String workerToken = ok(m1, "swarm", "join-token", "-q", "worker").trim();
        for (Member m : List.of(m2, m3)) {
            m.start("--join-addr", m1.remote(), "--join-token", managerToken);
            m.awaitReady();
        }
        w1.start("--join-addr", m1.remote(), "--join-token", workerToken);
        w1.awaitReady();
        Map<String, String[]> rows = awaitNodes(m1, "4 nodes Ready with one leader",
                r -> r.size() == 4 && r.values().stream().allMatch(f -> f[3].equals("Ready"))
                        && ClusterIT.count(r, "Leader") == 1 && ClusterIT.count(r, "Reachable") == 2);
        for (Member m : nodes.values()) {
            m.nodeId = rows.values().stream().filter(f -> f[2].equals(m.name)).findFirst().orElseThrow()[0];
        }
    }

    @AfterAll
    static void stop() throws Exception {
        ClusterIT.stopAndClean("SecretsIT", root, nodes.values(), FAILED.get(), figures);
    }

    // ------------------------------------------------------------ tests

    @Test
    @Order(1)
    void badValuesAreRefusedAndNothingIsWritten() throws Exception {
        Dist.Result empty = in(m1, new byte[0], "secret", "create", "empty_one", "-");
        assertNotEquals(0, empty.exit(), empty.toString());
        Dist.Result big = in(m1, new byte[600 * 1024], "secret", "create", "big_one", "-");
        assertNotEquals(0, big.exit(), big.toString());
        assertTrue((big.err() + big.out()).contains("500"), "the size limit is named:\n" + big);
        Dist.Result badName = in(m1, "x".getBytes(StandardCharsets.UTF_8), "secret", "create", "bad/name", "-");
        assertNotEquals(0, badName.exit(), badName.toString());
        String ls = ok(m1, "secret", "ls");
        assertFalse(ls.contains("empty_one") || ls.contains("big_one") || ls.contains("bad/name"), ls);
    }

    @Test
    @Order(2)
    void aServiceReadsItsSecretAndConfig() throws Exception {
        String id = in(m1, PASS_1.getBytes(StandardCharsets.UTF_8), "secret", "create", "--label", "app=demo",
                "db_pass", "-").out().trim();
        assertTrue(id.matches("[0-9a-z]{25}"), "secret create prints the ID: " + id);
        Dist.Result dup = in(m1, "other".getBytes(StandardCharsets.UTF_8), "secret", "create", "db_pass", "-");
        assertNotEquals(0, dup.exit(), dup.toString());
        assertTrue(dup.err().contains("already exists"), dup.toString());

        Path conf = Files.writeString(root.resolve("app.conf"), CONF_1);
        ok(m1, "config", "create", "app_conf", conf.toString());
        Files.delete(conf); // the value lives in the cluster now, not in the test's directory

        Dist.Result missing = m1.cli("service", "create", "--name", "nosecret", "--secret", "nope", IMAGE, "sleep", "1000");
        assertNotEquals(0, missing.exit(), missing.toString());
        assertTrue(missing.err().contains("secret not found: nope"), missing.toString());
        assertFalse(ok(m1, "service", "ls").contains("nosecret"));

        ok(m1, "service", "create", "--name", SERVICE, "--constraint", "node.hostname==" + w1.name,
                "--secret", "db_pass", "--secret", "source=db_pass@1,target=/run/secrets/first,mode=0400",
                "--config", "source=app_conf,target=/etc/app.conf", IMAGE, "sleep", "86400");
        String cid = awaitContainer("the task of " + SERVICE + " to run on " + w1.name, null);
        assertEquals(PASS_1, exec(cid, "cat", "/run/secrets/db_pass"));
        assertEquals(PASS_1, exec(cid, "cat", "/run/secrets/first"));
        assertEquals(CONF_1, exec(cid, "cat", "/etc/app.conf"));
        assertEquals("444", exec(cid, "stat", "-c", "%a", "/run/secrets/db_pass").trim());
        assertEquals("400", exec(cid, "stat", "-c", "%a", "/run/secrets/first").trim());
        Dist.Result write = docker("exec", cid, "sh", "-c", "echo x > /run/secrets/db_pass");
        assertNotEquals(0, write.exit(), "the secret is mounted read-only: " + write);

        Dist.Result inspect = docker("inspect", cid);
        assertEquals(0, inspect.exit(), inspect.toString());
        assertFalse(inspect.out().contains(PASS_1), "docker inspect (environment, mounts) shows no value");
    }

    @Test
    @Order(3)
    void onlyTheWorkersTmpfsHoldsTheValue() throws Exception {
        Path workerSecrets = w1.state.resolve("secrets");
        assertTrue(tmpfsMounts().contains(workerSecrets.toString()),
                "the worker's secrets directory is a tmpfs: " + workerSecrets + "\n" + tmpfsMounts());
        List<Path> hits = filesContaining(PASS_1);
        assertFalse(hits.isEmpty(), "the worker holds the value for its task");
        for (Path hit : hits) {
            assertTrue(hit.startsWith(workerSecrets), "the value in clear outside the worker's tmpfs: " + hit);
        }
        for (Member m : List.of(m1, m2, m3)) {
            Path dek = m.state.resolve("certificates").resolve("swarm-dek");
            assertTrue(Files.isRegularFile(dek), "every manager has the data key file: " + dek);
        }
        assertFalse(Files.exists(w1.state.resolve("certificates").resolve("swarm-dek")), "workers have no data key");
    }

    @Test
    @Order(4)
    void inspectAndListShowNoValueAndRemovingAnInUseSecretIsRefused() throws Exception {
        String inspect = ok(m1, "secret", "inspect", "db_pass");
        assertTrue(inspect.contains("db_pass"), inspect);
        String pretty = ok(m1, "secret", "inspect", "--pretty", "db_pass");
        assertTrue(pretty.contains("db_pass"), pretty);
        String ls = ok(m1, "secret", "ls");
        assertTrue(ls.lines().anyMatch(l -> l.matches("[0-9a-z]{25}\\s+db_pass\\s.*")), ls);
        String configInspect = ok(m1, "config", "inspect", "app_conf");
        assertTrue(configInspect.contains("app_conf"), configInspect);

        Dist.Result rm = m1.cli("secret", "rm", "db_pass");
        assertNotEquals(0, rm.exit(), rm.toString());
        assertTrue(rm.err().contains("in use") && rm.err().contains(SERVICE), "the refusal names the service:\n" + rm);
        assertTrue(ok(m1, "secret", "ls").contains("db_pass"), "nothing removed");
        Dist.Result rmConfig = m1.cli("config", "rm", "app_conf");
        assertNotEquals(0, rmConfig.exit(), rmConfig.toString());
        assertTrue(rmConfig.err().contains(SERVICE), rmConfig.toString());
        // prefix IDs resolve like docker's
        String id = lines(ok(m1, "secret", "ls", "-q")).get(0);
        assertTrue(ok(m1, "secret", "inspect", id.substring(0, 6)).contains(id));
    }

    @Test
    @Order(5)
    void rotationRollsTheServiceToTheNewValue() throws Exception {
        String before = awaitContainer("the task of " + SERVICE, null);
        long start = System.nanoTime();
        String out = in(m1, PASS_2.getBytes(StandardCharsets.UTF_8), "secret", "rotate", "db_pass", "-").out();
        assertTrue(out.contains(SERVICE), "rotate names the services it updates: " + out);
        String after = awaitContainer("a new task of " + SERVICE + " with the rotated secret", before);
        assertEquals(PASS_2, exec(after, "cat", "/run/secrets/db_pass"));
        assertEquals(PASS_1, exec(after, "cat", "/run/secrets/first"), "the pinned reference keeps version 1");
        figures.put("rotate -> new task running (ms)", String.valueOf(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)));
        String inspect = ok(m1, "secret", "inspect", "db_pass");
        assertTrue(Pattern.compile("\"version\"\\s*:\\s*\"?2\"?").matcher(inspect).find(),
                "inspect shows version 2 in the history:\n" + inspect);
        for (Path hit : filesContaining(PASS_2)) {
            assertTrue(hit.startsWith(w1.state.resolve("secrets")), "the new value in clear outside the worker's tmpfs: " + hit);
        }

        // --secret-rm rolls like any update: the next task has the pinned file no more
        await("the rotation's update to complete", 90, () -> ok(m1, "service", "inspect", SERVICE),
                inspect2 -> inspect2.contains("\"COMPLETED\""));
        ok(m1, "service", "update", "--secret-rm", "/run/secrets/first", SERVICE);
        String without = awaitContainer("a task of " + SERVICE + " without the pinned secret", after);
        assertNotEquals(0, docker("exec", without, "test", "-e", "/run/secrets/first").exit(), "/run/secrets/first is gone");
        assertEquals(PASS_2, exec(without, "cat", "/run/secrets/db_pass"));
    }

    @Test
    @Order(6)
    void autolockKeepsARestartedManagerLockedUntilUnlocked() throws Exception {
        String out = ok(m1, "swarm", "update", "--autolock=true");
        Matcher key = Pattern.compile("SWMKEY-1-[A-Za-z0-9_-]+").matcher(out);
        assertTrue(key.find(), "swarm update --autolock=true prints the key:\n" + out);
        unlockKey = key.group();
        assertEquals(unlockKey, ok(m1, "swarm", "unlock-key", "-q").trim());
        for (Member m : List.of(m1, m2, m3)) {
            Path dek = m.state.resolve("certificates").resolve("swarm-dek");
            await(m.name + "'s data key file to be wrapped by the unlock key", 30, () -> Files.size(dek), size -> size != 32);
        }

        m3.process.destroy();
        assertTrue(m3.process.waitFor(60, TimeUnit.SECONDS), "m3 stops");
        m3.start();
        m3.awaitReady();
        Dist.Result locked = m3.cli("node", "ls");
        assertNotEquals(0, locked.exit(), locked.toString());
        assertTrue(locked.err().contains(LOCKED), "a locked manager says so:\n" + locked);
        // no Raft member runs while locked: the others see it unreachable
        awaitNodes(m1, "m3 unreachable while locked", r -> "Unreachable".equals(ClusterIT.row(r, m3.name)[5]));

        String wrongKey = "SWMKEY-1-" + "A".repeat(43);
        Dist.Result wrong = in(m3, (wrongKey + "\n").getBytes(StandardCharsets.UTF_8), "swarm", "unlock");
        assertNotEquals(0, wrong.exit(), wrong.toString());
        assertTrue(wrong.err().contains("invalid"), wrong.toString());
        assertTrue(m3.cli("node", "ls").err().contains(LOCKED), "still locked after a wrong key");
        assertTrue(ok(m1, "service", "ls").contains(SERVICE), "the other managers serve meanwhile");

        long start = System.nanoTime();
        Dist.Result right = in(m3, (unlockKey + "\n").getBytes(StandardCharsets.UTF_8), "swarm", "unlock");
        assertEquals(0, right.exit(), right.toString());
        awaitNodes(m3, "m3 serving again with 4 nodes and reachable", r -> r.size() == 4
                && List.of("Reachable", "Leader").contains(ClusterIT.row(r, m3.name)[5]));
        figures.put("unlock -> node ls served (ms)", String.valueOf(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)));
        assertTrue(ok(m3, "secret", "ls").contains("db_pass"));

        // rotate the key: the old one no longer opens anything after the next restart
        String rotated = ok(m1, "swarm", "unlock-key", "--rotate");
        Matcher k2 = Pattern.compile("SWMKEY-1-[A-Za-z0-9_-]+").matcher(rotated);
        assertTrue(k2.find(), rotated);
        assertNotEquals(unlockKey, k2.group());
        unlockKey = k2.group();
    }

    @Test
    @Order(7)
    void removingTheServiceLeavesNoCopyOnTheWorker() throws Exception {
        ok(m1, "service", "rm", SERVICE);
        await("the worker to forget the secret", 60, () -> filesContaining(PASS_1).size() + filesContaining(PASS_2).size(),
                n -> n == 0);
        ok(m1, "secret", "rm", "db_pass");
        ok(m1, "config", "rm", "app_conf");
        assertFalse(ok(m1, "secret", "ls").contains("db_pass"));
    }

    @Test
    @Order(8)
    void noValueInAnyStateDirectoryLogOrCliOutput() throws Exception {
        // state directories hold the Raft logs, snapshots and each daemon's logs; root holds the daemons' output
        for (String value : List.of(PASS_1, PASS_2)) {
            assertEquals(List.of(), filesContaining(value), "files under " + root + " with a secret value in clear");
            assertFalse(cliOutput.toString().contains(value), "the CLI printed a secret value");
        }
        assertNotNull(unlockKey, "the autolock test ran");
        assertEquals(List.of(), filesContaining(unlockKey), "files under " + root + " with the unlock key in clear");
    }

    // ------------------------------------------------------------ helpers

    static String ok(Member m, String... args) throws IOException, InterruptedException {
        Dist.Result r = m.cli(args);
        record(r);
        assertEquals(0, r.exit(), m.name + ": swarmlet " + String.join(" ", args) + "\n" + r);
        return r.out();
    }

    static Dist.Result in(Member m, byte[] input, String... args) throws IOException, InterruptedException {
        Dist.Result r = Dist.cliInput(m.socket, input, args);
        record(r);
        return r;
    }

    static synchronized void record(Dist.Result r) {
        cliOutput.append(r.out()).append(r.err());
    }

    /** The running container of the service, once there is one and it is not {@code not}. */
    static String awaitContainer(String what, String not) throws Exception {
        return await(what, 90, () -> lines(docker("ps", "-q", "--no-trunc", "--filter",
                "label=com.docker.swarm.service.name=" + SERVICE, "--filter", "label=io.swarmlet.node.id=" + w1.nodeId)
                .out()), ids -> ids.size() == 1 && !ids.get(0).equals(not)).get(0);
    }

    static String exec(String container, String... cmd) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("exec", container));
        args.addAll(Arrays.asList(cmd));
        Dist.Result r = docker(args.toArray(String[]::new));
        assertEquals(0, r.exit(), "docker exec " + String.join(" ", cmd) + ": " + r);
        return r.out();
    }

    /** Mount points of tmpfs file systems. */
    static List<String> tmpfsMounts() throws IOException {
        return ClusterIT.mounts().entrySet().stream().filter(e -> e.getValue().equals("tmpfs")).map(Map.Entry::getKey)
                .toList();
    }

    /** Every regular file under the test's root (state dirs, tmpfs mounts in them, daemon output) holding {@code value}. */
    static List<Path> filesContaining(String value) throws IOException {
        byte[] needle = value.getBytes(StandardCharsets.UTF_8);
        List<Path> hits = new ArrayList<>();
        try (var paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                if (Files.isRegularFile(p) && contains(Files.readAllBytes(p), needle)) {
                    hits.add(p);
                }
            }
        } catch (java.io.UncheckedIOException e) {
            // a file that went away while walking (a log rolled, a task dir removed): walk again
            return filesContaining(value);
        }
        return hits;
    }

    static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
