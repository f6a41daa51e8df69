package io.swarmlet.dockerapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.GetConfigRequest;
import io.swarmlet.api.types.GetNodeRequest;
import io.swarmlet.api.types.GetNetworkRequest;
import io.swarmlet.api.types.GetSecretRequest;
import io.swarmlet.api.types.ListConfigsRequest;
import io.swarmlet.api.types.ListNetworksRequest;
import io.swarmlet.api.types.ListSecretsRequest;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The stock docker CLI (v28) against the API: docker info, node, swarm join-token,
 * secret, config and network commands, each checked against what the control API holds.
 */
class SwarmDockerCliTest {

    @RegisterExtension
    static final CliHarness cli = new CliHarness();

    private static Node node(String id) {
        return cli.h.api.getNode(GetNodeRequest.newBuilder().setId(id).build()).getNode();
    }

    @Test
    void dockerInfoShowsAnActiveManager() throws Exception {
        DockerCli.Run r = cli.ok("info");
        assertTrue(r.out().contains("Swarm: active"), r.toString());
        assertTrue(r.out().contains("NodeID: " + ApiHarness.M1), r.toString());
        assertTrue(r.out().contains("Is Manager: true"), r.toString());
        assertTrue(r.out().contains("Managers: 1"), r.toString());
        assertTrue(r.out().contains("Nodes: 2"), r.toString());
        assertTrue(r.out().contains("Name: m1"), r.toString());
        assertFalse(r.err().contains("ERROR"), r.toString());
    }

