package io.swarmlet.mesh.internal;

import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.mesh.Mesh;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.MeshStatus;
import io.swarmlet.spi.lb.LoadBalancer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The routing mesh of this node (every node, manager or worker): follows the
 * cluster's routing table through the highest-ranked {@link Dispatcher} (the
 * local one on the leader, the remote one that follows the leader elsewhere),
 * runs the {@link RoutingMesh} data plane on it (ingress ports, the services'
 * virtual IPs and the networks' DNS servers), balances with the installed
 * {@link LoadBalancer} plugins and reports its counters back to the dispatcher.
 * Registered as {@link Mesh} for the web console, metrics and tests.
 */
@Component(service = Mesh.class, immediate = true, configurationPid = MeshComponent.PID)
@Designate(ocd = MeshComponent.Config.class)
public final class MeshComponent implements Mesh {

    static final String PID = "io.swarmlet.mesh";
    /** Framework property: this node's remote API address; its host is where the mesh listens. */
    static final String REMOTE_ADDR = "swarmlet.remote.addr";

    private static final Logger LOG = LogManager.getLogger(MeshComponent.class);

    @ObjectClassDefinition(name = "Swarmlet routing mesh",
            description = "Listens on every ingress-published port of the cluster and forwards to the services' tasks.")
    public @interface Config {

        @AttributeDefinition(description = "Address the published ports are taken on: empty = the host of "
                + REMOTE_ADDR + " (this node's address); 0.0.0.0 or * = all addresses")
        String listenHost() default "";

        @AttributeDefinition(description = "A UDP flow without a datagram either way for this long ends (ms)")
        long udpIdleTimeoutMs() default 60_000;

        @AttributeDefinition(description = "How often the counters are reported to the dispatcher when they changed (ms)")
        long reportPeriodMs() default 2_000;

        @AttributeDefinition(description = "How long connecting to one backend may take before another is tried (ms)")
        long connectTimeoutMs() default 2_000;

        @AttributeDefinition(description = "Event loop threads (0 = one per processor)")
        int ioThreads() default 0;

        @AttributeDefinition(description = "Netty transport: auto (epoll where available, else NIO) or nio."
                + " Netty 4.2.18's epoll cuts a connection whose client half-closed and then receives more than"
                + " the socket buffers hold (design/mesh.md); nio avoids that")
        String transport() default "auto";

        @AttributeDefinition(description = "Connect to this node's own tasks at their container address (one proxy"
                + " hop less than their node port, which stays the fallback)")
        boolean directToLocalTasks() default true;

        @AttributeDefinition(description = "Listen on the services' virtual IPs and serve the networks' DNS (each VIP"
                + " and DNS address is added to the loopback device: needs root); false = ingress ports only")
        boolean vips() default true;
    }

    @Reference
    private LocalNode local;

    private volatile Dispatcher dispatcher;
    private final Balancers balancers = new Balancers();
    private RoutingMesh mesh;
    private ControlLoop control;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindDispatcher")
    void bindDispatcher(Dispatcher d) {
        dispatcher = d;
        changed();
    }

    void unbindDispatcher(Dispatcher d) {
        if (dispatcher == d) {
            dispatcher = null;
            changed();
        }
    }

    private void changed() {
        ControlLoop c = control;
        if (c != null) {
            c.dispatcherChanged();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "unbindLoadBalancer")
    void bindLoadBalancer(LoadBalancer lb, Map<String, Object> props) {
        balancers.add(name(props), lb);
    }

    void unbindLoadBalancer(LoadBalancer lb, Map<String, Object> props) {
        balancers.remove(name(props), lb);
    }

    private static String name(Map<String, Object> props) {
        Object n = props.get(LoadBalancer.NAME);
        return n == null ? null : n.toString();
    }

    @Activate
    void activate(BundleContext context, Config config) {
        InetAddress host = listenHost(config.listenHost(), context.getProperty(REMOTE_ADDR));
        MeshSettings settings = new MeshSettings(host,
                Duration.ofMillis(Math.max(1, config.connectTimeoutMs())),
                Duration.ofMillis(Math.max(100, config.udpIdleTimeoutMs())),
                Math.max(0, config.ioThreads()), !"nio".equalsIgnoreCase(config.transport().trim()),
                config.directToLocalTasks() ? local.nodeId() : "", config.vips(), MeshSettings.DNS_PORT);
        mesh = new RoutingMesh(settings, balancers);
        control = new ControlLoop(mesh, () -> dispatcher, local::nodeId,
                Duration.ofMillis(Math.max(100, config.reportPeriodMs())));
        control.start();
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        ControlLoop c = control;
        control = null;
        if (c != null) {
            c.close();
        }
        if (mesh != null) {
            mesh.close();
        }
        LOG.info("mesh of node {} stopped", local.nodeId());
    }

    @Override
    public MeshRoutes routes() {
        RoutingMesh m = mesh;
        return m == null ? MeshRoutes.getDefaultInstance() : m.routes();
    }

    @Override
    public MeshStatus status() {
        RoutingMesh m = mesh;
        return m == null ? MeshStatus.newBuilder().setTimestamp(System.currentTimeMillis()).build() : m.status();
    }

    /**
     * The configured host, else the host part of the remote API address
     * ("127.0.0.2:4242", "[::1]:4242", "host"); null (all addresses) for empty,
     * "0.0.0.0", "::" or "*".
     */
    static InetAddress listenHost(String configured, String remoteAddr) {
        String host = configured == null ? "" : configured.trim();
        if (host.isEmpty()) {
            host = hostOf(remoteAddr == null ? "" : remoteAddr.trim());
        }
        if (host.isEmpty() || host.equals("*") || host.equals("0.0.0.0") || host.equals("::")) {
            return null;
        }
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("mesh listen address " + host + " cannot be resolved", e);
        }
    }

    static String hostOf(String addr) {
        if (addr.startsWith("[")) {
            int end = addr.indexOf(']');
            return end > 0 ? addr.substring(1, end) : addr;
        }
        int colon = addr.lastIndexOf(':');
        if (colon >= 0 && addr.indexOf(':') == colon) {
            return addr.substring(0, colon);
        }
        return addr; // no port, or a bare IPv6 address
    }
}
