package io.swarmlet.dockerapi.internal;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.security.PemTls;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The Docker Engine API on a manager: starts the {@link DockerApiServer} on the unix
 * socket of {@code --listen-docker-api} (framework property {@value #SOCKET_PROPERTY};
 * off when it is empty) and/or on the TCP address of {@code --listen-docker-api tcp://}
 * ({@value #TCP_PROPERTY}) with mutual TLS, and stops it, the socket removed, when the
 * bundle stops. The
 * control API is followed dynamically: while it is away, calls answer 503.
 */
@Component(service = {}, immediate = true, configurationPid = DockerApiComponent.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = DockerApiComponent.Config.class)
public final class DockerApiComponent {

    private static final Logger LOG = LogManager.getLogger(DockerApiComponent.class);

    static final String PID = "io.swarmlet.dockerapi";
    static final String SOCKET_PROPERTY = "swarmlet.dockerapi.socket";
    static final String TCP_PROPERTY = "swarmlet.dockerapi.tcp";
    static final String TLS_CA_PROPERTY = "swarmlet.dockerapi.tls.cacert";
    static final String TLS_CERT_PROPERTY = "swarmlet.dockerapi.tls.cert";
    static final String TLS_KEY_PROPERTY = "swarmlet.dockerapi.tls.key";

    @ObjectClassDefinition(name = "Swarmlet Docker Engine API",
            description = "The swarm part of the Docker Engine API on a unix socket and/or TCP with mutual TLS")
    public @interface Config {
        @AttributeDefinition(description = "unix socket path (default: swarmlet.dockerapi.socket; empty or 'none' for off)")
        String socket() default "";

        @AttributeDefinition(description = "TCP address host:port, served with mutual TLS only"
                + " (default: swarmlet.dockerapi.tcp; empty or 'none' for off)")
        String tcp() default "";

        @AttributeDefinition(description = "PEM file of the CA that signs client certificates (default: swarmlet.dockerapi.tls.cacert)")
        String tlscacert() default "";

        @AttributeDefinition(description = "PEM certificate (chain) of the TCP listener (default: swarmlet.dockerapi.tls.cert)")
        String tlscert() default "";

        @AttributeDefinition(description = "PEM PKCS#8 private key of tlscert (default: swarmlet.dockerapi.tls.key)")
        String tlskey() default "";
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ControlApi controlApi;

    private DockerApiServer server;

    @Activate
    void activate(BundleContext context, Config config) {
        String socket = setting(config.socket(), context, SOCKET_PROPERTY);
        String tcp = setting(config.tcp(), context, TCP_PROPERTY);
        if (socket == null && tcp == null) {
            LOG.debug("Docker Engine API off (no {} nor {})", SOCKET_PROPERTY, TCP_PROPERTY);
            return;
        }
        DockerApiServer.Tls tls = null;
        if (tcp != null) {
            try {
                tls = tls(tcp, setting(config.tlscacert(), context, TLS_CA_PROPERTY),
                        setting(config.tlscert(), context, TLS_CERT_PROPERTY), setting(config.tlskey(), context, TLS_KEY_PROPERTY));
            } catch (IllegalArgumentException e) {
                LOG.error("the Docker Engine API is not served on tcp://{}: {}", tcp, e.getMessage());
                if (socket == null) {
                    return;
                }
            }
        }
        DockerApiServer s = new DockerApiServer(() -> controlApi, context.getBundle().getVersion().toString());
        String where = (socket != null ? "unix://" + socket : "") + (socket != null && tls != null ? " and " : "")
                + (tls != null ? "tcp://" + tcp : "");
        try {
            s.start(socket == null ? null : Path.of(socket), tls);
        } catch (Exception e) {
            s.close();
            LOG.error("the Docker Engine API is not started on {}: {}; the node runs on without it", where, e.getMessage());
            return;
        }
        server = s;
        LOG.info("Docker Engine API {} on {}{}", Router.API_VERSION_TEXT,
                s.socket() != null ? "unix://" + s.socket() : "", s.tcpAddress() == null ? ""
                        : (s.socket() != null ? " and " : "") + "tcp://" + hostPort(s.tcpAddress()) + " (mutual TLS)");
    }

    /** The configured value, else the framework property; null when empty or "none". */
    private static String setting(String configured, BundleContext context, String property) {
        String v = !configured.isEmpty() ? configured : context.getProperty(property);
        return v == null || v.isBlank() || v.equalsIgnoreCase("none") ? null : v.trim();
    }

    /** Mutual TLS only: a TCP listener without a client CA would hand the cluster to anyone who can reach the port. */
    static DockerApiServer.Tls tls(String hostPort, String caFile, String certFile, String keyFile) {
        if (caFile == null || certFile == null || keyFile == null) {
            throw new IllegalArgumentException("the Docker API is served over TCP with mutual TLS only: it needs the client CA ("
                    + TLS_CA_PROPERTY + "), a certificate (" + TLS_CERT_PROPERTY + ") and its key (" + TLS_KEY_PROPERTY + ")");
        }
        int colon = hostPort.lastIndexOf(':');
        int port;
        try {
            port = colon < 0 ? -1 : Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (colon <= 0 || port < 0 || port > 65535) {
            throw new IllegalArgumentException("not a host:port: " + hostPort);
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new DockerApiServer.Tls(new InetSocketAddress(host, port),
                PemTls.serverContext("the Docker API's", Path.of(certFile), Path.of(keyFile), Path.of(caFile)));
    }

    private static String hostPort(InetSocketAddress a) {
        String h = a.getHostString();
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    @Deactivate
    void deactivate() {
        DockerApiServer s = server;
        server = null;
        if (s != null) {
            s.close();
        }
    }
}
