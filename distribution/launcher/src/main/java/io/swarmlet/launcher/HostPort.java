package io.swarmlet.launcher;

import java.util.Objects;

/**
 * A {@code host:port} network address as given on the command line. IPv6 hosts
 * are written in brackets ({@code [::1]:4242}); the brackets are kept in
 * {@link #host()} so that {@link #toString()} round-trips.
 */
public final class HostPort {

    /** {@link #port()} of an address given without a port. */
    public static final int NO_PORT = -1;

    private final String host;
    private final int port;

    private HostPort(String host, int port) {
        this.host = host;
        this.port = port;
    }

    public static HostPort of(String host, int port) {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        checkPort(port, host + ":" + port);
        return new HostPort(host, port);
    }

    /** Parses {@code host:port} or {@code [v6-host]:port}; the port is required. */
    public static HostPort parse(String text) {
        HostPort hp = parse(text, NO_PORT);
        if (hp.port == NO_PORT) {
            throw new IllegalArgumentException("expected host:port, got '" + text.trim() + "'");
        }
        return hp;
    }

    /**
     * Parses {@code host}, {@code host:port}, {@code [v6-host]}, {@code [v6-host]:port}
     * or a bare IPv6 address; a missing port becomes {@code defaultPort}
     * (which may be {@link #NO_PORT}).
     */
    public static HostPort parse(String text, int defaultPort) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("expected host:port, got an empty value");
        }
        String s = text.trim();
        String host;
        String port = null;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("missing ']' in '" + s + "'");
            }
            host = s.substring(0, close + 1);
            String rest = s.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("expected host:port, got '" + s + "'");
                }
                port = rest.substring(1);
            }
        } else {
            int first = s.indexOf(':');
            int last = s.lastIndexOf(':');
            if (first < 0) {
                host = s;
            } else if (first == last) {
                host = s.substring(0, last);
                port = s.substring(last + 1);
            } else {
                host = "[" + s + "]"; // a bare IPv6 address, no port
            }
        }
        if (host.isEmpty() || host.equals("[]")) {
            throw new IllegalArgumentException("expected host:port, got '" + s + "' (no host)");
        }
        int p = defaultPort;
        if (port != null) {
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid port '" + port + "' in '" + s + "'");
            }
            checkPort(p, s);
        }
        return new HostPort(host, p);
    }

    private static void checkPort(int port, String where) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " in '" + where + "' is out of range 0-65535");
        }
    }

    public String host() {
        return host;
    }

    /** The port, or {@link #NO_PORT}. */
    public int port() {
        return port;
    }

    public HostPort withPort(int newPort) {
        return of(host, newPort);
    }

    @Override
    public String toString() {
        return port == NO_PORT ? host : host + ":" + port;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostPort && ((HostPort) o).host.equals(host) && ((HostPort) o).port == port;
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, port);
    }
}
