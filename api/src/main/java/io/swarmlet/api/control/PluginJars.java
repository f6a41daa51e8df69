package io.swarmlet.api.control;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.regex.Pattern;

/**
 * What {@code plugin install} accepts before anything is installed: a jar of
 * at most {@link ControlApi#MAX_PLUGIN_BYTES} whose SHA-256 is the one the
 * client sent, with a bundle manifest, and a valid name (by default the
 * bundle's symbolic name). Used by the control API (cluster plugins) and the
 * node bundle (local ones), so both refuse the same jars with the same words.
 *
 * @since 1.1
 */
public final class PluginJars {

    /** Plugin names: as service names, so that they are safe file names too. */
    public static final Pattern NAME = Pattern.compile("[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,62})");

    /** A jar that passed: its name, digest and manifest's identity. */
    public record Checked(String name, String sha256, String symbolicName, String version) {}

    private PluginJars() {}

    /**
     * @param file what the user named the jar after (for messages), or "the jar"
     * @param sha256 the digest the client computed; empty skips the comparison
     * @param name the name asked for; empty means the symbolic name
     */
    public static Checked check(byte[] jar, String sha256, String name, String file) {
        if (jar.length == 0) {
            throw ControlException.invalid("plugin install needs the plugin's jar");
        }
        if (jar.length > ControlApi.MAX_PLUGIN_BYTES) {
            throw ControlException.invalid(tooBig(jar.length));
        }
        String digest = sha256(jar);
        if (!sha256.isEmpty() && !digest.equalsIgnoreCase(sha256.trim())) {
            throw ControlException.invalid("the jar's SHA-256 is " + digest + ", not " + sha256.trim()
                    + " as sent: it was damaged on the way; try again");
        }
        Manifest m;
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            m = in.getManifest();
        } catch (IOException e) {
            m = null;
        }
        String bsn = m == null ? null : m.getMainAttributes().getValue("Bundle-SymbolicName");
        if (bsn == null || bsn.split(";")[0].isBlank()) {
            throw ControlException.invalid(file + " is not an OSGi bundle: its manifest has no Bundle-SymbolicName");
        }
        bsn = bsn.split(";")[0].trim();
        String version = m.getMainAttributes().getValue("Bundle-Version");
        version = version == null || version.isBlank() ? "0.0.0" : version.trim();
        String n = name == null || name.isBlank() ? bsn : name.trim();
        if (!NAME.matcher(n).matches()) {
            throw ControlException.invalid("invalid plugin name \"" + n + "\": names are 1 to 63 letters, digits, '_', '.'"
                    + " or '-', starting with a letter or digit" + (name == null || name.isBlank() ? "; give one with --name" : ""));
        }
        return new Checked(n, digest, bsn, version);
    }

    public static String tooBig(long bytes) {
        return String.format(Locale.ROOT, "plugin jar is %.1f MB; the limit is %d MiB", bytes / (1024.0 * 1024.0),
                ControlApi.MAX_PLUGIN_BYTES / (1024 * 1024));
    }

    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
