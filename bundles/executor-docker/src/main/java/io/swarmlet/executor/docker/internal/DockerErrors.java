package io.swarmlet.executor.docker.internal;

import com.github.dockerjava.api.exception.DockerException;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.spi.executor.ExecutorException;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns docker-java failures into short {@link ExecutorException}s: the
 * engine's own one-line message ("No such image: x"), never a stack trace or a
 * response body, and never the value of an environment variable.
 */
final class DockerErrors {

    /** Longest message kept; OCI runtime errors can run to several lines. */
    static final int MAX_MESSAGE = 400;

    private static final Pattern JSON_MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern STATUS_PREFIX = Pattern.compile("^Status \\d+:\\s*");

    /** A host process holds the port: "Error starting userland proxy: listen tcp4 0.0.0.0:18090: bind: address already in use". */
    private static final Pattern LISTEN_IN_USE =
            Pattern.compile("listen (tcp|udp)[46]? \\S*:(\\d+): bind: address already in use");
    /** Another container holds the port: "Bind for 0.0.0.0:18090 failed: port is already allocated". */
    private static final Pattern ALLOCATED = Pattern.compile("Bind for \\S*:(\\d+) failed: port is already allocated");

    private DockerErrors() {}

    /**
     * "host port 18090/tcp is already in use on this node" when the engine
     * could not start a container because one of its host ports is taken
     * (by a process or by another container), else null. The engine's own
     * message names the endpoint and the userland proxy, which says nothing to
     * someone reading {@code service ps}; the protocol, when the engine does not
     * say it, comes from the task's host-mode port of that number.
     */
    static String portInUse(String engineMessage, List<PortConfig> ports) {
        if (engineMessage == null) {
            return null;
        }
        Matcher m = LISTEN_IN_USE.matcher(engineMessage);
        if (m.find()) {
            return inUse(m.group(2), m.group(1));
        }
        m = ALLOCATED.matcher(engineMessage);
        if (!m.find()) {
            return null;
        }
        String port = m.group(1);
        String protocol = "";
        for (PortConfig p : ports) {
            if (Integer.toUnsignedString(p.getPublishedPort()).equals(port)) {
                protocol = p.getProtocol().name().toLowerCase(Locale.ROOT);
                break;
            }
        }
        return inUse(port, protocol);
    }

    private static String inUse(String port, String protocol) {
        return "host port " + port + (protocol.isEmpty() ? "" : "/" + protocol) + " is already in use on this node";
    }

    /**
     * The failure of {@code what} ("create container web.1.x"), non-fatal: the
     * caller decides which docker errors are fatal.
     */
    static ExecutorException translate(String what, RuntimeException e, String host) {
        return new ExecutorException(what + ": " + reason(e, host), false, e);
    }

    /**
     * Like {@link #translate(String, RuntimeException, String)} for a request
     * that carried {@code env}: values are redacted from the message and the
     * cause (whose text is the raw response) is replaced by its type alone.
     */
    static ExecutorException translate(String what, RuntimeException e, String host, Collection<String> env,
            boolean fatal) {
        return new ExecutorException(what + ": " + redact(reason(e, host), env), fatal, scrubbed(e));
    }

    /** The engine's message for {@code e}, or a short description of a transport failure. */
    static String reason(Throwable e, String host) {
        if (e instanceof DockerException de) {
            return engineMessage(de);
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof IOException || e instanceof java.io.UncheckedIOException) {
            return "cannot reach the docker engine at " + host + " (" + oneLine(root.getMessage() == null
                    ? root.getClass().getSimpleName() : root.getMessage()) + ")";
        }
        String m = root.getMessage();
        return oneLine(root.getClass().getSimpleName() + (m == null ? "" : ": " + m));
    }

    /** "Status 400: {"message":"x"}" to "x". */
    static String engineMessage(DockerException e) {
        String raw = e.getMessage() == null ? "" : e.getMessage();
        Matcher m = JSON_MESSAGE.matcher(raw);
        String text = m.find() ? unescape(m.group(1)) : STATUS_PREFIX.matcher(raw).replaceFirst("");
        text = oneLine(text);
        return text.isEmpty() ? "docker engine error (HTTP " + e.getHttpStatus() + ")" : text;
    }

    /** Collapses whitespace and cuts to {@link #MAX_MESSAGE}. */
    static String oneLine(String s) {
        String t = s == null ? "" : s.replaceAll("\\s+", " ").trim();
        return t.length() <= MAX_MESSAGE ? t : t.substring(0, MAX_MESSAGE - 3) + "...";
    }

    /**
     * {@code message} with every environment value of {@code env} ("NAME=value")
     * replaced by "***", so an engine error that echoes the spec leaks nothing
     * (values shorter than 3 characters are left: replacing them would garble
     * the message and they protect nothing).
     */
    static String redact(String message, Collection<String> env) {
        String out = message;
        for (String e : env) {
            int eq = e.indexOf('=');
            if (eq >= 0 && e.length() - eq - 1 >= 3) {
                String value = e.substring(eq + 1);
                out = out.replace(value, "***");
            }
        }
        return out;
    }

    /**
     * A cause safe to attach: docker-java exceptions carry the response body,
     * which for a create can echo the request; keep only the type.
     */
    private static Throwable scrubbed(RuntimeException e) {
        return new RuntimeException(e.getClass().getName());
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 == s.length()) {
                b.append(c);
                continue;
            }
            char n = s.charAt(++i);
            switch (n) {
                case 'n', 'r', 't' -> b.append(' ');
                case 'u' -> {
                    try {
                        b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                        i += 4;
                    } catch (RuntimeException malformed) {
                        b.append('?');
                    }
                }
                default -> b.append(n);
            }
        }
        return b.toString();
    }
}
