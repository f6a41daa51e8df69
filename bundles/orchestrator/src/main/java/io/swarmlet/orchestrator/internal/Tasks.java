package io.swarmlet.orchestrator.internal;

import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.TaskNetworks;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.NetworkAttachment;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Ids;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStates;
import io.swarmlet.api.types.TaskStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The task conventions every manager component shares (new tasks, names,
 * which desired and observed states mean what), in one place. Used by the
 * reconcilers, the restart supervisor and the reaper.
 */
final class Tasks {

    private static final Logger LOG = LogManager.getLogger(Tasks.class);

    /** The message a task starts with, until the scheduler says more. */
    static final String PENDING_MESSAGE = "pending task scheduling";

    /** Oldest first: by creation time (tasks created in the open transaction are the newest), then ID. */
    static final Comparator<Task> OLDEST_FIRST = Comparator.comparingLong(Tasks::createdAt).thenComparing(Task::getId);

    private Tasks() {}

    /**
     * A new task for {@code service} from its current spec, with status PENDING,
     * the service's endpoint, and its network attachments (each with the whole
     * network as {@code tx} has it).
     */
    static Task newTask(ReadTx tx, Service service, long slot, String nodeId, TaskState desired, long now) {
        ServiceSpec spec = service.getSpec();
        String name = spec.getAnnotations().getName() + "." + (isGlobal(spec) ? nodeId : Long.toString(slot));
        Task.Builder t = Task.newBuilder()
                .setId(Ids.newId())
                .setServiceId(service.getId())
                .setSlot(slot)
                .setNodeId(nodeId)
                .setAnnotations(Annotations.newBuilder().setName(name))
                .setServiceAnnotations(spec.getAnnotations())
                .setSpec(spec.getTask())
                .setSpecVersion(service.getSpecVersion())
                .setDesiredState(desired)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.PENDING).setTimestamp(now).setMessage(PENDING_MESSAGE));
        if (service.hasEndpoint()) {
            t.setEndpoint(service.getEndpoint());
        }
        t.addAllNetworks(networks(tx, service));
        if (isJob(spec)) {
            t.setJobIteration(service.getJobStatus().getJobIteration());
        }
        return t.build();
    }

    /**
     * One attachment per network of the service's task spec (whose targets the
     * control API resolved to IDs): the network's ID, the attachment's aliases and
     * the network itself, which the executor creates on the node. A network the
     * store does not have is left out, with a warning (the control API refuses
     * unknown networks and the removal of networks in use, so it should not happen).
     */
    static List<NetworkAttachment> networks(ReadTx tx, Service service) {
        return TaskNetworks.attachments(tx, service.getSpec().getTask(), target -> LOG.warn(
                "service {} ({}) is attached to network {}, which is not in the store: its new tasks are not attached to it",
                service.getSpec().getAnnotations().getName(), service.getId(), target));
    }

    static boolean isGlobal(ServiceSpec spec) {
        return spec.getModeCase() == ServiceSpec.ModeCase.GLOBAL || spec.getModeCase() == ServiceSpec.ModeCase.GLOBAL_JOB;
    }

    static boolean isJob(ServiceSpec spec) {
        return spec.getModeCase() == ServiceSpec.ModeCase.REPLICATED_JOB || spec.getModeCase() == ServiceSpec.ModeCase.GLOBAL_JOB;
    }

    /** Whether the managers want the task to run: RUNNING, or READY while a restart delay runs. */
    static boolean runnable(Task t) {
        return t.getDesiredState() == TaskState.READY || t.getDesiredState() == TaskState.RUNNING;
    }

    static boolean terminal(Task t) {
        return TaskStates.isTerminal(t.getStatus().getState());
    }

    /** Whether a terminal task ended on its own (rather than being stopped or orphaned). */
    static boolean endedByItself(Task t) {
        TaskState s = t.getStatus().getState();
        return s == TaskState.COMPLETE || s == TaskState.FAILED || s == TaskState.REJECTED;
    }

    /** Whether no agent ever got the task: it was never assigned to a node. */
    static boolean neverAssigned(Task t) {
        return t.getStatus().getState().getNumber() < TaskState.ASSIGNED_VALUE;
    }

    /** When the store created it; tasks created in the open transaction have no time yet and count as now. */
    static long createdAt(Task t) {
        long c = t.getMeta().getCreatedAt();
        return c == 0 ? Long.MAX_VALUE : c;
    }

    /** When the task reached its current status, as far as the managers know. */
    static long statusTime(Task t) {
        long ts = t.getStatus().getTimestamp();
        return ts != 0 ? ts : t.getMeta().getUpdatedAt();
    }

    static Task withDesired(Task t, TaskState desired) {
        return t.toBuilder().setDesiredState(desired).build();
    }
}
