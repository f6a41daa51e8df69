package io.swarmlet.dockerapi.internal;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.controlapi.internal.RealControlApi;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The API as the tests meet it: a real one-member store, the controlapi bundle's real
 * control API (secrets sealed by its test vault), a manager {@link #M1} and a worker
 * {@link #W1} in the store, and the server on a unix socket in {@code dir}.
 * {@link #control} may be set to null to see the API without a control API.
 */
final class ApiHarness implements AutoCloseable {

    static final String M1 = id("nodem1");
    static final String W1 = id("nodew1");

    final SingleNodeStore running;
    final Store store;
    final ControlApi api;
    final AtomicReference<ControlApi> control = new AtomicReference<>();
    final DockerApiServer server;
    final UnixHttp http;

    static String id(String prefix) {
        return RealControlApi.id(prefix);
    }

    ApiHarness(Path dir) throws Exception {
        this(dir, null);
    }

    /** With the server also on {@code tls}'s TCP address (mutual TLS) if not null. */
    ApiHarness(Path dir, DockerApiServer.Tls tls) throws Exception {
        running = SingleNodeStore.start(dir.resolve("store"));
        store = running.store();
        api = RealControlApi.withSecrets(store, new RealControlApi.Local(M1, dir, SingleNodeStore.CLUSTER_ID));
        control.set(api);
        store.update(tx -> {
            Cluster.Builder c = Cluster.newBuilder().setId(SingleNodeStore.CLUSTER_ID);
            c.getSpecBuilder().getAnnotationsBuilder().setName("default");
            c.getJoinTokensBuilder().setWorker("SWMTKN-1-worker").setManager("SWMTKN-1-manager");
            tx.create(Kind.CLUSTER, c.build());
            tx.create(Kind.NODE, RealControlApi.node(M1, "m1", NodeRole.MANAGER, true));
            tx.create(Kind.NODE, RealControlApi.node(W1, "w1", NodeRole.WORKER, false));
        });
        server = new DockerApiServer(control::get, "0.1.0");
        server.start(dir.resolve("docker.sock"), tls);
        http = new UnixHttp(server.socket());
    }

    @Override
    public void close() {
        server.close();
        RealControlApi.stop(api);
        running.close();
    }
}
