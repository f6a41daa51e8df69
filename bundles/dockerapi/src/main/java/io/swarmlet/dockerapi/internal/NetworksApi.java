package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmlet.api.types.CreateNetworkRequest;
import io.swarmlet.api.types.GetNetworkRequest;
import io.swarmlet.api.types.IPAMConfig;
import io.swarmlet.api.types.ListNetworksRequest;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.NetworkSpec;
import io.swarmlet.api.types.RemoveNetworkRequest;
import java.util.Set;

/**
 * {@code /networks}: Swarmlet's cluster networks as Docker's swarm-scoped overlay networks
 * (moby's BasicNetworkFromGRPC): list, inspect, create and remove, as far as
 * {@code docker network} and {@code docker stack deploy/rm} need. The engine's local
 * networks (bridge, host, none) are not here: they belong to each node's Docker Engine.
 */
final class NetworksApi implements Router.Group {

    @Override
    public void register(Router r) {
        r.get("/networks", this::list);
        r.get("/networks/{id}", c -> json(c.api().getNetwork(GetNetworkRequest.newBuilder().setId(c.param("id")).build()).getNetwork()));
        r.post("/networks/create", this::create);
        r.delete("/networks/{id}", c -> {
            c.api().removeNetwork(RemoveNetworkRequest.newBuilder().setId(c.param("id")).build());
            return Router.Reply.noContent();
        });
    }

    private JsonNode list(Call c) {
        Filters f = c.filters().check("driver", "id", "label", "name", "scope", "type");
        for (String t : f.get("type")) {
            if (!t.equals("custom") && !t.equals("builtin")) {
                throw DockerError.badRequest("invalid filter: 'type'='" + t + "' (use custom or builtin)");
            }
        }
        Set<String> scopes = f.get("scope");
        for (String s : scopes) {
            if (!s.equals("swarm") && !s.equals("global") && !s.equals("local")) {
                throw DockerError.badRequest("invalid filter: 'scope'='" + s + "' (use swarm, global or local)");
            }
        }
        ArrayNode out = Json.array();
        for (Network n : c.api().listNetworks(ListNetworksRequest.getDefaultInstance()).getNetworksList()) {
            String name = n.getSpec().getAnnotations().getName();
            boolean keep = (f.get("driver").isEmpty() || f.get("driver").contains(driver(n)))
                    && Shapes.anyPrefix(f.get("id"), n.getId())
                    && Shapes.labelsMatch(f.labels(), n.getSpec().getAnnotations().getLabelsMap())
                    && (f.get("name").isEmpty() || f.get("name").stream().anyMatch(name::contains))
                    && (scopes.isEmpty() || scopes.contains("swarm"))
                    && (f.get("type").isEmpty() || f.get("type").contains("custom"));
            if (keep) {
                out.add(json(n));
            }
        }
        return out;
    }

    private Router.Reply create(Call c) {
        Json.Obj o = Json.Obj.root(c.body());
        NetworkSpec.Builder spec = NetworkSpec.newBuilder();
        String name = o.str("Name");
        spec.getAnnotationsBuilder().setName(name).putAllLabels(o.map("Labels"));
        String driver = o.str("Driver");
        if (!driver.isEmpty() && !driver.equals("overlay")) {
            throw DockerError.badRequest("network driver \"" + driver + "\" is not supported by Swarmlet: its networks are"
                    + " swarm-scoped overlay networks; use --driver overlay (or leave it out)");
        }
        String scope = o.str("Scope");
        if (!scope.isEmpty() && !scope.equals("swarm")) {
            throw DockerError.badRequest("scope \"" + scope + "\" is not supported by Swarmlet: its networks are swarm-scoped;"
                    + " leave --scope out or use --scope swarm");
        }
        spec.getDriverConfigBuilder().setName(driver.isEmpty() ? "overlay" : driver).putAllOptions(o.map("Options"));
        spec.setInternal(o.bool("Internal")).setAttachable(o.bool("Attachable")).setIngress(o.bool("Ingress"));
        if (o.has("EnableIPv4") && !o.bool("EnableIPv4")) {
            throw DockerError.badRequest("EnableIPv4 false is not supported by Swarmlet: its networks are IPv4 networks");
        }
        Json.Obj ipam = o.obj("IPAM");
        String ipamDriver = ipam.str("Driver");
        spec.getIpamBuilder().getDriverBuilder().setName(ipamDriver).putAllOptions(ipam.map("Options"));
        for (Json.Obj cfg : ipam.objs("Config")) {
            spec.getIpamBuilder().addConfigs(IPAMConfig.newBuilder().setSubnet(cfg.str("Subnet")).setRange(cfg.str("IPRange"))
                    .setGateway(cfg.str("Gateway")));
            cfg.unsupported("AuxiliaryAddresses");
            cfg.done();
        }
        ipam.done();
        o.unsupported("EnableIPv6", "ConfigOnly", "ConfigFrom");
        o.ignore("CheckDuplicate");
        o.done();
        Network n = c.api().createNetwork(CreateNetworkRequest.newBuilder().setSpec(spec).build()).getNetwork();
        return Router.Reply.created(Json.object().put("Id", n.getId()).put("Warning", ""));
    }

    private static String driver(Network n) {
        String d = n.getDriverState().getName();
        return d.isEmpty() ? "overlay" : d;
    }

    /** Docker's network (NetworkResource / network.Inspect) of a cluster network. */
    static ObjectNode json(Network n) {
        ObjectNode o = Json.object();
        o.put("Name", n.getSpec().getAnnotations().getName());
        o.put("Id", n.getId());
        o.put("Created", Json.time(n.getMeta().getCreatedAt()));
        o.put("Scope", "swarm");
        o.put("Driver", driver(n));
        o.put("EnableIPv6", false);
        ObjectNode ipam = o.putObject("IPAM");
        String ipamDriver = n.getIpam().getDriver().getName();
        ipam.put("Driver", ipamDriver.isEmpty() ? "default" : ipamDriver);
        ipam.set("Options", Json.labels(n.getIpam().getDriver().getOptionsMap()));
        ArrayNode configs = ipam.putArray("Config");
        for (IPAMConfig cfg : n.getIpam().getConfigsList()) {
            ObjectNode e = configs.addObject();
            e.put("Subnet", cfg.getSubnet());
            if (!cfg.getRange().isEmpty()) {
                e.put("IPRange", cfg.getRange());
            }
            if (!cfg.getGateway().isEmpty()) {
                e.put("Gateway", cfg.getGateway());
            }
        }
        o.put("Internal", n.getSpec().getInternal());
        o.put("Attachable", n.getSpec().getAttachable());
        o.put("Ingress", n.getSpec().getIngress());
        o.putObject("ConfigFrom").put("Network", "");
        o.put("ConfigOnly", false);
        o.putObject("Containers");
        o.set("Options", Json.labels(n.getDriverState().getOptionsMap()));
        o.set("Labels", Json.labels(n.getSpec().getAnnotations().getLabelsMap()));
        return o;
    }
}
