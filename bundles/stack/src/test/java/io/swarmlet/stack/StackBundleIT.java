package io.swarmlet.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.control.Stacks;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.ListServicesResponse;
import io.swarmlet.api.types.ListStacksRequest;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.StackSummary;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import io.swarmlet.api.testing.BareFelix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The built bundle in a bare Felix with SCR: it resolves with nothing but the framework, SCR, slf4j, Log4j,
 * protobuf and the api (exported by the system bundle here; SnakeYAML Engine, the schema validator and
 * Jackson are private, nothing is exported); its loader reads, validates and refuses compose files from
 * inside the bundle (the schema and the validator's meta-schemas are found by the bundle's class loader);
 * and its component registers {@link Stacks} once a {@link ControlApi} is there, and only then.
 */
class StackBundleIT {

    @TempDir
    Path tmp;

    /** A control API that knows one service of stack "demo" and nothing else. */
    private static ControlApi trivialControlApi() {
        Service svc = Service.newBuilder().setId("svc1").setSpec(ServiceSpec.newBuilder().setAnnotations(
                Annotations.newBuilder().setName("demo_web").putLabels(Stacks.NAMESPACE_LABEL, "demo"))).build();
        return (ControlApi) Proxy.newProxyInstance(StackBundleIT.class.getClassLoader(), new Class<?>[] {ControlApi.class},
                (p, m, a) -> {
                    if (m.getName().equals("listServices")) {
                        return ListServicesResponse.newBuilder().addServices(svc).build();
                    }
                    if (m.getDeclaringClass() == Object.class) {
                        return m.getName().equals("hashCode") ? System.identityHashCode(p)
                                : m.getName().equals("equals") ? p == a[0] : "trivial ControlApi";
                    }
                    throw new ControlException(ControlException.Code.UNIMPLEMENTED, m.getName());
                });
    }

    @Test
    void theLoaderWorksInsideTheBundle() throws Exception {
        String jar = System.getProperty("stack.bundle");
        assertNotNull(jar, "stack.bundle (set by failsafe)");
        try (JarFile j = new JarFile(jar)) {
            assertNull(j.getManifest().getMainAttributes().getValue(Constants.EXPORT_PACKAGE), "exports nothing");
        }
        try (BareFelix felix = BareFelix.start(tmp.resolve("felix-cache"), Map.of())) {
            BundleContext system = felix.system();
            Bundle bundle = felix.start(jar);
            assertEquals(Bundle.ACTIVE, bundle.getState());

            // the Stacks component waits for a control API, then serves through it
            ServiceTracker<Stacks, Stacks> tracker = new ServiceTracker<>(system, Stacks.class, null);
            tracker.open();
            assertNull(system.getServiceReference(Stacks.class), "no Stacks without a ControlApi");
            ServiceRegistration<ControlApi> reg = system.registerService(ControlApi.class, trivialControlApi(), null);
            Stacks stacks = tracker.waitForService(TimeUnit.SECONDS.toMillis(20));
            assertNotNull(stacks, "Stacks registered once a ControlApi is there");
            assertEquals(List.of(StackSummary.newBuilder().setName("demo").setServices(1).build()),
                    stacks.list(ListStacksRequest.getDefaultInstance()).getStacksList());
            reg.unregister();
            assertNull(system.getServiceReference(Stacks.class), "gone with the ControlApi");
            tracker.close();

            Class<?> loader = bundle.loadClass("io.swarmlet.stack.internal.compose.ComposeLoader");
            Class<?> file = bundle.loadClass("io.swarmlet.stack.internal.compose.ComposeFile");
            Method load = loader.getMethod("load", List.class, Map.class);
            Object good = file.getConstructor(String.class, String.class).newInstance("compose.yml",
                    "services:\n  web:\n    image: nginx:${TAG}\n    deploy: {replicas: 2}\n");
            Object project = load.invoke(null, List.of(good), Map.of("TAG", "1"));
            assertEquals(true, project.toString().contains("image=nginx:1"), project.toString());

            Object bad = file.getConstructor(String.class, String.class).newInstance("compose.yml",
                    "services:\n  web:\n    image: nginx\n    deploy: {replicase: 2}\n");
            InvocationTargetException e = assertThrows(InvocationTargetException.class, () -> load.invoke(null, List.of(bad), Map.of()));
            RuntimeException cause = assertInstanceOf(RuntimeException.class, e.getCause());
            assertEquals("compose.yml:4: services.web.deploy Additional property replicase is not allowed", cause.getMessage());
        }
    }
}
