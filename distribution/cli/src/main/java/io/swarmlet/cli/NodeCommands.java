package io.swarmlet.cli;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.GetNodeRequest;
import io.swarmlet.api.types.ListNodesRequest;
import io.swarmlet.api.types.ManagerStatus;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.RemoveNodeRequest;
import io.swarmlet.api.types.UpdateNodeRequest;
import io.swarmlet.api.types.VersionRequest;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code swarmlet node ...}: docker's node verbs plus swarmctl's drain/activate/pause. */
@Command(name = "node",
        description = "Manage swarm nodes.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
                NodeCommands.Ls.class,
                NodeCommands.Inspect.class,
                NodeCommands.Update.class,
                NodeCommands.Drain.class,
                NodeCommands.Activate.class,
                NodeCommands.Pause.class,
                NodeCommands.Promote.class,
                NodeCommands.Demote.class,
                NodeCommands.Rm.class,
        })
public final class NodeCommands extends CliCommand.Group {

    /** What a NODE argument may be. */
    static final String NODE_REF = "A node ID, an unambiguous ID prefix, or 'self' for the node the CLI talks to.";

    /** The values of --availability. */
    enum Availability {
        active(NodeSpec.Availability.ACTIVE), pause(NodeSpec.Availability.PAUSE), drain(NodeSpec.Availability.DRAIN);

        final NodeSpec.Availability value;

        Availability(NodeSpec.Availability value) {
            this.value = value;
        }
    }

    /** The values of --role. */
    enum Role {
        worker(NodeRole.WORKER), manager(NodeRole.MANAGER);

        final NodeRole value;

        Role(NodeRole value) {
            this.value = value;
        }
    }

    // ------------------------------------------------------------ shared

    /** The node {@code ref} names ({@code self} is the node the API belongs to); the server resolves IDs and prefixes. */
    static Node get(ControlApi api, String ref) {
        String id = "self".equals(ref) ? api.version(VersionRequest.getDefaultInstance()).getNodeId() : ref;
        return api.getNode(GetNodeRequest.newBuilder().setId(id).build()).getNode();
    }

    /** Reads the node, changes a copy of its spec and writes it back at the version read. */
    static Node update(ControlApi api, String ref, Consumer<NodeSpec.Builder> change) {
        Node node = get(api, ref);
        NodeSpec.Builder spec = node.getSpec().toBuilder();
        change.accept(spec);
        return api.updateNode(UpdateNodeRequest.newBuilder()
                .setId(node.getId())
                .setVersion(node.getMeta().getVersion())
                .setSpec(spec)
                .build()).getNode();
    }

    static String hostname(Node n) {
        String h = n.getDescription().getHostname();
        return h.isEmpty() ? n.getSpec().getAnnotations().getName() : h;
    }

    /** Ready, Down, Unknown, Disconnected. */
    static String status(Node n) {
        return n.getStatus().getState() == io.swarmlet.api.types.NodeStatus.State.UNRECOGNIZED
                ? "Unknown" : Output.capitalised(n.getStatus().getState());
    }

    /** Active, Pause, Drain. */
    static String availability(Node n) {
        return n.getSpec().getAvailability() == NodeSpec.Availability.UNRECOGNIZED
                ? "Unknown" : Output.capitalised(n.getSpec().getAvailability());
    }

    /** Leader, Reachable, Unreachable or Unknown for managers; empty for workers. */
    static String managerStatus(Node n) {
        if (!n.hasManagerStatus()) {
            return "";
        }
        if (n.getManagerStatus().getLeader()) {
            return "Leader";
        }
        switch (n.getManagerStatus().getReachability()) {
            case REACHABLE: return "Reachable";
            case UNREACHABLE: return "Unreachable";
            default: return "Unknown";
        }
    }

    static String role(Node n) {
        return n.getRole() == NodeRole.MANAGER ? "manager" : "worker";
    }

