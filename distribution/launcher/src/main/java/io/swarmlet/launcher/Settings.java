package io.swarmlet.launcher;

import java.nio.file.Path;

/**
 * The resolved {@code swarmletd} settings: every default filled in, every path
 * absolute. Handed to the bundles as {@code swarmlet.*} framework properties.
 *
 * @param advertiseAddr {@code null} when {@code --advertise-addr} was not given
 *                      (the node bundle then advertises the remote API address)
 * @param web           the web console's address and TLS files ({@link WebConsole#OFF}: none)
 * @param dockerApi     where the Docker Engine API listens ({@code --listen-docker-api}; {@link DockerApi#OFF}: nowhere)
 */
public record Settings(
        Path stateDir,
        Path controlSocket,
        HostPort remoteApi,
        HostPort raftApi,
        HostPort advertiseAddr,
        String hostname,
        String logLevel,
        String joinAddr,
        String joinToken,
        boolean forceNewCluster,
        java.time.Duration certExpiry,
        java.time.Duration dispatcherHeartbeat,
        WebConsole web,
        DockerApi dockerApi) {

    public static final String STATE_DIR = "swarmlet.state.dir";
    public static final String CONTROL_SOCKET = "swarmlet.control.socket";
    public static final String REMOTE_ADDR = "swarmlet.remote.addr";
    public static final String RAFT_ADDR = "swarmlet.raft.addr";
    public static final String ADVERTISE_ADDR = "swarmlet.advertise.addr";
    public static final String HOSTNAME = "swarmlet.hostname";
    public static final String FORCE_NEW_CLUSTER = "swarmlet.force.new.cluster";
    public static final String CERT_EXPIRY = "swarmlet.cert.expiry";
    public static final String DISPATCHER_HEARTBEAT = "swarmlet.dispatcher.heartbeat";

    /**
     * Settings without join, force-new-cluster, with the default certificate expiry and heartbeat,
     * and without the web console.
     */
    public Settings(Path stateDir, Path controlSocket, HostPort remoteApi, HostPort raftApi, HostPort advertiseAddr,
            String hostname, String logLevel, String joinAddr, String joinToken) {
        this(stateDir, controlSocket, remoteApi, raftApi, advertiseAddr, hostname, logLevel, joinAddr, joinToken,
                false, java.time.Duration.ofHours(2160), java.time.Duration.ofSeconds(1), WebConsole.OFF);
    }

    /** Settings without the Docker Engine API. */
    public Settings(Path stateDir, Path controlSocket, HostPort remoteApi, HostPort raftApi, HostPort advertiseAddr,
            String hostname, String logLevel, String joinAddr, String joinToken, boolean forceNewCluster,
            java.time.Duration certExpiry, java.time.Duration dispatcherHeartbeat, WebConsole web) {
        this(stateDir, controlSocket, remoteApi, raftApi, advertiseAddr, hostname, logLevel, joinAddr, joinToken,
                forceNewCluster, certExpiry, dispatcherHeartbeat, web, DockerApi.OFF);
    }

    public Settings {
        web = web == null ? WebConsole.OFF : web;
        dockerApi = dockerApi == null ? DockerApi.OFF : dockerApi;
    }

    public boolean joinRequested() {
        return joinAddr != null && joinToken != null;
    }

    public Path logDir() {
        return stateDir.resolve("logs");
    }

    /** The {@code swarmlet.*} framework properties the bundles read. */
    public java.util.Map<String, String> frameworkProperties() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put(STATE_DIR, stateDir.toString());
        m.put(CONTROL_SOCKET, controlSocket.toString());
        m.put(REMOTE_ADDR, remoteApi.toString());
        m.put(RAFT_ADDR, raftApi.toString());
        if (advertiseAddr != null) {
            m.put(ADVERTISE_ADDR, advertiseAddr.toString());
        }
        m.put(HOSTNAME, hostname);
        m.put(FORCE_NEW_CLUSTER, Boolean.toString(forceNewCluster));
        m.put(CERT_EXPIRY, certExpiry.toString());
        m.put(DISPATCHER_HEARTBEAT, dispatcherHeartbeat.toString());
        m.putAll(web.frameworkProperties());
        m.putAll(dockerApi.frameworkProperties());
        return m;
    }
}
