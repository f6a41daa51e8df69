package io.swarmlet.web.internal;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.metrics.Metrics;
import io.swarmlet.api.security.PemTls;
import io.swarmlet.api.store.Store;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
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
 * The web console on a manager (it needs the {@link Store}, which only managers
 * have): starts the {@link WebConsole} on the address of {@code --listen-http}
 * (framework property {@value #ADDR_PROPERTY}, loopback port 8880 by default),
 * with TLS when a certificate and key are given, and stops it, every live stream
 * closed, when the store goes or the bundle stops. An address that cannot be
 * bound is logged as an error; the rest of the node runs on without a console.
 */
@Component(service = {}, immediate = true, configurationPid = WebServerComponent.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = WebServerComponent.Config.class)
public class WebServerComponent {

    static final String PID = "io.swarmlet.web";
    static final String ADDR_PROPERTY = "swarmlet.http.addr";
    static final String CERT_PROPERTY = "swarmlet.http.tls.cert";
    static final String KEY_PROPERTY = "swarmlet.http.tls.key";
    static final String DEFAULT_ADDR = "127.0.0.1:8880";

    private static final Logger LOG = LogManager.getLogger(WebServerComponent.class);

    @ObjectClassDefinition(name = "Swarmlet web console",
            description = "Where the web console listens; empty values fall back to the launcher's --listen-http and framework properties.")
    public @interface Config {
        @AttributeDefinition(description = "host:port to listen on (default: swarmlet.http.addr, else 127.0.0.1:8880; 'off' for none)")
        String addr() default "";

        @AttributeDefinition(description = "PEM certificate chain for HTTPS (default: swarmlet.http.tls.cert)")
        String tls_cert() default "";

        @AttributeDefinition(description = "PEM PKCS#8 private key for HTTPS (default: swarmlet.http.tls.key)")
        String tls_key() default "";
    }

    @Reference
    private Store store;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ControlApi controlApi;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Metrics metrics;

    private WebConsole console;

    @Activate
    void activate(BundleContext context, Config config) {
        String addr = setting(config.addr(), context.getProperty(ADDR_PROPERTY), DEFAULT_ADDR);
        if (addr.equalsIgnoreCase("off") || addr.equalsIgnoreCase("none")) {
            LOG.info("web console off ({}={})", ADDR_PROPERTY, addr);
            return;
        }
        String cert = setting(config.tls_cert(), context.getProperty(CERT_PROPERTY), "");
        String key = setting(config.tls_key(), context.getProperty(KEY_PROPERTY), "");
        InetSocketAddress socket;
        SSLContext ssl = null;
        try {
            socket = address(addr);
            if (cert.isEmpty() != key.isEmpty()) {
                throw new IllegalArgumentException("HTTPS needs both a certificate (" + CERT_PROPERTY + ") and a key ("
                        + KEY_PROPERTY + "); only one is set");
            }
            if (!cert.isEmpty()) {
                ssl = PemTls.serverContext("the web console's", Path.of(cert), Path.of(key), null);
            }
        } catch (IllegalArgumentException e) {
            LOG.error("the web console is not started: {}", e.getMessage());
            return;
        }
        WebConsole c = new WebConsole(() -> store, () -> controlApi, () -> metrics,
                context.getBundle().getVersion().toString());
        try {
            c.start(socket, ssl);
        } catch (IOException e) {
            c.close();
            LOG.error("the web console cannot listen on {}: {} (is another program using it? choose another address with "
                    + "--listen-http ADDR); the node runs on without it", addr, e.getMessage());
            return;
        }
        console = c;
        InetSocketAddress bound = c.address();
        LOG.info("web console on {}://{}:{}/", ssl != null ? "https" : "http", bound.getHostString(), bound.getPort());
    }

    @Deactivate
    void deactivate() {
        WebConsole c = console;
        console = null;
        if (c != null) {
            c.close();
        }
    }

    private static String setting(String configured, String property, String fallback) {
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        return property != null && !property.isBlank() ? property.trim() : fallback;
    }

    /** {@code host:port}, {@code [v6]:port} or {@code :port} (every interface). */
    static InetSocketAddress address(String addr) {
        int colon = addr.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("invalid address '" + addr + "' for the web console: use HOST:PORT, e.g. 127.0.0.1:8880");
        }
        String host = addr.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(addr.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("invalid port in '" + addr + "' for the web console: use HOST:PORT, e.g. 127.0.0.1:8880");
        }
        return host.isEmpty() || host.equals("0.0.0.0") ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }
}
