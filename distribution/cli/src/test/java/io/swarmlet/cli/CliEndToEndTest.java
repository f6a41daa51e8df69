package io.swarmlet.cli;

import static io.swarmlet.cli.FakeControlApi.LEADER;
import static io.swarmlet.cli.FakeControlApi.MANAGER2;
import static io.swarmlet.cli.FakeControlApi.WORKER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.UpdateClusterRequest;
import io.swarmlet.api.types.UpdateNodeRequest;
import io.swarmlet.grpc.ControlGrpcService;
import io.swarmlet.grpc.Transports;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The CLI against a real gRPC server on a unix socket, serving {@link FakeControlApi}. */
class CliEndToEndTest {

    private static Path dir;
    private static Path socket;
    private static Transports.Listener server;
    private static volatile FakeControlApi fake;
    /** What LeaveSwarm reaches (null: the node component is not running). */
    private static volatile io.swarmlet.api.node.NodeMembership membership;
    /** Netty warns that unix sockets have no SO_KEEPALIVE; Main.main silences it the same way. */
    private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    @BeforeAll
    static void serve() throws IOException {
        assumeTrue(Transports.unixSocketsAvailable(), "unix sockets need Linux with epoll");
        GRPC_LOG.setLevel(java.util.logging.Level.SEVERE);
        // unix socket paths are limited to ~107 bytes: keep it short, under /tmp
        dir = Files.createTempDirectory(Path.of("/tmp"), "swcli");
        socket = dir.resolve("c.sock");
        fake = new FakeControlApi();
        // the service delegates to whatever fake is current, so each test starts from fresh state
        io.swarmlet.api.control.ControlApi delegating = (io.swarmlet.api.control.ControlApi) java.lang.reflect.Proxy.newProxyInstance(
                CliEndToEndTest.class.getClassLoader(), new Class<?>[] {io.swarmlet.api.control.ControlApi.class},
                (proxy, method, args) -> {
                    try {
                        return method.invoke(fake, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        server = Transports.serveUnix(socket, "cli-test", List.of(new ControlGrpcService(() -> delegating, () -> membership, e -> { })));
    }

    @AfterAll
    static void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @BeforeEach
    void freshState() {
        fake = new FakeControlApi();
        membership = null;
    }

    static Result run(String... args) {
        List<String> all = new ArrayList<>(List.of("--socket", socket.toString()));
        all.addAll(List.of(args));
        return runRaw(all.toArray(String[]::new));
    }

    static Result runRaw(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new Main(), new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    private static void assertOk(Result r) {
        assertEquals("", r.err(), "stderr");
        assertEquals(0, r.code(), "exit code");
    }

    // ------------------------------------------------------------ node ls

    @Test
    void nodeLsPrintsDockerTableWithSelfAndLeaderMarkers() {
        Result r = run("node", "ls");
        assertOk(r);
        String row = "%-30s%-11s%-10s%-15s%-17s%s";
        assertEquals(List.of(
                String.format(row, "ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS", "ENGINE VERSION"),
                String.format(row, LEADER + " *", "manager1", "Ready", "Active", "Leader", "24.0.7"),
                String.format(row, MANAGER2, "manager2", "Ready", "Active", "Reachable", "24.0.7"),
                String.format(row, WORKER, "worker1", "Down", "Pause", "", "24.0.5")), r.lines());
    }

    @Test
    void nodeLsQuietPrintsIdsOnly() {
        Result r = run("node", "ls", "-q");
        assertOk(r);
        assertEquals(List.of(LEADER, MANAGER2, WORKER), r.lines());
        assertEquals(List.of("listNodes"), fake.calls, "no version call needed for IDs");
    }

    @Test
    void nodeLsJsonIsAnArrayOfNodes() {
        Result r = run("node", "ls", "--format", "json");
        assertOk(r);
        JsonArray a = JsonParser.parseString(r.out()).getAsJsonArray();
        assertEquals(3, a.size());
        JsonObject first = a.get(0).getAsJsonObject();
        assertEquals(LEADER, first.get("id").getAsString());
        assertEquals("manager1", first.getAsJsonObject("description").get("hostname").getAsString());
        assertTrue(first.getAsJsonObject("managerStatus").get("leader").getAsBoolean());
        assertEquals("ACTIVE", first.getAsJsonObject("spec").get("availability").getAsString(), "defaults are printed too");
    }

    @Test
    void nodeLsTemplatesAndFilters() {
        Result r = run("node", "ls", "--format", "{{.Hostname}}:{{.Self}}:{{.ManagerStatus}}");
        assertOk(r);
        assertEquals(List.of("manager1:true:Leader", "manager2:false:Reachable", "worker1:false:"), r.lines());

        r = run("node", "ls", "--format", "table {{.Hostname}}\\t{{.Role}}", "-f", "role=manager");
        assertOk(r);
        assertEquals(List.of("HOSTNAME   ROLE", "manager1   manager", "manager2   manager"), r.lines());

        r = run("node", "ls", "-q", "--filter", "node.label=zone=eu-1");
        assertOk(r);
        assertEquals(List.of(WORKER), r.lines());
    }

    // ------------------------------------------------------------ node inspect

    @Test
    void nodeInspectResolvesUniquePrefixOnServer() {
        Result r = run("node", "inspect", "xyz");
        assertOk(r);
        JsonArray a = JsonParser.parseString(r.out()).getAsJsonArray();
        assertEquals(1, a.size());
        assertEquals(WORKER, a.get(0).getAsJsonObject().get("id").getAsString());
        assertTrue(r.out().startsWith("[\n    {\n        \"id\""), "docker's indentation: " + r.out());
    }

    @Test
    void nodeInspectPretty() {
        Result r = run("node", "inspect", "--pretty", "abc");
        assertOk(r);
        List<String> lines = r.lines();
        assertTrue(lines.get(0).matches("ID:\\s+" + LEADER), lines.get(0));
        assertTrue(lines.contains(" State:               Ready") || lines.stream().anyMatch(l -> l.matches(" State:\\s+Ready")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("Hostname:\\s+manager1")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches(" Leader:\\s+Yes")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches(" Memory:\\s+8GiB")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches(" CPUs:\\s+4")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("Engine Version:\\s+24.0.7")), r.out());
        // all values start in one column
        int col = lines.get(0).indexOf(LEADER);
        assertEquals(col, lines.stream().filter(l -> l.startsWith("Hostname:")).findFirst().orElseThrow().indexOf("manager1"));
    }

    @Test
    void nodeInspectSelfWithTemplate() {
        Result r = run("node", "inspect", "self", "--format", "{{.ID}} {{.Hostname}} {{.Self}}");
        assertOk(r);
        assertEquals(LEADER + " manager1 true\n", r.out());
    }

    @Test
    void ambiguousPrefixIsAnErrorLine() {
        Result r = run("node", "inspect", "ab");
        assertEquals(1, r.code());
        assertEquals("Error: node ab is ambiguous (2 matches found)\n", r.err());
        assertEquals("[]\n", r.out());
    }

    @Test
    void inspectPrintsWhatWasFoundAndAnErrorPerMissingNode() {
        Result r = run("node", "inspect", "abd", "nope", "worker-x");
        assertEquals(1, r.code());
        JsonArray a = JsonParser.parseString(r.out()).getAsJsonArray();
        assertEquals(1, a.size());
        assertEquals(MANAGER2, a.get(0).getAsJsonObject().get("id").getAsString());
        assertEquals("Error: node nope not found\nError: node worker-x not found\n", r.err());
    }

    // ------------------------------------------------------------ node update & friends

    @Test
    void drainUpdatesAvailabilityAtTheVersionRead() {
        Result r = run("node", "drain", "xyz");
        assertOk(r);
        assertEquals("xyz\n", r.out());
        assertEquals(1, fake.nodeUpdates.size());
        UpdateNodeRequest u = fake.nodeUpdates.get(0);
        assertEquals(WORKER, u.getId(), "the full ID, not the prefix");
        assertEquals(13, u.getVersion(), "the version read");
        assertEquals(NodeSpec.Availability.DRAIN, u.getSpec().getAvailability());
        assertEquals("eu-1", u.getSpec().getAnnotations().getLabelsOrThrow("zone"), "the rest of the spec is kept");
        assertEquals(NodeSpec.Availability.DRAIN, fake.nodes.get(WORKER).getSpec().getAvailability());
    }

    @Test
    void activateAndPause() {
        assertOk(run("node", "activate", "xyz"));
        assertEquals(NodeSpec.Availability.ACTIVE, fake.nodeUpdates.get(0).getSpec().getAvailability());
        Result r = run("node", "pause", "abc", "abd");
        assertOk(r);
        assertEquals("abc\nabd\n", r.out());
        assertEquals(NodeSpec.Availability.PAUSE, fake.nodes.get(LEADER).getSpec().getAvailability());
        assertEquals(NodeSpec.Availability.PAUSE, fake.nodes.get(MANAGER2).getSpec().getAvailability());
    }

    @Test
    void drainOfAmbiguousNodeFailsWithoutUpdating() {
        Result r = run("node", "drain", "ab");
        assertEquals(1, r.code());
        assertEquals("Error: node ab is ambiguous (2 matches found)\n", r.err());
        assertTrue(fake.nodeUpdates.isEmpty());
    }

    @Test
    void updateLabelsAndAvailability() {
        Result r = run("node", "update", "--availability", "DRAIN", "--label-add", "gpu=true", "--label-add", "fast",
                "--label-rm", "ssd", WORKER);
        assertOk(r);
        assertEquals(WORKER + "\n", r.out());
        NodeSpec spec = fake.nodeUpdates.get(0).getSpec();
        assertEquals(NodeSpec.Availability.DRAIN, spec.getAvailability());
        assertEquals(java.util.Map.of("zone", "eu-1", "gpu", "true", "fast", ""), spec.getAnnotations().getLabelsMap());
    }

    @Test
    void removingAMissingLabelIsAnError() {
        Result r = run("node", "update", "--label-rm", "nope", "abc");
        assertEquals(1, r.code());
        assertEquals("Error: key nope doesn't exist in node's labels\n", r.err());
        assertTrue(fake.nodeUpdates.isEmpty());
    }

    @Test
    void promoteAndDemote() {
        Result r = run("node", "promote", "xyz");
        assertOk(r);
        assertEquals("Node xyz promoted to a manager in the swarm.\n", r.out());
        assertEquals(NodeRole.MANAGER, fake.nodeUpdates.get(0).getSpec().getDesiredRole());
        r = run("node", "demote", "xyz");
        assertOk(r);
        assertEquals(NodeRole.WORKER, fake.nodeUpdates.get(1).getSpec().getDesiredRole());
    }

    @Test
    void rmSaysWhatTheServerSays() {
        Result r = run("node", "rm", "abd");
        assertEquals(1, r.code());
        assertEquals("Error: node abd is not down and can't be removed (use --force)\n", r.err());
        r = run("node", "rm", "--force", "abd");
        assertOk(r);
        assertTrue(!fake.nodes.containsKey(MANAGER2));
    }

    @Test
    void promoteAndDemoteSayWhenNothingChanges() {
        Result r = run("node", "promote", "abc");
        assertOk(r);
        assertEquals("Node " + LEADER + " is already a manager.\n", r.out());
        r = run("node", "demote", "xyz");
        assertOk(r);
        assertEquals("Node " + WORKER + " is already a worker.\n", r.out());
        assertTrue(fake.nodeUpdates.isEmpty());

        r = run("node", "demote", "abd");
        assertOk(r);
        assertEquals("Manager abd demoted in the swarm.\n", r.out());
        assertEquals(NodeRole.WORKER, fake.nodes.get(MANAGER2).getSpec().getDesiredRole());
    }

    @Test
    void demotingTheLastManagerPrintsTheRefusal() {
        fake.failNodeUpdates = new io.swarmlet.api.control.ControlException(
                io.swarmlet.api.control.ControlException.Code.FAILED_PRECONDITION,
                "attempting to demote the last manager of the swarm: promote another node first");
        Result r = run("node", "demote", "abc");
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertEquals("Error: attempting to demote the last manager of the swarm: promote another node first\n", r.err());
    }

    @Test
    void nodeLsShowsUnreachableManagersAndEveryAvailability() {
        io.swarmlet.api.types.Node m2 = fake.nodes.get(MANAGER2);
        fake.nodes.put(MANAGER2, m2.toBuilder()
                .setStatus(m2.getStatus().toBuilder().setState(io.swarmlet.api.types.NodeStatus.State.DOWN))
                .setManagerStatus(m2.getManagerStatus().toBuilder()
                        .setReachability(io.swarmlet.api.types.ManagerStatus.Reachability.UNREACHABLE))
                .setSpec(m2.getSpec().toBuilder().setAvailability(NodeSpec.Availability.DRAIN))
                .build());
        io.swarmlet.api.types.Node w = fake.nodes.get(WORKER);
        fake.nodes.put(WORKER, w.toBuilder()
                .setStatus(w.getStatus().toBuilder().setState(io.swarmlet.api.types.NodeStatus.State.UNKNOWN)).build());
        Result r = run("node", "ls");
        assertOk(r);
        String row = "%-30s%-11s%-10s%-15s%-17s%s";
        assertEquals(List.of(
                String.format(row, "ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS", "ENGINE VERSION"),
                String.format(row, LEADER + " *", "manager1", "Ready", "Active", "Leader", "24.0.7"),
                String.format(row, MANAGER2, "manager2", "Down", "Drain", "Unreachable", "24.0.7"),
                String.format(row, WORKER, "worker1", "Unknown", "Pause", "", "24.0.5")), r.lines());

        r = run("node", "ls", "--filter", "role=worker", "-q");
        assertOk(r);
        assertEquals(List.of(WORKER), r.lines());
    }

    private static String pretty(String key, String value) {
        return String.format("%-21s%s", key + ":", value);
    }

    @Test
    void nodeInspectPrettyIsDockersLayoutWithTheTrustRoot() {
        Result r = run("node", "inspect", "--pretty", "self");
        assertOk(r);
        List<String> expected = new ArrayList<>(List.of(
                pretty("ID", LEADER),
                pretty("Hostname", "manager1"),
                pretty("Joined at", "2023-11-14T22:13:20Z"),
                "Status:",
                pretty(" State", "Ready"),
                pretty(" Availability", "Active"),
                pretty(" Address", "10.0.0.1"),
                "Manager Status:",
                pretty(" Address", "10.0.0.1:4243"),
                pretty(" Raft Status", "Reachable"),
                pretty(" Leader", "Yes"),
                "Platform:",
                pretty(" Operating System", "linux"),
                pretty(" Architecture", "x86_64"),
                "Resources:",
                pretty(" CPUs", "4"),
                pretty(" Memory", "8GiB"),
                pretty("Engine Version", "24.0.7"),
                pretty("Runtimes", "container"),
                "TLS Info:",
                " TrustRoot:"));
        expected.addAll(FakeControlApi.ROOT_CA_PEM.toStringUtf8().strip().lines().toList());
        expected.addAll(List.of("",
                pretty(" Issuer Subject", "MBMxETAPBgNVBAMMCHN3YXJtLWNh"),
                pretty(" Issuer Public Key", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9rw3wwC1VLhmnNk6Szi6heGYVIi4zWD1tYuLW275FKz+"
                        + "YPJR1WG37x/D8/T4AtkVswOHjHgCAc1dzGx8ohiIRA==")));
        assertEquals(expected, r.lines());
        assertTrue(!r.out().contains("PRIVATE"), r.out());
    }

    @Test
    void nodeInspectPrettyOfAWorkerHasNoManagerStatusAndShowsLabels() {
        Result r = run("node", "inspect", "--pretty", "xyz");
        assertOk(r);
        List<String> lines = r.lines();
        assertEquals(List.of(pretty("ID", WORKER), "Labels:", " - ssd", " - zone=eu-1", pretty("Hostname", "worker1")),
                lines.subList(0, 5));
        assertTrue(lines.contains(pretty(" State", "Down")), r.out());
        assertTrue(lines.contains(pretty(" Availability", "Pause")), r.out());
        assertTrue(lines.stream().noneMatch(l -> l.startsWith("Manager Status")), r.out());
        assertTrue(lines.contains("TLS Info:"), r.out());
    }

    @Test
    void nodeInspectPrettyWithoutARootCertificateLeavesTlsInfoOut() {
        fake.cluster = fake.cluster.toBuilder().setRootCa(fake.cluster.getRootCa().toBuilder().clearCaCert()).build();
        Result r = run("node", "inspect", "--pretty", "abc");
        assertOk(r);
        assertTrue(r.lines().get(r.lines().size() - 1).startsWith("Runtimes:"), r.out());
    }

    @Test
    void nodeInspectPrettyListsTheRuntimesTheNodeAdvertises() {
        io.swarmlet.api.types.Node n = fake.nodes.get(LEADER);
        fake.nodes.put(LEADER, n.toBuilder().setDescription(n.getDescription().toBuilder()
                .addRuntimes("container").addRuntimes("process")).build());
        Result r = run("node", "inspect", "--pretty", "self");
        assertOk(r);
        assertTrue(r.lines().contains(pretty("Runtimes", "container, process")), r.out());
    }

    @Test
    void nodeRmForceOfALiveWorker() {
        io.swarmlet.api.types.Node w = fake.nodes.get(WORKER);
        fake.nodes.put(WORKER, w.toBuilder()
                .setStatus(w.getStatus().toBuilder().setState(io.swarmlet.api.types.NodeStatus.State.READY)).build());
        Result r = run("node", "rm", "xyz");
        assertEquals(1, r.code());
        assertEquals("Error: node xyz is not down and can't be removed (use --force)\n", r.err());
        r = run("node", "rm", "-f", "xyz");
        assertOk(r);
        assertEquals("xyz\n", r.out());
        assertTrue(!fake.nodes.containsKey(WORKER));
    }

    // ------------------------------------------------------------ cluster, swarm, version

    @Test
    void clusterInspectDefaultShowsSettingsAndBothJoinTokens() {
        Result r = run("cluster", "inspect", "default");
        assertOk(r);
        List<String> lines = r.lines();
        assertTrue(lines.contains("ID: " + FakeControlApi.CLUSTER), r.out());
        assertTrue(lines.contains("Name: default"), r.out());
        assertTrue(lines.contains(" Task History Retention Limit: 5"), r.out());
        assertTrue(lines.contains(" Heartbeat Period: 5s"), r.out());
        assertTrue(lines.contains(" Election Tick: 10"), r.out());
        assertTrue(lines.contains(" Node Certificate Expiry: 2160h0m0s"), r.out());
        assertTrue(lines.contains(" CA Cert Hash: sha256:4f6b0c4a1d"), r.out());
        int tokens = lines.indexOf("Join Tokens:");
        assertTrue(tokens > 0, r.out());
        assertEquals(" Worker: " + FakeControlApi.WORKER_TOKEN, lines.get(tokens + 1));
        assertEquals(" Manager: " + FakeControlApi.MANAGER_TOKEN, lines.get(tokens + 2));
    }

    @Test
    void clusterLsAndJson() {
        Result r = run("cluster", "ls");
        assertOk(r);
        assertEquals(List.of(String.format("%-28s%s", "ID", "NAME"), String.format("%-28s%s", FakeControlApi.CLUSTER, "default")),
                r.lines());
        r = run("cluster", "inspect", "--format", "json", "default");
        assertOk(r);
        assertEquals(FakeControlApi.WORKER_TOKEN, JsonParser.parseString(r.out()).getAsJsonArray().get(0).getAsJsonObject()
                .getAsJsonObject("joinTokens").get("worker").getAsString());
    }

    @Test
    void clusterInspectUnknown() {
        Result r = run("cluster", "inspect", "prod");
        assertEquals(1, r.code());
        assertEquals("Error: cluster prod not found\n", r.err());
    }

    @Test
    void joinToken() {
        Result r = run("swarm", "join-token", "worker");
        assertOk(r);
        assertEquals("To add a worker to this swarm, run the following command:\n\n"
                + "    swarmletd --join-addr 10.0.0.1:4242 --join-token " + FakeControlApi.WORKER_TOKEN + "\n\n"
                + "Give the new node a state directory of its own with --state-dir DIR (default ./swarmletstate);\n"
                + "a node on a machine that already runs one also needs its own --listen-remote-api ADDR and --hostname NAME.\n",
                r.out());
        r = run("swarm", "join-token", "-q", "manager");
        assertOk(r);
        assertEquals(FakeControlApi.MANAGER_TOKEN + "\n", r.out());
    }

    @Test
    void joinTokenRotate() {
        Result r = run("swarm", "join-token", "--rotate", "-q", "worker");
        assertOk(r);
        assertEquals("SWMTKN-1-rotated-worker\n", r.out());
        assertEquals(3, fake.clusterUpdates.get(0).getVersion());
        assertTrue(fake.clusterUpdates.get(0).getRotateWorkerToken());
        assertTrue(!fake.clusterUpdates.get(0).getRotateManagerToken());
    }

    @Test
    void joinTokenRotateSaysSoThenPrintsTheNewCommand() {
        Result r = run("swarm", "join-token", "--rotate", "manager");
        assertOk(r);
        assertEquals(List.of("Successfully rotated manager join token.", "",
                "To add a manager to this swarm, run the following command:", "",
                "    swarmletd --join-addr 10.0.0.1:4242 --join-token SWMTKN-1-rotated-manager", ""),
                r.lines().subList(0, 6));
        assertTrue(fake.clusterUpdates.get(0).getRotateManagerToken());
        assertEquals(FakeControlApi.WORKER_TOKEN, fake.cluster.getJoinTokens().getWorker(), "the other token is left alone");
    }

    @Test
    void swarmUpdateChangesOnlyTheGivenSettings() {
        long history = fake.cluster.getSpec().getOrchestration().getTaskHistoryRetentionLimit();
        Result r = run("swarm", "update", "--default-lb-strategy", "least-connections", "--dispatcher-heartbeat", "2s");
        assertOk(r);
        assertEquals("Swarm updated.\n", r.out());
        UpdateClusterRequest u = fake.clusterUpdates.get(0);
        assertEquals(3, u.getVersion());
        assertEquals("least-connections", u.getSpec().getMesh().getDefaultLbStrategy());
        assertEquals(2000, u.getSpec().getDispatcher().getHeartbeatPeriodMs());
        assertEquals(history, u.getSpec().getOrchestration().getTaskHistoryRetentionLimit(), "the rest is left alone");
        assertTrue(!u.getRotateWorkerToken() && !u.getRotateManagerToken());

        r = run("swarm", "update");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("nothing to update"), r.err());
        assertEquals(1, fake.clusterUpdates.size(), "nothing asked of the server");
    }

    @Test
    void swarmUpdateSetsTheDefaultPlacementStrategy() {
        String lb = fake.cluster.getSpec().getMesh().getDefaultLbStrategy();
        Result r = run("swarm", "update", "--default-placement-strategy", "binpack");
        assertOk(r);
        assertEquals("Swarm updated.\n", r.out());
        UpdateClusterRequest u = fake.clusterUpdates.get(0);
        assertEquals("binpack", u.getSpec().getOrchestration().getDefaultPlacementStrategy());
        assertEquals(lb, u.getSpec().getMesh().getDefaultLbStrategy(), "the rest is left alone");
        assertOk(run("swarm", "update", "--default-placement-strategy", ""));
        assertEquals("", fake.clusterUpdates.get(1).getSpec().getOrchestration().getDefaultPlacementStrategy(),
                "back to spread");
        r = run("swarm", "update", "--help");
        assertTrue(r.out().contains("--default-placement-strategy=string"), r.out());
    }

    @Test
    void joinTokenRoleIsRequiredAndChecked() {
        Result r = run("swarm", "join-token", "admin");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("Error: Invalid value for positional parameter at index 0 (worker|manager)"), r.err());
        assertTrue(fake.calls.isEmpty(), "nothing asked of the server");
    }

    // ------------------------------------------------------------ swarm leave

    @Test
    void leaveAsksTheNodeAndPrintsItsMessage() {
        List<Boolean> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        membership = force -> {
            asked.add(force);
            return "Node left the swarm.";
        };
        Result r = run("swarm", "leave");
        assertOk(r);
        assertEquals("Node left the swarm.\n", r.out());
        r = run("swarm", "leave", "--force");
        assertOk(r);
        assertEquals(List.of(false, true), asked);
        assertTrue(fake.calls.isEmpty(), "leaving is not a ControlApi call: " + fake.calls);
    }

    @Test
    void leaveRefusedSaysWhyAndHowToForce() {
        String why = "You are attempting to leave the swarm on a node that is participating as a manager. Removing the last"
                + " manager erases all current state of the swarm. Use `--force` to ignore this message.";
        membership = force -> {
            if (!force) {
                throw new IllegalStateException(why);
            }
            return "Node left the swarm.";
        };
        Result r = run("swarm", "leave");
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertEquals("Error: " + why + "\n", r.err());
        r = run("swarm", "leave", "-f");
        assertOk(r);
        assertEquals("Node left the swarm.\n", r.out());
    }

    @Test
    void leaveWithoutTheNodeComponentIsUnavailable() {
        Result r = run("swarm", "leave");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("Error: this daemon cannot leave the swarm right now"), r.err());
    }

    @Test
    void leaveInProcessWithoutAWayToTheNodeSaysWhereToRunIt() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new Main(() -> fake), new PrintWriter(out), new PrintWriter(err), "swarm", "leave");
        assertEquals(1, code);
        assertTrue(err.toString().startsWith("Error: swarm leave is not available here"), err.toString());
    }

