package io.swarmlet.launcher;

import java.nio.file.Path;

/**
 * Where a manager serves the Docker Engine API ({@code --listen-docker-api}, given up to
 * twice): a unix socket, and/or a TCP address with mutual TLS, like dockerd's
 * {@code -H tcp://... --tlsverify}: the server's certificate and key, and the CA that signs
 * the clients' certificates ({@code --docker-api-tlscacert}/{@code -tlscert}/{@code -tlskey}).
 * Handed to the dockerapi bundle as {@code swarmlet.dockerapi.*} framework properties.
 *
 * @param socket    unix socket path, or null
 * @param tcp       TCP address, or null; when set, the three TLS files are too
 */
public record DockerApi(Path socket, HostPort tcp, Path tlsCaCert, Path tlsCert, Path tlsKey) {

    public static final String SOCKET = "swarmlet.dockerapi.socket";
    public static final String TCP = "swarmlet.dockerapi.tcp";
    public static final String TLS_CA_CERT = "swarmlet.dockerapi.tls.cacert";
    public static final String TLS_CERT = "swarmlet.dockerapi.tls.cert";
    public static final String TLS_KEY = "swarmlet.dockerapi.tls.key";

    public static final DockerApi OFF = new DockerApi(null, null, null, null, null);

    public DockerApi {
        if (tcp != null && (tlsCaCert == null || tlsCert == null || tlsKey == null)) {
            throw new IllegalArgumentException("the Docker API over TCP needs its three TLS files");
        }
    }

    /** Only the unix socket. */
    public static DockerApi unix(Path socket) {
        return new DockerApi(socket, null, null, null, null);
    }

    public boolean on() {
        return socket != null || tcp != null;
    }

    /** As DOCKER_HOST would name it: {@code unix:///...}, {@code tcp://host:port (TLS)}, or both. */
    public String where() {
        String unix = socket == null ? null : "unix://" + socket;
        String tls = tcp == null ? null : "tcp://" + tcp + " (mutual TLS)";
        return unix != null && tls != null ? unix + " and " + tls : unix != null ? unix : tls;
    }

    /** The {@code swarmlet.dockerapi.*} properties of what is on. */
    public java.util.Map<String, String> frameworkProperties() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        if (socket != null) {
            m.put(SOCKET, socket.toString());
        }
        if (tcp != null) {
            m.put(TCP, tcp.toString());
            m.put(TLS_CA_CERT, tlsCaCert.toString());
            m.put(TLS_CERT, tlsCert.toString());
            m.put(TLS_KEY, tlsKey.toString());
        }
        return m;
    }
}
