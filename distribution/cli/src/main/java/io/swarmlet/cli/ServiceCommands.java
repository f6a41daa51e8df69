package io.swarmlet.cli;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.GetServiceRequest;
import io.swarmlet.api.types.ListFilters;
import io.swarmlet.api.types.ListNodesRequest;
import io.swarmlet.api.types.ListServicesRequest;
import io.swarmlet.api.types.ListTasksRequest;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.RemoveServiceRequest;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.UpdateServiceRequest;
import io.swarmlet.api.types.UpdateStatus;
import io.swarmlet.api.types.VersionRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code swarmlet service ...}: docker's service verbs (swarmctl's {@code --image} accepted too). */
@Command(name = "service",
        description = "Manage swarm services.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
                ServiceCreateCommand.class,
                ServiceCommands.Inspect.class,
                ServiceLogsCommand.class,
                ServiceCommands.Ls.class,
                ServiceCommands.Ps.class,
                ServiceCommands.Rm.class,
                ServiceCommands.Rollback.class,
                ServiceCommands.Scale.class,
                ServiceUpdateCommand.class,
        })
public final class ServiceCommands extends CliCommand.Group {

    /** What a SERVICE argument may be. */
    static final String SERVICE_REF = "A service name, ID or unambiguous ID prefix.";

    // ------------------------------------------------------------ shared

    /** The service {@code ref} names; the server resolves names, IDs and prefixes. */
    static Service get(ControlApi api, String ref) {
        return api.getService(GetServiceRequest.newBuilder().setId(ref).build()).getService();
    }

    /** A service before and after a change written by {@link #update}. */
    record Updated(Service before, Service after) {}

    /**
     * Reads the service, edits a copy of its spec and writes it back at the
     * version read (or asks for a rollback); when someone else changed the
     * service in between (ABORTED, "out of sequence"), reads it again and
     * retries once.
     */
    static Updated update(ControlApi api, String ref, UnaryOperator<ServiceSpec> edit, boolean rollback) {
        for (int attempt = 0; ; attempt++) {
            Service current = get(api, ref);
            ServiceSpec spec = rollback ? current.getSpec() : edit.apply(current.getSpec());
            try {
                Service after = api.updateService(UpdateServiceRequest.newBuilder()
                        .setId(current.getId())
                        .setVersion(current.getMeta().getVersion())
                        .setSpec(spec)
                        .setRollback(rollback)
                        .build()).getService();
                return new Updated(current, after);
            } catch (ControlException e) {
                if (e.code() != ControlException.Code.ABORTED || attempt > 0) {
                    throw e;
                }
            }
        }
    }

    /** Shows the converge progress of {@code service} (quietly with {@code quiet}); {@code before} is its update status before the change. */
    static void converge(CliCommand cmd, Service service, UpdateStatus before, boolean quiet) {
        Main root = cmd.root();
        cmd.out().flush();
        new ConvergeProgress(cmd.api(), service.getId(), Services.name(service), before, quiet ? null : cmd.out(),
                root.tty, root.clock, root.sleeper, root.convergeTimeoutMillis).run();
    }

    /** The tasks of the given services (all tasks when {@code serviceIds} is empty). */
    static List<Task> tasks(ControlApi api, List<String> serviceIds) {
        return api.listTasks(ListTasksRequest.newBuilder()
                .setFilters(ListFilters.newBuilder().addAllServiceIds(serviceIds)).build()).getTasksList();
    }

    static String labels(Map<String, String> labels) {
        return NodeCommands.labels(labels);
    }

