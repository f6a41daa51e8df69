package io.swarmlet.itests;

import static io.swarmlet.itests.ClusterIT.await;
import static io.swarmlet.itests.ClusterIT.docker;
import static io.swarmlet.itests.ClusterIT.lines;
import static org.junit.jupiter.api.Assertions.*;

import io.swarmlet.itests.ClusterIT.Member;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The routing mesh on a real cluster: a manager and two workers, each its own
 * swarmletd on its own loopback address (127.0.0.1, .2, .3), sharing the local
 * Docker Engine. Every node's mesh listens on its own address; requests are
 * real HTTP over real sockets to busybox httpd containers that answer with
 * their hostname (the container ID), so a test can tell which backend served
 * it. Tests run in order on one cluster; waits poll with deadlines.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MeshIT {

    static final String IMAGE = ServiceEndToEndIT.IMAGE_1;
    static final String UDP_IMAGE = "swarmlet/udpecho:1";
    static final int WEB_PORT = 18080;
    /** busybox httpd serving its hostname, healthy once it answers (so RUNNING means it serves). */
    static final String[] HTTPD = {"--health-cmd", "wget -q -O /dev/null http://127.0.0.1/", "--health-interval", "1s",
        "--health-retries", "2"};
    static final String[] HTTPD_CMD = {"sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www"};

    static Path root;
    static final Map<String, Member> nodes = new LinkedHashMap<>();
    static final Map<String, String> figures = new TreeMap<>();

    @RegisterExtension
    static final AnyFailed FAILED = new AnyFailed();

    @BeforeAll
    static void formCluster() throws Exception {
        Dist.requireDistributionAndImages(IMAGE, UDP_IMAGE);
        root = Files.createTempDirectory(Path.of("/tmp"), "swl-mesh-");
        nodes.put("m1", new Member(root, "mesh-m1", "127.0.0.1"));
        nodes.put("w1", new Member(root, "mesh-w1", "127.0.0.2"));
        nodes.put("w2", new Member(root, "mesh-w2", "127.0.0.3"));
        ClusterIT.formManagerAndWorkers(nodes);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        ClusterIT.stopAndClean("MeshIT", root, nodes.values(), FAILED.get(), figures);
    }

    // ------------------------------------------------------------ tests

    @Test
    @Order(1)
    void everyNodeAnswersThePublishedPort() throws Exception {
        Member m1 = nodes.get("m1");
        List<String> create = new ArrayList<>(List.of("service", "create", "--detach", "--name", "web", "--replicas", "3",
                "--publish", WEB_PORT + ":80"));
        create.addAll(List.of(HTTPD));
        create.add(IMAGE);
        create.addAll(List.of(HTTPD_CMD));
        m1.ok(create.toArray(String[]::new));
        ClusterIT.awaitReplicas(m1, "web", "3/3");
        String ls = m1.ok("service", "ls").out();
        assertTrue(ls.contains("*:" + WEB_PORT + "->80/tcp"), ls);
        Set<String> containers = webHostnames();
        assertEquals(3, containers.size(), "3 running web containers: " + containers);
        for (Member m : nodes.values()) {
            String body = await("GET http://" + m.host + ":" + WEB_PORT + "/", 30, () -> get(m.host, WEB_PORT, null),
                    b -> !b.isEmpty());
            assertTrue(containers.contains(body), m.host + " answered " + body + ", not one of " + containers);
        }
    }

    @Test
    @Order(2)
    void roundRobinSpreadsEvenly() throws Exception {
        Set<String> containers = webHostnames();
        awaitBackends(nodes.get("w1").host, containers);
        Map<String, Integer> hits = new TreeMap<>();
        for (int i = 0; i < 300; i++) {
            hits.merge(get(nodes.get("w1").host, WEB_PORT, null), 1, Integer::sum);
        }
        assertEquals(containers, hits.keySet(), "300 requests reach every container: " + hits);
        for (int n : hits.values()) {
            assertTrue(n >= 80 && n <= 120, "about 100 each under round-robin: " + hits);
        }
        figures.put("round-robin 300 requests", hits.values().toString());
    }

    @Test
    @Order(3)
    void leastConnectionsSendsNewConnectionsToTheIdleBackend() throws Exception {
        Member m1 = nodes.get("m1");
        m1.ok("service", "update", "--detach", "--lb-strategy", "least-connections", "web");
        String host = nodes.get("w2").host;
        // two slow clients hold connections (sent nothing yet): quick ones go where none is held. A quick
        // connection's release can trail its client's close by a moment (then the three tie), so a round
        // passes with 9 of 12 on the idle backend; round-robin gives each backend exactly 4 of 12.
        await("least-connections in effect", 30, () -> {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress(host, WEB_PORT), 2000);
                    held.add(s);
                }
                Map<String, Integer> quick = new TreeMap<>();
                for (int i = 0; i < 12; i++) {
                    quick.merge(get(host, WEB_PORT, null), 1, Integer::sum);
                }
                Set<String> slow = new HashSet<>();
                for (Socket s : held) {
                    slow.add(finish(s));
                }
                String idle = quick.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
                figures.put("least-connections quick requests", quick + " held on " + slow);
                return slow.size() == 2 && !slow.contains(idle) && quick.get(idle) >= 9;
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
        }, ok -> ok);
    }

    @Test
    @Order(4)
    void sourceHashKeepsAClientOnOneBackend() throws Exception {
        Member m1 = nodes.get("m1");
        m1.ok("service", "update", "--detach", "--lb-strategy", "source-hash", "web");
        String host = nodes.get("m1").host;
        Map<String, String> bySource = await("source-hash in effect", 30, () -> {
            Map<String, String> seen = new TreeMap<>();
            for (int c = 10; c < 30; c++) {
                String source = "127.0.1." + c;
                Set<String> answers = new HashSet<>();
                for (int i = 0; i < 4; i++) {
                    answers.add(get(host, WEB_PORT, source));
                }
                if (answers.size() != 1) {
                    return null; // not sticky (yet)
                }
                seen.put(source, answers.iterator().next());
            }
            return seen;
        }, m -> m != null);
        assertTrue(new HashSet<>(bySource.values()).size() >= 2, "20 clients are spread over the backends: " + bySource);
        m1.ok("service", "update", "--detach", "--lb-strategy", "round-robin", "web");
    }

    @Test
    @Order(5)
    void scalingDownAndUpLosesNoRequest() throws Exception {
        Member m1 = nodes.get("m1");
        try (Looper loop = new Looper(nodes.get("w1").host, WEB_PORT)) {
            loop.awaitRequests(20);
            m1.ok("service", "scale", "--detach", "web=1");
            ClusterIT.awaitReplicas(m1, "web", "1/1");
            await("one web container left", 60, MeshIT::webHostnames, s -> s.size() == 1);
            loop.awaitRequests(loop.ok.get() + 20);
            m1.ok("service", "scale", "--detach", "web=3");
            ClusterIT.awaitReplicas(m1, "web", "3/3");
            awaitBackends(nodes.get("w1").host, webHostnames());
            loop.awaitRequests(loop.ok.get() + 20);
            loop.stop();
            figures.put("scale 3->1->3 requests", loop.ok + " ok, " + loop.failed.size() + " failed");
            assertEquals(List.of(), loop.failed, "no request fails while scaling (" + loop.ok + " succeeded)");
        }
    }

    @Test
    @Order(6)
    void aRollingUpdateLosesNoRequest() throws Exception {
        Member m1 = nodes.get("m1");
        Set<String> before = webHostnames();
        try (Looper loop = new Looper(nodes.get("w2").host, WEB_PORT)) {
            loop.awaitRequests(20);
            Dist.Result r = m1.ok("service", "update", "--image", ServiceEndToEndIT.IMAGE_2, "web");
            assertTrue(r.out().contains("web"), r.toString());
            Set<String> after = await("3 new web containers", 90, MeshIT::webHostnames,
                    s -> s.size() == 3 && Collections.disjoint(s, before));
            awaitBackends(nodes.get("w2").host, after);
            loop.awaitRequests(loop.ok.get() + 20);
            loop.stop();
            figures.put("rolling update requests", loop.ok + " ok, " + loop.failed.size() + " failed");
            assertEquals(List.of(), loop.failed, "no request fails during a rolling update (" + loop.ok + " succeeded)");
        }
    }

    @Test
    @Order(7)
    void aKilledContainerCostsAtMostTheRequestsInFlight() throws Exception {
        List<String> ids = lines(docker("ps", "-q", "--filter", "label=com.docker.swarm.service.name=web").out());
        assertEquals(3, ids.size(), ids.toString());
        try (Looper loop = new Looper(nodes.get("m1").host, WEB_PORT)) {
            loop.awaitRequests(20);
            assertEquals(0, docker("kill", ids.get(0)).exit());
            int okAtKill = loop.ok.get();
            loop.awaitRequests(okAtKill + 50);
            // the replacement comes up and joins
            ClusterIT.awaitReplicas(nodes.get("m1"), "web", "3/3");
            loop.stop();
            figures.put("container kill requests", loop.ok + " ok, " + loop.failed.size() + " failed");
            assertTrue(loop.failed.size() <= 2, "at most the in-flight requests fail: " + loop.failed);
        }
        awaitBackends(nodes.get("w1").host, webHostnames());
    }

    @Test
    @Order(8)
    void udpGoesThroughTheMeshWithClientAffinity() throws Exception {
        Member m1 = nodes.get("m1");
        m1.ok("service", "create", "--detach", "--name", "echo", "--replicas", "3", "--publish", "18053:5353/udp", UDP_IMAGE);
        ClusterIT.awaitReplicas(m1, "echo", "3/3");
        String host = nodes.get("w1").host;
        // new clients are spread over the backends (polled: a container's first datagrams may come before it listens)
        Set<String> backends = await("UDP answers from all 3 echo containers through the mesh", 30, () -> {
            Set<String> seen = new HashSet<>();
            for (int c = 0; c < 9; c++) {
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                    s.setSoTimeout(1000);
                    String a = udp(s, host, 18053, "hello");
                    if (a != null) {
                        seen.add(a.split(" ")[0]);
                    }
                }
            }
            return seen;
        }, seen -> seen.size() == 3);
        // one client socket keeps its backend
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            s.setSoTimeout(2000);
            String first = udp(s, host, 18053, "ping-0");
            assertNotNull(first, "an answer through the mesh");
            String backend = first.split(" ")[0];
            assertTrue(backends.contains(backend), first);
            assertEquals("ping-0", first.substring(backend.length() + 1));
            for (int i = 1; i < 10; i++) {
                String a = udp(s, host, 18053, "ping-" + i);
                assertEquals(backend + " ping-" + i, a, "the same client stays on its backend");
            }
        }
    }

    @Test
    @Order(9)
    void hostModePublishesOnTheNodeThatRunsTheTask() throws Exception {
        Member m1 = nodes.get("m1");
        List<String> create = new ArrayList<>(List.of("service", "create", "--detach", "--name", "direct",
                "--publish", "mode=host,published=18090,target=80"));
        create.addAll(List.of(HTTPD));
        create.add(IMAGE);
        create.addAll(List.of(HTTPD_CMD));
        m1.ok(create.toArray(String[]::new));
        ClusterIT.awaitReplicas(m1, "direct", "1/1");
        String container = lines(docker("ps", "--filter", "label=com.docker.swarm.service.name=direct", "--format", "{{.ID}}").out()).get(0);
        String body = await("the host port answers", 30, () -> get("127.0.0.1", 18090, null), b -> !b.isEmpty());
        assertTrue(container.startsWith(body) || body.startsWith(container), body + " vs " + container);
        String ps = m1.ok("service", "ps", "direct").out();
        assertTrue(ps.contains("*:18090->80/tcp"), ps);
        String ls = m1.ok("service", "ls").out();
        assertFalse(ls.lines().filter(l -> l.contains(" direct ")).findFirst().orElse("").contains("18090"),
                "host-mode ports are not ingress ports: " + ls);
    }

    @Test
    @Order(10)
    void badPortsAreRefusedAndABusyHostPortIsReported() throws Exception {
        Member m1 = nodes.get("m1");
        Dist.Result dup = m1.cli("service", "create", "--detach", "--name", "dup", "-p", WEB_PORT + ":81", IMAGE, "sleep", "1");
        assertNotEquals(0, dup.exit());
        assertTrue(dup.err().contains("already in use by service 'web'"), dup.toString());
        Dist.Result range = m1.cli("service", "create", "--detach", "--name", "dup", "-p", "70000:80", IMAGE, "sleep", "1");
        assertNotEquals(0, range.exit());
        assertTrue(range.err().contains("70000"), range.toString());
        Dist.Result proto = m1.cli("service", "create", "--detach", "--name", "dup", "-p", "18082:80/tpc", IMAGE, "sleep", "1");
        assertNotEquals(0, proto.exit());
        assertTrue(proto.err().contains("tpc"), proto.toString());
        assertNotEquals(0, m1.cli("service", "inspect", "dup").exit(), "nothing was created");

        // something else holds the port on w2's address: the task still runs, w2 says why, the other nodes answer
        Member w2 = nodes.get("w2");
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress(w2.host, 18081));
            List<String> create = new ArrayList<>(List.of("service", "create", "--detach", "--name", "busy", "--mode", "global",
                    "-p", "18081:80"));
            create.addAll(List.of(HTTPD));
            create.add(IMAGE);
            create.addAll(List.of(HTTPD_CMD));
            m1.ok(create.toArray(String[]::new));
            await("3 running busy tasks", 90, () -> m1.ok("service", "ls").out(),
                    out -> out.lines().anyMatch(l -> l.matches("\\S+\\s+busy\\s+global\\s+3/3\\s.*")));
            await("busy answers on m1", 30, () -> get(m1.host, 18081, null), b -> !b.isEmpty());
            String pretty = await("inspect to report w2's busy port", 30, () -> m1.ok("service", "inspect", "--pretty", "busy").out(),
                    o -> o.contains("Unavailable = node " + w2.name));
            assertTrue(pretty.contains("address already in use") || pretty.contains("Address already in use"), pretty);
            String ps = m1.ok("service", "ps", "--no-trunc", "busy").out();
            assertTrue(ps.lines().anyMatch(l -> l.contains(w2.name) && l.contains("Running")
                    && l.contains("port 18081/tcp unavailable on this node")), ps);
        }
    }

    @Test
    @Order(11)
    void publishAddAndRmMoveThePortOnEveryNode() throws Exception {
        Member m1 = nodes.get("m1");
        // the same target on a port the cluster chooses: the first free one of 30000-32767
        m1.ok("service", "update", "--publish-rm", "80", "--publish-add", "80", "busy");
        String ls = await("busy on a dynamic port", 60, () -> m1.ok("service", "ls").out(),
                o -> o.lines().anyMatch(l -> l.contains(" busy ") && l.contains("*:30000->80/tcp")));
        assertFalse(ls.lines().filter(l -> l.contains(" busy ")).findFirst().orElseThrow().contains("18081"), ls);
        for (Member m : nodes.values()) {
            await("busy on " + m.host + ":30000", 60, () -> get(m.host, 30000, null), b -> !b.isEmpty());
            await("18081 closed on " + m.host, 30, () -> {
                try {
                    get(m.host, 18081, null);
                    return false;
                } catch (IOException e) {
                    return true; // refused: nothing listens there any more
                }
            }, closed -> closed);
        }
    }

    // ------------------------------------------------------------ helpers

    /** The hostnames (short container IDs) of the running web containers. */
    static Set<String> webHostnames() throws Exception {
        Set<String> out = new HashSet<>();
        for (String id : lines(docker("ps", "--filter", "label=com.docker.swarm.service.name=web", "--format", "{{.ID}}").out())) {
            out.add(id.substring(0, 12));
        }
        return out;
    }

    /** Waits until requests through {@code host} reach exactly {@code containers}. */
    static void awaitBackends(String host, Set<String> containers) throws Exception {
        await("the mesh on " + host + " to reach " + containers, 30, () -> {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 4 * containers.size(); i++) {
                seen.add(get(host, WEB_PORT, null));
            }
            return seen;
        }, containers::equals);
    }

    /** One HTTP/1.0 GET over a fresh connection (from {@code source}, if given); the body, trimmed. */
    static String get(String host, int port, String source) throws IOException {
        try (Socket s = new Socket()) {
            if (source != null) {
                s.bind(new InetSocketAddress(source, 0));
            }
            s.connect(new InetSocketAddress(host, port), 2000);
            return finish(s);
        }
    }

    /** Sends the request on an open connection and reads the answer's body. */
    static String finish(Socket s) throws IOException {
        s.setSoTimeout(5000);
        s.getOutputStream().write("GET / HTTP/1.0\r\nHost: mesh\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int body = response.indexOf("\r\n\r\n");
        if (!response.startsWith("HTTP/1.") || !response.contains(" 200 ") || body < 0) {
            throw new IOException("not a 200 answer: \"" + response + "\"");
        }
        return response.substring(body + 4).trim();
    }

    /** One datagram out, the answer back (null on a timeout). */
    static String udp(DatagramSocket s, String host, int port, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(b, b.length, new InetSocketAddress(host, port)));
        DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
        try {
            s.receive(in);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8).trim();
    }

    /** A client requesting in a loop through the mesh, one connection per request, noting every failure. */
    static final class Looper implements AutoCloseable {
        final AtomicInteger ok = new AtomicInteger();
        final List<String> failed = Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Looper(String host, int port) {
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        get(host, port, null);
                        ok.incrementAndGet();
                    } catch (IOException e) {
                        failed.add(System.currentTimeMillis() + " " + e);
                    }
                }
            }, "mesh-looper");
            thread.setDaemon(true);
            thread.start();
        }

        void awaitRequests(int n) throws Exception {
            await(n + " successful requests", 60, ok::get, v -> v >= n);
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }
}
