package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmlet.api.types.ListTasksRequest;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /containers/json}, read-only: the task containers the control API knows of
 * (tasks with a container ID, on every node), in Docker's container list shape with the
 * labels Docker's swarm executor puts on them. Every other {@code /containers} path is
 * the engine's (501, from the {@link Router}).
 */
final class ContainersApi implements Router.Group {

    private static final Set<String> STATES = Set.of("created", "restarting", "running", "removing", "paused", "exited", "dead");

    @Override
    public void register(Router r) {
        r.get("/containers/json", this::list);
    }

    private JsonNode list(Call c) {
        Filters f = c.filters().check("id", "name", "label", "status");
        for (String s : f.get("status")) {
            if (!STATES.contains(s)) {
                throw DockerError.badRequest("invalid filter 'status=" + s + "'");
            }
        }
        long limit = c.number("limit", 0);
        // As dockerd: a status filter or a limit (docker ps -n) includes stopped containers.
        boolean all = c.flag("all") || f.has("status") || limit > 0;
        List<Task> tasks = new ArrayList<>(c.api().listTasks(ListTasksRequest.getDefaultInstance()).getTasksList());
        tasks.sort(Comparator.comparingLong((Task t) -> t.getMeta().getCreatedAt()).reversed());
        ArrayNode out = Json.array();
        for (Task t : tasks) {
            String cid = t.getStatus().getContainerStatus().getContainerId();
            if (cid.isEmpty()) {
                continue;
            }
            String state = state(t.getStatus().getState());
            String name = name(t);
            Map<String, String> labels = labels(t);
            boolean keep = (all || state.equals("running"))
                    && Shapes.anyPrefix(f.get("id"), cid)
                    && (f.get("name").isEmpty() || f.get("name").stream().anyMatch(n -> ("/" + name).contains(n)))
                    && Shapes.labelsMatch(f.labels(), labels)
                    && (f.get("status").isEmpty() || f.get("status").contains(state));
            if (!keep) {
                continue;
            }
            if (limit > 0 && out.size() >= limit) {
                break;
            }
            out.add(json(t, cid, name, state, labels));
        }
        return out;
    }

    /** Docker's name for a task's container: service.slot.task (service.node.task for a global service). */
    static String name(Task t) {
        String service = t.getServiceAnnotations().getName();
        return service + "." + (t.getSlot() != 0 ? Long.toString(t.getSlot()) : t.getNodeId()) + "." + t.getId();
    }

    /** The container's labels: its spec's, and those Docker's swarm executor adds. */
    static Map<String, String> labels(Task t) {
        Map<String, String> l = new LinkedHashMap<>(t.getSpec().getContainer().getLabelsMap());
        l.put("com.docker.swarm.node.id", t.getNodeId());
        l.put("com.docker.swarm.service.id", t.getServiceId());
        l.put("com.docker.swarm.service.name", t.getServiceAnnotations().getName());
        l.put("com.docker.swarm.task", "");
        l.put("com.docker.swarm.task.id", t.getId());
        l.put("com.docker.swarm.task.name", name(t));
        return l;
    }

    static String state(TaskState s) {
        if (s == TaskState.RUNNING) {
            return "running";
        }
        return s.getNumber() < TaskState.RUNNING_VALUE ? "created" : "exited";
    }

    private static ObjectNode json(Task t, String cid, String name, String state, Map<String, String> labels) {
        ObjectNode o = Json.object();
        o.put("Id", cid);
        o.putArray("Names").add("/" + name);
        o.put("Image", t.getSpec().getContainer().getImage());
        o.put("ImageID", "");
        List<String> cmd = new ArrayList<>(t.getSpec().getContainer().getCommandList());
        cmd.addAll(t.getSpec().getContainer().getArgsList());
        o.put("Command", String.join(" ", cmd));
        o.put("Created", t.getMeta().getCreatedAt() / 1000);
        o.putArray("Ports");
        o.set("Labels", Json.labels(labels));
        o.put("State", state);
        o.put("Status", status(t, state));
        o.putObject("HostConfig").put("NetworkMode", "default");
        o.putObject("NetworkSettings").putObject("Networks");
        o.putArray("Mounts");
        return o;
    }

    private static String status(Task t, String state) {
        return switch (state) {
            case "running" -> "Up " + human(System.currentTimeMillis() - t.getStatus().getTimestamp());
            case "created" -> "Created";
            default -> "Exited (" + t.getStatus().getContainerStatus().getExitCode() + ") "
                    + human(System.currentTimeMillis() - t.getStatus().getTimestamp()) + " ago";
        };
    }

    /** Docker's units.HumanDuration, roughly. */
    static String human(long millis) {
        long s = Math.max(0, millis / 1000);
        if (s < 1) {
            return "Less than a second";
        }
        if (s < 60) {
            return s + " seconds";
        }
        long m = s / 60;
        if (m < 60) {
            return m == 1 ? "About a minute" : m + " minutes";
        }
        long h = m / 60;
        if (h < 48) {
            return h == 1 ? "About an hour" : h + " hours";
        }
        return h / 24 + " days";
    }
}