    /** The fields of {@code service ls} (and its {@code --format}); {@code counts} by service ID. */
    static List<Field<Service>> fields(Map<String, io.swarmlet.api.types.ServiceColumns.Counts> counts) {
        return List.of(
                Field.column("ID", "ID", s -> Services.shortId(s.getId())),
                Field.column("Name", "NAME", Services::name),
                Field.column("Mode", "MODE", s -> Services.mode(s.getSpec())),
                Field.column("Replicas", "REPLICAS", s -> Services.replicas(s,
                        counts.getOrDefault(s.getId(), new io.swarmlet.api.types.ServiceColumns.Counts(0, 0, 0)))),
                Field.column("Image", "IMAGE", s -> Services.image(s.getSpec().getTask().getContainer().getImage())),
                Field.column("Ports", "PORTS", Services::ports),
                Field.extra("Labels", "LABELS", s -> labels(s.getSpec().getAnnotations().getLabelsMap())),
                Field.extra("CreatedAt", "CREATED AT", s -> Output.timestamp(s.getMeta().getCreatedAt())),
                Field.extra("UpdatedAt", "UPDATED AT", s -> Output.timestamp(s.getMeta().getUpdatedAt())));
    }

    /** The fields of {@code service inspect --format}: as in ls, with the full ID. */
    static List<Field<Service>> inspectFields() {
        List<Field<Service>> f = new ArrayList<>(fields(Map.of()));
        f.set(0, Field.column("ID", "ID", Service::getId));
        f.removeIf(x -> x.name().equals("Replicas"));
        f.add(Field.extra("Replicas", "REPLICAS", s -> s.getSpec().getModeCase() == ServiceSpec.ModeCase.REPLICATED
                ? String.valueOf(s.getSpec().getReplicated().getReplicas()) : ""));
        return f;
    }

