package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.IPAMConfig;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.NetworkAttachment;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import java.util.List;
import java.util.Locale;

/**
 * A {@link Task} as Docker's API shows it ({@code GET /tasks}, {@code /tasks/{id}}): states
 * in lower case, the task spec in ServiceSpec.TaskTemplate's shape ({@link ServiceJson#taskSpec}),
 * each network attachment with its whole network and its addresses in CIDR form.
 */
final class TaskJson {

    private TaskJson() {}

    static String state(TaskState s) {
        return s.name().toLowerCase(Locale.ROOT);
    }

    static ObjectNode task(Task t) {
        ObjectNode o = Json.object();
        o.put("ID", t.getId());
        o.putObject("Version").put("Index", t.getMeta().getVersion());
        o.put("CreatedAt", Json.time(t.getMeta().getCreatedAt()));
        o.put("UpdatedAt", Json.time(t.getMeta().getUpdatedAt()));
        o.set("Labels", Json.labels(t.getAnnotations().getLabelsMap()));
        o.set("Spec", ServiceJson.taskSpec(t.getSpec()));
        ServiceJson.putNonEmpty(o, "ServiceID", t.getServiceId());
        ServiceJson.putNonZero(o, "Slot", t.getSlot());
        ServiceJson.putNonEmpty(o, "NodeID", t.getNodeId());
        o.set("Status", status(t.getStatus()));
        o.put("DesiredState", state(t.getDesiredState()));
        if (t.getNetworksCount() > 0) {
            ArrayNode a = o.putArray("NetworksAttachments");
            for (NetworkAttachment n : t.getNetworksList()) {
                ObjectNode na = a.addObject();
                na.set("Network", network(n));
                if (n.getAddressesCount() > 0) {
                    ArrayNode addrs = na.putArray("Addresses");
                    Integer prefix = prefixLength(n.getNetwork());
                    n.getAddressesList().forEach(x -> addrs.add(ServiceJson.cidr(x, prefix)));
                }
            }
        }
        if (t.getJobIteration() != 0 || isJob(t)) {
            o.putObject("JobIteration").put("Index", t.getJobIteration());
        }
        return o;
    }

    private static boolean isJob(Task t) {
        return t.getDesiredState() == TaskState.COMPLETE;
    }

    static ObjectNode status(TaskStatus s) {
        ObjectNode o = Json.object();
        o.put("Timestamp", Json.time(s.getTimestamp()));
        o.put("State", state(s.getState()));
        o.put("Message", s.getMessage());
        ServiceJson.putNonEmpty(o, "Err", s.getErr());
        if (s.hasContainerStatus()) {
            o.putObject("ContainerStatus").put("ContainerID", s.getContainerStatus().getContainerId())
                    .put("PID", s.getContainerStatus().getPid()).put("ExitCode", s.getContainerStatus().getExitCode());
        }
        ObjectNode ps = o.putObject("PortStatus");
        // as dockerd: only host-mode ports are the task's own; the node ports the routing mesh
        // reaches a task on (engine-assigned, for ingress and VIP traffic) are not shown
        List<PortConfig> host = s.getPortStatus().getPortsList().stream()
                .filter(p -> p.getPublishMode() == PortConfig.PublishMode.HOST).toList();
        if (!host.isEmpty()) {
            ArrayNode a = ps.putArray("Ports");
            host.forEach(p -> a.add(ServiceJson.port(p)));
        }
        return o;
    }

    /** The network of an attachment, as Docker's swarm Network object (what a task shows of it). */
    static ObjectNode network(NetworkAttachment n) {
        Network net = n.getNetwork();
        ObjectNode o = Json.object();
        o.put("ID", n.getNetworkId());
        o.putObject("Version").put("Index", net.getMeta().getVersion());
        o.put("CreatedAt", Json.time(net.getMeta().getCreatedAt()));
        o.put("UpdatedAt", Json.time(net.getMeta().getUpdatedAt()));
        ObjectNode spec = o.putObject("Spec");
        spec.put("Name", net.getSpec().getAnnotations().getName());
        spec.set("Labels", Json.labels(net.getSpec().getAnnotations().getLabelsMap()));
        spec.putObject("DriverConfiguration").put("Name", net.getSpec().getDriverConfig().getName().isEmpty()
                ? "overlay" : net.getSpec().getDriverConfig().getName());
        if (net.getSpec().getInternal()) {
            spec.put("Internal", true);
        }
        if (net.getSpec().getAttachable()) {
            spec.put("Attachable", true);
        }
        if (net.getSpec().getIngress()) {
            spec.put("Ingress", true);
        }
        spec.put("Scope", "swarm");
        o.putObject("DriverState").put("Name", net.getDriverState().getName().isEmpty() ? "overlay" : net.getDriverState().getName());
        if (net.getIpam().getConfigsCount() > 0) {
            ObjectNode ipam = o.putObject("IPAMOptions");
            ipam.putObject("Driver").put("Name", net.getIpam().getDriver().getName().isEmpty() ? "default"
                    : net.getIpam().getDriver().getName());
            ArrayNode configs = ipam.putArray("Configs");
            for (IPAMConfig c : net.getIpam().getConfigsList()) {
                ObjectNode co = configs.addObject();
                ServiceJson.putNonEmpty(co, "Subnet", c.getSubnet());
                ServiceJson.putNonEmpty(co, "Range", c.getRange());
                ServiceJson.putNonEmpty(co, "Gateway", c.getGateway());
            }
        }
        return o;
    }

    /** The prefix length of a network's (first) subnet, or null when it has none. */
    static Integer prefixLength(Network n) {
        String subnet = n.getIpam().getConfigsCount() > 0 ? n.getIpam().getConfigs(0).getSubnet()
                : n.getSpec().getIpam().getConfigsCount() > 0 ? n.getSpec().getIpam().getConfigs(0).getSubnet() : "";
        int slash = subnet.indexOf('/');
        if (slash < 0) {
            return null;
        }
        try {
            return Integer.parseInt(subnet.substring(slash + 1));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
