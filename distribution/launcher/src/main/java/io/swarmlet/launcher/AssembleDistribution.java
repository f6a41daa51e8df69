package io.swarmlet.launcher;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Builds a distribution from a feature list (a build tool, run by Maven with
 * the launcher jar of the kit: {@code java -cp 'kit/lib/*'
 * io.swarmlet.launcher.AssembleDistribution ...}). The same code reads the
 * features here and at boot, so what is packaged is what boots.
 *
 * <pre>
 * --kit DIR          the assembly kit: bin/ lib/ cli/ conf/ deploy/ (copied), system/ (every bundle jar),
 *                    features.xml (Swarmlet's features)
 * --features F,...   more features files (merged with the kit's; a feature defined twice is an error)
 * --repo DIR,...     more directories of bundle jars, looked up after the kit's system/
 * --boot F,...       the features to boot (written to conf/distribution.properties)
 * --name NAME        the distribution's name (swarmlet, swarmlet-worker, ...)
 * --out DIR          the distribution directory (emptied first)
 * --deploy JAR,...   files to put in deploy/ (plugins File Install starts)
 * --tar FILE         also a .tar.gz of it, under the directory --tar-root (default: --name)
 * --strict true      every jar of the kit's system/ must be named by some feature (a bundle added to the build
 *                    but to no feature would silently be left out of every distribution)
 * </pre>
 * Exit 0, or 1 with one line on stderr (e.g. a feature names a jar no repository has).
 */
public final class AssembleDistribution {

    private AssembleDistribution() {}

    public static void main(String[] args) {
        try {
            run(args);
        } catch (StartupException | IllegalArgumentException e) {
            System.err.println("assemble-distribution: error: " + e.getMessage());
            System.exit(1);
        } catch (IOException e) {
            System.err.println("assemble-distribution: error: " + Daemon.oneLine(e));
            System.exit(1);
        }
    }

    static void run(String[] args) throws IOException {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: --kit DIR --boot F,... --name NAME --out DIR [--features F,...]"
                        + " [--repo DIR,...] [--deploy JAR,...] [--tar FILE [--tar-root DIR]]; bad argument " + args[i]);
            }
            opt.put(args[i].substring(2), args[i + 1]);
        }
        Path kit = path(opt, "kit");
        String name = required(opt, "name");
        Path out = path(opt, "out");
        List<String> boot = Distribution.split(required(opt, "boot"));

        List<Features> files = new ArrayList<>();
        files.add(Features.read(kit.resolve("features.xml")));
        for (String f : Distribution.split(opt.getOrDefault("features", ""))) {
            files.add(Features.read(Paths.get(f)));
        }
        Features features = Features.merge(name, files);
        List<Path> repos = new ArrayList<>();
        repos.add(kit.resolve("system"));
        for (String r : Distribution.split(opt.getOrDefault("repo", ""))) {
            repos.add(Paths.get(r));
        }
        if (Boolean.parseBoolean(opt.getOrDefault("strict", "false"))) {
            java.util.Set<String> named = new java.util.HashSet<>();
            for (Features.Feature f : features.all().values()) {
                f.bundles().forEach(b -> named.add(b.fileName()));
            }
            List<String> orphans = Distribution.listJars(kit.resolve("system")).stream()
                    .map(p -> p.getFileName().toString()).filter(j -> !named.contains(j)).toList();
            if (!orphans.isEmpty()) {
                throw new StartupException("no feature names " + String.join(", ", orphans) + " (in " + kit.resolve("system")
                        + "): add a <bundle> line for it to the feature of its capability in"
                        + " features/src/main/feature/features.xml");
            }
        }
        List<String> resolved = features.resolve(boot);
        List<Path> jars = new ArrayList<>();
        for (Features.FeatureBundle b : features.bundles(boot)) {
            jars.add(repos.stream().map(r -> r.resolve(b.fileName())).filter(Files::isRegularFile).findFirst()
                    .orElseThrow(() -> new StartupException("the features of " + name + " name " + b.uri() + ", but no "
                            + b.fileName() + " in " + repos + "; add its artifact to the build (the assembly's"
                            + " dependencies, or --repo)")));
        }

        deleteTree(out);
        Files.createDirectories(out);
        for (String dir : List.of("bin", "lib", "cli", "conf", "deploy")) {
            copyTree(kit.resolve(dir), out.resolve(dir));
        }
        try (Stream<Path> s = Files.list(out.resolve("bin"))) {
            for (Path script : s.toList()) {
                Files.setPosixFilePermissions(script, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE,
                        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE));
            }
        }
        Path bundle = Files.createDirectories(out.resolve("bundle"));
        for (Path jar : jars) {
            Files.copy(jar, bundle.resolve(jar.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
        }
        for (String d : Distribution.split(opt.getOrDefault("deploy", ""))) {
            Path f = Paths.get(d);
            Files.copy(f, out.resolve("deploy").resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.writeString(out.resolve(Distribution.FEATURES), features.toXml(), StandardCharsets.UTF_8);
        Files.writeString(out.resolve(Distribution.PROPERTIES), "# The distribution and the features it boots"
                + " (conf/features.xml defines them); written by the build.\n"
                + "# Without the 'manager' feature it is worker-only: it joins a swarm as a worker and cannot create one.\n"
                + "name=" + name + "\n"
                + "features=" + String.join(",", boot) + "\n", StandardCharsets.UTF_8);
        System.out.println("assemble-distribution: " + out + ": features " + String.join(", ", resolved) + "; "
                + jars.size() + " bundles" + (resolved.contains(Distribution.MANAGER) ? "" : " (worker-only)"));

        if (opt.containsKey("tar")) {
            Path tar = Paths.get(opt.get("tar"));
            tarGz(out, opt.getOrDefault("tar-root", name), tar);
            System.out.println("assemble-distribution: " + tar);
        }
    }

    private static String required(Map<String, String> opt, String key) {
        String v = opt.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return v.trim();
    }

    private static Path path(Map<String, String> opt, String key) {
        return Paths.get(required(opt, key)).toAbsolutePath().normalize();
    }

    static void copyTree(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            Files.createDirectories(to);
            return;
        }
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(q);
            }
        }
    }

    // ---------------------------------------------------------------- tar.gz (POSIX ustar)

    /** Writes {@code dir} as a gzipped ustar archive whose entries sit under {@code root}/. */
    static void tarGz(Path dir, String root, Path tar) throws IOException {
        Files.createDirectories(tar.toAbsolutePath().getParent());
        List<Path> entries;
        try (Stream<Path> walk = Files.walk(dir)) {
            entries = walk.sorted().toList();
        }
        try (OutputStream out = new GZIPOutputStream(new BufferedOutputStream(Files.newOutputStream(tar)))) {
            for (Path p : entries) {
                String rel = dir.relativize(p).toString();
                String name = rel.isEmpty() ? root + "/" : root + "/" + rel + (Files.isDirectory(p) ? "/" : "");
                boolean isDir = Files.isDirectory(p);
                long size = isDir ? 0 : Files.size(p);
                int mode = mode(Files.getPosixFilePermissions(p));
                out.write(header(name, mode, size, Files.getLastModifiedTime(p).toMillis() / 1000, isDir));
                if (!isDir) {
                    try (InputStream in = Files.newInputStream(p)) {
                        in.transferTo(out);
                    }
                    int pad = (int) ((512 - size % 512) % 512);
                    out.write(new byte[pad]);
                }
            }
            out.write(new byte[1024]);
        }
    }

    private static int mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal()); // OWNER_READ (0) is 0400 ... OTHERS_EXECUTE (8) is 01
        }
        return m;
    }

    static byte[] header(String name, int mode, long size, long mtime, boolean dir) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        String prefix = "";
        String base = name;
        if (n.length > 100) {
            int cut = name.lastIndexOf('/', name.endsWith("/") ? name.length() - 2 : name.length() - 1);
            while (cut > 0 && (cut > 155 || name.substring(cut + 1).getBytes(StandardCharsets.UTF_8).length > 100)) {
                cut = cut > 155 ? name.lastIndexOf('/', 155) : -1;
            }
            if (cut <= 0) {
                throw new IllegalArgumentException("path too long for a tar archive: " + name);
            }
            prefix = name.substring(0, cut);
            base = name.substring(cut + 1);
        }
        put(h, 0, 100, base.getBytes(StandardCharsets.UTF_8));
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
        h[156] = (byte) (dir ? '5' : '0');
        put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        put(h, 265, 32, "root".getBytes(StandardCharsets.US_ASCII));
        put(h, 297, 32, "root".getBytes(StandardCharsets.US_ASCII));
        put(h, 345, 155, prefix.getBytes(StandardCharsets.UTF_8));
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        String chk = String.format("%06o", sum);
        put(h, 148, 6, chk.getBytes(StandardCharsets.US_ASCII));
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private static void put(byte[] h, int off, int len, byte[] v) {
        System.arraycopy(v, 0, h, off, Math.min(len, v.length));
    }

    private static void octal(byte[] h, int off, int len, long v) {
        String s = String.format("%0" + (len - 1) + "o", v);
        put(h, off, len - 1, s.getBytes(StandardCharsets.US_ASCII));
        h[off + len - 1] = 0;
    }
}
