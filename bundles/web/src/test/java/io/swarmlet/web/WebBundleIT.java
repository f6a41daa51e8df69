package io.swarmlet.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.testing.FreePorts;
import io.swarmlet.api.types.Node;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.jar.JarFile;
import io.swarmlet.api.testing.BareFelix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

/**
 * The built bundle in a bare Felix with SCR and Felix's own system packages (as
 * the launcher starts it): it resolves (com.sun.net.httpserver from the system
 * bundle, Jackson private, nothing exported), listens on
 * {@code swarmlet.http.addr} once a {@link Store} is registered, serves the
 * contract from its own jar, stops listening when the store goes and listens
 * on the same port again when it comes back.
 */
class WebBundleIT {

    @TempDir
    Path tmp;

    /** A store with one node and nothing else. */
    private static final class OneNodeStore implements Store {
        final Node node = Node.newBuilder().setId("node00000000000000000000001").build();

        @Override
        public <R> R view(Function<ReadTx, R> reader) {
            return reader.apply(new ReadTx() {
                @Override
                @SuppressWarnings("unchecked")
                public <T extends com.google.protobuf.Message> Optional<T> get(io.swarmlet.api.store.Kind<T> kind, String id) {
                    return kind == io.swarmlet.api.store.Kind.NODE && id.equals(node.getId()) ? Optional.of((T) node) : Optional.empty();
                }

                @Override
                @SuppressWarnings("unchecked")
                public <T extends com.google.protobuf.Message> List<T> find(io.swarmlet.api.store.Kind<T> kind,
                        java.util.function.Predicate<? super T> filter) {
                    List<T> out = new ArrayList<>();
                    if (kind == io.swarmlet.api.store.Kind.NODE && filter.test((T) node)) {
                        out.add((T) node);
                    }
                    return out;
                }

                @Override
                public <T extends com.google.protobuf.Message> Optional<T> byName(io.swarmlet.api.store.Kind<T> kind, String name) {
                    return Optional.empty();
                }

                @Override
                public long index() {
                    return 1;
                }
            });
        }

        @Override
        public long update(java.util.function.Consumer<io.swarmlet.api.store.WriteTx> writer) {
            throw new UnsupportedOperationException();
        }

        @Override
        public <R> io.swarmlet.api.store.Watch<R> watch(Function<ReadTx, R> snapshotReader) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isLeader() {
            return true;
        }
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesOnceAStoreIsThere() throws Exception {
        String jar = System.getProperty("web.bundle");
        assertNotNull(jar, "web.bundle (set by failsafe)");
        try (JarFile j = new JarFile(jar)) {
            assertNull(j.getManifest().getMainAttributes().getValue(Constants.EXPORT_PACKAGE), "exports nothing");
        }
        int port = FreePorts.next();
        String base = "http://127.0.0.1:" + port;
        try (BareFelix felix = BareFelix.start(tmp.resolve("felix-cache"), Map.of("swarmlet.http.addr", "127.0.0.1:" + port))) {
            BundleContext system = felix.system();
            Bundle bundle = felix.start(jar);
            assertEquals(Bundle.ACTIVE, bundle.getState(), "resolved, com.sun.net.httpserver from the system bundle");
            assertTrue(refused(base), "no store, no server");

            ServiceRegistration<Store> reg = system.registerService(Store.class, new OneNodeStore(), null);
            HttpResponse<String> spec = null;
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (spec == null && System.nanoTime() < deadline) {
                try {
                    spec = get(base + "/api/openapi.yaml");
                } catch (ConnectException e) {
                    Thread.sleep(50);
                }
            }
            assertNotNull(spec, "listening once the store is there");
            assertEquals(200, spec.statusCode());
            assertTrue(spec.body().startsWith("openapi: 3"), "the contract, from the bundle's own jar");
            HttpResponse<String> nodes = get(base + "/api/v1/nodes");
            assertEquals(200, nodes.statusCode());
            assertTrue(nodes.body().contains("node00000000000000000000001"), nodes.body());

            reg.unregister();
            assertTrue(refused(base), "stopped with the store");

            // back on the same port when the store comes back (as after a bundle update)
            system.registerService(Store.class, new OneNodeStore(), null);
            HttpResponse<String> again = null;
            deadline = System.nanoTime() + 20_000_000_000L;
            while (again == null && System.nanoTime() < deadline) {
                try {
                    again = get(base + "/api/v1/nodes");
                } catch (ConnectException e) {
                    Thread.sleep(50);
                }
            }
            assertNotNull(again, "listening again");
            assertEquals(200, again.statusCode());
        }
    }

    private static boolean refused(String base) throws Exception {
        try {
            get(base + "/api/v1/nodes");
            return false;
        } catch (ConnectException e) {
            return true;
        }
    }
}
