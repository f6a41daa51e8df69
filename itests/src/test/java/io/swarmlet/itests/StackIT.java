package io.swarmlet.itests;

import static io.swarmlet.itests.ClusterIT.await;
import static io.swarmlet.itests.ClusterIT.docker;
import static io.swarmlet.itests.ClusterIT.lines;
import static org.junit.jupiter.api.Assertions.*;

import io.swarmlet.itests.ClusterIT.Member;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
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
 * The seed's stack walkthrough on a manager and two workers (each its own swarmletd on
 * 127.0.0.51–.53, real containers, real Docker networks): its compose file, with local
 * stand-ins for its images ({@code swarmlet/kvstore:1} for redis, {@code swarmlet/hitcounter:1}
 * for the page-hit counter, built by .ci/setup-host.sh), is deployed with
 * {@code stack deploy}; port 5000 answers on every node; the counter reaches {@code redis}
 * by name, through the service's virtual IP, on its node and across nodes; an edited file
 * redeploys only the changed service; {@code --prune} removes a dropped service; bad files
 * deploy nothing; {@code stack rm} leaves no container and no network.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StackIT {

    static final String KV = "swarmlet/kvstore:1";
    static final String COUNTER = "swarmlet/hitcounter:1";
    static final int PORT = 5000;
    static final String NS = "label=com.docker.stack.namespace=app";

    /** The seed's second compose file (version 3.3, overlay network), images replaced. */
    static final String SEED = """
            version: "3.3"
            services:
              redis:
                image: swarmlet/kvstore:1
                networks:
                  - demo-net

              app:
                image: swarmlet/hitcounter:1
                ports:
                  - 5000:5000
                depends_on:
                  - redis
                networks:
                  - demo-net
            #    more replicas
                deploy:
                  replicas: 2
            networks:
              demo-net:
            #    overlay driver
                driver: overlay
                external: false
            """;

    static Path root;
    static Path dir;
    static final Map<String, Member> nodes = new LinkedHashMap<>();
    static Member m1;
    static final Map<String, String> figures = new TreeMap<>();

    @RegisterExtension
    static final AnyFailed FAILED = new AnyFailed();

    @BeforeAll
    static void formCluster() throws Exception {
        Dist.requireDistributionAndImages(KV, COUNTER);
        root = Files.createTempDirectory(Path.of("/tmp"), "swl-stack-");
        dir = Files.createDirectories(root.resolve("project"));
        m1 = new Member(root, "stack-m1", "127.0.0.51");
        nodes.put("m1", m1);
        nodes.put("w1", new Member(root, "stack-w1", "127.0.0.52"));
        nodes.put("w2", new Member(root, "stack-w2", "127.0.0.53"));
        ClusterIT.formManagerAndWorkers(nodes);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        ClusterIT.stopAndClean("StackIT", root, nodes.values(), FAILED.get(), figures);
    }

    // ------------------------------------------------------------ tests

    @Test
    @Order(1)
    void badFilesDeployNothing() throws Exception {
        assertRefused("invalid.yml", "services:\n  web:\n    image: [unclosed\n", "invalid.yml:4: invalid YAML");
        assertRefused("schema.yml", "services:\n  web:\n    image: x\n    deploy:\n      replicas: two\n",
                "schema.yml:5");
        assertRefused("needvar.yml", "services:\n  web:\n    image: ${IMAGE_FOR_STACKIT:?set IMAGE_FOR_STACKIT}\n",
                "set IMAGE_FOR_STACKIT");
        assertRefused("secretfile.yml", """
                services:
                  web:
                    image: swarmlet/kvstore:1
                    secrets: [db_pass]
                secrets:
                  db_pass:
                    file: ./no-such-secret.txt
                """, "no-such-secret.txt");
        assertEquals(List.of(), appServices(), "nothing deployed");
        assertFalse(m1.ok("network", "ls").out().contains("app_"), "no network created");
    }

    @Test
    @Order(2)
    void theSeedStackDeploysAndAnswersOnEveryNode() throws Exception {
        Path file = Files.writeString(dir.resolve("docker-compose.yml"), SEED);
        long t0 = System.nanoTime();
        Dist.Result deploy = m1.ok("stack", "deploy", "-c", file.toString(), "app");
        assertTrue(deploy.out().contains("Creating network app_demo-net"), deploy.toString());
        assertTrue(deploy.out().contains("Creating service app_app"), deploy.toString());
        assertTrue(deploy.out().contains("Creating service app_redis"), deploy.toString());

        ClusterIT.awaitReplicas(m1, "app_redis", "1/1");
        ClusterIT.awaitReplicas(m1, "app_app", "2/2");
        figures.put("stack deploy to 3/3 running (ms)", String.valueOf((System.nanoTime() - t0) / 1_000_000));

        List<String> ls = lines(m1.ok("stack", "ls").out());
        assertTrue(ls.get(0).matches("NAME\\s+SERVICES"), "stack ls header: " + ls);
        assertTrue(ls.contains("app       2") || ls.stream().anyMatch(l -> l.matches("app\\s+2")), "stack ls: " + ls);

        List<String> services = lines(m1.ok("stack", "services", "app").out());
        assertTrue(services.get(0).matches("ID\\s+NAME\\s+MODE\\s+REPLICAS\\s+IMAGE\\s+PORTS"), services.get(0));
        assertTrue(services.stream().anyMatch(l -> l.matches("\\w+\\s+app_app\\s+replicated\\s+2/2\\s+" + Pattern.quote(COUNTER)
                + "\\s+\\*:5000->5000/tcp")), "stack services: " + services);
        assertTrue(services.stream().anyMatch(l -> l.matches("\\w+\\s+app_redis\\s+replicated\\s+1/1\\s+" + Pattern.quote(KV)
                + "\\s*")), "stack services: " + services);

        List<String> ps = lines(m1.ok("stack", "ps", "app").out());
        assertTrue(ps.get(0).matches("ID\\s+NAME\\s+IMAGE\\s+NODE\\s+DESIRED STATE\\s+CURRENT STATE\\s+ERROR\\s+PORTS"), ps.get(0));
        assertEquals(3, ps.stream().filter(l -> l.matches("\\w+\\s+app_(app|redis)\\.\\d\\s.*Running\\s+Running.*")).count(),
                "stack ps: " + ps);

        // the network is a real Docker network, labelled, with the manager's subnet
        String net = docker("network", "inspect", "app_demo-net", "--format",
                "{{index .Labels \"com.docker.stack.namespace\"}} {{range .IPAM.Config}}{{.Subnet}}{{end}}").out().trim();
        assertTrue(net.matches("app 10\\.\\d+\\.\\d+\\.0/25"), "docker network inspect app_demo-net: " + net);

        // curl 127.0.0.1:5000 on every node: the counter counts (redis reached by name)
        int last = 0;
        for (Member m : nodes.values()) {
            String body = await("the page-hit counter on " + m.host, 60, () -> get(m.host),
                    b -> b.startsWith("You have hit this page"));
            int n = count(body);
            assertTrue(n > last, "the count goes up: " + body + " after " + last);
            last = n;
        }
    }

    @Test
    @Order(3)
    void anEditedFileUpdatesOnlyTheChangedServiceAndBothBackendsGetTraffic() throws Exception {
        Set<String> appBefore = containers("app_app");
        assertEquals(2, appBefore.size());
        // two redis replicas, one per node: the counters on both are reached by name through the VIP
        String edited = SEED.replace("      - demo-net\n\n  app:\n",
                "      - demo-net\n    deploy:\n      replicas: 2\n      placement:\n        max_replicas_per_node: 1\n\n  app:\n");
        assertNotEquals(SEED, edited);
        Path file = Files.writeString(dir.resolve("docker-compose.yml"), edited);
        Dist.Result deploy = m1.ok("stack", "deploy", "-c", file.toString(), "app");
        assertTrue(deploy.out().contains("Updating service app_redis"), deploy.toString());
        assertFalse(deploy.out().contains("Updating service app_app"), "app_app did not change: " + deploy);
        ClusterIT.awaitReplicas(m1, "app_redis", "2/2");
        Map<String, Integer> perNode = ClusterIT.runningPerNode("app_redis");
        assertEquals(2, perNode.size(), "one redis per node: " + perNode);
        assertEquals(appBefore, containers("app_app"), "the app's containers were not touched");

        // the app tasks reach both redis tasks (one of them on another node) by the name redis
        Set<String> redis = shortIds(containers("app_redis"));
        for (Member m : nodes.values()) {
            Set<String> seen = await("requests through " + m.host + " to be counted by both redis tasks " + redis, 60, () -> {
                Set<String> by = new HashSet<>();
                for (int i = 0; i < 12; i++) {
                    by.add(countedBy(get(m.host)));
                }
                return by;
            }, by -> by.equals(redis));
            assertEquals(redis, seen);
        }

        // a changed environment updates the app only; redis keeps its containers
        Set<String> redisNow = containers("app_redis");
        String v2 = edited.replace("    deploy:\n      replicas: 2\nnetworks:",
                "    environment:\n      EDITION: v2\n    deploy:\n      replicas: 2\nnetworks:");
        assertNotEquals(edited, v2);
        Files.writeString(file, v2);
        deploy = m1.ok("stack", "deploy", "-c", file.toString(), "app");
        assertTrue(deploy.out().contains("Updating service app_app"), deploy.toString());
        assertFalse(deploy.out().contains("Updating service app_redis"), deploy.toString());
        await("the counter to answer Edition v2", 90, () -> get(m1.host), b -> b.contains("Edition v2"));
        assertEquals(redisNow, containers("app_redis"), "redis was not touched");
    }

    @Test
    @Order(4)
    void pruneRemovesADroppedServiceOnlyWhenAsked() throws Exception {
        Path file = dir.resolve("docker-compose.yml");
        String current = Files.readString(file);
        String withExtra = current.replace("\nnetworks:\n  demo-net:", "\n  extra:\n    image: swarmlet/kvstore:1\nnetworks:\n  demo-net:");
        assertNotEquals(current, withExtra);
        Files.writeString(file, withExtra);
        m1.ok("stack", "deploy", "-c", file.toString(), "app");
        ClusterIT.awaitReplicas(m1, "app_extra", "1/1");

        Files.writeString(file, current);
        m1.ok("stack", "deploy", "-c", file.toString(), "app");
        assertTrue(appServices().contains("app_extra"), "without --prune the dropped service stays: " + appServices());

        Dist.Result prune = m1.ok("stack", "deploy", "--prune", "-c", file.toString(), "app");
        assertTrue(prune.out().contains("Removing service app_extra"), prune.toString());
        assertFalse(appServices().contains("app_extra"), appServices().toString());
        await("app_extra's container to go", 60, () -> containers("app_extra"), Set::isEmpty);
    }

    @Test
    @Order(5)
    void aPortTakenByAnotherStackDeploysNothing() throws Exception {
        Path other = Files.writeString(dir.resolve("other.yml"), """
                services:
                  web:
                    image: swarmlet/kvstore:1
                    ports: ["5000:6379"]
                """);
        Dist.Result r = m1.cli("stack", "deploy", "-c", other.toString(), "other");
        assertNotEquals(0, r.exit(), r.toString());
        assertTrue(r.err().contains("5000"), "the port is named: " + r);
        assertFalse(m1.ok("service", "ls").out().contains("other_web"), "nothing deployed");
    }

    @Test
    @Order(6)
    void stackRmLeavesNothing() throws Exception {
        Dist.Result rm = m1.ok("stack", "rm", "app");
        assertTrue(rm.out().contains("Removing service app_app"), rm.toString());
        assertTrue(rm.out().contains("Removing service app_redis"), rm.toString());
        assertTrue(rm.out().contains("Removing network app_demo-net"), rm.toString());
        await("no container of the stack", 90, () -> lines(docker("ps", "-aq", "--filter", NS).out()), List::isEmpty);
        await("no Docker network of the stack on the engine", 60,
                () -> lines(docker("network", "ls", "-q", "--filter", NS).out()), List::isEmpty);
        assertEquals(List.of(), appServices());
        assertFalse(m1.ok("network", "ls").out().contains("app_demo-net"));
        assertFalse(m1.ok("stack", "ls").out().contains("app"));
        Dist.Result again = m1.cli("stack", "rm", "app");
        assertTrue((again.out() + again.err()).contains("Nothing found in stack: app"), again.toString());
    }

    // ------------------------------------------------------------ helpers

    static void assertRefused(String name, String yaml, String expected) throws Exception {
        Path file = Files.writeString(dir.resolve(name), yaml);
        Dist.Result r = m1.cli("stack", "deploy", "-c", file.toString(), "app");
        assertNotEquals(0, r.exit(), r.toString());
        assertTrue(r.err().contains(expected), "the error names " + expected + ":\n" + r);
    }

    static List<String> appServices() throws Exception {
        return lines(m1.ok("service", "ls", "--format", "{{.Name}}").out()).stream().filter(s -> s.startsWith("app_")).toList();
    }

    /** The full IDs of the running containers of a service (from the engine's labels). */
    static Set<String> containers(String service) throws Exception {
        return new TreeSet<>(lines(docker("ps", "-q", "--no-trunc", "--filter", "label=com.docker.swarm.service.name=" + service)
                .out()));
    }

    static Set<String> shortIds(Set<String> ids) {
        Set<String> out = new TreeSet<>();
        ids.forEach(id -> out.add(id.substring(0, 12)));
        return out;
    }

    static String get(String host) throws Exception {
        return MeshIT.get(host, PORT, null);
    }

    static final Pattern COUNT = Pattern.compile("You have hit this page (\\d+) times\\. - Edition \\S+ \\(counted by (\\w+)\\)");

    static int count(String body) {
        Matcher m = COUNT.matcher(body);
        assertTrue(m.matches(), body);
        return Integer.parseInt(m.group(1));
    }

    static String countedBy(String body) {
        Matcher m = COUNT.matcher(body);
        assertTrue(m.matches(), body);
        return m.group(2);
    }
}
