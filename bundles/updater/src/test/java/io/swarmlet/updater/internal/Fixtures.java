package io.swarmlet.updater.internal;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.WriteTx;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Config;
import io.swarmlet.api.types.ConfigSpec;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.GlobalService;
import io.swarmlet.api.types.Ids;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.ReplicatedService;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import io.swarmlet.api.types.UpdateConfig;
import io.swarmlet.api.types.UpdateStatus;
import io.swarmlet.api.types.UpdateStatus.UpdateState;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/** Objects and store writes for the updater's tests; writes are made as the control API and orchestrator make them. */
final class Fixtures {

    static final Duration DEADLINE = Duration.ofSeconds(60);

    private Fixtures() {}

    static UpdateConfig config(long parallelism, UpdateConfig.FailureAction action, float maxFailureRatio) {
        return UpdateConfig.newBuilder().setParallelism(parallelism).setFailureAction(action)
                .setMaxFailureRatio(maxFailureRatio).setMonitorMs(200).build();
    }

    static ServiceSpec replicated(String name, long replicas, String image, UpdateConfig update, UpdateConfig rollback) {
        return ServiceSpec.newBuilder()
                .setAnnotations(Annotations.newBuilder().setName(name).putLabels("team", "web"))
                .setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage(image)))
                .setReplicated(ReplicatedService.newBuilder().setReplicas(replicas))
                .setUpdate(update)
                .setRollback(rollback)
                .build();
    }

    static ServiceSpec global(String name, String image, UpdateConfig update) {
        return ServiceSpec.newBuilder()
                .setAnnotations(Annotations.newBuilder().setName(name))
                .setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage(image)))
                .setGlobal(GlobalService.getDefaultInstance())
                .setUpdate(update)
                .setRollback(update)
                .build();
    }

    /**
     * Creates the service (spec version 1) with one RUNNING task per slot, as
     * orchestrator, scheduler and agents would have left it. Returns its ID.
     */
    static String deploy(Store store, ServiceSpec spec, List<String> nodes) {
        String id = Ids.newId();
        Service s = Service.newBuilder().setId(id).setSpec(spec).setSpecVersion(1).build();
        write(store, tx -> {
            tx.create(Kind.SERVICE, s);
            if (spec.hasGlobal()) {
                for (String node : nodes) {
                    tx.create(Kind.TASK, running(s, 0, node));
                }
            } else {
                for (long slot = 1; slot <= spec.getReplicated().getReplicas(); slot++) {
                    tx.create(Kind.TASK, running(s, slot, ""));
                }
            }
        });
        return id;
    }

    private static Task running(Service s, long slot, String node) {
        String name = s.getSpec().getAnnotations().getName() + "." + (node.isEmpty() ? Long.toString(slot) : node);
        return Task.newBuilder().setId(Ids.newId()).setServiceId(s.getId()).setSlot(slot).setNodeId(node)
                .setAnnotations(Annotations.newBuilder().setName(name))
                .setServiceAnnotations(s.getSpec().getAnnotations())
                .setSpec(s.getSpec().getTask()).setSpecVersion(s.getSpecVersion())
                .setDesiredState(TaskState.RUNNING)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.RUNNING).setTimestamp(System.currentTimeMillis()))
                .build();
    }

    static void nodes(Store store, List<String> ids) {
        write(store, tx -> {
            for (String id : ids) {
                tx.create(Kind.NODE, Node.newBuilder().setId(id)
                        .setSpec(NodeSpec.newBuilder().setAvailability(NodeSpec.Availability.ACTIVE)
                                .setMembership(NodeSpec.Membership.ACCEPTED))
                        .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.READY))
                        .build());
            }
        });
    }

    /** {@code service update} as the control API writes it. */
    static void update(Store store, String id, UnaryOperator<ServiceSpec> change) {
        write(store, tx -> {
            Service cur = tx.get(Kind.SERVICE, id).orElseThrow();
            ServiceSpec next = change.apply(cur.getSpec());
            Service.Builder b = cur.toBuilder().setSpec(next).setPreviousSpec(cur.getSpec()).setSpecVersion(cur.getSpecVersion() + 1);
            if (!next.getTask().equals(cur.getSpec().getTask())) {
                b.setUpdateStatus(UpdateStatus.newBuilder().setState(UpdateState.UPDATING)
                        .setStartedAt(System.currentTimeMillis()).setMessage("update in progress"));
            }
            tx.update(Kind.SERVICE, b.build());
        });
    }

    /** {@code service rollback} as the control API writes it. */
    static void rollback(Store store, String id) {
        write(store, tx -> {
            Service cur = tx.get(Kind.SERVICE, id).orElseThrow();
            tx.update(Kind.SERVICE, cur.toBuilder().setSpec(cur.getPreviousSpec()).setPreviousSpec(cur.getSpec())
                    .setSpecVersion(cur.getSpecVersion() + 1)
                    .setUpdateStatus(UpdateStatus.newBuilder().setState(UpdateState.ROLLBACK_STARTED)
                            .setStartedAt(System.currentTimeMillis()).setMessage("manually requested rollback"))
                    .build());
        });
    }

    static ServiceSpec image(ServiceSpec spec, String image) {
        ServiceSpec.Builder b = spec.toBuilder();
        b.getTaskBuilder().getContainerBuilder().setImage(image);
        return b.build();
    }

    static String image(Task t) {
        return t.getSpec().getContainer().getImage();
    }

    /** A store write, retried when it raced another writer. */
    static long write(Store store, Consumer<WriteTx> writer) {
        for (int attempt = 1; ; attempt++) {
            try {
                return store.update(writer);
            } catch (StoreException e) {
                if (e.reason() != StoreException.Reason.SEQUENCE_CONFLICT || attempt >= 50) {
                    throw e;
                }
            }
        }
    }

    static Service service(Store store, String id) {
        return store.view(tx -> tx.get(Kind.SERVICE, id).orElseThrow());
    }

    static List<Task> tasks(Store store, String serviceId) {
        return store.view(tx -> tx.find(Kind.TASK, t -> t.getServiceId().equals(serviceId))).stream()
                .sorted(Comparator.comparingLong(Task::getSlot).thenComparing(t -> t.getMeta().getVersion())).toList();
    }

    /** Tasks the managers want running (desired RUNNING or READY). */
    static List<Task> live(Store store, String serviceId) {
        return tasks(store, serviceId).stream().filter(Slots::live).toList();
    }

    static UpdateStatus awaitState(Store store, String id, UpdateState state) throws InterruptedException {
        await("update status " + state, () -> service(store, id).getUpdateStatus().getState() == state);
        return service(store, id).getUpdateStatus();
    }

    /** Waits until the updater has taken in (and acted upon) everything written so far. */
    static void awaitIdle(Store store, Updater updater) throws InterruptedException {
        long marker = write(store, tx -> tx.create(Kind.CONFIG, Config.newBuilder().setId(Ids.newId())
                .setSpec(ConfigSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("marker-" + Ids.newId())))
                .build()));
        await("the updater to reach index " + marker, () -> updater.processedIndex() >= marker);
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
