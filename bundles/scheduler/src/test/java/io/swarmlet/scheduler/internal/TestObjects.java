package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.api.types.NodeSpec;
import io.swarmlet.api.types.NodeStatus;
import io.swarmlet.api.types.Platform;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.ResourceRequirements;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Nodes and tasks as the node bundle and the orchestrator write them, and polling with a deadline. */
final class TestObjects {

    static final long GB = 1L << 30;
    static final long CPU = 1_000_000_000L;

    private TestObjects() {}

    /** A ready, active worker with 4 CPUs and 8 GB. */
    static Node.Builder node(String id) {
        return Node.newBuilder()
                .setId(id)
                .setSpec(NodeSpec.newBuilder()
                        .setAnnotations(Annotations.newBuilder().setName(id))
                        .setMembership(NodeSpec.Membership.ACCEPTED)
                        .setAvailability(NodeSpec.Availability.ACTIVE))
                .setRole(NodeRole.WORKER)
                .setDescription(NodeDescription.newBuilder()
                        .setHostname("host-" + id)
                        .setPlatform(Platform.newBuilder().setOs("linux").setArchitecture("x86_64"))
                        .setResources(Resources.newBuilder().setNanoCpus(4 * CPU).setMemoryBytes(8 * GB)))
                .setStatus(NodeStatus.newBuilder().setState(NodeStatus.State.READY));
    }

    static Node.Builder withMemory(Node.Builder n, long bytes) {
        n.getDescriptionBuilder().getResourcesBuilder().setMemoryBytes(bytes);
        return n;
    }

    static Node.Builder availability(Node.Builder n, NodeSpec.Availability a) {
        n.getSpecBuilder().setAvailability(a);
        return n;
    }

    static Node.Builder label(Node.Builder n, String key, String value) {
        n.getSpecBuilder().getAnnotationsBuilder().putLabels(key, value);
        return n;
    }

    /** A task of that service as the orchestrator creates it: PENDING, desired RUNNING, no node. */
    static Task.Builder task(String id, String serviceId, long slot) {
        return Task.newBuilder()
                .setId(id)
                .setServiceId(serviceId)
                .setSlot(slot)
                .setSpecVersion(1)
                .setAnnotations(Annotations.newBuilder().setName(serviceId + "." + slot))
                .setServiceAnnotations(Annotations.newBuilder().setName(serviceId))
                .setSpec(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage("nginx:alpine")))
                .setDesiredState(TaskState.RUNNING)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.PENDING).setMessage("pending task scheduling"));
    }

    static Task.Builder reserve(Task.Builder t, long nanoCpus, long memoryBytes) {
        t.getSpecBuilder().setResources(ResourceRequirements.newBuilder()
                .setReservations(Resources.newBuilder().setNanoCpus(nanoCpus).setMemoryBytes(memoryBytes)));
        return t;
    }

    static Task.Builder constraint(Task.Builder t, String... exprs) {
        for (String e : exprs) {
            t.getSpecBuilder().getPlacementBuilder().addConstraints(e);
        }
        return t;
    }

    static Task.Builder hostPort(Task.Builder t, int published, int target) {
        t.setEndpoint(Endpoint.newBuilder().setSpec(EndpointSpec.newBuilder().addPorts(PortConfig.newBuilder()
                .setProtocol(PortConfig.Protocol.TCP)
                .setPublishMode(PortConfig.PublishMode.HOST)
                .setPublishedPort(published)
                .setTargetPort(target))));
        return t;
    }

    /** A task already placed and running on that node. */
    static Task.Builder running(Task.Builder t, String nodeId) {
        return t.setNodeId(nodeId).setStatus(TaskStatus.newBuilder().setState(TaskState.RUNNING).setMessage("started"));
    }

    /** Polls {@code condition} until it holds, failing after {@code timeout}. */
    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }
}
