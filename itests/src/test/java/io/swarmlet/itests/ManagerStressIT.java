package io.swarmlet.itests;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Three real manager processes; while one thread writes through whichever
 * manager is up (each write a new node label), another kills a random
 * manager with SIGKILL and starts it again, one at a time, so quorum holds.
 * At the end every acknowledged write (the CLI exited 0) is on every manager.
 */
class ManagerStressIT {

    static final int ROUNDS = 5;
    static Path root;
    static final List<ClusterIT.Member> managers = new ArrayList<>();

    @Test
    void everyAcknowledgedWriteSurvivesKillsOnEveryManager() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "swl-stress-");
        for (String n : List.of("s1", "s2", "s3")) {
            managers.add(new ClusterIT.Member(root, n));
        }
        ClusterIT.Member first = managers.get(0);
        first.start();
        first.awaitReady();
        String token = first.ok("swarm", "join-token", "-q", "manager").out().trim();
        for (ClusterIT.Member m : managers.subList(1, 3)) {
            m.start("--join-addr", first.remote(), "--join-token", token);
            m.awaitReady();
        }
        ClusterIT.awaitNodes(first, "3 reachable managers", r -> r.size() == 3 && ClusterIT.count(r, "Leader") == 1
                && ClusterIT.count(r, "Reachable") == 2);

        Set<String> acknowledged = java.util.Collections.synchronizedSet(new TreeSet<>());
        AtomicBoolean stop = new AtomicBoolean();
        Random random = new Random(42);
        List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread writer = new Thread(() -> {
            int i = 0;
            while (!stop.get()) {
                ClusterIT.Member via = managers.get(i % 3);
                if (!via.process.isAlive()) {
                    i++;
                    continue;
                }
                String label = "w" + i;
                try {
                    if (via.cli("node", "update", "--label-add", label + "=1", "s1").exit() == 0) {
                        acknowledged.add(label);
                    }
                } catch (Exception e) {
                    errors.add(e.toString());
                }
                i++;
            }
        }, "stress-writer");
        writer.start();
        try {
            for (int round = 0; round < ROUNDS; round++) {
                ClusterIT.Member victim = managers.get(random.nextInt(3));
                int before = acknowledged.size();
                ClusterIT.await("writes to go on before round " + round, 60, acknowledged::size, n -> n >= before + 3);
                victim.kill();
                victim.start();
                victim.awaitReady();
                ClusterIT.Member other = managers.stream().filter(m -> m != victim).findFirst().orElseThrow();
                ClusterIT.awaitNodes(other, victim.name + " reachable again after its restart",
                        r -> "Reachable".equals(ClusterIT.row(r, victim.name)[5])
                                || "Leader".equals(ClusterIT.row(r, victim.name)[5]));
            }
        } finally {
            stop.set(true);
            writer.join(120_000);
        }
        assertTrue(errors.isEmpty(), "the writer itself failed: " + errors);
        assertTrue(acknowledged.size() >= ROUNDS * 3, "writes went on: " + acknowledged.size());
        for (ClusterIT.Member m : managers) {
            Set<String> labels = ClusterIT.await(m.name + " to hold every acknowledged write", 60, () -> labels(m),
                    l -> l.containsAll(acknowledged));
            assertTrue(labels.containsAll(acknowledged));
        }
        System.err.println("ManagerStressIT: " + acknowledged.size() + " acknowledged writes, " + ROUNDS
                + " kills, all present on all 3 managers");
    }

    /** The labels of node s1 as manager {@code m} sees them (its local store). */
    static Set<String> labels(ClusterIT.Member m) throws Exception {
        Dist.Result r = m.ok("node", "inspect", "s1");
        JsonArray all = JsonParser.parseString(r.out()).getAsJsonArray();
        JsonObject labels = all.get(0).getAsJsonObject().getAsJsonObject("spec").getAsJsonObject("annotations")
                .getAsJsonObject("labels");
        return labels == null ? Set.of() : new TreeSet<>(labels.keySet());
    }

    @AfterAll
    static void stop() throws Exception {
        for (ClusterIT.Member m : managers) {
            if (m.process != null && m.process.isAlive()) {
                m.process.destroy();
                if (!m.process.waitFor(30, TimeUnit.SECONDS)) {
                    m.process.destroyForcibly();
                }
            }
        }
        if (root != null) {
            try (var paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
