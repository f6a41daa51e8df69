package io.swarmlet.cli;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.CreateNetworkRequest;
import io.swarmlet.api.types.Driver;
import io.swarmlet.api.types.GetNetworkRequest;
import io.swarmlet.api.types.IPAMConfig;
import io.swarmlet.api.types.ListNetworksRequest;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.NetworkSpec;
import io.swarmlet.api.types.RemoveNetworkRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code swarmlet network ...}: docker's network verbs for the cluster's networks
 * (swarm scope; each node that runs an attached task makes it a local bridge,
 * design/networking.md). The manager allocates the subnet unless one is given.
 */
@Command(name = "network",
        description = "Manage networks.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
                NetworkCommands.Create.class,
                NetworkCommands.Inspect.class,
                NetworkCommands.Ls.class,
                NetworkCommands.Rm.class,
        })
public final class NetworkCommands extends CliCommand.Group {

    /** What a NETWORK argument may be. */
    static final String NETWORK_REF = "A network name, ID or unambiguous ID prefix.";

    /** The only driver: a network that spans the swarm (each node makes it a local bridge). */
    static final String OVERLAY = "overlay";

    static String name(Network n) {
        return n.getSpec().getAnnotations().getName();
    }

    /** The driver as docker's DRIVER column shows it: the one in use, else the one asked for, else overlay. */
    static String driver(Network n) {
        if (!n.getDriverState().getName().isEmpty()) {
            return n.getDriverState().getName();
        }
        return n.getSpec().getDriverConfig().getName().isEmpty() ? OVERLAY : n.getSpec().getDriverConfig().getName();
    }

    static String subnet(Network n) {
        IPAMConfig c = ipam(n);
        return c == null ? "" : c.getSubnet();
    }

    static String gateway(Network n) {
        IPAMConfig c = ipam(n);
        return c == null ? "" : c.getGateway();
    }

    /** The allocated IPAM config, else the one asked for. */
    private static IPAMConfig ipam(Network n) {
        if (n.getIpam().getConfigsCount() > 0) {
            return n.getIpam().getConfigs(0);
        }
        return n.getSpec().getIpam().getConfigsCount() > 0 ? n.getSpec().getIpam().getConfigs(0) : null;
    }

    /** The fields of {@code network ls} (short IDs unless {@code trunc} is false) and of templates. */
    static List<Field<Network>> fields(boolean trunc) {
        return List.of(
                Field.column("ID", "NETWORK ID", n -> trunc ? Services.shortId(n.getId()) : n.getId()),
                Field.column("Name", "NAME", NetworkCommands::name),
                Field.column("Driver", "DRIVER", NetworkCommands::driver),
                Field.column("Scope", "SCOPE", n -> "swarm"),
                Field.extra("IPv6", "IPV6", n -> "false"),
                Field.extra("Internal", "INTERNAL", n -> String.valueOf(n.getSpec().getInternal())),
                Field.extra("Attachable", "ATTACHABLE", n -> String.valueOf(n.getSpec().getAttachable())),
                Field.extra("Subnet", "SUBNET", NetworkCommands::subnet),
                Field.extra("Gateway", "GATEWAY", NetworkCommands::gateway),
                Field.extra("Labels", "LABELS", n -> NodeCommands.labels(n.getSpec().getAnnotations().getLabelsMap())),
                Field.extra("CreatedAt", "CREATED AT", n -> Output.timestamp(n.getMeta().getCreatedAt())));
    }

    /**
     * {@code network ls --filter}: driver=, id= and name= (all or part of it),
     * label=KEY[=VALUE], scope=swarm|global|local, type=custom|builtin; one key ORs its
     * values, different keys AND.
     */
    static Predicate<Network> filter(List<String> filters) {
        Predicate<Network> all = n -> true;
        for (Map.Entry<String, List<String>> e : ServiceCommands.filters(filters,
                List.of("driver", "id", "label", "name", "scope", "type")).entrySet()) {
            List<String> values = e.getValue();
            Predicate<Network> any;
            switch (e.getKey()) {
                case "driver": any = n -> values.contains(driver(n)); break;
                case "id": any = n -> values.stream().anyMatch(v -> n.getId().contains(v)); break;
                case "name": any = n -> values.stream().anyMatch(v -> name(n).contains(v)); break;
                case "label": any = n -> values.stream().anyMatch(v -> LabelFilter.matches(n.getSpec().getAnnotations().getLabelsMap(), v)); break;
                case "scope":
                    for (String v : values) {
                        if (!List.of("swarm", "global", "local").contains(v)) {
                            throw new IllegalArgumentException("invalid filter 'scope=" + v + "' (use swarm, global or local)");
                        }
                    }
                    any = n -> values.contains("swarm");
                    break;
                default:
                    for (String v : values) {
                        if (!List.of("custom", "builtin").contains(v)) {
                            throw new IllegalArgumentException("invalid filter 'type=" + v + "' (use custom or builtin)");
                        }
                    }
                    any = n -> values.contains("custom"); // no network of a swarm is built in
                    break;
            }
            all = all.and(any);
        }
        return all;
    }

