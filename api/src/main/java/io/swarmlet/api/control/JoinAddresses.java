package io.swarmlet.api.control;

import io.swarmlet.api.types.Node;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Where a new node joins (the {@code swarmletd --join-addr} a join token goes with): a
 * manager's remote API address, as {@code swarmlet swarm join-token} and the Docker API's
 * {@code ManagerStatus.Addr} (what {@code docker swarm join-token} prints) give it.
 */
public final class JoinAddresses {

    /** swarmletd's default remote API port, for when no manager address is known. */
    public static final int DEFAULT_REMOTE_API_PORT = 4242;
    /** What is shown when no manager has an address. */
    public static final String UNKNOWN = "<manager-ip>:" + DEFAULT_REMOTE_API_PORT;

    private JoinAddresses() {}

    /**
     * The address a new node should join at: that of the node {@code selfId} if it is a
     * manager, else the leader's, else any manager's; {@link #UNKNOWN} without managers.
     */
    public static String of(List<Node> nodes, String selfId) {
        Optional<Node> manager = nodes.stream()
                .filter(Node::hasManagerStatus)
                .min(Comparator.comparing((Node n) -> !n.getId().equals(selfId))
                        .thenComparing(n -> !n.getManagerStatus().getLeader())
                        .thenComparing(Node::getId));
        return manager.map(JoinAddresses::of).orElse(UNKNOWN);
    }

    /**
     * A manager's join address: its status address when that has a port (the address it
     * advertises), else that host (or the host of its Raft address) at the default remote
     * API port.
     */
    public static String of(Node manager) {
        String addr = manager.getStatus().getAddr();
        if (!addr.isEmpty() && hasPort(addr)) {
            return addr;
        }
        String host = !addr.isEmpty() ? addr : host(manager.getManagerStatus().getAddr());
        if (host.isEmpty()) {
            return UNKNOWN;
        }
        return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + DEFAULT_REMOTE_API_PORT;
    }

    private static boolean hasPort(String addr) {
        if (addr.startsWith("[")) {
            return addr.contains("]:");
        }
        int colons = addr.length() - addr.replace(":", "").length();
        return colons == 1;
    }

    private static String host(String hostPort) {
        if (hostPort.isEmpty() || !hasPort(hostPort)) {
            return hostPort;
        }
        String h = hostPort.substring(0, hostPort.lastIndexOf(':'));
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }
}
