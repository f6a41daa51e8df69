package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.JoinAddresses;
import io.swarmlet.api.types.GetNodeRequest;
import io.swarmlet.api.types.ListNodesRequest;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.RemoveNodeRequest;
import io.swarmlet.api.types.UpdateNodeRequest;
import java.util.Map;
import java.util.Set;

/**
 * {@code /nodes}: list, inspect, update (role, availability, name, labels) and remove,
 * in Docker's Node shape (moby's convert/node.go), through the control API.
 */
final class NodesApi implements Router.Group {

    @Override
    public void register(Router r) {
        r.get("/nodes", this::list);
        r.get("/nodes/{id}", c -> json(c.api().getNode(GetNodeRequest.newBuilder().setId(c.param("id")).build()).getNode(),
                SwarmApi.trustRoot(c.api())));
        r.post("/nodes/{id}/update", this::update);
        r.delete("/nodes/{id}", c -> {
            c.api().removeNode(RemoveNodeRequest.newBuilder().setId(c.param("id")).setForce(c.flag("force")).build());
            return Router.Reply.ok();
        });
    }

    private JsonNode list(Call c) {
        Filters f = c.filters().check("id", "label", "node.label", "membership", "name", "role");
        Set<String> roles = f.get("role");
        for (String role : roles) {
            if (!role.isEmpty() && !role.equals("manager") && !role.equals("worker")) {
                throw DockerError.badRequest("Invalid role filter: '" + role + "'");
            }
        }
        Set<String> memberships = f.get("membership");
        for (String m : memberships) {
            if (!m.isEmpty() && !m.equals("accepted") && !m.equals("pending")) {
                throw DockerError.badRequest("Invalid membership filter: '" + m + "'");
            }
        }
        ControlApi api = c.api();
        String trustRoot = SwarmApi.trustRoot(api);
        ArrayNode out = Json.array();
        for (Node n : api.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList()) {
            boolean keep = Shapes.anyPrefix(f.get("id"), n.getId())
                    && Shapes.anyPrefix(f.get("name"), n.getDescription().getHostname(), n.getSpec().getAnnotations().getName())
                    && Shapes.labelsMatch(f.labels(), n.getDescription().getEngine().getLabelsMap())
                    && Shapes.labelsMatch(labels(f.get("node.label")), n.getSpec().getAnnotations().getLabelsMap())
                    && (roles.isEmpty() || roles.contains(Shapes.lower(n.getSpec().getDesiredRole())))
                    && (memberships.isEmpty() || memberships.contains(Shapes.lower(n.getSpec().getMembership())));
            if (keep) {
                out.add(json(n, trustRoot));
            }
        }
        return out;
    }

    private static Map<String, String> labels(Set<String> values) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String l : values) {
            int eq = l.indexOf('=');
            out.put(eq < 0 ? l : l.substring(0, eq), eq < 0 ? "" : l.substring(eq + 1));
        }
        return out;
    }

    private Router.Reply update(Call c) {
        long version = c.version("node");
        Json.Obj spec = Json.Obj.root(c.body());
        String name = spec.str("Name");
        Map<String, String> labels = spec.map("Labels");
        String role = spec.str("Role");
        String availability = spec.str("Availability");
        spec.done();
        NodeSpec.Builder b = NodeSpec.newBuilder();
        b.getAnnotationsBuilder().setName(name).putAllLabels(labels);
        switch (role) {
            case "worker" -> b.setDesiredRole(NodeRole.WORKER);
            case "manager" -> b.setDesiredRole(NodeRole.MANAGER);
            default -> throw DockerError.badRequest("invalid Role: \"" + role + "\" (use worker or manager)");
        }
        switch (availability) {
            case "active" -> b.setAvailability(NodeSpec.Availability.ACTIVE);
            case "pause" -> b.setAvailability(NodeSpec.Availability.PAUSE);
            case "drain" -> b.setAvailability(NodeSpec.Availability.DRAIN);
            default -> throw DockerError.badRequest("invalid Availability: \"" + availability + "\" (use active, pause or drain)");
        }
        ControlApi api = c.api();
        // Docker's NodeSpec has no membership: the node keeps its own.
        Node current = api.getNode(GetNodeRequest.newBuilder().setId(c.param("id")).build()).getNode();
        b.setMembership(current.getSpec().getMembership());
        api.updateNode(UpdateNodeRequest.newBuilder().setId(current.getId()).setVersion(version).setSpec(b).build());
        return Router.Reply.ok();
    }

    /** A node in Docker's shape; {@code trustRoot} is the cluster's root CA certificate (PEM). */
    static ObjectNode json(Node n, String trustRoot) {
        ObjectNode o = Json.object();
        o.put("ID", n.getId());
        Shapes.meta(o, n.getMeta());
        ObjectNode spec = o.putObject("Spec");
        if (!n.getSpec().getAnnotations().getName().isEmpty()) {
            spec.put("Name", n.getSpec().getAnnotations().getName());
        }
        spec.set("Labels", Json.labels(n.getSpec().getAnnotations().getLabelsMap()));
        spec.put("Role", Shapes.lower(n.getSpec().getDesiredRole()));
        spec.put("Availability", Shapes.lower(n.getSpec().getAvailability()));
        ObjectNode d = o.putObject("Description");
        d.put("Hostname", n.getDescription().getHostname());
        d.putObject("Platform").put("Architecture", n.getDescription().getPlatform().getArchitecture())
                .put("OS", n.getDescription().getPlatform().getOs());
        d.putObject("Resources").put("NanoCPUs", n.getDescription().getResources().getNanoCpus())
                .put("MemoryBytes", n.getDescription().getResources().getMemoryBytes());
        ObjectNode engine = d.putObject("Engine");
        engine.put("EngineVersion", n.getDescription().getEngine().getEngineVersion());
        engine.set("Labels", Json.labels(n.getDescription().getEngine().getLabelsMap()));
        engine.putArray("Plugins");
        d.putObject("TLSInfo").put("TrustRoot", trustRoot).put("CertIssuerSubject", "").put("CertIssuerPublicKey", "");
        ObjectNode status = o.putObject("Status");
        status.put("State", Shapes.lower(n.getStatus().getState()));
        status.put("Message", n.getStatus().getMessage());
        status.put("Addr", host(n.getStatus().getAddr()));
        if (n.hasManagerStatus() || n.getRole() == NodeRole.MANAGER) {
            o.putObject("ManagerStatus").put("Leader", n.getManagerStatus().getLeader())
                    .put("Reachability", Shapes.lower(n.getManagerStatus().getReachability()))
                    .put("Addr", JoinAddresses.of(n));
        }
        return o;
    }

    /** Docker's Status.Addr is the node's IP address, without a port. */
    static String host(String addr) {
        if (addr.startsWith("[")) {
            int end = addr.indexOf(']');
            return end > 0 ? addr.substring(1, end) : addr;
        }
        int colon = addr.lastIndexOf(':');
        return colon > 0 && addr.indexOf(':') == colon ? addr.substring(0, colon) : addr;
    }
}
