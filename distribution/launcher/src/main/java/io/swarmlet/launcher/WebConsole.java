package io.swarmlet.launcher;

import java.nio.file.Path;

/**
 * Where the managers' web console listens ({@code --listen-http}) and with
 * which certificate ({@code --http-tls-cert}/{@code --http-tls-key}); handed to
 * the web bundle as {@code swarmlet.http.*} framework properties.
 *
 * @param addr      null: the console is off ({@code --listen-http none})
 * @param defaulted the address was not given: a busy port turns the console
 *                  off with a warning instead of failing the start
 * @param tlsCert   PEM certificate chain, or null (plain HTTP)
 * @param tlsKey    PEM private key, or null
 */
public record WebConsole(HostPort addr, boolean defaulted, Path tlsCert, Path tlsKey) {

    public static final String DEFAULT_ADDR = "127.0.0.1:8880";
    /** The {@code --listen-http} value that turns the console off. */
    public static final String NONE = "none";

    public static final String HTTP_ADDR = "swarmlet.http.addr";
    public static final String HTTP_TLS_CERT = "swarmlet.http.tls.cert";
    public static final String HTTP_TLS_KEY = "swarmlet.http.tls.key";

    public static final WebConsole OFF = new WebConsole(null, false, null, null);

    /** The default: loopback, plain HTTP. */
    public static WebConsole byDefault() {
        return new WebConsole(HostPort.parse(DEFAULT_ADDR), true, null, null);
    }

    public boolean on() {
        return addr != null;
    }

    /** What a browser opens (when {@link #on()}). */
    public String url() {
        return (tlsCert != null ? "https" : "http") + "://" + addr + "/";
    }

    /** The {@code swarmlet.http.*} properties: the address, or {@code none}; the TLS files when given. */
    public java.util.Map<String, String> frameworkProperties() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put(HTTP_ADDR, on() ? addr.toString() : NONE);
        if (on() && tlsCert != null) {
            m.put(HTTP_TLS_CERT, tlsCert.toString());
            m.put(HTTP_TLS_KEY, tlsKey.toString());
        }
        return m;
    }
}
