package io.swarmlet.node.internal;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.types.Ids;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.types.NodeRole;

/**
 * This daemon's identity and settings. Settings come from framework
 * properties the launcher sets from the {@code swarmletd} flags; the identity
 * (node ID, cluster ID) is created on the first start and kept in
 * {@code <state-dir>/node.properties}, so a restart is the same node.
 */
@Component(service = LocalNode.class, immediate = true)
public class LocalNodeImpl implements LocalNode {

    static final String STATE_DIR = "swarmlet.state.dir";
    static final String CONTROL_SOCKET = "swarmlet.control.socket";
    static final String REMOTE_ADDR = "swarmlet.remote.addr";
    static final String RAFT_ADDR = "swarmlet.raft.addr";
    static final String ADVERTISE_ADDR = "swarmlet.advertise.addr";
    static final String HOSTNAME = "swarmlet.hostname";
    static final String IDENTITY_FILE = "node.properties";

    private static final Logger LOG = LogManager.getLogger(LocalNodeImpl.class);

    private String nodeId;
    private String clusterId;
    private boolean bootstrapped;
    private String hostname;
    private Path stateDir;
    private Path controlSocket;
    private String remoteApiAddr;
    private String advertiseAddr;
    private String raftAddr;
    private boolean managerAtStart = true;
    private volatile NodeCredentials credentials;

    public LocalNodeImpl() {}

    @Activate
    void activate(BundleContext context) {
        configure(context::getProperty);
    }

    /** Reads the settings through {@code props} and loads or creates the identity. */
    void configure(java.util.function.Function<String, String> props) {
        stateDir = Paths.get(orDefault(props.apply(STATE_DIR), "swarmletstate")).toAbsolutePath().normalize();
        controlSocket = Paths.get(orDefault(props.apply(CONTROL_SOCKET), stateDir.resolve("swarmletd.sock").toString()))
                .toAbsolutePath().normalize();
        remoteApiAddr = orDefault(props.apply(REMOTE_ADDR), "0.0.0.0:4242");
        raftAddr = orDefault(props.apply(RAFT_ADDR), nextPort(remoteApiAddr));
        hostname = orDefault(props.apply(HOSTNAME), localHostname());
        advertiseAddr = orDefault(props.apply(ADVERTISE_ADDR), advertiseDefault(remoteApiAddr));
        loadOrCreateIdentity();
        LOG.info("node {} of cluster {} (hostname {}, state dir {})", nodeId, clusterId, hostname, stateDir);
    }

    private void loadOrCreateIdentity() {
        Path file = stateDir.resolve(IDENTITY_FILE);
        try {
            Files.createDirectories(stateDir);
            if (Files.exists(file)) {
                Properties p = new Properties();
                try (InputStream in = Files.newInputStream(file)) {
                    p.load(in);
                }
                nodeId = p.getProperty("node.id");
                clusterId = p.getProperty("cluster.id");
                if (nodeId == null || nodeId.isBlank() || clusterId == null || clusterId.isBlank()) {
                    throw new IllegalStateException(file + " is damaged (no node.id or cluster.id); restore the state dir from a backup or remove it to start a new cluster");
                }
                bootstrapped = false;
                managerAtStart = !"worker".equals(p.getProperty("role"));
            } else {
                nodeId = Ids.newId();
                clusterId = Ids.newId();
                bootstrapped = true;
                Properties p = new Properties();
                p.setProperty("node.id", nodeId);
                p.setProperty("cluster.id", clusterId);
                p.setProperty("role", "manager");
                Path tmp = stateDir.resolve(IDENTITY_FILE + ".tmp");
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    p.store(out, "Swarmlet node identity: do not edit");
                }
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use state dir " + stateDir + ": " + e.getMessage(), e);
        }
    }

    static String orDefault(String v, String def) {
        return v == null || v.isBlank() ? def : v.trim();
    }

    /** "host:port" to "host:(port+1)", the default Raft address. */
    static String nextPort(String hostPort) {
        int i = hostPort.lastIndexOf(':');
        int port = Integer.parseInt(hostPort.substring(i + 1));
        return hostPort.substring(0, i + 1) + (port + 1);
    }

    /** The remote API address, or this host's address if it listens on all interfaces. */
    static String advertiseDefault(String remote) {
        int i = remote.lastIndexOf(':');
        String host = remote.substring(0, i);
        if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("[::]") || host.equals("::")) {
            try {
                host = InetAddress.getLocalHost().getHostAddress();
            } catch (UnknownHostException e) {
                host = "127.0.0.1";
            }
        }
        return host + remote.substring(i);
    }

    static String localHostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            String env = System.getenv("HOSTNAME");
            return env == null ? "localhost" : env;
        }
    }

    @Override public String nodeId() { return nodeId; }
    @Override public String clusterId() { return clusterId; }
    @Override public boolean bootstrapped() { return bootstrapped; }
    @Override public String hostname() { return hostname; }
    @Override public Path stateDir() { return stateDir; }
    @Override public Path controlSocket() { return controlSocket; }
    @Override public String remoteApiAddr() { return remoteApiAddr; }
    @Override public String advertiseAddr() { return advertiseAddr; }
    @Override public String raftAddr() { return raftAddr; }
    /** The role in this node's current certificate; before the ca bundle runs, the role it joined with. */
    @Override public boolean manager() {
        NodeCredentials c = credentials;
        return c != null ? c.role() == NodeRole.MANAGER : managerAtStart;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            unbind = "unbindCredentials")
    void bindCredentials(NodeCredentials c) {
        credentials = c;
    }

    void unbindCredentials(NodeCredentials c) {
        if (credentials == c) {
            credentials = null;
        }
    }

}
