package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What the scheduler reads from a task: whether it waits for a node, what it reserves, which host ports it takes. */
final class TaskFacts {

    /** The message of a task the scheduler has placed. */
    static final String ASSIGNED_MESSAGE = "scheduler assigned task to node";

    private TaskFacts() {}

    /**
     * Whether the task waits for the scheduler: not yet past PENDING (NEW or
     * PENDING) and wanted running (desired READY or RUNNING). With node_id set
     * (global services) the scheduler only confirms that node.
     */
    static boolean waitsForNode(Task t) {
        TaskState s = t.getStatus().getState();
        TaskState d = t.getDesiredState();
        return (s == TaskState.NEW || s == TaskState.PENDING) && (d == TaskState.RUNNING || d == TaskState.READY);
    }

    /** Whether the task holds a place on its node: assigned there and not finished. */
    static boolean holdsNode(Task t) {
        int s = t.getStatus().getStateValue();
        return !t.getNodeId().isEmpty() && s >= TaskState.ASSIGNED_VALUE && s < TaskState.COMPLETE_VALUE;
    }

    /** Whether the task counts as one of the node's (and its service's) tasks: the managers still want it. */
    static boolean active(Task t) {
        return t.getDesiredStateValue() <= TaskState.COMPLETE_VALUE;
    }

    static Resources reservations(Task t) {
        return t.getSpec().getResources().getReservations();
    }

    /**
     * The host-mode ports the task publishes, as "tcp/8080": from the task's
     * endpoint as allocated ({@code endpoint.ports}), else as asked
     * ({@code endpoint.spec.ports}); ports without a published port are left out.
     */
    static List<String> hostPorts(Task t) {
        if (!t.hasEndpoint()) {
            return List.of();
        }
        Endpoint e = t.getEndpoint();
        List<PortConfig> ports = e.getPortsCount() > 0 ? e.getPortsList() : e.getSpec().getPortsList();
        List<String> out = null;
        for (PortConfig p : ports) {
            if (p.getPublishMode() == PortConfig.PublishMode.HOST && p.getPublishedPort() != 0) {
                if (out == null) {
                    out = new ArrayList<>(ports.size());
                }
                out.add(p.getProtocol().name().toLowerCase(Locale.ROOT) + "/" + p.getPublishedPort());
            }
        }
        return out == null ? List.of() : out;
    }

    /** "1 node lacks memory" / "2 nodes lack memory". */
    static String nodes(int n, String verbOne, String verbMany, String rest) {
        return n == 1 ? "1 node " + verbOne + rest : n + " nodes " + verbMany + rest;
    }
}
