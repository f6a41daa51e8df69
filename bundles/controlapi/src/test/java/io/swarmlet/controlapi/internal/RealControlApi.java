package io.swarmlet.controlapi.internal;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.ManagerStatus;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeStatus;
import java.nio.file.Path;

/**
 * The controlapi bundle's real {@link ControlApi} for the tests of the bundles that call it
 * (the web console, the Docker Engine API), with the local manager and nodes they put in
 * the store; its constructors are package-private. Shipped in this bundle's test-jar.
 */
public final class RealControlApi {

    private RealControlApi() {}

    public static ControlApi over(Store store, LocalNode local) {
        return new ControlApiImpl(store, local);
    }

    /** With secrets, sealed by a test vault (a test data key, never the secrets bundle's). */
    public static ControlApi withSecrets(Store store, LocalNode local) {
        TestSecretVault vault = new TestSecretVault();
        return new ControlApiImpl(store, local, vault, vault.key);
    }

    /** Stops what the control API runs on its own (the events' watch of the store), as its deactivation does. */
    public static void stop(ControlApi api) {
        ((ControlApiImpl) api).deactivate();
    }

    /** A 25-character test ID starting with {@code prefix}. */
    public static String id(String prefix) {
        return (prefix + "0000000000000000000000000").substring(0, 25);
    }

    /** This manager, hostname m1, of cluster {@code clusterId}. */
    public record Local(String nodeId, Path stateDir, String clusterId) implements LocalNode {
        @Override public boolean bootstrapped() { return true; }
        @Override public String hostname() { return "m1"; }
        @Override public Path controlSocket() { return stateDir.resolve("c.sock"); }
        @Override public String remoteApiAddr() { return "127.0.0.1:4242"; }
        @Override public String advertiseAddr() { return "127.0.0.1:4242"; }
        @Override public String raftAddr() { return "127.0.0.1:4243"; }
        @Override public boolean manager() { return true; }
    }

    /**
     * A ready node as the dispatcher leaves it: label zone=a, engine 27.0.1, linux/x86_64,
     * 2 CPUs and 8 GiB; a manager is reachable (and the leader if {@code leader}).
     */
    public static Node node(String id, String hostname, NodeRole role, boolean leader) {
        Node.Builder b = Node.newBuilder().setId(id).setRole(role);
        b.getSpecBuilder().setDesiredRole(role).getAnnotationsBuilder().putLabels("zone", "a");
        b.getDescriptionBuilder().setHostname(hostname).getEngineBuilder().setEngineVersion("27.0.1");
        b.getDescriptionBuilder().getPlatformBuilder().setOs("linux").setArchitecture("x86_64");
        b.getDescriptionBuilder().getResourcesBuilder().setNanoCpus(2_000_000_000L).setMemoryBytes(1L << 33);
        b.getStatusBuilder().setState(NodeStatus.State.READY).setAddr("10.0.0." + (leader ? 1 : 2));
        if (role == NodeRole.MANAGER) {
            b.getManagerStatusBuilder().setLeader(leader).setReachability(ManagerStatus.Reachability.REACHABLE)
                    .setAddr("127.0.0.1:4243");
        }
        return b.build();
    }
}