    @Test
    void versionShowsClientAndServer() {
        Result r = run("version");
        assertOk(r);
        assertTrue(r.out().startsWith("Client:\n Version:"), r.out());
        assertTrue(r.out().contains("\n\nServer:\n Version:       0.1.0-test\n"), r.out());
        assertTrue(r.out().contains("Client:\n Version:       " + Main.clientVersion() + "\n"), r.out());
        assertTrue(r.lines().stream().anyMatch(l -> l.matches(" Node ID:\\s+" + LEADER)), r.out());
    }

    // ------------------------------------------------------------ services

    /** The CLI over gRPC with a clock that moves only when the CLI would sleep (and that the fake stamps with). */
    static Result runAt(TestClock clock, String... args) {
        List<String> all = new ArrayList<>(List.of("--socket", socket.toString()));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Main root = new Main();
        root.clock = clock;
        root.sleeper = clock::advance;
        int code = Main.run(root, new PrintWriter(out), new PrintWriter(err), all.toArray(String[]::new));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void serviceLifecycleOverGrpc() {
        TestClock clock = new TestClock(1_700_000_000_000L);
        fake.clock = clock;
        fake.simulate = true;
        Result r = runAt(clock, "service", "create", "--name", "nginx", "--image", "nginx:1.11.1-alpine", "--replicas", "2",
                "-p", "8080:80");
        assertOk(r);
        String id = fake.services.keySet().iterator().next();
        assertEquals(id, r.lines().get(0));
        assertEquals("overall progress: 0 out of 2 tasks", r.lines().get(1));
        assertTrue(r.lines().contains("2/2: running   [==================================================>]"), r.out());
        assertEquals("verify: Service converged", r.lines().get(r.lines().size() - 1));
        io.swarmlet.api.types.ServiceSpec spec = fake.serviceCreates.get(0).getSpec();
        assertEquals("nginx:1.11.1-alpine", spec.getTask().getContainer().getImage());
        assertEquals(2, spec.getReplicated().getReplicas());
        assertEquals(8080, spec.getEndpoint().getPorts(0).getPublishedPort());

        r = runAt(clock, "service", "ls");
        assertOk(r);
        String row = "%-15s%-10s%-13s%-11s%-22s%s";
        assertEquals(List.of(String.format(row, "ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"),
                String.format(row, id.substring(0, 12), "nginx", "replicated", "2/2", "nginx:1.11.1-alpine", "*:8080->80/tcp")), r.lines());

        r = runAt(clock, "service", "scale", "nginx=1");
        assertOk(r);
        assertEquals("nginx scaled to 1", r.lines().get(0));
        assertEquals("verify: Service converged", r.lines().get(r.lines().size() - 1));

        r = runAt(clock, "service", "ps", "--format", "{{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}}", "nginx");
        assertOk(r);
        assertEquals(List.of("nginx.1 manager1 Running Running 10 seconds ago", "nginx.2 manager1 Remove Shutdown 5 seconds ago"),
                r.lines());

        r = runAt(clock, "service", "rm", "nginx", "nginx");
        assertEquals(1, r.code());
        assertEquals("nginx\n", r.out());
        assertEquals("Error: No such service: nginx\n", r.err(), "the server's message, through gRPC");
        assertTrue(fake.services.isEmpty());
    }

    @Test
    void followedLogsEndCleanlyWhenInterruptedOverGrpc() throws Exception {
        TestClock clock = new TestClock(1_700_000_000_000L);
        fake.clock = clock;
        fake.simulate = true;
        assertOk(runAt(clock, "service", "create", "-q", "--name", "web", "nginx"));
        io.swarmlet.api.types.Task task = fake.tasks.values().iterator().next();
        fake.logLines.add(io.swarmlet.api.types.LogMessage.newBuilder().setTaskId(task.getId()).setNodeId(LEADER)
                .setServiceName("web").setSlot(1).setTimestamp(1_700_000_000_000L).setLine("ready").build());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        java.util.concurrent.atomic.AtomicInteger code = new java.util.concurrent.atomic.AtomicInteger(-1);
        Thread follower = new Thread(() -> code.set(Main.run(new Main(), new PrintWriter(out), new PrintWriter(err),
                "--socket", socket.toString(), "service", "logs", "--follow", "web")));
        follower.start();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!out.toString().contains("ready") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals("web.1." + task.getId().substring(0, 12) + "@manager1    | ready\n", out.toString());
        assertTrue(follower.isAlive(), "still following");
        follower.interrupt();
        follower.join(20_000);
        assertTrue(!follower.isAlive(), "the interrupt ends the stream");
        assertEquals(0, code.get(), err.toString());
        assertEquals("", err.toString());
    }

    @Test
    void ctrlCLeavesTheServiceConvergingInTheBackground() throws Exception {
        fake.simulate = true;
        // a real swarmlet process: SIGINT runs its shutdown hook, which interrupts the command
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--socket", socket.toString(), "service", "create", "--name", "broken", "fail:1").start();
        StringBuffer out = new StringBuffer();
        StringBuffer err = new StringBuffer();
        Thread readOut = pump(p.getInputStream(), out);
        Thread readErr = pump(p.getErrorStream(), err);
        try {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!out.toString().contains("1/1: No such image: fail:1") && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(out.toString().contains("1/1: No such image: fail:1"), out + " / " + err);
            new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor();
            assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "Ctrl-C ends it");
            readOut.join(10_000);
            readErr.join(10_000);
            assertTrue(out.toString().endsWith("Operation continuing in background.\n"
                    + "Use `swarmlet service ps broken` to check progress.\n"), out.toString());
            assertEquals("", err.toString());
        } finally {
            p.destroyForcibly();
        }
    }

