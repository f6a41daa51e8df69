package io.swarmlet.launcher;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Reads the {@code Export-Package} header of a library jar on the launcher's
 * classpath, so that the system bundle can export the same packages
 * ({@code org.osgi.framework.system.packages.extra}) and bundles importing
 * them wire to the classpath copy.
 *
 * <p>Directives ({@code uses:=}, {@code x-internal:=}, ...) are dropped: they
 * are about the library's own bundle wiring and mean nothing for packages of
 * the system bundle. Attributes (the {@code version}) are kept.
 */
public final class ManifestExports {

    private ManifestExports() {
    }

    /** The system-package clauses exported by the jar that holds {@code className}. */
    public static List<String> ofJarContaining(String className, ClassLoader loader) throws IOException {
        Class<?> c;
        try {
            c = Class.forName(className, false, loader);
        } catch (ClassNotFoundException e) {
            throw new IOException(className + " is not on the classpath");
        }
        CodeSource cs = c.getProtectionDomain().getCodeSource();
        if (cs == null || cs.getLocation() == null) {
            throw new IOException("cannot tell which jar holds " + className);
        }
        Path jar;
        try {
            jar = Paths.get(cs.getLocation().toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IOException("cannot tell which jar holds " + className + ": " + cs.getLocation());
        }
        return ofJar(jar);
    }

    /** The system-package clauses exported by {@code jar} (empty if it exports nothing). */
    public static List<String> ofJar(Path jar) throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new IOException(jar + " is not a jar file");
        }
        try (JarFile jf = new JarFile(jar.toFile())) {
            Manifest mf = jf.getManifest();
            String header = mf == null ? null : mf.getMainAttributes().getValue("Export-Package");
            return header == null ? List.of() : systemPackages(header);
        }
    }

    /** Turns an {@code Export-Package} header into one clause per package, attributes kept, directives dropped. */
    public static List<String> systemPackages(String exportPackage) {
        List<String> out = new ArrayList<>();
        for (String clause : split(exportPackage, ',')) {
            List<String> names = new ArrayList<>();
            List<String> attributes = new ArrayList<>();
            for (String part : split(clause, ';')) {
                int eq = indexOutsideQuotes(part, '=');
                if (eq < 0) {
                    names.add(part);
                } else if (eq > 0 && part.charAt(eq - 1) == ':') {
                    continue; // a directive
                } else {
                    attributes.add(part.substring(0, eq).trim() + "=" + part.substring(eq + 1).trim());
                }
            }
            for (String name : names) {
                StringBuilder sb = new StringBuilder(name);
                for (String a : attributes) {
                    sb.append(';').append(a);
                }
                out.add(sb.toString());
            }
        }
        return out;
    }

    /** Splits on {@code sep} outside double quotes; trims; drops empty pieces. */
    static List<String> split(String s, char sep) {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"') {
                quoted = !quoted;
                cur.append(ch);
            } else if (ch == '\\' && quoted && i + 1 < s.length()) {
                cur.append(ch).append(s.charAt(++i));
            } else if (ch == sep && !quoted) {
                addTrimmed(parts, cur);
            } else {
                cur.append(ch);
            }
        }
        addTrimmed(parts, cur);
        return parts;
    }

    private static void addTrimmed(List<String> parts, StringBuilder cur) {
        String p = cur.toString().trim();
        if (!p.isEmpty()) {
            parts.add(p);
        }
        cur.setLength(0);
    }

    private static int indexOutsideQuotes(String s, char c) {
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"') {
                quoted = !quoted;
            } else if (ch == c && !quoted) {
                return i;
            }
        }
        return -1;
    }
}
