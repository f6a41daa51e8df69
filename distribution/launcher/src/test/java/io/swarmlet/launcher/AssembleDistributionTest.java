package io.swarmlet.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AssembleDistributionTest {

    @TempDir
    Path tmp;

    /** A kit: the layout, the features of FeaturesTest, their jars in system/ (one more than they name). */
    private Path kit() throws IOException {
        Path kit = tmp.resolve("kit");
        for (String d : List.of("bin", "lib", "cli", "conf", "deploy", "system")) {
            Files.createDirectories(kit.resolve(d));
        }
        Files.writeString(kit.resolve("bin/swarmletd"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(kit.resolve("bin/swarmletd"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.writeString(kit.resolve("conf/log4j2.xml"), "<Configuration/>");
        Files.writeString(kit.resolve("features.xml"), FeaturesTest.XML);
        for (String jar : List.of("org.apache.felix.scr-2.2.18.jar", "io.swarmlet.api-1.0.jar", "io.swarmlet.store-1.0.jar",
                "io.swarmlet.agent-1.0.jar", "io.swarmlet.extra-1.0-linux.jar")) {
            Files.writeString(kit.resolve("system").resolve(jar), jar);
        }
        return kit;
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aWorkerDistributionGetsOnlyTheJarsOfItsFeaturesAndBootsThem() throws IOException {
        Path kit = kit();
        Path out = tmp.resolve("out/swarmlet-worker");
        Files.createDirectories(out.resolve("bundle"));
        Files.writeString(out.resolve("bundle/left-over.jar"), "");
        Path tar = tmp.resolve("out/w.tar.gz");
        AssembleDistribution.run(new String[] {"--kit", kit.toString(), "--name", "swarmlet-worker", "--boot", "worker",
                "--out", out.toString(), "--tar", tar.toString(), "--tar-root", "swarmlet-worker-1.0"});

        assertEquals(List.of("bin", "bundle", "cli", "conf", "deploy", "lib"), list(out));
        assertEquals(List.of("io.swarmlet.agent-1.0.jar", "io.swarmlet.api-1.0.jar", "io.swarmlet.extra-1.0-linux.jar",
                "org.apache.felix.scr-2.2.18.jar"), list(out.resolve("bundle")), "no store, no left-over");
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("bin/swarmletd"))));
        assertTrue(Files.readString(out.resolve(Distribution.PROPERTIES)).contains("\nname=swarmlet-worker\nfeatures=worker\n"));
        Distribution d = Distribution.read(out);
        assertTrue(d.workerOnly());
        assertEquals(List.of("osgi", "core", "worker"), d.features());
        assertEquals(List.of(), d.unused());

        Map<String, byte[]> entries = untar(tar);
        assertTrue(entries.containsKey("swarmlet-worker-1.0/"), entries.keySet().toString());
        assertArrayEquals("io.swarmlet.agent-1.0.jar".getBytes(StandardCharsets.UTF_8),
                entries.get("swarmlet-worker-1.0/bundle/io.swarmlet.agent-1.0.jar"));
        assertArrayEquals(Files.readAllBytes(out.resolve(Distribution.FEATURES)),
                entries.get("swarmlet-worker-1.0/conf/features.xml"));
    }

    @Test
    void moreFeaturesFilesAndRepositoriesAddToTheKit() throws IOException {
        Path kit = kit();
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        Files.writeString(repo.resolve("plugin-2.0.jar"), "p");
        Path mine = tmp.resolve("mine.xml");
        Files.writeString(mine, "<features name='mine'><feature name='plugin'><feature>manager</feature>"
                + "<bundle>mvn:com.example/plugin/2.0</bundle></feature></features>");
        Path out = tmp.resolve("custom");
        AssembleDistribution.run(new String[] {"--kit", kit.toString(), "--features", mine.toString(), "--repo",
                repo.toString(), "--name", "custom", "--boot", "worker,plugin", "--out", out.toString()});
        assertEquals(List.of("io.swarmlet.agent-1.0.jar", "io.swarmlet.api-1.0.jar", "io.swarmlet.extra-1.0-linux.jar",
                "io.swarmlet.store-1.0.jar", "org.apache.felix.scr-2.2.18.jar", "plugin-2.0.jar"), list(out.resolve("bundle")));
        Distribution d = Distribution.read(out);
        assertFalse(d.workerOnly());
        assertEquals(List.of("osgi", "core", "worker", "manager", "plugin"), d.features());
    }

    @Test
    void aFeatureNamingAJarNoRepositoryHasFailsTheBuild() throws IOException {
        Path kit = kit();
        Files.delete(kit.resolve("system/io.swarmlet.agent-1.0.jar"));
        StartupException e = assertThrows(StartupException.class, () -> AssembleDistribution.run(new String[] {
                "--kit", kit.toString(), "--name", "w", "--boot", "worker", "--out", tmp.resolve("w").toString()}));
        assertTrue(e.getMessage().startsWith("the features of w name mvn:io.swarmlet/io.swarmlet.agent/1.0, but no"
                + " io.swarmlet.agent-1.0.jar in "), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("w")), "nothing is written");
    }

    @Test
    void strictlyEveryJarOfTheKitMustBelongToAFeature() throws IOException {
        Path kit = kit();
        Files.writeString(kit.resolve("system/io.swarmlet.new-1.0.jar"), "");
        String[] args = {"--kit", kit.toString(), "--name", "s", "--boot", "worker", "--out", tmp.resolve("s").toString(),
                "--strict", "true"};
        StartupException e = assertThrows(StartupException.class, () -> AssembleDistribution.run(args));
        assertTrue(e.getMessage().startsWith("no feature names io.swarmlet.new-1.0.jar (in "), e.getMessage());
        args[9] = "false";
        AssembleDistribution.run(args);
        assertFalse(Files.exists(tmp.resolve("s/bundle/io.swarmlet.new-1.0.jar")));
    }

    @Test
    void longPathsUseTheUstarPrefix() {
        String name = "swarmlet-worker-0.1.0-SNAPSHOT/" + "d".repeat(60) + "/" + "f".repeat(90) + ".jar";
        byte[] h = AssembleDistribution.header(name, 0644, 3, 0, false);
        assertEquals("f".repeat(90) + ".jar", field(h, 0, 100));
        assertEquals("swarmlet-worker-0.1.0-SNAPSHOT/" + "d".repeat(60), field(h, 345, 155));
        assertEquals(checksum(h), Long.parseLong(field(h, 148, 8).trim(), 8));
    }

    private static String field(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static long checksum(byte[] h) {
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += i >= 148 && i < 156 ? ' ' : h[i] & 0xff;
        }
        return sum;
    }

    /** A minimal ustar reader: name to content (directories: empty), checking each header's checksum. */
    private static Map<String, byte[]> untar(Path tar) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (InputStream raw = new GZIPInputStream(Files.newInputStream(tar)); DataInputStream in = new DataInputStream(raw)) {
            while (true) {
                byte[] h = new byte[512];
                try {
                    in.readFully(h);
                } catch (EOFException e) {
                    break;
                }
                if (h[0] == 0) {
                    break;
                }
                assertEquals(checksum(h), Long.parseLong(field(h, 148, 8).trim(), 8));
                assertEquals("ustar", field(h, 257, 6));
                String prefix = field(h, 345, 155);
                String name = (prefix.isEmpty() ? "" : prefix + "/") + field(h, 0, 100);
                int size = Integer.parseInt(field(h, 124, 12), 8);
                byte[] data = new byte[size];
                in.readFully(data);
                in.readFully(new byte[(512 - size % 512) % 512]);
                out.put(name, data);
            }
        }
        return out;
    }
}