    private static Thread pump(java.io.InputStream in, StringBuffer into) {
        Thread t = new Thread(() -> {
            try (java.io.Reader r = new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8)) {
                char[] buf = new char[4096];
                for (int n; (n = r.read(buf)) > 0; ) {
                    into.append(buf, 0, n);
                }
            } catch (IOException e) {
                into.append("[read failed: ").append(e.getMessage()).append(']');
            }
        });
        t.start();
        return t;
    }

    // ------------------------------------------------------------ connection problems

    @Test
    void missingSocketSaysToStartSwarmletd() {
        Result r = runRaw("--socket", dir.resolve("nothing-here.sock").toString(), "node", "ls");
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("Error: cannot connect to swarmletd: no control socket at "), r.err());
        assertTrue(r.err().contains("is swarmletd running?"), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    }

    @Test
    void secretsTravelOverTheSocketAndComeBackWithoutValues() throws IOException {
        Path value = Files.writeString(dir.resolve("db_pass.txt"), "leak-canary-hunter2-over-grpc");
        try {
            Result created = run("secret", "create", "--label", "env=prod", "db_pass", value.toString());
            assertOk(created);
            String id = created.out().strip();
            assertEquals("leak-canary-hunter2-over-grpc", fake.secretCreates.get(0).getSpec().getData().toStringUtf8());
            assertEquals(id + "\n", run("secret", "ls", "-q").out());
            Result inspect = run("secret", "inspect", "db_pass");
            assertOk(inspect);
            JsonObject s = JsonParser.parseString(inspect.out()).getAsJsonArray().get(0).getAsJsonObject();
            assertEquals(1, s.getAsJsonArray("versions").size());
            assertEquals("", s.getAsJsonArray("versions").get(0).getAsJsonObject().get("sealed").getAsString());
            for (Result r : List.of(created, inspect, run("secret", "inspect", "--pretty", "db_pass"))) {
                assertTrue(!r.out().contains("hunter2") && !r.out().contains("SEALED"), r.out());
            }
            Result rm = run("secret", "rm", "db_pass", "nope");
            assertEquals("db_pass\n", rm.out());
            assertEquals("Error: secret nope not found\n", rm.err());

            run("swarm", "update", "--autolock=true");
            assertEquals(fake.unlockKey + "\n", run("swarm", "unlock-key", "-q").out());
            Result rotated = run("swarm", "unlock-key", "--rotate", "-q");
            assertOk(rotated);
            assertEquals(fake.unlockKey + "\n", rotated.out());
            assertTrue(fake.clusterUpdates.get(1).getRotateUnlockKey());
        } finally {
            Files.delete(value);
        }
    }

    @Test
    void socketWithoutDaemonSaysSo() throws IOException {
        Path stale = Files.createFile(dir.resolve("stale.sock"));
        try {
            Result r = runRaw("--socket", stale.toString(), "node", "ls");
            assertEquals(1, r.code());
            assertEquals("Error: cannot connect to swarmletd at " + stale
                    + " (is it running? start it, or point --socket / SWARM_SOCKET at its --listen-control-api path)\n", r.err());
        } finally {
            Files.delete(stale);
        }
    }

    @Test
    void socketFromEnvironmentStyleDefaultIsUsedWhenNoFlag() {
        // the default comes from SWARM_SOCKET or ./swarmletstate/swarmletd.sock; neither exists in the build directory
        String expected = System.getenv().getOrDefault(Main.SOCKET_ENV, Main.DEFAULT_SOCKET);
        assumeTrue(!Files.exists(Path.of(expected)), "a daemon's socket is at " + expected);
        Result r = runRaw("node", "ls");
        assertEquals(1, r.code());
        assertTrue(r.err().contains(expected), r.err());
    }
}
