package io.swarmlet.updater.internal;

import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.Ids;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import io.swarmlet.api.types.UpdateStatus.UpdateState;
import io.swarmlet.api.types.UpdateStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * The objects the updater writes: replacement tasks (the task conventions every
 * manager component shares) and the service's update status, with docker's messages.
 */
final class Transitions {

    private static final org.apache.logging.log4j.Logger LOG = org.apache.logging.log4j.LogManager.getLogger(Transitions.class);

    static final String IN_PROGRESS = "update in progress";
    static final String UPDATE_COMPLETED = "update completed";
    static final String ROLLBACK_COMPLETED = "rollback completed";

    private Transitions() {}

    /**
     * A new task for a slot, from the service's current spec: PENDING, desired
     * RUNNING, no node unless global, the service's endpoint.
     */
    static Task replacement(io.swarmlet.api.store.ReadTx tx, Service s, Slots.Slot slot, long now) {
        ServiceSpec spec = s.getSpec();
        boolean global = Slots.isGlobal(s);
        String name = spec.getAnnotations().getName() + "." + (global ? slot.nodeId() : Long.toString(slot.slot()));
        Task.Builder t = Task.newBuilder()
                .setId(Ids.newId())
                .setServiceId(s.getId())
                .setSlot(global ? 0 : slot.slot())
                .setNodeId(global ? slot.nodeId() : "")
                .setAnnotations(Annotations.newBuilder().setName(name))
                .setServiceAnnotations(spec.getAnnotations())
                .setSpec(spec.getTask())
                .setSpecVersion(s.getSpecVersion())
                .setDesiredState(TaskState.RUNNING)
                .setStatus(TaskStatus.newBuilder()
                        .setState(TaskState.PENDING)
                        .setTimestamp(now)
                        .setMessage("pending task scheduling"));
        if (s.hasEndpoint()) {
            t.setEndpoint(s.getEndpoint());
        }
        t.addAllNetworks(io.swarmlet.api.store.TaskNetworks.attachments(tx, spec.getTask(), target -> LOG.warn(
                "service {} ({}) is attached to network {}, which is not in the store: its new tasks are not attached to it",
                spec.getAnnotations().getName(), s.getId(), target)));
        return t.build();
    }

    /**
     * The task told to stop: SHUTDOWN, or REMOVE if it never reached a node
     * (no agent would ever stop it), as the orchestrator does.
     */
    static Task stopped(Task t) {
        boolean neverAssigned = t.getStatus().getState().getNumber() < TaskState.ASSIGNED_VALUE;
        return t.toBuilder().setDesiredState(neverAssigned ? TaskState.REMOVE : TaskState.SHUTDOWN).build();
    }

    /** Tasks out of date with no update running (the spec was written around the control API): one starts. */
    static Service start(Service s, long now) {
        return s.toBuilder().setUpdateStatus(UpdateStatus.newBuilder()
                .setState(UpdateState.UPDATING).setStartedAt(now).setMessage(IN_PROGRESS)).build();
    }

    static Service pause(Service s, boolean rollback, String taskId, String why) {
        String message = (rollback ? "rollback paused" : "update paused")
                + " due to failure or early termination of task " + taskId + why;
        return s.toBuilder().setUpdateStatus(s.getUpdateStatus().toBuilder()
                .setState(rollback ? UpdateState.ROLLBACK_PAUSED : UpdateState.PAUSED)
                .setMessage(message)).build();
    }

    /**
     * The automatic rollback: the previous spec comes back (as the control API's
     * {@code --rollback} does), the failed one becomes the previous spec.
     */
    static Service rollback(Service s, String taskId, long now) {
        ServiceSpec previous = s.getPreviousSpec();
        return s.toBuilder()
                .setSpec(previous)
                .setPreviousSpec(s.getSpec())
                .setSpecVersion(s.getSpecVersion() + 1)
                .setEndpoint(endpointFor(previous.getEndpoint(), s.getEndpoint()))
                .setUpdateStatus(UpdateStatus.newBuilder()
                        .setState(UpdateState.ROLLBACK_STARTED)
                        .setStartedAt(now)
                        .setMessage("update rolled back due to failure or early termination of task " + taskId))
                .build();
    }

    static Service complete(Service s, boolean rollback, long now) {
        return s.toBuilder().setUpdateStatus(s.getUpdateStatus().toBuilder()
                .setState(rollback ? UpdateState.ROLLBACK_COMPLETED : UpdateState.COMPLETED)
                .setCompletedAt(now)
                .setMessage(rollback ? ROLLBACK_COMPLETED : UPDATE_COMPLETED)).build();
    }

    /**
     * The endpoint a rolled-back spec gets: its named ports as they are, its
     * dynamic ingress ports on the published port the service holds for the same
     * target (the control API allocated them; a rollback never needs a new one
     * unless the failed update removed the port, which then stays unpublished
     * until the next update).
     */
    static Endpoint endpointFor(EndpointSpec spec, Endpoint current) {
        List<PortConfig> held = new ArrayList<>(current.getPortsList());
        Endpoint.Builder e = current.toBuilder().setSpec(spec).clearPorts();
        for (PortConfig p : spec.getPortsList()) {
            PortConfig out = p;
            if (p.getPublishMode() == PortConfig.PublishMode.INGRESS && p.getPublishedPort() == 0) {
                for (int i = 0; i < held.size(); i++) {
                    PortConfig h = held.get(i);
                    if (h.getPublishMode() == p.getPublishMode() && h.getProtocol() == p.getProtocol()
                            && h.getTargetPort() == p.getTargetPort() && h.getPublishedPort() != 0) {
                        out = p.toBuilder().setPublishedPort(h.getPublishedPort()).build();
                        held.remove(i);
                        break;
                    }
                }
            }
            e.addPorts(out);
        }
        return e.build();
    }
}
