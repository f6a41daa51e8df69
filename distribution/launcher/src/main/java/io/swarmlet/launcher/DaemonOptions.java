package io.swarmlet.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The {@code swarmletd} command line (flags named like SwarmKit's {@code swarmd}). */
@Command(name = "swarmletd",
        sortOptions = false,
        usageHelpAutoWidth = true,
        versionProvider = DaemonOptions.Version.class,
        description = "Run a Swarmlet node: a manager that stores the cluster state and "
                + "schedules tasks, or a worker that runs them, with the control API on a unix socket.",
        footer = {"", "Without --join-addr, the first start creates a new cluster whose state is kept "
                + "in the state directory; later starts with the same directory resume it. With "
                + "--join-addr and --join-token, the first start joins that cluster as a worker or a "
                + "manager, as the token says."})
public final class DaemonOptions {

    public static final String DEFAULT_STATE_DIR = "./swarmletstate";
    public static final String DEFAULT_REMOTE_API = "0.0.0.0:4242";
    /** Longest unix socket path Linux accepts (sun_path is 108 bytes incl. NUL). */
    static final int MAX_SOCKET_PATH = 107;

    @Option(names = {"-d", "--state-dir"}, paramLabel = "DIR", defaultValue = DEFAULT_STATE_DIR,
            description = "State directory (default: ${DEFAULT-VALUE})")
    String stateDir;

    @Option(names = "--listen-control-api", paramLabel = "SOCK",
            description = "Listen socket for the control API (default: <state-dir>/swarmletd.sock)")
    String controlSocket;

    @Option(names = "--listen-remote-api", paramLabel = "ADDR", defaultValue = DEFAULT_REMOTE_API,
            converter = HostPortConverter.class,
            description = "Listen address for the remote API, host:port (default: ${DEFAULT-VALUE})")
    HostPort remoteApi;

    @Option(names = "--listen-raft-api", paramLabel = "ADDR", converter = HostPortConverter.class,
            description = "Listen address for Raft traffic between managers "
                    + "(default: the remote API host, its port + 1)")
    HostPort raftApi;

    @Option(names = "--advertise-addr", paramLabel = "ADDR",
            description = "Address other nodes use to reach this one, host[:port] "
                    + "(default: the remote API address; this host's address if that is 0.0.0.0)")
    String advertiseAddr;

    @Option(names = "--listen-http", paramLabel = "ADDR",
            description = "Listen address of the managers' web console and /metrics, host:port, or none"
                    + " (default: " + WebConsole.DEFAULT_ADDR + ")")
    String listenHttp;

    @Option(names = "--http-tls-cert", paramLabel = "FILE",
            description = "Serve the web console over HTTPS with this PEM certificate (chain); needs --http-tls-key")
    String httpTlsCert;

    @Option(names = "--http-tls-key", paramLabel = "FILE",
            description = "The PEM private key of --http-tls-cert")
    String httpTlsKey;

    @Option(names = "--listen-docker-api", paramLabel = "ADDR",
            description = "Serve the swarm part of the Docker Engine API (1.41), for the docker CLI and Docker's tools:"
                    + " on a unix socket (unix:///path or a path; mode 0600) and/or on tcp://host:port with mutual TLS"
                    + " (needs the --docker-api-tls* files); given up to twice (managers only; default: off)")
    List<String> listenDockerApi = new ArrayList<>();

    @Option(names = "--docker-api-tlscacert", paramLabel = "FILE",
            description = "PEM CA certificate(s) the Docker API's TCP clients must be signed by (as dockerd --tlscacert)")
    String dockerApiTlsCaCert;

    @Option(names = "--docker-api-tlscert", paramLabel = "FILE",
            description = "PEM certificate (chain) the Docker API's TCP listener presents (as dockerd --tlscert)")
    String dockerApiTlsCert;

    @Option(names = "--docker-api-tlskey", paramLabel = "FILE",
            description = "PEM PKCS#8 private key of --docker-api-tlscert (as dockerd --tlskey)")
    String dockerApiTlsKey;

    @Option(names = "--hostname", paramLabel = "NAME",
            description = "Hostname this node reports (default: the machine's hostname)")
    String hostname;

    @Option(names = "--join-addr", paramLabel = "ADDR",
            description = "Join the cluster of the manager whose remote API is at this address, host:port")
    String joinAddr;

    @Option(names = "--join-token", paramLabel = "TOKEN",
            description = "Secret token required to join the cluster; it decides the role (worker or manager)")
    String joinToken;

    @Option(names = "--force-new-cluster",
            description = "Force the creation of a new one-manager cluster from this manager's state"
                    + " (after the cluster lost its quorum)")
    boolean forceNewCluster;

    @Option(names = "--cert-expiry", paramLabel = "DURATION", defaultValue = "2160h0m0s",
            converter = GoDuration.Converter.class,
            description = "Validity of node certificates in a new cluster (default: ${DEFAULT-VALUE})")
    java.time.Duration certExpiry;

    @Option(names = "--dispatcher-heartbeat", paramLabel = "DURATION", defaultValue = "1s",
            converter = GoDuration.Converter.class,
            description = "Heartbeat period of nodes in a new cluster; a node that misses 3 is down"
                    + " (default: ${DEFAULT-VALUE})")
    java.time.Duration dispatcherHeartbeat;

    @Option(names = {"-l", "--log-level"}, paramLabel = "LEVEL", defaultValue = "info",
            converter = LogLevelConverter.class,
            description = "Log level: trace, debug, info, warn, error, fatal (default: ${DEFAULT-VALUE})")
    String logLevel;

    @Option(names = {"-v", "--version"}, versionHelp = true, description = "Print the version and exit")
    boolean versionRequested;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit")
    boolean helpRequested;

    /**
     * Fills in the defaults and makes every path absolute. Does not touch the
     * file system.
     *
     * @throws StartupException when a value cannot be used (one-line message)
     */
    public Settings resolve() {
        Path state = absolute(stateDir, "--state-dir");
        Path socket;
        if (controlSocket == null || controlSocket.isBlank()) {
            socket = state.resolve("swarmletd.sock");
        } else {
            String s = controlSocket.startsWith("unix://") ? controlSocket.substring("unix://".length()) : controlSocket;
            socket = absolute(s, "--listen-control-api");
        }
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new StartupException("control API socket path " + socket + " is longer than "
                    + MAX_SOCKET_PATH + " bytes, the limit for unix sockets; use a shorter --listen-control-api");
        }
        HostPort raft = raftApi;
        if (raft == null) {
            int port = remoteApi.port();
            if (port == 65535) {
                throw new StartupException("--listen-remote-api port 65535 leaves no port for Raft; give --listen-raft-api");
            }
            raft = remoteApi.withPort(port == 0 ? 0 : port + 1);
        }
        HostPort advertise = null;
        if (advertiseAddr != null && !advertiseAddr.isBlank()) {
            try {
                advertise = HostPort.parse(advertiseAddr, remoteApi.port());
            } catch (IllegalArgumentException e) {
                throw new StartupException("invalid --advertise-addr: " + e.getMessage());
            }
        }
        String host = hostname == null || hostname.isBlank() ? machineHostname() : hostname.trim();
        if (blankToNull(joinAddr) == null ^ blankToNull(joinToken) == null) {
            throw new StartupException(joinAddr == null || joinAddr.isBlank()
                    ? "--join-token needs --join-addr, the address of a manager of the cluster to join"
                    : "--join-addr needs --join-token; run `swarmlet swarm join-token worker` (or manager) on a manager");
        }
        if (forceNewCluster && blankToNull(joinAddr) != null) {
            throw new StartupException("--force-new-cluster cannot be combined with --join-addr");
        }
        return new Settings(state, socket, remoteApi, raft, advertise, host, logLevel,
                blankToNull(joinAddr), blankToNull(joinToken), forceNewCluster, certExpiry, dispatcherHeartbeat,
                webConsole(), dockerApi());
    }

    private DockerApi dockerApi() {
        Path socket = null;
        HostPort tcp = null;
        for (String raw : listenDockerApi) {
            String a = blankToNull(raw) == null ? null : raw.trim();
            if (a == null) {
                continue; // blank is off, as not given
            }
            if (a.startsWith("tcp://")) {
                if (tcp != null) {
                    throw new StartupException("--listen-docker-api takes one tcp:// address; got " + tcp + " and " + a);
                }
                try {
                    tcp = HostPort.parse(a.substring("tcp://".length()));
                } catch (IllegalArgumentException e) {
                    throw new StartupException("invalid --listen-docker-api " + a + ": " + e.getMessage());
                }
            } else if (a.startsWith("unix://") || !a.contains("://")) {
                if (socket != null) {
                    throw new StartupException("--listen-docker-api takes one unix socket; got " + socket + " and " + a);
                }
                socket = absolute(a.startsWith("unix://") ? a.substring("unix://".length()) : a, "--listen-docker-api");
                if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
                    throw new StartupException("--listen-docker-api " + socket + " is longer than " + MAX_SOCKET_PATH
                            + " bytes, the limit for unix sockets; use a shorter path");
                }
            } else {
                throw new StartupException("invalid --listen-docker-api " + a + ": use unix:///path/to/docker.sock"
                        + " or tcp://host:port");
            }
        }
        String ca = blankToNull(dockerApiTlsCaCert);
        String cert = blankToNull(dockerApiTlsCert);
        String key = blankToNull(dockerApiTlsKey);
        if (tcp == null) {
            if (ca != null || cert != null || key != null) {
                throw new StartupException("--docker-api-tlscacert, --docker-api-tlscert and --docker-api-tlskey go with"
                        + " --listen-docker-api tcp://HOST:PORT");
            }
            return socket == null ? DockerApi.OFF : DockerApi.unix(socket);
        }
        if (ca == null || cert == null || key == null) {
            throw new StartupException("--listen-docker-api tcp://" + tcp + " serves the Docker API with mutual TLS only"
                    + " (as dockerd --tlsverify): give --docker-api-tlscacert (the CA that signs the clients' certificates),"
                    + " --docker-api-tlscert and --docker-api-tlskey");
        }
        return new DockerApi(socket, tcp, absolute(ca, "--docker-api-tlscacert"), absolute(cert, "--docker-api-tlscert"),
                absolute(key, "--docker-api-tlskey"));
    }

    private WebConsole webConsole() {
        String cert = blankToNull(httpTlsCert);
        String key = blankToNull(httpTlsKey);
        if (cert == null ^ key == null) {
            throw new StartupException(cert == null ? "--http-tls-key needs --http-tls-cert, the certificate it goes with"
                    : "--http-tls-cert needs --http-tls-key, the certificate's private key");
        }
        String addr = listenHttp == null ? null : listenHttp.trim();
        if (addr != null && WebConsole.NONE.equalsIgnoreCase(addr)) {
            if (cert != null) {
                throw new StartupException("--http-tls-cert and --http-tls-key need the web console on; --listen-http is none");
            }
            return WebConsole.OFF;
        }
        HostPort hp;
        if (addr == null) {
            hp = HostPort.parse(WebConsole.DEFAULT_ADDR);
        } else {
            try {
                hp = HostPort.parse(addr);
            } catch (IllegalArgumentException e) {
                throw new StartupException("invalid --listen-http: " + e.getMessage() + " (host:port, or none)");
            }
        }
        return new WebConsole(hp, addr == null, cert == null ? null : absolute(cert, "--http-tls-cert"),
                key == null ? null : absolute(key, "--http-tls-key"));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static Path absolute(String path, String flag) {
        if (path == null || path.isBlank()) {
            throw new StartupException(flag + " must not be empty");
        }
        try {
            return Paths.get(path).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new StartupException("invalid " + flag + " '" + path + "': " + e.getReason());
        }
    }

    /** The kernel's hostname (what {@code hostname} prints), else what Java resolves. */
    static String machineHostname() {
        Path kernel = Paths.get("/proc/sys/kernel/hostname");
        try {
            if (Files.isReadable(kernel)) {
                String h = Files.readString(kernel, StandardCharsets.UTF_8).trim();
                if (!h.isEmpty()) {
                    return h;
                }
            }
        } catch (IOException ignored) {
            // fall through
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** {@code host:port} flag values. */
    public static final class HostPortConverter implements ITypeConverter<HostPort> {
        @Override
        public HostPort convert(String value) {
            try {
                return HostPort.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Log levels as swarmd spells them, mapped to Log4j's. */
    public static final class LogLevelConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "trace": return "trace";
                case "debug": return "debug";
                case "info": return "info";
                case "warn":
                case "warning": return "warn";
                case "error": return "error";
                case "fatal":
                case "panic": return "fatal";
                default:
                    throw new TypeConversionException("'" + value
                            + "' is not a log level (trace, debug, info, warn, error, fatal)");
            }
        }
    }

    /** The project version, filtered into {@code version.properties} at build time. */
    public static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"swarmletd " + version()};
        }

        public static String version() {
            Properties p = new Properties();
            try (InputStream in = DaemonOptions.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException ignored) {
                // unknown
            }
            return p.getProperty("version", "unknown");
        }
    }
}
