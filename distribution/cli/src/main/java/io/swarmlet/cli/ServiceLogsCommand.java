package io.swarmlet.cli;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.GetTaskRequest;
import io.swarmlet.api.types.ListNodesRequest;
import io.swarmlet.api.types.LogMessage;
import io.swarmlet.api.types.LogsRequest;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code swarmlet service logs [OPTIONS] SERVICE|TASK}: the output of a
 * service's tasks (or of one task), read from the nodes through the control
 * API, each line prefixed like docker's:
 *
 * <pre>
 * web.1.6ag3k2u4dpkh@mgmt-01    | hello
 * </pre>
 *
 * With {@code --follow} it runs until the streams end or the user presses
 * Ctrl-C (an interrupt), which ends it cleanly.
 */
@Command(name = "logs", description = "Fetch the logs of a service or task.")
final class ServiceLogsCommand extends CliCommand {

    /** docker's logs timestamps: RFC 3339 with nanoseconds, always 9 digits, UTC. */
    static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);

    @Option(names = {"-f", "--follow"}, description = "Follow log output.")
    boolean follow;

    @Option(names = {"-n", "--tail"}, paramLabel = "string", defaultValue = "all",
            description = "Number of lines to show from the end of the logs of each task (default \"all\").")
    String tail;

    @Option(names = {"-t", "--timestamps"}, description = "Show timestamps.")
    boolean timestamps;

    @Option(names = "--no-task-ids", description = "Do not include task IDs in output.")
    boolean noTaskIds;

    @Option(names = "--no-trunc", description = "Do not truncate output.")
    boolean noTrunc;

    @Option(names = "--raw", description = "Do not neatly format logs.")
    boolean raw;

    @Parameters(paramLabel = "SERVICE|TASK", description = "A service (name, ID or ID prefix) or a task (ID or ID prefix).")
    String ref;

    @Override
    public Integer call() {
        int lines = tailLines(tail);
        ControlApi api = api();
        String id;
        int padding;
        boolean tty;
        try {
            Service s = ServiceCommands.get(api, ref);
            id = s.getId();
            tty = s.getSpec().getTask().getContainer().getTty();
            padding = s.getSpec().getModeCase() == ServiceSpec.ModeCase.REPLICATED
                    ? String.valueOf(s.getSpec().getReplicated().getReplicas()).length() : 1;
        } catch (ControlException e) {
            if (e.code() != ControlException.Code.NOT_FOUND) {
                throw e;
            }
            Task t;
            try {
                t = api.getTask(GetTaskRequest.newBuilder().setId(ref).build()).getTask();
            } catch (ControlException te) {
                if (te.code() == ControlException.Code.NOT_FOUND) {
                    throw new CliException("no such task or service: " + ref);
                }
                throw te;
            }
            id = t.getId();
            tty = t.getSpec().getContainer().getTty();
            padding = String.valueOf(t.getSlot()).length();
        }
        if (tty && !raw) {
            throw new CliException("tty service logs only supported with --raw");
        }
        Prefixes prefixes = new Prefixes(api, padding);
        PrintWriter out = out();
        PrintWriter err = err();
        try {
            api.logs(LogsRequest.newBuilder().setId(id).setTail(lines).setFollow(follow).build(), m -> {
                PrintWriter w = m.getStderr() ? err : out;
                w.println(format(m, prefixes));
                w.flush();
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ControlException e) {
            if (!Thread.currentThread().isInterrupted()) {
                throw e;
            }
        }
        return Main.EXIT_OK;
    }

    /** {@code --tail}: "all" (or a negative number) for everything, else lines per task. */
    int tailLines(String value) {
        if (value.equalsIgnoreCase("all")) {
            return -1;
        }
        try {
            long n = Long.parseLong(value.trim());
            return n < 0 ? -1 : (int) Math.min(n, Integer.MAX_VALUE);
        } catch (NumberFormatException e) {
            throw usage("Invalid value for option '--tail': '" + value + "' (use a number of lines or \"all\")");
        }
    }

    /** One output line: [timestamp] prefix | line, or just [timestamp] line with --raw. */
    String format(LogMessage m, Prefixes prefixes) {
        StringBuilder sb = new StringBuilder();
        if (timestamps) {
            sb.append(TIMESTAMP.format(Instant.ofEpochMilli(m.getTimestamp()))).append(' ');
        }
        if (!raw) {
            sb.append(prefixes.prefix(m, noTaskIds, noTrunc)).append("    | ");
        }
        return sb.append(m.getLine()).toString();
    }

    /**
     * The {@code web.1.6ag3k2u4dpkh@mgmt-01} part: service name, slot, task
     * ID (12 characters unless --no-trunc; left out with --no-task-ids) and
     * the node's hostname, padded so that the bars line up whatever the slot
     * number's width. Hostnames are read once, and again for a node not seen.
     */
    static final class Prefixes {
        private final ControlApi api;
        private final int padding;
        private Map<String, String> hostnames;

        Prefixes(ControlApi api, int padding) {
            this.api = api;
            this.padding = padding;
        }

        String prefix(LogMessage m, boolean noTaskIds, boolean noTrunc) {
            StringBuilder sb = new StringBuilder(m.getServiceName()).append('.').append(m.getSlot());
            if (!noTaskIds) {
                sb.append('.').append(noTrunc ? m.getTaskId() : Services.shortId(m.getTaskId()));
            }
            sb.append('@').append(hostname(m.getNodeId()));
            int pad = padding - String.valueOf(m.getSlot()).length();
            return pad > 0 ? sb.append(" ".repeat(pad)).toString() : sb.toString();
        }

        private String hostname(String nodeId) {
            if (hostnames == null || !hostnames.containsKey(nodeId)) {
                hostnames = new HashMap<>(ServiceCommands.hostnames(api.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList()));
                hostnames.putIfAbsent(nodeId, nodeId);
            }
            return hostnames.get(nodeId);
        }
    }
}