    /** Splits {@code --filter key=value} values by key, checking the keys. */
    static Map<String, List<String>> filters(List<String> filters, List<String> keys) {
        Map<String, List<String>> byKey = new LinkedHashMap<>();
        for (String f : filters) {
            int eq = f.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("bad format of filter '" + f + "' (expected name=value)");
            }
            String key = f.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            if (!keys.contains(key)) {
                throw new IllegalArgumentException("invalid filter '" + key + "' (use " + String.join(", ", keys) + ")");
            }
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(f.substring(eq + 1));
        }
        return byKey;
    }

    /** {@code service ls --filter}: the same key ORs its values, different keys AND. */
    static Predicate<Service> serviceFilter(List<String> filters) {
        Predicate<Service> all = s -> true;
        for (Map.Entry<String, List<String>> e : filters(filters, List.of("id", "name", "label", "mode")).entrySet()) {
            List<String> values = e.getValue();
            Predicate<Service> any;
            switch (e.getKey()) {
                case "id": any = s -> values.stream().anyMatch(v -> s.getId().startsWith(v)); break;
                case "name": any = s -> values.stream().anyMatch(v -> Services.name(s).startsWith(v)); break;
                case "label": any = s -> values.stream().anyMatch(v -> LabelFilter.matches(s.getSpec().getAnnotations().getLabelsMap(), v)); break;
                default:
                    for (String v : values) {
                        if (!List.of("replicated", "global", "replicated-job", "global-job").contains(v)) {
                            throw new IllegalArgumentException("invalid filter 'mode=" + v + "' (use replicated, global, replicated-job or global-job)");
                        }
                    }
                    any = s -> values.contains(Services.mode(s.getSpec()).replace(' ', '-'));
                    break;
            }
            all = all.and(any);
        }
        return all;
    }

    // ------------------------------------------------------------ ls

    /**
     * What {@code service ls} and {@code stack services} share: docker's table, flags
     * and filters over the services {@link #candidates} returns.
     */
    abstract static class ServiceList extends CliCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display IDs.")
        boolean quiet;

        @Option(names = "--format", paramLabel = "FORMAT",
                description = "'table' (default), 'json', 'table TEMPLATE' or a TEMPLATE with fields {{.ID}}, {{.Name}}, "
                        + "{{.Mode}}, {{.Replicas}}, {{.Image}}, {{.Ports}}, {{.Labels}}, {{.CreatedAt}}, {{.UpdatedAt}} or {{json .}}.")
        String format;

        @Option(names = {"-f", "--filter"}, paramLabel = "KEY=VALUE",
                description = "Only services that match: id=PREFIX, name=PREFIX, label=KEY[=VALUE], "
                        + "mode=replicated|global|replicated-job|global-job.")
        List<String> filters = new ArrayList<>();

        /** The services to choose from (before --filter). */
        abstract List<Service> candidates(ControlApi api);

        /** When no service is left: the exit code after saying so, or null to print the empty table. */
        Integer none() {
            return null;
        }

        @Override
        public Integer call() {
            Format fmt = format(format, Format.Kind.TABLE, fields(Map.of()));
            if (fmt.is(Format.Kind.PRETTY)) {
                throw usage("--format pretty is for service inspect; use table, json or a template");
            }
            Predicate<Service> filter;
            try {
                filter = serviceFilter(filters);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            ControlApi api = api();
            List<Service> services = new ArrayList<>(candidates(api));
            services.removeIf(filter.negate());
            if (services.isEmpty()) {
                Integer code = none();
                if (code != null) {
                    return code;
                }
            }
            services.sort(Comparator.comparing(Services::name, Output.NATURAL).thenComparing(Service::getId));
            if (quiet) {
                services.forEach(s -> out().println(Services.shortId(s.getId())));
                return Main.EXIT_OK;
            }
            Map<String, io.swarmlet.api.types.ServiceColumns.Counts> counts = new HashMap<>();
            if (!services.isEmpty() && !fmt.is(Format.Kind.JSON)) {
                List<Task> tasks = tasks(api, List.of());
                Set<String> active = Services.activeNodes(api.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList());
                for (Service s : services) {
                    counts.put(s.getId(), Services.counts(s, tasks, active));
                }
            }
            fmt.print(out(), services, fields(counts), s -> s);
            return Main.EXIT_OK;
        }
    }

    @Command(name = "ls", aliases = "list", description = "List services.")
    static final class Ls extends ServiceList {
        @Override
        List<Service> candidates(ControlApi api) {
            return api.listServices(ListServicesRequest.getDefaultInstance()).getServicesList();
        }
    }

    // ------------------------------------------------------------ ps

    /** One row of {@code service ps}: the task, its display name (indented for history) and its node's hostname. */
    record TaskRow(Task task, String name, String node) {}

    /** docker truncates the ERROR column to this many characters. */
    static final int MAX_ERROR = 30;

    /** The fields of {@code service ps}; {@code now} in unix millis for "Running 2 minutes ago". */
    static List<Field<TaskRow>> taskFields(boolean trunc, long now) {
        return List.of(
                Field.column("ID", "ID", r -> trunc ? Services.shortId(r.task().getId()) : r.task().getId()),
                Field.column("Name", "NAME", TaskRow::name),
                Field.column("Image", "IMAGE", r -> {
                    String image = r.task().getSpec().getContainer().getImage();
                    return trunc ? Services.image(image) : image;
                }),
                Field.column("Node", "NODE", TaskRow::node),
                Field.column("DesiredState", "DESIRED STATE", r -> Output.capitalised(r.task().getDesiredState())),
                Field.column("CurrentState", "CURRENT STATE", r -> currentState(r.task(), now)),
                Field.column("Error", "ERROR", r -> error(r.task().getStatus().getErr(), trunc)),
                Field.column("Ports", "PORTS", r -> taskPorts(r.task())));
    }

    /** "Running 2 minutes ago", docker's CURRENT STATE. */
    static String currentState(Task t, long now) {
        String state = Output.capitalised(t.getStatus().getState());
        long ts = t.getStatus().getTimestamp();
        return ts == 0 ? state : state + " " + HumanTime.ago(ts, now).toLowerCase(Locale.ROOT);
    }

    /** The task error quoted, cut to 30 characters with an ellipsis unless {@code --no-trunc}. */
    static String error(String err, boolean trunc) {
        if (err.isEmpty()) {
            return "";
        }
        String e = err;
        if (trunc && e.codePointCount(0, e.length()) > MAX_ERROR) {
            e = e.substring(0, e.offsetByCodePoints(0, MAX_ERROR - 1)) + "…";
        }
        return "\"" + e + "\"";
    }

    /** Host-mode ports the task published: {@code *:8080->80/tcp}. */
    static String taskPorts(Task t) {
        List<String> out = new ArrayList<>();
        for (PortConfig p : t.getStatus().getPortStatus().getPortsList()) {
            if (p.getPublishMode() != PortConfig.PublishMode.HOST) {
                continue; // as docker: a task's own node ports behind the mesh are not its published ports
            }
            out.add("*:" + p.getPublishedPort() + "->" + p.getTargetPort() + "/" + Services.protocol(p));
        }
        return String.join(",", out);
    }

    /**
     * Rows for {@code tasks}: sorted by name (slot), newest first within a
     * slot; with {@code indent}, older tasks of a slot are shown as
     * {@code " \_ web.1"}, as docker's table does.
     */
    static List<TaskRow> rows(List<Task> tasks, Map<String, String> serviceNames, Map<String, String> hostnames, boolean indent) {
        record Named(Task task, String name) {}
        List<Named> named = new ArrayList<>();
        for (Task t : tasks) {
            named.add(new Named(t, Services.taskName(t, serviceNames.getOrDefault(t.getServiceId(), ""))));
        }
        named.sort(Comparator.comparing(Named::name, Output.NATURAL)
                .thenComparing((Named n) -> n.task().getMeta().getCreatedAt(), Comparator.reverseOrder())
                .thenComparing((Named n) -> n.task().getStatus().getTimestamp(), Comparator.reverseOrder())
                .thenComparing(n -> n.task().getId()));
        List<TaskRow> rows = new ArrayList<>();
        String previous = null;
        for (Named n : named) {
            String name = indent && n.name().equals(previous) ? " \\_ " + n.name() : n.name();
            previous = n.name();
            String node = n.task().getNodeId();
            rows.add(new TaskRow(n.task(), name, node.isEmpty() ? "" : hostnames.getOrDefault(node, node)));
        }
        return rows;
    }

    /** Node ID to hostname. */
    static Map<String, String> hostnames(List<Node> nodes) {
        Map<String, String> m = new HashMap<>();
        for (Node n : nodes) {
            m.put(n.getId(), NodeCommands.hostname(n));
        }
        return m;
    }

    /**
     * What {@code service ps} and {@code stack ps} share: docker's task table, flags
     * and filters over the tasks of the services {@link #services} finds.
     */
    abstract static class TaskList extends CliCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display task IDs.")
        boolean quiet;

        @Option(names = "--no-trunc", description = "Do not truncate output.")
        boolean noTrunc;

        @Option(names = "--no-resolve", description = "Do not map IDs to Names.")
        boolean noResolve;

        @Option(names = "--format", paramLabel = "FORMAT",
                description = "'table' (default), 'json', 'table TEMPLATE' or a TEMPLATE with fields {{.ID}}, {{.Name}}, {{.Image}}, "
                        + "{{.Node}}, {{.DesiredState}}, {{.CurrentState}}, {{.Error}}, {{.Ports}} or {{json .}}.")
        String format;

        @Option(names = {"-f", "--filter"}, paramLabel = "KEY=VALUE",
                description = "Only tasks that match: desired-state=running|shutdown|accepted, node=NODE (ID, hostname or 'self'), "
                        + "name=TASK-NAME-PREFIX, id=PREFIX.")
        List<String> filters = new ArrayList<>();

        /** The services whose tasks to list; what could not be found is an error printed after the table. */
        abstract Lookup<Service> services(ControlApi api);

        /** Called when no task is left to show (after the filters); may throw to make that an error. */
        void none() {
        }

        @Override
        public Integer call() {
            boolean trunc = !noTrunc && !quiet;
            Format fmt = format(format, Format.Kind.TABLE, taskFields(trunc, 0));
            if (fmt.is(Format.Kind.PRETTY)) {
                throw usage("--format pretty is not available for " + spec.qualifiedName().replaceFirst("^\\S+ ", "")
                        + "; use table, json or a template");
            }
            Map<String, List<String>> byKey;
            try {
                byKey = filters(filters, List.of("desired-state", "node", "name", "id"));
                for (String v : byKey.getOrDefault("desired-state", List.of())) {
                    if (!List.of("running", "shutdown", "accepted").contains(v.toLowerCase(Locale.ROOT))) {
                        throw new IllegalArgumentException("invalid filter 'desired-state=" + v + "' (use running, shutdown or accepted)");
                    }
                }
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            ControlApi api = api();
            Lookup<Service> found = services(api);
            if (found.found.isEmpty()) {
                if (found.errors.isEmpty()) {
                    none();
                }
                return found.finish();
            }
            Map<String, String> serviceNames = new LinkedHashMap<>();
            for (Service s : found.found) {
                serviceNames.put(s.getId(), Services.name(s));
            }
            List<Task> tasks = new ArrayList<>(tasks(api, new ArrayList<>(serviceNames.keySet())));
            List<Node> nodes = api.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList();
            tasks.removeIf(taskFilter(api, byKey, nodes, serviceNames).negate());
            if (tasks.isEmpty()) {
                none();
            }
            tasks.replaceAll(t -> withMeshError(t, nodes));
            Map<String, String> shownNames = serviceNames;
            Map<String, String> hostnames = hostnames(nodes);
            if (noResolve) {
                // docker's --no-resolve: IDs where names would be
                shownNames = new LinkedHashMap<>();
                for (String id : serviceNames.keySet()) {
                    shownNames.put(id, id);
                }
                hostnames = Map.of();
            }
            List<TaskRow> rows = rows(tasks, shownNames, hostnames, fmt.is(Format.Kind.TABLE));
            if (quiet) {
                rows.forEach(r -> out().println(r.task().getId()));
            } else {
                fmt.print(out(), rows, taskFields(trunc, root().clock.millis()), TaskRow::task);
            }
            return found.finish();
        }

        /**
         * A running task on a node whose routing mesh could not take one of the
         * service's published ports shows why in its ERROR column (the task runs;
         * that node just does not answer the port).
         */
        static Task withMeshError(Task t, List<Node> nodes) {
            if (t.getStatus().getState() != TaskState.RUNNING || !t.getStatus().getErr().isEmpty()) {
                return t;
            }
            for (Node n : nodes) {
                if (!n.getId().equals(t.getNodeId())) {
                    continue;
                }
                for (io.swarmlet.api.types.MeshPortStats m : n.getMesh().getPortsList()) {
                    if (m.getServiceId().equals(t.getServiceId()) && !m.getListenError().isEmpty()) {
                        String err = "port " + m.getPublishedPort() + "/" + m.getProtocol().name().toLowerCase(Locale.ROOT)
                                + " unavailable on this node: " + m.getListenError();
                        return t.toBuilder().setStatus(t.getStatus().toBuilder().setErr(err)).build();
                    }
                }
            }
            return t;
        }

        private static Predicate<Task> taskFilter(ControlApi api, Map<String, List<String>> byKey, List<Node> nodes,
                                                  Map<String, String> serviceNames) {
            Predicate<Task> all = t -> true;
            for (Map.Entry<String, List<String>> e : byKey.entrySet()) {
                List<String> values = e.getValue();
                switch (e.getKey()) {
                    case "desired-state": {
                        Set<TaskState> states = new HashSet<>();
                        values.forEach(v -> states.add(TaskState.valueOf(v.toUpperCase(Locale.ROOT))));
                        all = all.and(t -> states.contains(t.getDesiredState()));
                        break;
                    }
                    case "node": {
                        Set<String> ids = new HashSet<>();
                        for (String v : values) {
                            ids.add(nodeId(api, nodes, v));
                        }
                        all = all.and(t -> ids.contains(t.getNodeId()));
                        break;
                    }
                    case "name":
                        all = all.and(t -> values.stream().anyMatch(v ->
                                Services.taskName(t, serviceNames.getOrDefault(t.getServiceId(), "")).startsWith(v)));
                        break;
                    default:
                        all = all.and(t -> values.stream().anyMatch(v -> t.getId().startsWith(v)));
                        break;
                }
            }
            return all;
        }

        /** A node filter value as docker resolves it: 'self', a full ID, a hostname or a unique ID prefix. */
        private static String nodeId(ControlApi api, List<Node> nodes, String ref) {
            if ("self".equals(ref)) {
                return api.version(VersionRequest.getDefaultInstance()).getNodeId();
            }
            List<Node> prefixed = new ArrayList<>();
            for (Node n : nodes) {
                if (n.getId().equals(ref) || NodeCommands.hostname(n).equals(ref)) {
                    return n.getId();
                }
                if (n.getId().startsWith(ref)) {
                    prefixed.add(n);
                }
            }
            if (prefixed.size() == 1) {
                return prefixed.get(0).getId();
            }
            throw new CliException(prefixed.isEmpty() ? "No such node: " + ref
                    : "node " + ref + " is ambiguous (" + prefixed.size() + " matches found)");
        }
    }

    @Command(name = "ps", description = "List the tasks of one or more services.")
    static final class Ps extends TaskList {
        @Parameters(paramLabel = "SERVICE", arity = "1..*", description = SERVICE_REF)
        List<String> refs;

        @Override
        Lookup<Service> services(ControlApi api) {
            return lookupEach(refs, ref -> get(api, ref));
        }
    }

    // ------------------------------------------------------------ inspect

    @Command(name = "inspect", description = "Display detailed information on one or more services (JSON unless --pretty or --format).")
    static final class Inspect extends CliCommand {
        @Option(names = "--pretty", description = "Print the information in a human friendly format.")
        boolean pretty;

        @Option(names = {"-f", "--format"}, paramLabel = "FORMAT",
                description = "'json' (default), 'pretty' or a TEMPLATE with fields {{.ID}}, {{.Name}}, {{.Mode}}, {{.Replicas}}, "
                        + "{{.Image}}, {{.Ports}}, {{.Labels}}, {{.CreatedAt}}, {{.UpdatedAt}} or {{json .}}.")
        String format;

        @Parameters(paramLabel = "SERVICE", arity = "1..*", description = SERVICE_REF)
        List<String> refs;

        @Override
        public Integer call() {
            if (pretty && format != null && !format.isBlank() && !format.trim().equalsIgnoreCase("pretty")) {
                throw usage("--format is incompatible with human friendly format (--pretty)");
            }
            Format fmt = pretty ? Format.of(Format.Kind.PRETTY) : format(format, Format.Kind.JSON, inspectFields());
            ControlApi api = api();
            Lookup<Service> found = lookupEach(refs, ref -> get(api, ref));
            if (fmt.is(Format.Kind.PRETTY)) {
                long now = root().clock.millis();
                Map<String, String> networkNames = networkNames(api, found.found);
                for (int i = 0; i < found.found.size(); i++) {
                    if (i > 0) {
                        out().println();
                    }
                    out().print(ServicePretty.render(found.found.get(i), now, networkNames));
                }
            } else {
                fmt.print(out(), found.found, inspectFields(), s -> s);
            }
            return found.finish();
        }
    }

    /**
     * Network ID to name, for the networks {@code services} are attached to; none asked
     * for when no service has a network (and an older manager without networks is no error).
     */
    static Map<String, String> networkNames(ControlApi api, List<Service> services) {
        boolean any = services.stream().anyMatch(s -> s.getSpec().getTask().getNetworksCount() > 0 || s.getSpec().getNetworksCount() > 0);
        Map<String, String> names = new HashMap<>();
        if (!any) {
            return names;
        }
        try {
            for (io.swarmlet.api.types.Network n : api.listNetworks(io.swarmlet.api.types.ListNetworksRequest.getDefaultInstance())
                    .getNetworksList()) {
                names.put(n.getId(), n.getSpec().getAnnotations().getName());
            }
        } catch (ControlException e) {
            if (e.code() != ControlException.Code.UNIMPLEMENTED) {
                throw e;
            }
        }
        return names;
    }

    // ------------------------------------------------------------ rm

    @Command(name = "rm", aliases = "remove", description = "Remove one or more services.")
    static final class Rm extends CliCommand {
        @Parameters(paramLabel = "SERVICE", arity = "1..*", description = SERVICE_REF)
        List<String> refs;

        @Override
        public Integer call() {
            ControlApi api = api();
            Lookup<String> done = lookupEach(refs, ref -> {
                api.removeService(RemoveServiceRequest.newBuilder().setId(ref).build());
                out().println(ref);
                return ref;
            });
            return done.finish();
        }
    }

    // ------------------------------------------------------------ scale

    @Command(name = "scale", description = "Scale one or more replicated services (or replicated jobs).")
    static final class Scale extends CliCommand {
        @Option(names = {"-d", "--detach"}, arity = "0..1", fallbackValue = "true", paramLabel = "true|false", description = "Exit immediately instead of waiting for the services to converge.")
        boolean detach;

        @Parameters(paramLabel = "SERVICE=REPLICAS", arity = "1..*", description = "A service (name, ID or ID prefix) and its new number of tasks.")
        List<String> args;

        @Override
        public Integer call() {
            Map<String, Long> scales = new LinkedHashMap<>();
            for (String arg : args) {
                int eq = arg.lastIndexOf('=');
                if (eq <= 0 || eq == arg.length() - 1) {
                    throw usage("invalid scale specifier '" + arg + "' (use SERVICE=REPLICAS, e.g. web=3)");
                }
                String ref = arg.substring(0, eq);
                try {
                    scales.put(ref, FlagValues.unsigned(arg.substring(eq + 1)));
                } catch (IllegalArgumentException e) {
                    throw usage("invalid replicas value for " + ref + ": " + e.getMessage());
                }
            }
            ControlApi api = api();
            List<String> errors = new ArrayList<>();
            List<Updated> scaled = new ArrayList<>();
            for (Map.Entry<String, Long> e : scales.entrySet()) {
                String ref = e.getKey();
                long n = e.getValue();
                try {
                    scaled.add(update(api, ref, spec -> scaled(spec, n), false));
                    out().println(ref + " scaled to " + n);
                } catch (ControlException | CliException ex) {
                    if (ex instanceof ControlException && ((ControlException) ex).code() == ControlException.Code.UNAVAILABLE) {
                        throw ex;
                    }
                    errors.add(ref + ": " + Main.message(ex));
                }
            }
            if (!detach) {
                for (Updated u : scaled) {
                    try {
                        converge(this, u.after(), u.before().getUpdateStatus(), false);
                    } catch (CliException ex) {
                        errors.add(Services.name(u.after()) + ": " + ex.getMessage());
                    }
                    if (Thread.currentThread().isInterrupted()) {
                        break;
                    }
                }
            }
            out().flush();
            errors.forEach(m -> err().println("Error: " + m));
            return errors.isEmpty() ? Main.EXIT_OK : Main.EXIT_ERROR;
        }

        private static ServiceSpec scaled(ServiceSpec spec, long n) {
            ServiceSpec.Builder b = spec.toBuilder();
            switch (spec.getModeCase()) {
                case REPLICATED:
                    b.getReplicatedBuilder().setReplicas(n);
                    return b.build();
                case REPLICATED_JOB:
                    b.getReplicatedJobBuilder().setTotalCompletions(n);
                    return b.build();
                default:
                    throw new CliException("scale can only be used with replicated or replicated-job mode");
            }
        }
    }

    // ------------------------------------------------------------ rollback

    @Command(name = "rollback", description = "Revert changes to a service's configuration (back to its previous spec).")
    static final class Rollback extends CliCommand {
        @Option(names = {"-d", "--detach"}, arity = "0..1", fallbackValue = "true", paramLabel = "true|false", description = "Exit immediately instead of waiting for the service to converge.")
        boolean detach;

        @Option(names = {"-q", "--quiet"}, description = "Suppress progress output.")
        boolean quiet;

        @Parameters(paramLabel = "SERVICE", description = SERVICE_REF)
        String ref;

        @Override
        public Integer call() {
            Updated u = update(api(), ref, spec -> spec, true);
            out().println(ref);
            if (!detach) {
                converge(this, u.after(), u.before().getUpdateStatus(), quiet);
            }
            return Main.EXIT_OK;
        }
    }
}