    @Test
    void nodeLsStarsThisNodeAndShowsTheLeader() throws Exception {
        DockerCli.Run r = cli.ok("node", "ls");
        String m1 = r.out().lines().filter(l -> l.contains(" m1 ")).findFirst().orElseThrow(() -> new AssertionError(r));
        assertTrue(m1.startsWith(ApiHarness.M1 + " *"), m1);
        assertTrue(m1.contains("Leader"), m1);
        assertTrue(m1.contains("Ready") && m1.contains("Active"), m1);
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith(ApiHarness.W1) && l.contains(" w1 ")), r.toString());
        DockerCli.Run managers = cli.ok("node", "ls", "--filter", "role=manager", "-q");
        assertEquals(ApiHarness.M1, managers.out().strip());
    }

    @Test
    void nodeInspectPretty() throws Exception {
        DockerCli.Run r = cli.ok("node", "inspect", "--pretty", "m1");
        assertTrue(r.out().contains("ID:\t\t\t" + ApiHarness.M1) || r.out().contains(ApiHarness.M1), r.toString());
        assertTrue(r.out().contains("Hostname:") && r.out().contains("m1"), r.toString());
        assertTrue(r.out().contains("Leader:\t\t\tYes") || r.out().contains("Leader:"), r.toString());
        DockerCli.Run json = cli.ok("node", "inspect", "w1", "--format", "{{.Spec.Role}} {{.Status.State}} {{.Description.Hostname}}");
        assertEquals("worker ready w1", json.out().strip());
    }

    @Test
    void nodeUpdateAvailabilityAndLabels() throws Exception {
        cli.ok("node", "update", "--availability", "drain", "w1");
        assertEquals(NodeSpec.Availability.DRAIN, node(ApiHarness.W1).getSpec().getAvailability());
        cli.ok("node", "update", "--label-add", "disk=ssd", "w1");
        Node w1 = node(ApiHarness.W1);
        assertEquals("ssd", w1.getSpec().getAnnotations().getLabelsMap().get("disk"));
        assertEquals("a", w1.getSpec().getAnnotations().getLabelsMap().get("zone"), "other labels stay");
        assertEquals(NodeSpec.Availability.DRAIN, w1.getSpec().getAvailability(), "availability stays");
        cli.ok("node", "update", "--availability", "active", "--label-rm", "disk", w1.getId());
        w1 = node(ApiHarness.W1);
        assertEquals(NodeSpec.Availability.ACTIVE, w1.getSpec().getAvailability());
        assertFalse(w1.getSpec().getAnnotations().getLabelsMap().containsKey("disk"));
    }

    @Test
    void nodePromoteAndDemote() throws Exception {
        cli.ok("node", "promote", "w1");
        assertEquals(NodeRole.MANAGER, node(ApiHarness.W1).getSpec().getDesiredRole());
        cli.ok("node", "demote", "w1");
        assertEquals(NodeRole.WORKER, node(ApiHarness.W1).getSpec().getDesiredRole());
        DockerCli.Run last = cli.docker.run("node", "demote", "m1");
        assertEquals(1, last.exit(), last.toString());
        assertTrue(last.err().contains("last manager"), last.toString());
        assertEquals(NodeRole.MANAGER, node(ApiHarness.M1).getSpec().getDesiredRole());
    }

    @Test
    void swarmJoinTokenPrintsTheJoinCommand() throws Exception {
        DockerCli.Run r = cli.ok("swarm", "join-token", "worker");
        assertTrue(r.out().contains("docker swarm join --token SWMTKN-1-worker 10.0.0.1:4242"), r.toString());
        assertEquals("SWMTKN-1-manager", cli.ok("swarm", "join-token", "-q", "manager").out().strip());
    }

    @Test
    void swarmUpdateAndAutolock() throws Exception {
        cli.ok("swarm", "update", "--task-history-limit", "7", "--dispatcher-heartbeat", "7s");
        var spec = cli.h.api.listClusters(io.swarmlet.api.types.ListClustersRequest.getDefaultInstance()).getClusters(0).getSpec();
        assertEquals(7, spec.getOrchestration().getTaskHistoryRetentionLimit());
        assertEquals(7000, spec.getDispatcher().getHeartbeatPeriodMs());
        DockerCli.Run locked = cli.ok("swarm", "update", "--autolock=true");
        String key = cli.h.api.getUnlockKey(io.swarmlet.api.types.GetUnlockKeyRequest.getDefaultInstance()).getUnlockKey();
        assertTrue(key.startsWith("SWMKEY-1-") && locked.out().contains(key), locked.toString());
        assertEquals(key, cli.ok("swarm", "unlock-key", "-q").out().strip());
        cli.ok("swarm", "update", "--autolock=false");
        DockerCli.Run none = cli.docker.run("swarm", "unlock-key");
        assertEquals(1, none.exit(), none.toString());
        assertTrue(none.err().contains("no unlock key is set"), none.toString());
        DockerCli.Run init = cli.docker.run("swarm", "init");
        assertTrue(init.err().contains("This node is already part of a swarm"), init.toString());
    }

    @Test
    void secretCreateLsInspectRm() throws Exception {
        DockerCli.Run created = cli.docker.runWithInput("s3cr3t-value", "secret", "create", "--label", "team=a", "db_password", "-");
        assertEquals(0, created.exit(), created.toString());
        String id = created.out().strip();
        var s = cli.h.api.getSecret(GetSecretRequest.newBuilder().setId("db_password").build()).getSecret();
        assertEquals(id, s.getId());
        assertEquals("a", s.getSpec().getAnnotations().getLabelsMap().get("team"));
        assertEquals(12, s.getVersions(0).getSize());
        DockerCli.Run ls = cli.ok("secret", "ls");
        assertTrue(ls.out().contains("db_password"), ls.toString());
        DockerCli.Run inspect = cli.ok("secret", "inspect", "db_password");
        assertTrue(inspect.out().contains(id) && inspect.out().contains("\"team\": \"a\""), inspect.toString());
        assertFalse(inspect.out().contains("s3cr3t") || inspect.out().contains("czNjcjN0"), "no value: " + inspect);
        DockerCli.Run dup = cli.docker.runWithInput("other", "secret", "create", "db_password", "-");
        assertEquals(1, dup.exit(), dup.toString());
        assertTrue(dup.err().contains("already exists"), dup.toString());
        cli.ok("secret", "rm", "db_password");
        assertEquals(0, cli.h.api.listSecrets(ListSecretsRequest.getDefaultInstance()).getSecretsCount());
    }

    @Test
    void configCreateLsInspectRm() throws Exception {
        DockerCli.Run created = cli.docker.runWithInput("server { listen 80; }\n", "config", "create", "nginx_conf", "-");
        assertEquals(0, created.exit(), created.toString());
        String id = created.out().strip();
        var c = cli.h.api.getConfig(GetConfigRequest.newBuilder().setId(id).build()).getConfig();
        assertEquals("nginx_conf", c.getSpec().getAnnotations().getName());
        assertTrue(cli.ok("config", "ls").out().contains("nginx_conf"));
        DockerCli.Run pretty = cli.ok("config", "inspect", "--pretty", "nginx_conf");
        assertTrue(pretty.out().contains("server { listen 80; }"), pretty.toString());
        cli.ok("config", "rm", "nginx_conf");
        assertEquals(0, cli.h.api.listConfigs(ListConfigsRequest.getDefaultInstance()).getConfigsCount());
    }

    @Test
    void networkCreateLsInspectRm() throws Exception {
        DockerCli.Run created = cli.ok("network", "create", "-d", "overlay", "--attachable", "--label", "tier=back", "backend");
        String id = created.out().strip();
        var n = cli.h.api.getNetwork(GetNetworkRequest.newBuilder().setId("backend").build()).getNetwork();
        assertEquals(id, n.getId());
        assertTrue(n.getSpec().getAttachable());
        DockerCli.Run ls = cli.ok("network", "ls");
        assertTrue(ls.out().lines().anyMatch(l -> l.contains("backend") && l.contains("overlay") && l.contains("swarm")), ls.toString());
        DockerCli.Run inspect = cli.ok("network", "inspect", "backend", "--format", "{{.Scope}} {{.Driver}} {{(index .IPAM.Config 0).Subnet}}");
        assertEquals("swarm overlay " + n.getIpam().getConfigs(0).getSubnet(), inspect.out().strip());
        DockerCli.Run bridge = cli.docker.run("network", "create", "-d", "macvlan", "lan");
        assertEquals(1, bridge.exit(), bridge.toString());
        assertTrue(bridge.err().contains("not supported by Swarmlet"), bridge.toString());
        cli.ok("network", "rm", "backend");
        assertEquals(0, cli.h.api.listNetworks(ListNetworksRequest.getDefaultInstance()).getNetworksCount());
    }
}
