package io.swarmlet.orchestrator.internal;

import static io.swarmlet.orchestrator.internal.Harness.ready;
import static io.swarmlet.orchestrator.internal.Harness.restart;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.types.GlobalService;
import io.swarmlet.api.types.IPAMConfig;
import io.swarmlet.api.types.IPAMOptions;
import io.swarmlet.api.types.Ids;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.NetworkAttachment;
import io.swarmlet.api.types.NetworkAttachmentConfig;
import io.swarmlet.api.types.NetworkSpec;
import io.swarmlet.api.types.ReplicatedService;
import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tasks carry their service's networks, each with the whole network object, as the executor needs it. */
class NetworkAttachmentsTest {

    private static final RestartPolicy ANY = restart(RestartPolicy.Condition.ANY, 0, 0);

    @TempDir
    Path dir;

    private Harness h;

    @BeforeEach
    void start() throws Exception {
        h = Harness.start(dir, 5, ready("n1"), ready("n2"));
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private Network network(String name, String subnet) {
        Network n = Network.newBuilder().setId(Ids.newId())
                .setSpec(NetworkSpec.newBuilder().setAnnotations(io.swarmlet.api.types.Annotations.newBuilder()
                        .setName(name).putLabels("com.docker.stack.namespace", "app")))
                .setIpam(IPAMOptions.newBuilder().addConfigs(IPAMConfig.newBuilder().setSubnet(subnet)))
                .build();
        h.store.update(tx -> tx.create(Kind.NETWORK, n));
        return h.store.view(tx -> tx.get(Kind.NETWORK, n.getId()).orElseThrow());
    }

    private static NetworkAttachmentConfig attach(String networkId, String... aliases) {
        return NetworkAttachmentConfig.newBuilder().setTarget(networkId).addAllAliases(List.of(aliases)).build();
    }

    @Test
    void newTasksAreAttachedToTheServicesNetworksWithTheWholeNetwork() {
        Network front = network("app_front", "10.0.1.0/24");
        Network back = network("app_back", "10.0.2.0/24");
        ServiceSpec.Builder b = Harness.spec("app_web", ANY).setReplicated(ReplicatedService.newBuilder().setReplicas(2));
        b.getTaskBuilder().addNetworks(attach(front.getId(), "web", "www")).addNetworks(attach(back.getId()))
                .addNetworks(attach("gone0000000000000000000000"));
        Service s = h.createService(b.build());

        List<Task> tasks = h.awaitTasks("2 tasks", s.getId(), 2, t -> true);
        for (Task t : tasks) {
            assertEquals(List.of(
                    NetworkAttachment.newBuilder().setNetworkId(front.getId()).addAliases("web").addAliases("www")
                            .setNetwork(front).build(),
                    NetworkAttachment.newBuilder().setNetworkId(back.getId()).setNetwork(back).build()),
                    t.getNetworksList(), "a network missing from the store is left out");
            assertEquals(s.getSpec().getTask(), t.getSpec());
        }
    }

    @Test
    void globalTasksAndReplacementsCarryTheNetworksOfTheCurrentSpec() {
        Network front = network("app_front", "10.0.1.0/24");
        Network back = network("app_back", "10.0.2.0/24");
        ServiceSpec.Builder b = Harness.spec("app_agent", ANY).setGlobal(GlobalService.getDefaultInstance());
        b.getTaskBuilder().addNetworks(attach(front.getId()));
        Service s = h.createService(b.build());
        List<Task> tasks = h.awaitTasks("a task per node", s.getId(), 2, t -> true);
        for (Task t : tasks) {
            assertEquals(List.of(front.getId()), t.getNetworksList().stream().map(NetworkAttachment::getNetworkId).toList());
            assertEquals(front, t.getNetworks(0).getNetwork());
        }

        // the networks change (the updater rolls the tasks; here one fails first and is replaced from the new spec)
        h.updateSpec(s.getId(), u -> {
            u.getTaskBuilder().clearNetworks().addNetworks(attach(back.getId(), "agent"));
            return u;
        });
        Task first = tasks.get(0);
        h.run(first.getId(), first.getNodeId());
        h.report(first.getId(), TaskState.FAILED, "exit 1");
        Task replacement = h.await("a replacement", () -> h.tasks(s.getId(), t -> !t.getId().equals(first.getId())
                && t.getNodeId().equals(first.getNodeId())).stream().findFirst().orElse(null));
        assertEquals(List.of(NetworkAttachment.newBuilder().setNetworkId(back.getId()).addAliases("agent")
                .setNetwork(back).build()), replacement.getNetworksList());
    }
}
