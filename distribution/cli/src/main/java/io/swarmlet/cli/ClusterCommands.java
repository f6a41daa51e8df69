package io.swarmlet.cli;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.ClusterSpec;
import io.swarmlet.api.types.GetClusterRequest;
import io.swarmlet.api.types.ListClustersRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code swarmlet cluster ...}: swarmctl's cluster verbs. */
@Command(name = "cluster",
        description = "Inspect the cluster: its settings and join tokens.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {ClusterCommands.Ls.class, ClusterCommands.Inspect.class})
public final class ClusterCommands extends CliCommand.Group {

    static Cluster get(ControlApi api, String ref) {
        return api.getCluster(GetClusterRequest.newBuilder().setId(ref).build()).getCluster();
    }

    static List<Field<Cluster>> fields() {
        return List.of(
                Field.column("ID", "ID", Cluster::getId),
                Field.column("Name", "NAME", c -> c.getSpec().getAnnotations().getName()),
                Field.extra("CreatedAt", "CREATED AT", c -> Output.timestamp(c.getMeta().getCreatedAt())));
    }

    /** swarmctl's {@code cluster inspect}, in {@code docker info}'s layout. */
    static Output.Pretty pretty(Cluster c) {
        ClusterSpec s = c.getSpec();
        Output.Pretty p = new Output.Pretty()
                .field("ID", c.getId())
                .field("Name", s.getAnnotations().getName())
                .labels("Labels", s.getAnnotations().getLabelsMap())
                .field("Created", Output.timestamp(c.getMeta().getCreatedAt()))
                .section("Orchestration")
                .field("Task History Retention Limit", s.getOrchestration().getTaskHistoryRetentionLimit())
                .end()
                .section("Raft")
                .field("Snapshot Interval", s.getRaft().getSnapshotInterval())
                .field("Number of Old Snapshots to Retain", s.getRaft().getKeepOldSnapshots())
                .field("Heartbeat Tick", s.getRaft().getHeartbeatTick())
                .field("Election Tick", s.getRaft().getElectionTick())
                .end()
                .section("Dispatcher")
                .field("Heartbeat Period", Output.duration(s.getDispatcher().getHeartbeatPeriodMs()))
                .end()
                .section("CA Configuration")
                .field("Node Certificate Expiry", Output.duration(s.getCaConfig().getNodeCertExpiryMs()))
                .field("CA Cert Hash", c.getRootCa().getCaCertHash())
                .end()
                .section("Join Tokens")
                .field("Worker", c.getJoinTokens().getWorker())
                .field("Manager", c.getJoinTokens().getManager())
                .end();
        return p;
    }

    @Command(name = "ls", aliases = "list", description = "List clusters.")
    static final class Ls extends CliCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display IDs.")
        boolean quiet;

        @Option(names = "--format", paramLabel = "FORMAT",
                description = "'table' (default), 'json', 'table TEMPLATE' or a TEMPLATE with fields {{.ID}}, {{.Name}}, {{.CreatedAt}} or {{json .}}.")
        String format;

        @Override
        public Integer call() {
            Format fmt = format(format, Format.Kind.TABLE, fields());
            if (fmt.is(Format.Kind.PRETTY)) {
                throw usage("--format pretty is for cluster inspect; use table, json or a template");
            }
            List<Cluster> clusters = new ArrayList<>(api().listClusters(ListClustersRequest.getDefaultInstance()).getClustersList());
            clusters.sort(Comparator.comparing((Cluster c) -> c.getSpec().getAnnotations().getName(), Output.NATURAL)
                    .thenComparing(Cluster::getId));
            if (quiet) {
                clusters.forEach(c -> out().println(c.getId()));
                return Main.EXIT_OK;
            }
            fmt.print(out(), clusters, fields(), c -> c);
            return Main.EXIT_OK;
        }
    }

    @Command(name = "inspect", description = "Display the settings and join tokens of one or more clusters (usually 'default').")
    static final class Inspect extends CliCommand {
        @Option(names = "--pretty", hidden = true, description = "The default: a readable form.")
        boolean pretty;

        @Option(names = {"-f", "--format"}, paramLabel = "FORMAT",
                description = "'pretty' (default), 'json' or a TEMPLATE (fields as in cluster ls).")
        String format;

        @Parameters(paramLabel = "CLUSTER", arity = "1..*", description = "A cluster name ('default'), ID or unambiguous ID prefix.")
        List<String> refs;

        @Override
        public Integer call() {
            Format fmt = pretty ? Format.of(Format.Kind.PRETTY) : format(format, Format.Kind.PRETTY, fields());
            ControlApi api = api();
            Lookup<Cluster> found = lookupEach(refs, ref -> get(api, ref));
            if (fmt.is(Format.Kind.PRETTY)) {
                for (int i = 0; i < found.found.size(); i++) {
                    if (i > 0) {
                        out().println();
                    }
                    pretty(found.found.get(i)).print(out(), false);
                }
            } else {
                fmt.print(out(), found.found, fields(), c -> c);
            }
            return found.finish();
        }
    }
}