    static String labels(Map<String, String> labels) {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(labels).forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(v.isEmpty() ? k : k + "=" + v));
        return sb.toString();
    }

    /** The fields of {@code node ls} and {@code node inspect --format}; {@code selfId} is marked with {@code *} in the table. */
    static List<Field<Node>> fields(String selfId) {
        return List.of(
                Field.<Node>column("ID", "ID", Node::getId)
                        .inDefaultTableAs(n -> n.getId().equals(selfId) ? n.getId() + " *" : n.getId()),
                Field.extra("Self", "SELF", n -> String.valueOf(n.getId().equals(selfId))),
                Field.column("Hostname", "HOSTNAME", NodeCommands::hostname),
                Field.column("Status", "STATUS", NodeCommands::status),
                Field.column("Availability", "AVAILABILITY", NodeCommands::availability),
                Field.column("ManagerStatus", "MANAGER STATUS", NodeCommands::managerStatus),
                Field.column("EngineVersion", "ENGINE VERSION", n -> n.getDescription().getEngine().getEngineVersion()),
                Field.extra("Role", "ROLE", NodeCommands::role),
                Field.extra("Addr", "ADDRESS", n -> n.getStatus().getAddr()),
                Field.extra("Labels", "LABELS", n -> labels(n.getSpec().getAnnotations().getLabelsMap())),
                Field.extra("CreatedAt", "CREATED AT", n -> Output.timestamp(n.getMeta().getCreatedAt())));
    }

    /**
     * docker's {@code node inspect --pretty}; TLS Info shows the cluster's root CA
     * certificate ({@code rootCa}, PEM, may be null or empty: then no TLS Info),
     * which issued every node certificate. Never a key: the control API holds none.
     */
    static Output.Pretty pretty(Node n, byte[] rootCa) {
        Output.Pretty p = new Output.Pretty().field("ID", n.getId());
        if (!n.getSpec().getAnnotations().getName().isEmpty()) {
            p.field("Name", n.getSpec().getAnnotations().getName());
        }
        p.labels("Labels", n.getSpec().getAnnotations().getLabelsMap())
                .field("Hostname", n.getDescription().getHostname())
                .field("Joined at", Output.timestamp(n.getMeta().getCreatedAt()))
                .section("Status")
                .field("State", status(n))
                .field("Message", n.getStatus().getMessage().isEmpty() ? null : n.getStatus().getMessage())
                .field("Availability", availability(n))
                .field("Address", n.getStatus().getAddr().isEmpty() ? null : n.getStatus().getAddr())
                .end();
        if (n.hasManagerStatus()) {
            p.section("Manager Status")
                    .field("Address", n.getManagerStatus().getAddr())
                    .field("Raft Status", raftStatus(n))
                    .field("Leader", n.getManagerStatus().getLeader() ? "Yes" : "No")
                    .end();
        }
        p.section("Platform")
                .field("Operating System", n.getDescription().getPlatform().getOs())
                .field("Architecture", n.getDescription().getPlatform().getArchitecture())
                .end()
                .section("Resources")
                .field("CPUs", Output.cpus(n.getDescription().getResources().getNanoCpus()))
                .field("Memory", Output.bytes(n.getDescription().getResources().getMemoryBytes()))
                .end()
                .field("Engine Version", n.getDescription().getEngine().getEngineVersion())
                .labels("Engine Labels", n.getDescription().getEngine().getLabelsMap())
                .field("Runtimes", runtimes(n));
        if (n.getDescription().getFeaturesCount() > 0) {
            p.field("Features", String.join(", ", n.getDescription().getFeaturesList()));
        }
        TlsInfo tls = TlsInfo.of(rootCa);
        if (tls != null) {
            p.section("TLS Info")
                    .section("TrustRoot")
                    .end()
                    .text(tls.trustRoot)
                    .field("Issuer Subject", tls.issuerSubject)
                    .field("Issuer Public Key", tls.issuerPublicKey)
                    .end();
        }
        return p;
    }

    /** The task runtimes the node's executors run, "container, process"; none advertised means container. */
    static String runtimes(Node n) {
        List<String> r = n.getDescription().getRuntimesList();
        return r.isEmpty() ? "container" : String.join(", ", r);
    }

    /** Raft reachability as docker prints it: Reachable, Unreachable, Unknown (the leader is reachable). */
    static String raftStatus(Node n) {
        ManagerStatus ms = n.getManagerStatus();
        if (ms.getLeader() || ms.getReachability() == ManagerStatus.Reachability.REACHABLE) {
            return "Reachable";
        }
        return ms.getReachability() == ManagerStatus.Reachability.UNREACHABLE ? "Unreachable" : "Unknown";
    }

    /** docker's TLS Info of a node: its trust root (PEM) and the issuer's subject and public key (base64 DER). */
    record TlsInfo(String trustRoot, String issuerSubject, String issuerPublicKey) {

        /** From the root CA certificate (PEM or DER); null when there is none or it cannot be read. */
        static TlsInfo of(byte[] certificate) {
            if (certificate == null || certificate.length == 0) {
                return null;
            }
            X509Certificate cert;
            try {
                cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(certificate));
            } catch (CertificateException | RuntimeException e) {
                return null;
            }
            Base64.Encoder b64 = Base64.getEncoder();
            String pem = new String(certificate, StandardCharsets.US_ASCII);
            if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
                try {
                    pem = "-----BEGIN CERTIFICATE-----\n"
                            + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(cert.getEncoded())
                            + "\n-----END CERTIFICATE-----\n";
                } catch (CertificateException e) {
                    return null;
                }
            }
            // docker prints the PEM as it is, its final newline making a blank line before the issuer lines
            pem = pem.strip().replace("\r\n", "\n") + "\n";
            return new TlsInfo(pem, b64.encodeToString(cert.getSubjectX500Principal().getEncoded()),
                    b64.encodeToString(cert.getPublicKey().getEncoded()));
        }
    }

    /** The PEM of the cluster's root CA, or null when it cannot be had (inspect then shows no TLS Info). */
    static byte[] rootCa(ControlApi api) {
        try {
            String cluster = api.version(VersionRequest.getDefaultInstance()).getClusterId();
            Cluster c = ClusterCommands.get(api, cluster.isEmpty() ? "default" : cluster);
            return c.getRootCa().getCaCert().toByteArray();
        } catch (ControlException e) {
            if (e.code() == ControlException.Code.UNAVAILABLE) {
                throw e;
            }
            return null;
        }
    }

    /** {@code --filter key=value} of {@code node ls}: the same key ORs its values, different keys AND. */
    static Predicate<Node> filter(List<String> filters) {
        Map<String, List<String>> byKey = new LinkedHashMap<>();
        for (String f : filters) {
            int eq = f.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("bad format of filter '" + f + "' (expected name=value)");
            }
            String key = f.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            if (!List.of("id", "name", "role", "membership", "label", "node.label").contains(key)) {
                throw new IllegalArgumentException("invalid filter '" + key + "' (use id, name, role, membership, label or node.label)");
            }
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(f.substring(eq + 1));
        }
        Predicate<Node> all = n -> true;
        for (Map.Entry<String, List<String>> e : byKey.entrySet()) {
            List<String> values = e.getValue();
            Predicate<Node> any;
            switch (e.getKey()) {
                case "id": any = n -> values.stream().anyMatch(v -> n.getId().startsWith(v)); break;
                case "name": any = n -> values.stream().anyMatch(v -> hostname(n).contains(v)
                        || n.getSpec().getAnnotations().getName().contains(v)); break;
                case "role": any = n -> values.stream().anyMatch(v -> role(n).equalsIgnoreCase(v)); break;
                case "membership": any = n -> values.stream().anyMatch(v -> n.getSpec().getMembership().name().equalsIgnoreCase(v)); break;
                case "label": any = n -> values.stream().anyMatch(v -> LabelFilter.matches(n.getDescription().getEngine().getLabelsMap(), v)); break;
                default: any = n -> values.stream().anyMatch(v -> LabelFilter.matches(n.getSpec().getAnnotations().getLabelsMap(), v)); break;
            }
            all = all.and(any);
        }
        return all;
    }

    // ------------------------------------------------------------ commands

    @Command(name = "ls", aliases = "list", description = "List nodes in the swarm.")
    static final class Ls extends CliCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display IDs.")
        boolean quiet;

        @Option(names = "--format", paramLabel = "FORMAT",
                description = "'table' (default), 'json', 'table TEMPLATE' or a TEMPLATE with fields {{.ID}}, {{.Self}}, "
                        + "{{.Hostname}}, {{.Status}}, {{.Availability}}, {{.ManagerStatus}}, {{.EngineVersion}}, "
                        + "{{.Role}}, {{.Addr}}, {{.Labels}}, {{.CreatedAt}} or {{json .}}.")
        String format;

        @Option(names = {"-f", "--filter"}, paramLabel = "KEY=VALUE",
                description = "Only nodes that match: id=PREFIX, name=TEXT, role=manager|worker, "
                        + "membership=accepted|pending, node.label=KEY[=VALUE], label=KEY[=VALUE] (engine labels).")
        List<String> filters = new ArrayList<>();

        @Override
        public Integer call() {
            Format fmt = format(format, Format.Kind.TABLE, fields(""));
            if (fmt.is(Format.Kind.PRETTY)) {
                throw usage("--format pretty is for node inspect; use table, json or a template");
            }
            Predicate<Node> filter;
            try {
                filter = filter(filters);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            ControlApi api = api();
            List<Node> nodes = new ArrayList<>(api.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList());
            nodes.removeIf(filter.negate());
            nodes.sort(Comparator.comparing(NodeCommands::hostname, Output.NATURAL).thenComparing(Node::getId));
            if (quiet) {
                nodes.forEach(n -> out().println(n.getId()));
                return Main.EXIT_OK;
            }
            String self = fmt.is(Format.Kind.JSON) ? "" : api.version(VersionRequest.getDefaultInstance()).getNodeId();
            fmt.print(out(), nodes, fields(self), n -> n);
            return Main.EXIT_OK;
        }
    }

    @Command(name = "inspect", description = "Display detailed information on one or more nodes (JSON unless --pretty or --format).")
    static final class Inspect extends CliCommand {
        @Option(names = "--pretty", description = "Print the information in a human friendly format.")
        boolean pretty;

        @Option(names = {"-f", "--format"}, paramLabel = "FORMAT",
                description = "'json' (default), 'pretty' or a TEMPLATE (fields as in node ls).")
        String format;

        @Parameters(paramLabel = "NODE", arity = "1..*", description = NODE_REF)
        List<String> refs;

        @Override
        public Integer call() {
            Format fmt = pretty ? Format.of(Format.Kind.PRETTY) : format(format, Format.Kind.JSON, fields(""));
            ControlApi api = api();
            Lookup<Node> found = lookupEach(refs, ref -> get(api, ref));
            if (fmt.is(Format.Kind.PRETTY)) {
                byte[] rootCa = found.found.isEmpty() ? null : rootCa(api);
                for (int i = 0; i < found.found.size(); i++) {
                    if (i > 0) {
                        out().println();
                    }
                    pretty(found.found.get(i), rootCa).print(out(), true);
                }
            } else {
                String self = fmt.is(Format.Kind.JSON) || found.found.isEmpty()
                        ? "" : api.version(VersionRequest.getDefaultInstance()).getNodeId();
                fmt.print(out(), found.found, fields(self), n -> n);
            }
            return found.finish();
        }
    }

    @Command(name = "update", description = "Update a node's availability, role or labels.")
    static final class Update extends CliCommand {
        @Option(names = "--availability", paramLabel = "active|pause|drain",
                description = "Availability of the node: active, pause or drain.")
        Availability availability;

        @Option(names = "--role", paramLabel = "worker|manager", description = "Role of the node: worker or manager.")
        Role role;

        @Option(names = "--label-add", paramLabel = "KEY[=VALUE]", description = "Add or update a node label (repeatable).")
        List<String> labelAdd = new ArrayList<>();

        @Option(names = "--label-rm", paramLabel = "KEY", description = "Remove a node label if it exists (repeatable).")
        List<String> labelRm = new ArrayList<>();

        @Parameters(paramLabel = "NODE", description = NODE_REF)
        String ref;

        @Override
        public Integer call() {
            Map<String, String> add = new LinkedHashMap<>();
            for (String l : labelAdd) {
                int eq = l.indexOf('=');
                String key = eq < 0 ? l : l.substring(0, eq);
                if (key.isBlank()) {
                    throw usage("invalid label '" + l + "': the key is empty (use --label-add KEY=VALUE)");
                }
                add.put(key, eq < 0 ? "" : l.substring(eq + 1));
            }
            update(api(), ref, spec -> {
                if (availability != null) {
                    spec.setAvailability(availability.value);
                }
                if (role != null) {
                    spec.setDesiredRole(role.value);
                }
                spec.getAnnotationsBuilder().putAllLabels(add);
                for (String key : labelRm) {
                    if (!spec.getAnnotations().containsLabels(key)) {
                        throw new CliException("key " + key + " doesn't exist in node's labels");
                    }
                    spec.getAnnotationsBuilder().removeLabels(key);
                }
            });
            out().println(ref);
            return Main.EXIT_OK;
        }
    }

    /** drain, activate and pause: swarmctl's shorthands for {@code node update --availability}. */
    abstract static class SetAvailability extends CliCommand {
        @Parameters(paramLabel = "NODE", arity = "1..*", description = NODE_REF)
        List<String> refs;

        abstract NodeSpec.Availability availability();

        @Override
        public Integer call() {
            ControlApi api = api();
            Lookup<Node> done = lookupEach(refs, ref -> {
                update(api, ref, spec -> spec.setAvailability(availability()));
                out().println(ref);
                return null;
            });
            return done.finish();
        }
    }

    @Command(name = "drain", description = "Drain one or more nodes: their tasks are moved to other nodes and no new ones are scheduled there.")
    static final class Drain extends SetAvailability {
        @Override
        NodeSpec.Availability availability() {
            return NodeSpec.Availability.DRAIN;
        }
    }

    @Command(name = "activate", description = "Make one or more nodes available for tasks again.")
    static final class Activate extends SetAvailability {
        @Override
        NodeSpec.Availability availability() {
            return NodeSpec.Availability.ACTIVE;
        }
    }

    @Command(name = "pause", description = "Pause one or more nodes: their tasks keep running, no new ones are scheduled there.")
    static final class Pause extends SetAvailability {
        @Override
        NodeSpec.Availability availability() {
            return NodeSpec.Availability.PAUSE;
        }
    }

    /** promote and demote. */
    abstract static class SetRole extends CliCommand {
        @Parameters(paramLabel = "NODE", arity = "1..*", description = NODE_REF)
        List<String> refs;

        abstract NodeRole role();

        abstract String done(String ref);

        /** Docker names the node by its ID here, and as the user typed it in {@link #done}. */
        abstract String already(String id);

        @Override
        public Integer call() {
            ControlApi api = api();
            Lookup<Node> result = lookupEach(refs, ref -> {
                Node n = get(api, ref);
                if (n.getSpec().getDesiredRole() == role()) {
                    out().println(already(n.getId()));
                    return n;
                }
                update(api, n.getId(), spec -> spec.setDesiredRole(role()));
                out().println(done(ref));
                return n;
            });
            return result.finish();
        }
    }

    @Command(name = "promote", description = "Promote one or more nodes to manager in the swarm.")
    static final class Promote extends SetRole {
        @Override
        NodeRole role() {
            return NodeRole.MANAGER;
        }

        @Override
        String done(String ref) {
            return "Node " + ref + " promoted to a manager in the swarm.";
        }

        @Override
        String already(String id) {
            return "Node " + id + " is already a manager.";
        }
    }

    @Command(name = "demote", description = "Demote one or more nodes from manager in the swarm.")
    static final class Demote extends SetRole {
        @Override
        NodeRole role() {
            return NodeRole.WORKER;
        }

        @Override
        String done(String ref) {
            return "Manager " + ref + " demoted in the swarm.";
        }

        @Override
        String already(String id) {
            return "Node " + id + " is already a worker.";
        }
    }

    @Command(name = "rm", aliases = "remove", description = "Remove one or more nodes from the swarm.")
    static final class Rm extends CliCommand {
        @Option(names = {"-f", "--force"}, description = "Force-remove a node from the swarm.")
        boolean force;

        @Parameters(paramLabel = "NODE", arity = "1..*", description = NODE_REF)
        List<String> refs;

        @Override
        public Integer call() {
            ControlApi api = api();
            Lookup<Object> result = lookupEach(refs, ref -> {
                String id = "self".equals(ref) ? api.version(VersionRequest.getDefaultInstance()).getNodeId() : ref;
                api.removeNode(RemoveNodeRequest.newBuilder().setId(id).setForce(force).build());
                out().println(ref);
                return ref;
            });
            return result.finish();
        }
    }
}