    static Network get(ControlApi api, String ref) {
        return api.getNetwork(GetNetworkRequest.newBuilder().setId(ref).build()).getNetwork();
    }

    // ------------------------------------------------------------ create

    /**
     * {@code network create}: the flags go to the manager as docker sends them to its
     * daemon, and the manager checks them (driver, one subnet, the gateway in the task
     * range, overlaps), so the shell and the CLI say the same.
     */
    @Command(name = "create", description = "Create a network; prints its ID.")
    static final class Create extends CliCommand {
        @Option(names = {"-d", "--driver"}, paramLabel = "string", defaultValue = OVERLAY,
                description = "Driver to manage the Network (default \"overlay\": a network of the swarm).")
        String driver;

        @Option(names = "--subnet", paramLabel = "strings",
                description = "Subnet in CIDR format that represents a network segment (default: a free /24 of 10.0.0.0/8).")
        List<String> subnets = new ArrayList<>();

        @Option(names = "--gateway", paramLabel = "strings", description = "IPv4 Gateway for the master subnet (default: its first address).")
        List<String> gateways = new ArrayList<>();

        @Option(names = "--ip-range", paramLabel = "strings", description = "Allocate container ip from a sub-range.")
        List<String> ranges = new ArrayList<>();

        @Option(names = "--ipam-driver", paramLabel = "string", description = "IP Address Management Driver (default \"default\").")
        String ipamDriver;

        @Option(names = "--attachable", description = "Enable manual container attachment.")
        boolean attachable;

        @Option(names = "--internal", description = "Restrict external access to the network.")
        boolean internal;

        @Option(names = "--ingress", description = "Create swarm routing-mesh network.")
        boolean ingress;

        @Option(names = "--label", paramLabel = "list", description = "Set metadata on a network (KEY=VALUE, repeatable).")
        List<String> labels = new ArrayList<>();

        @Option(names = {"-o", "--opt"}, paramLabel = "map", description = "Set driver specific options (KEY=VALUE, repeatable).")
        List<String> opts = new ArrayList<>();

        @Option(names = "--scope", paramLabel = "string", description = "Control the network's scope (only \"swarm\").")
        String scope;

        @Parameters(paramLabel = "NETWORK", description = "The network's name.")
        String name;

        @Override
        public Integer call() {
            if (scope != null && !scope.trim().equals("swarm")) {
                throw usage("network scope \"" + scope + "\" is not supported: a swarmlet network has swarm scope");
            }
            NetworkSpec.Builder spec = NetworkSpec.newBuilder().setAttachable(attachable).setInternal(internal).setIngress(ingress);
            try {
                spec.setAnnotations(Annotations.newBuilder().setName(name).putAllLabels(FlagValues.labels(labels, "label")))
                        .setDriverConfig(Driver.newBuilder().setName(driver.trim()).putAllOptions(FlagValues.labels(opts, "option")));
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            int configs = Math.max(subnets.size(), Math.max(gateways.size(), ranges.size()));
            for (int i = 0; i < configs; i++) {
                IPAMConfig.Builder c = IPAMConfig.newBuilder();
                if (i < subnets.size()) {
                    c.setSubnet(subnets.get(i).trim());
                }
                if (i < gateways.size()) {
                    c.setGateway(gateways.get(i).trim());
                }
                if (i < ranges.size()) {
                    c.setRange(ranges.get(i).trim());
                }
                spec.getIpamBuilder().addConfigs(c);
            }
            if (ipamDriver != null) {
                spec.getIpamBuilder().setDriver(Driver.newBuilder().setName(ipamDriver.trim()));
            }
            Network n = api().createNetwork(CreateNetworkRequest.newBuilder().setSpec(spec).build()).getNetwork();
            out().println(n.getId());
            return Main.EXIT_OK;
        }
    }

