package io.swarmlet.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;

/**
 * The built bundle in a bare Felix: it resolves with nothing but the framework, slf4j and the api's
 * types (exported by the system bundle here; SnakeYAML Engine, the schema validator and Jackson are
 * private, nothing is exported), and its loader reads, validates
 * and refuses compose files from inside the bundle (the schema and the validator's meta-schemas are found
 * by the bundle's class loader).
 */
class StackBundleIT {

    @TempDir
    Path tmp;

    @Test
    void theLoaderWorksInsideTheBundle() throws Exception {
        String jar = System.getProperty("stack.bundle");
        assertNotNull(jar, "stack.bundle (set by failsafe)");
        try (JarFile j = new JarFile(jar)) {
            assertNull(j.getManifest().getMainAttributes().getValue(Constants.EXPORT_PACKAGE), "exports nothing");
        }
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, tmp.resolve("felix-cache").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, "org.slf4j;version=2.0.17,org.slf4j.spi;version=2.0.17,"
                + "org.slf4j.helpers;version=2.0.17,org.slf4j.event;version=2.0.17,io.swarmlet.api.types;version=1.2.0");
        Framework framework = new FrameworkFactory().newFramework(config);
        framework.start();
        try {
            Bundle bundle = framework.getBundleContext().installBundle(Path.of(jar).toUri().toString());
            bundle.start();
            assertEquals(Bundle.ACTIVE, bundle.getState());

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
        } finally {
            framework.stop();
            framework.waitForStop(10_000);
        }
    }
}
