package io.swarmlet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestExportsTest {

    @TempDir
    Path tmp;

    @Test
    void keepsAttributesDropsDirectives() {
        List<String> clauses = ManifestExports.systemPackages(
                "org.a;version=\"1.2.3\";uses:=\"org.b,org.c\", org.b;uses:=\"org.a\";version=\"2.0\","
                        + " org.c;org.d;version=3;x-internal:=true, org.e");
        assertEquals(List.of("org.a;version=\"1.2.3\"", "org.b;version=\"2.0\"", "org.c;version=3",
                "org.d;version=3", "org.e"), clauses);
    }

    @Test
    void quotedCommasDoNotSplitClauses() {
        assertEquals(List.of("p;version=\"1\";note=\"a,b;c\""),
                ManifestExports.systemPackages("p;version=\"1\";note=\"a,b;c\";uses:=\"x,y\""));
    }

    @Test
    void readsTheHeaderOfAJar() throws IOException {
        Path jar = tmp.resolve("lib.jar");
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        // long enough that the manifest wraps it over continuation lines
        mf.getMainAttributes().putValue("Export-Package",
                "com.example.alpha;version=\"1.0.0\";uses:=\"com.example.beta,com.example.gamma\","
                        + "com.example.beta;version=\"1.1.0\",com.example.gamma;version=\"1.2.0\"");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, mf)) {
            jos.flush();
        }
        assertEquals(List.of("com.example.alpha;version=\"1.0.0\"", "com.example.beta;version=\"1.1.0\"",
                "com.example.gamma;version=\"1.2.0\""), ManifestExports.ofJar(jar));
    }

    @Test
    void jarWithoutExportsExportsNothing() throws IOException {
        Path jar = tmp.resolve("plain.jar");
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, mf)) {
            jos.flush();
        }
        assertTrue(ManifestExports.ofJar(jar).isEmpty());
        assertThrows(IOException.class, () -> ManifestExports.ofJar(tmp.resolve("missing.jar")));
    }

    @Test
    void realLog4jApiAndSlf4jApiJars() throws IOException {
        ClassLoader cl = getClass().getClassLoader();
        List<String> log4j = ManifestExports.ofJarContaining("org.apache.logging.log4j.LogManager", cl);
        assertTrue(log4j.stream().anyMatch(c -> c.startsWith("org.apache.logging.log4j;version=")), log4j.toString());
        assertTrue(log4j.stream().anyMatch(c -> c.startsWith("org.apache.logging.log4j.spi;version=")), log4j.toString());
        assertFalse(log4j.stream().anyMatch(c -> c.contains(":=")), "no directives: " + log4j);

        List<String> slf4j = ManifestExports.ofJarContaining("org.slf4j.LoggerFactory", cl);
        assertTrue(slf4j.contains("org.slf4j;version=\"2.0.17\""), slf4j.toString());
        assertTrue(slf4j.stream().anyMatch(c -> c.startsWith("org.slf4j.spi;")), slf4j.toString());

        assertThrows(IOException.class, () -> ManifestExports.ofJarContaining("no.such.Clazz", cl));
    }
}