    // ------------------------------------------------------------ ls

    @Command(name = "ls", aliases = "list", description = "List networks.")
    static final class Ls extends CliCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display network IDs.")
        boolean quiet;

        @Option(names = "--no-trunc", description = "Do not truncate the output.")
        boolean noTrunc;

        @Option(names = "--format", paramLabel = "FORMAT",
                description = "'table' (default), 'json', 'table TEMPLATE' or a TEMPLATE with fields {{.ID}}, {{.Name}}, {{.Driver}}, "
                        + "{{.Scope}}, {{.IPv6}}, {{.Internal}}, {{.Attachable}}, {{.Subnet}}, {{.Gateway}}, {{.Labels}}, "
                        + "{{.CreatedAt}} or {{json .}}.")
        String format;

        @Option(names = {"-f", "--filter"}, paramLabel = "KEY=VALUE",
                description = "Provide filter values: driver=, id=, name= (all or part of it), label=KEY[=VALUE], "
                        + "scope=swarm|global|local, type=custom|builtin.")
        List<String> filters = new ArrayList<>();

        @Override
        public Integer call() {
            Format fmt = format(format, Format.Kind.TABLE, fields(!noTrunc));
            if (fmt.is(Format.Kind.PRETTY)) {
                throw usage("--format pretty is not available for network ls; use table, json or a template");
            }
            Predicate<Network> filter;
            try {
                filter = filter(filters);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            List<Network> networks = new ArrayList<>(api().listNetworks(ListNetworksRequest.getDefaultInstance()).getNetworksList());
            networks.removeIf(filter.negate());
            networks.sort(Comparator.comparing(NetworkCommands::name, Output.NATURAL).thenComparing(Network::getId));
            if (quiet) {
                networks.forEach(n -> out().println(noTrunc ? n.getId() : Services.shortId(n.getId())));
                return Main.EXIT_OK;
            }
            fmt.print(out(), networks, fields(!noTrunc), n -> n);
            return Main.EXIT_OK;
        }
    }

    // ------------------------------------------------------------ inspect

    @Command(name = "inspect", description = "Display detailed information on one or more networks.")
    static final class Inspect extends CliCommand {
        @Option(names = {"-f", "--format"}, paramLabel = "FORMAT",
                description = "'json' (default) or a TEMPLATE (fields as in ls, full IDs).")
        String format;

        @Option(names = {"-v", "--verbose"}, description = "Verbose output for diagnostics (accepted; the JSON is complete).")
        boolean verbose;

        @Parameters(paramLabel = "NETWORK", arity = "1..*", description = NETWORK_REF)
        List<String> refs;

        @Override
        public Integer call() {
            Format fmt = format(format, Format.Kind.JSON, fields(false));
            if (fmt.is(Format.Kind.PRETTY)) {
                throw usage("--format pretty is not available for network inspect; use json or a template");
            }
            ControlApi api = api();
            Lookup<Network> found = lookupEach(refs, ref -> get(api, ref));
            fmt.print(out(), found.found, fields(false), n -> n);
            return found.finish();
        }
    }

    // ------------------------------------------------------------ rm

    @Command(name = "rm", aliases = "remove", description = "Remove one or more networks (refused while a service uses one).")
    static final class Rm extends CliCommand {
        @Option(names = {"-f", "--force"}, description = "Do not error if the network does not exist.")
        boolean force;

        @Parameters(paramLabel = "NETWORK", arity = "1..*", description = NETWORK_REF)
        List<String> refs;

        @Override
        public Integer call() {
            ControlApi api = api();
            Lookup<String> done = lookupEach(refs, ref -> {
                Network n;
                try {
                    n = get(api, ref);
                } catch (ControlException e) {
                    if (force && e.code() == ControlException.Code.NOT_FOUND) {
                        return ref;
                    }
                    throw e;
                }
                api.removeNetwork(RemoveNetworkRequest.newBuilder().setId(n.getId()).build());
                out().println(ref);
                return ref;
            });
            return done.finish();
        }
    }
}
