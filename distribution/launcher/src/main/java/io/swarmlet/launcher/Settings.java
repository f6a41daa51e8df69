package io.swarmlet.launcher;

import java.nio.file.Path;

/**
 * The resolved {@code swarmletd} settings: every default filled in, every path
 * absolute. Handed to the bundles as {@code swarmlet.*} framework properties.
 *
 * @param advertiseAddr {@code null} when {@code --advertise-addr} was not given
 *                      (the node bundle then advertises the remote API address)
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
        String joinToken) {

    public static final String STATE_DIR = "swarmlet.state.dir";
    public static final String CONTROL_SOCKET = "swarmlet.control.socket";
    public static final String REMOTE_ADDR = "swarmlet.remote.addr";
    public static final String RAFT_ADDR = "swarmlet.raft.addr";
    public static final String ADVERTISE_ADDR = "swarmlet.advertise.addr";
    public static final String HOSTNAME = "swarmlet.hostname";

    public boolean joinRequested() {
        return joinAddr != null || joinToken != null;
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
        return m;
    }
}
