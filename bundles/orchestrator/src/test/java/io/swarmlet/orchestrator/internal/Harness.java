package io.swarmlet.orchestrator.internal;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.ClusterSpec;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.Ids;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.OrchestrationConfig;
import io.swarmlet.api.types.ReplicatedJob;
import io.swarmlet.api.types.ReplicatedService;
import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A real one-member store, a cluster object, some nodes and a running
 * orchestrator; the test plays the scheduler and the agents by writing task
 * changes to the store, as they would. Every event the store commits is
 * recorded, so tests can check what was written in between.
 */
final class Harness implements AutoCloseable {

    static final Duration DEADLINE = Duration.ofSeconds(30);

    final SingleNodeStore fixture;
    final Store store;
    final Orchestrator orchestrator;
    private final Watch<Boolean> watch;
    private final List<StoreEvent> events = new ArrayList<>();

    private Harness(SingleNodeStore fixture, long historyLimit, int writesPerTransaction, List<Node> nodes) {
        this.fixture = fixture;
        this.store = fixture.store();
        store.update(tx -> {
            tx.create(Kind.CLUSTER, Cluster.newBuilder().setId("cluster0000000000000000001")
                    .setSpec(ClusterSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("default"))
                            .setOrchestration(OrchestrationConfig.newBuilder().setTaskHistoryRetentionLimit(historyLimit)))
                    .build());
            for (Node n : nodes) {
                tx.create(Kind.NODE, n);
            }
        });
        this.watch = store.watch(tx -> Boolean.TRUE);
        this.orchestrator = new Orchestrator(store, new Settings(writesPerTransaction, 100));
        fixture.addListener(orchestrator::leadershipChanged); // as the leader condition would
    }

    static Harness start(Path dir, long historyLimit, Node... nodes) throws Exception {
        return start(dir, historyLimit, 200, nodes);
    }

    static Harness start(Path dir, long historyLimit, int writesPerTransaction, Node... nodes) throws Exception {
        SingleNodeStore f = SingleNodeStore.start(dir);
        Harness h = new Harness(f, historyLimit, writesPerTransaction, List.of(nodes));
        h.await("the orchestrator to start", h.orchestrator::running);
        return h;
    }

    @Override
    public void close() {
        orchestrator.leadershipChanged(false);
        watch.close();
        fixture.close();
    }

    // ------------------------------------------------------------------ objects

    static Node node(String id, NodeStatus.State state, NodeSpec.Availability availability, Map<String, String> labels) {
        return Node.newBuilder().setId(id)
                .setSpec(NodeSpec.newBuilder().setAnnotations(Annotations.newBuilder().putAllLabels(labels))
                        .setAvailability(availability).setMembership(NodeSpec.Membership.ACCEPTED))
                .setDescription(NodeDescription.newBuilder().setHostname("host-" + id))
                .setStatus(NodeStatus.newBuilder().setState(state))
                .setRole(NodeRole.WORKER)
                .build();
    }

    /** Sets a node label (node.labels.KEY in constraints). */
    static Node.Builder label(Node.Builder b, String key, String value) {
        b.getSpecBuilder().getAnnotationsBuilder().putLabels(key, value);
        return b;
    }

    static Node ready(String id) {
        return node(id, NodeStatus.State.READY, NodeSpec.Availability.ACTIVE, Map.of());
    }

    static RestartPolicy restart(RestartPolicy.Condition condition, long delayMs, long maxAttempts) {
        return RestartPolicy.newBuilder().setCondition(condition).setDelayMs(delayMs).setMaxAttempts(maxAttempts).build();
    }

    /** A spec as the control API would store it: image, restart policy, and the given mode. */
    static ServiceSpec.Builder spec(String name, RestartPolicy restart) {
        return ServiceSpec.newBuilder()
                .setAnnotations(Annotations.newBuilder().setName(name).putLabels("tier", "test"))
                .setTask(TaskSpec.newBuilder()
                        .setContainer(ContainerSpec.newBuilder().setImage("swarmlet/busybox:1"))
                        .setRestart(restart));
    }

    static ServiceSpec replicated(String name, long replicas, RestartPolicy restart) {
        return spec(name, restart).setReplicated(ReplicatedService.newBuilder().setReplicas(replicas)).build();
    }

    static ServiceSpec replicatedJob(String name, long total, long maxConcurrent, RestartPolicy restart) {
        return spec(name, restart).setReplicatedJob(ReplicatedJob.newBuilder()
                .setTotalCompletions(total).setMaxConcurrent(maxConcurrent)).build();
    }

    Service createService(ServiceSpec spec) {
        Service s = Service.newBuilder().setId(Ids.newId()).setSpec(spec).setSpecVersion(1).build();
        store.update(tx -> tx.create(Kind.SERVICE, s));
        return service(s.getId());
    }

    /** Changes the spec as the control API does (a new spec version). */
    Service updateSpec(String serviceId, UnaryOperator<ServiceSpec.Builder> change) {
        retrying(() -> store.update(tx -> {
            Service cur = tx.get(Kind.SERVICE, serviceId).orElseThrow();
            tx.update(Kind.SERVICE, cur.toBuilder()
                    .setSpec(change.apply(cur.getSpec().toBuilder()))
                    .setPreviousSpec(cur.getSpec())
                    .setSpecVersion(cur.getSpecVersion() + 1).build());
        }));
        return service(serviceId);
    }

    void removeService(String serviceId) {
        store.update(tx -> tx.delete(Kind.SERVICE, serviceId));
    }

    Service service(String id) {
        return store.view(tx -> tx.get(Kind.SERVICE, id).orElseThrow());
    }

    void updateNode(String id, UnaryOperator<Node.Builder> change) {
        retrying(() -> store.update(tx -> {
            Node cur = tx.get(Kind.NODE, id).orElseThrow();
            tx.update(Kind.NODE, change.apply(cur.toBuilder()).build());
        }));
    }

    void updateSpecOfCluster(long historyLimit) {
        retrying(() -> store.update(tx -> {
            Cluster cur = tx.all(Kind.CLUSTER).get(0);
            tx.update(Kind.CLUSTER, cur.toBuilder().setSpec(cur.getSpec().toBuilder()
                    .setOrchestration(OrchestrationConfig.newBuilder().setTaskHistoryRetentionLimit(historyLimit))).build());
        }));
    }

    void addNode(Node n) {
        store.update(tx -> tx.create(Kind.NODE, n));
    }

    void removeNode(String id) {
        store.update(tx -> tx.delete(Kind.NODE, id));
    }

    // ------------------------------------------------------------------ the scheduler and the agents

    /** Changes a task as another component would: read, change, write; again if someone changed it meanwhile. */
    Task updateTask(String taskId, UnaryOperator<Task.Builder> change) {
        AtomicReference<Task> written = new AtomicReference<>();
        retrying(() -> store.update(tx -> {
            Task cur = tx.get(Kind.TASK, taskId).orElseThrow();
            written.set(change.apply(cur.toBuilder()).build());
            tx.update(Kind.TASK, written.get());
        }));
        // as committed; the orchestrator may have changed it since (fine for callers), or even reaped it
        // already (a terminal task told to go), in which case the caller gets what was written
        return task(taskId).orElse(written.get());
    }

    /** The scheduler's part: a node for a pending task. */
    Task assign(String taskId, String nodeId) {
        return updateTask(taskId, b -> b.setNodeId(nodeId).setStatus(b.getStatus().toBuilder()
                .setState(TaskState.ASSIGNED).setTimestamp(System.currentTimeMillis()).setMessage("scheduler assigned task to node")));
    }

    /** The agent's part: a status report. */
    Task report(String taskId, TaskState state, String err) {
        return updateTask(taskId, b -> b.setStatus(b.getStatus().toBuilder()
                .setState(state).setTimestamp(System.currentTimeMillis()).setMessage(state.name().toLowerCase()).setErr(err)));
    }

    Task report(String taskId, TaskState state) {
        return report(taskId, state, "");
    }

    /** Scheduler and agent: the task runs on that node. */
    Task run(String taskId, String nodeId) {
        assign(taskId, nodeId);
        return report(taskId, TaskState.RUNNING);
    }

    // ------------------------------------------------------------------ reading

    List<Task> tasks(String serviceId) {
        List<Task> out = new ArrayList<>(store.view(tx -> tx.find(Kind.TASK, t -> t.getServiceId().equals(serviceId))));
        out.sort(Comparator.comparingLong(Task::getSlot).thenComparing(Tasks.OLDEST_FIRST));
        return out;
    }

    List<Task> tasks(String serviceId, Predicate<Task> p) {
        return tasks(serviceId).stream().filter(p).toList();
    }

    Optional<Task> task(String id) {
        return store.view(tx -> tx.get(Kind.TASK, id));
    }

    long index() {
        return store.view(tx -> tx.index());
    }

    /** Every event committed since the harness started, in order. */
    List<StoreEvent> events() {
        StoreEvent e;
        try {
            while ((e = watch.poll(Duration.ZERO)) != null) {
                events.add(e);
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        return List.copyOf(events);
    }

    /** Every version of one task that was committed, oldest first (creates and updates). */
    List<Task> history(String taskId) {
        List<Task> out = new ArrayList<>();
        for (StoreEvent e : events()) {
            Task t = e.objectAs(Kind.TASK);
            if (t != null && t.getId().equals(taskId) && e.action() != StoreEvent.Action.REMOVE) {
                out.add(t);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ waiting

    /**
     * Returns once the orchestrator has made a pass over every service after
     * this call: a node change marks every service, and a probe service's task
     * appears no earlier than that pass.
     */
    void barrier() {
        String nodeId = store.view(tx -> tx.all(Kind.NODE).get(0).getId());
        updateNode(nodeId, b -> Harness.label(b, "barrier", Ids.newId()));
        Service probe = createService(replicated("probe-" + Ids.newId().substring(0, 8), 1,
                restart(RestartPolicy.Condition.NONE, 0, 0)));
        awaitTasks("the probe's task", probe.getId(), 1, t -> true);
        removeService(probe.getId());
        await("the probe's task gone", () -> tasks(probe.getId()).isEmpty());
    }

    /** Polls until {@code probe} returns something other than null or false, failing after {@link #DEADLINE}. */
    <T> T await(String what, java.util.concurrent.Callable<T> probe) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        try {
            while (true) {
                T v = probe.call();
                if (v != null && !Boolean.FALSE.equals(v)) {
                    return v;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out waiting for " + what);
                }
                Thread.sleep(10);
            }
        } catch (AssertionError | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Waits until the service has exactly {@code n} tasks matching {@code p}; returns them. */
    List<Task> awaitTasks(String what, String serviceId, int n, Predicate<Task> p) {
        return await(what, () -> {
            List<Task> l = tasks(serviceId, p);
            return l.size() == n ? l : null;
        });
    }

    private static <T> T retryingGet(Supplier<T> write) {
        for (int attempt = 1; ; attempt++) {
            try {
                return write.get();
            } catch (StoreException e) {
                if (e.reason() != StoreException.Reason.SEQUENCE_CONFLICT || attempt == 20) {
                    throw e;
                }
            }
        }
    }

    private static void retrying(Runnable write) {
        retryingGet(() -> {
            write.run();
            return null;
        });
    }
}
