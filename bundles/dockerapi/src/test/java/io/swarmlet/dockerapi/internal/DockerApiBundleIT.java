package io.swarmlet.dockerapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.testing.BareFelix;
import io.swarmlet.api.types.VersionRequest;
import io.swarmlet.api.types.VersionResponse;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceRegistration;

/**
 * The built bundle in a bare Felix with SCR (as the launcher starts it): it resolves with
 * Jetty and Jackson private (slf4j from the system bundle) and exports nothing, serves
 * the socket of {@code swarmlet.dockerapi.socket} at once, answers 503 until a control API
 * is registered and through it afterwards, and removes its socket when it stops.
 */
class DockerApiBundleIT {

    @TempDir
    Path tmp;

    @Test
    void servesTheSocketAndFollowsTheControlApi() throws Exception {
        String jar = System.getProperty("dockerapi.bundle");
        assertNotNull(jar, "dockerapi.bundle (set by failsafe)");
        assertNull(BareFelix.exports(jar), "exports nothing");
        Path socket = tmp.resolve("docker.sock");
        try (BareFelix felix = BareFelix.start(tmp.resolve("felix-cache"), Map.of("swarmlet.dockerapi.socket", socket.toString()))) {
            Bundle bundle = felix.start(jar);
            assertEquals(Bundle.ACTIVE, bundle.getState(), "resolved: Jetty and Jackson inside, slf4j from the system bundle");
            assertTrue(Files.exists(socket), "listening once started");
            UnixHttp http = new UnixHttp(socket);
            assertEquals("1.41", http.get("/_ping").header("Api-Version"));
            UnixHttp.Answer none = http.get("/v1.41/version");
            assertEquals(503, none.status(), none.toString());

            ControlApi api = (ControlApi) Proxy.newProxyInstance(ControlApi.class.getClassLoader(), new Class<?>[] {ControlApi.class},
                    (p, m, a) -> {
                        if (m.getName().equals("version") && a != null && a[0] instanceof VersionRequest) {
                            return VersionResponse.newBuilder().setVersion("9.8.7").setNodeId("n1").build();
                        }
                        if (m.isDefault()) {
                            return java.lang.reflect.InvocationHandler.invokeDefault(p, m, a);
                        }
                        throw new UnsupportedOperationException(m.getName());
                    });
            ServiceRegistration<ControlApi> reg = felix.system().registerService(ControlApi.class, api, null);
            UnixHttp.Answer version = http.get("/v1.41/version");
            assertEquals(200, version.status(), version.toString());
            assertEquals("9.8.7", version.json().get("Version").asText(), "through the registered control API");
            reg.unregister();
            assertEquals(503, http.get("/v1.41/version").status(), "503 again once it is gone");

            bundle.stop();
            assertFalse(Files.exists(socket), "the socket goes with the bundle");
        }
    }
}
