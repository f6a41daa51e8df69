package io.swarmlet.controlapi.internal;

import io.swarmlet.api.types.MeshPortStats;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.Service;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A service's routing mesh counters as {@code service inspect} shows them:
 * each ingress port's counters summed over every node's last report
 * ({@code node.mesh}), and the nodes that could not take the port.
 */
final class MeshStats {

    private MeshStats() {}

    static Service withStats(Service s, List<Node> nodes) {
        Map<String, MeshPortStats.Builder> byPort = new LinkedHashMap<>();
        Map<String, List<String>> errors = new LinkedHashMap<>();
        for (PortConfig p : PortAllocator.allocated(s)) {
            if (p.getPublishMode() == PortConfig.PublishMode.INGRESS && p.getPublishedPort() != 0) {
                byPort.put(key(p.getProtocol(), p.getPublishedPort()), MeshPortStats.newBuilder()
                        .setServiceId(s.getId()).setProtocol(p.getProtocol()).setPublishedPort(p.getPublishedPort()));
            }
        }
        if (byPort.isEmpty()) {
            return s;
        }
        for (Node n : nodes) {
            for (MeshPortStats m : n.getMesh().getPortsList()) {
                MeshPortStats.Builder sum = byPort.get(key(m.getProtocol(), m.getPublishedPort()));
                if (sum == null || !m.getServiceId().equals(s.getId())) {
                    continue;
                }
                sum.setConnectionsTotal(sum.getConnectionsTotal() + m.getConnectionsTotal())
                        .setConnectionsActive(sum.getConnectionsActive() + m.getConnectionsActive())
                        .setBytesIn(sum.getBytesIn() + m.getBytesIn())
                        .setBytesOut(sum.getBytesOut() + m.getBytesOut())
                        .setBackendErrors(sum.getBackendErrors() + m.getBackendErrors());
                if (!m.getListenError().isEmpty()) {
                    String host = n.getDescription().getHostname().isEmpty() ? n.getId() : n.getDescription().getHostname();
                    errors.computeIfAbsent(key(m.getProtocol(), m.getPublishedPort()), k -> new ArrayList<>())
                            .add("node " + host + ": " + m.getListenError());
                }
            }
        }
        Service.Builder b = s.toBuilder();
        b.getEndpointBuilder().clearMeshStats();
        byPort.forEach((k, sum) -> {
            List<String> e = errors.get(k);
            if (e != null) {
                sum.setListenError(String.join("; ", e));
            }
            b.getEndpointBuilder().addMeshStats(sum);
        });
        return b.build();
    }

    private static String key(PortConfig.Protocol protocol, int port) {
        return protocol + "/" + port;
    }
}
