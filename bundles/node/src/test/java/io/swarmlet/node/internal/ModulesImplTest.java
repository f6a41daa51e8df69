package io.swarmlet.node.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.control.ControlException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;

/** What {@code module update} accepts before it touches anything. */
class ModulesImplTest {

    private static byte[] jar(String bsn) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (bsn != null) {
            m.getMainAttributes().putValue("Bundle-SymbolicName", bsn);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream j = new JarOutputStream(out, m)) {
            j.flush();
        }
        return out.toByteArray();
    }

    private static String refused(byte[] jar, String module) {
        ControlException e = assertThrows(ControlException.class, () -> ModulesImpl.checkJar(jar, module));
        assertEquals(ControlException.Code.INVALID_ARGUMENT, e.code());
        return e.getMessage();
    }

    @Test
    void onlyABundleWithTheModulesNameIsTaken() throws IOException {
        assertDoesNotThrow(() -> ModulesImpl.checkJar(jar("io.swarmlet.scheduler;singleton:=true"), "io.swarmlet.scheduler"));
        assertTrue(refused(jar("io.swarmlet.mesh"), "io.swarmlet.scheduler")
                .contains("the jar is bundle io.swarmlet.mesh, not module io.swarmlet.scheduler"));
        assertTrue(refused(jar(null), "io.swarmlet.scheduler").contains("not an OSGi bundle"));
        assertTrue(refused("hello".getBytes(StandardCharsets.UTF_8), "io.swarmlet.scheduler").contains("not an OSGi bundle"));
        assertTrue(refused(new byte[0], "io.swarmlet.scheduler").contains("needs the new bundle's jar"));
        assertTrue(refused(new byte[ModulesImpl.MAX_JAR_BYTES + 1], "io.swarmlet.scheduler").contains("at most 64 MB"));
    }
}
