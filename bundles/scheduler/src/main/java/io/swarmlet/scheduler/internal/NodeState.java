package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeInfo;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One node in the scheduler's in-memory model: the node object and the tasks
 * that hold a place on it (assigned, not finished), kept up to date from watch
 * events and from the scheduler's own decisions, so that no filter ever reads
 * the store. Resources reserved by a task count until it finishes; a task
 * counts towards the node's and its service's totals while it is
 * {@linkplain TaskFacts#active active}.
 *
 * <p>Owned and changed only by the scheduler loop's thread; filters get it as
 * a read-only {@link NodeInfo}.
 */
final class NodeState implements NodeInfo {

    private Node node;
    private final Map<String, Task> tasks = new HashMap<>();
    private final Map<String, Integer> byService = new HashMap<>();
    private final Map<String, Integer> ports = new HashMap<>();
    private final Map<String, Integer> byServiceView = Collections.unmodifiableMap(byService);
    private final Set<String> portsView = Collections.unmodifiableSet(ports.keySet());
    private int active;
    private long reservedCpu;
    private long reservedMemory;
    private Resources available;

    NodeState(Node node) {
        this.node = node;
    }

    String id() {
        return node.getId();
    }

    void setNode(Node n) {
        node = n;
        available = null;
    }

    @Override
    public Node node() {
        return node;
    }

    @Override
    public Resources available() {
        Resources r = available;
        if (r == null) {
            Resources total = node.getDescription().getResources();
            r = Resources.newBuilder()
                    .setNanoCpus(total.getNanoCpus() - reservedCpu)
                    .setMemoryBytes(total.getMemoryBytes() - reservedMemory)
                    .build();
            available = r;
        }
        return r;
    }

    @Override
    public Map<String, Integer> tasksByService() {
        return byServiceView;
    }

    @Override
    public Set<String> usedHostPorts() {
        return portsView;
    }

    @Override
    public int totalTasks() {
        return active;
    }

    /** Active tasks of that service here. */
    int count(String serviceId) {
        Integer n = byService.get(serviceId);
        return n == null ? 0 : n;
    }

    /** The task as tracked here, or null. */
    Task task(String taskId) {
        return tasks.get(taskId);
    }

    /**
     * Tracks the task here, replacing an earlier version of it.
     *
     * @return whether what the node offers changed (reservations, ports, counts)
     */
    boolean add(Task t) {
        Task old = tasks.put(t.getId(), t);
        if (old != null) {
            if (sameFootprint(old, t)) {
                return false;
            }
            unaccount(old);
        }
        account(t);
        return true;
    }

    /** Stops tracking the task; returns what was tracked, or null. */
    Task remove(String taskId) {
        Task old = tasks.remove(taskId);
        if (old != null) {
            unaccount(old);
        }
        return old;
    }

    private static boolean sameFootprint(Task a, Task b) {
        return TaskFacts.active(a) == TaskFacts.active(b)
                && a.getServiceId().equals(b.getServiceId())
                && TaskFacts.reservations(a).equals(TaskFacts.reservations(b))
                && TaskFacts.hostPorts(a).equals(TaskFacts.hostPorts(b));
    }

    private void account(Task t) {
        Resources r = TaskFacts.reservations(t);
        reservedCpu += r.getNanoCpus();
        reservedMemory += r.getMemoryBytes();
        available = null;
        List<String> hp = TaskFacts.hostPorts(t);
        for (String p : hp) {
            ports.merge(p, 1, Integer::sum);
        }
        if (TaskFacts.active(t)) {
            active++;
            byService.merge(t.getServiceId(), 1, Integer::sum);
        }
    }

    private void unaccount(Task t) {
        Resources r = TaskFacts.reservations(t);
        reservedCpu -= r.getNanoCpus();
        reservedMemory -= r.getMemoryBytes();
        available = null;
        for (String p : TaskFacts.hostPorts(t)) {
            ports.computeIfPresent(p, (k, n) -> n == 1 ? null : n - 1);
        }
        if (TaskFacts.active(t)) {
            active--;
            byService.computeIfPresent(t.getServiceId(), (k, n) -> n == 1 ? null : n - 1);
        }
    }

    @Override
    public String toString() {
        return "node " + node.getId() + " (" + active + " tasks)";
    }
}
