package io.swarmlet.controlapi.internal;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.node.DaemonState;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.node.NodeMembership;
import io.swarmlet.api.security.Keyring;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.grpc.ControlGrpcService;
import io.swarmlet.grpc.Transports;
import java.io.IOException;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Serves the control socket (mode 0600) on every node, manager or worker, and
 * tells the launcher when the daemon is ready; if the socket cannot be bound,
 * tells it why, in one line.
 *
 * <p>Each call goes to the {@link ControlApi} of the moment: the manager's
 * (present while this node holds a store), or else {@link WorkerControlApi}
 * (Version and this node's own plugins; every other call is docker's "not a
 * swarm manager" refusal). A promotion or demotion therefore changes what the socket serves
 * without rebinding it. {@code LeaveSwarm} goes to the node bundle's
 * {@link NodeMembership} on either role, and {@code Console} to the cli
 * bundle's shell console (design/cli.md), on either role too.
 *
 * <p>Ready means: the socket is served and, on a manager, the control API is
 * up (its store is running), so that a script that waits for ready can run
 * {@code swarmlet node ls} at once. A worker is ready as soon as the socket is
 * served. The role comes from the node credentials' {@code swarmlet.role}
 * property, or {@link LocalNode#manager()} before the ca bundle runs.
 *
 * <p>A manager whose {@link Keyring} is locked (autolock, after a restart) has
 * no store until it is unlocked: the socket then serves {@link LockedControlApi}
 * (Version and UnlockSwarm), and the daemon counts as ready (with the message
 * {@value #LOCKED}), since only a user with the key can take it further.
 */
@Component(immediate = true)
public class ControlServer {

    private static final Logger LOG = LogManager.getLogger(ControlServer.class);

    /** {@link DaemonState#MESSAGE} of the ready state of a manager that starts locked. */
    static final String LOCKED = "locked";

    @Reference
    private LocalNode local;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile NodeMembership membership;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile io.swarmlet.api.node.Modules modules;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile io.swarmlet.api.node.Plugins plugins;

    /** The shell console (the cli bundle's), served to {@code swarmlet console} on managers and workers alike. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile io.swarmlet.api.node.Console console;

    private volatile ControlApi api;
    /** This manager's data key file and lock (the secrets bundle's, on managers). */
    private volatile Keyring keyring;
    /** The role of the current node certificate ("manager", "worker"), null while there is none. */
    private volatile String certificateRole;

    private BundleContext context;
    private WorkerControlApi worker;
    private LockedControlApi lockedApi;
    private Transports.Listener listener;
    private ServiceRegistration<?> state;
    private boolean waitingLogged;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindApi")
    void bindApi(ControlApi a) {
        api = a;
        LOG.info("control API: serving the manager API");
        announceReadyIfSo();
    }

    void unbindApi(ControlApi a) {
        if (api == a) {
            api = null;
            LOG.info("control API: no store here any more; serving worker answers");
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindCredentials", updated = "updatedCredentials")
    void bindCredentials(NodeCredentials c, Map<String, Object> props) {
        certificateRole = String.valueOf(props.get(NodeCredentials.ROLE));
        announceReadyIfSo();
    }

    void updatedCredentials(NodeCredentials c, Map<String, Object> props) {
        bindCredentials(c, props);
    }

    void unbindCredentials(NodeCredentials c) {
        certificateRole = null;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindKeyring")
    void bindKeyring(Keyring k) {
        keyring = k;
        announceReadyIfSo();
    }

    void unbindKeyring(Keyring k) {
        if (keyring == k) {
            keyring = null;
        }
    }

    /** Whether this manager is locked (autolock) and waits for {@code swarmlet swarm unlock}. */
    private boolean locked() {
        Keyring k = keyring;
        return k != null && !worker() && k.locked();
    }

    /** What a call is served by right now. */
    ControlApi current() {
        ControlApi a = api;
        if (a != null) {
            return a;
        }
        return locked() ? lockedApi : worker;
    }

    @Activate
    void activate(BundleContext context) {
        this.context = context;
        this.worker = new WorkerControlApi(local, context.getBundle().getVersion().toString(), () -> !worker(),
                () -> plugins);
        this.lockedApi = new LockedControlApi(local, context.getBundle().getVersion().toString(), () -> keyring);
        try {
            Transports.Listener l = Transports.serveUnix(local.controlSocket(), "swarmlet-control",
                    List.of(new ControlGrpcService(this::current, () -> membership, () -> modules,
                            e -> LOG.error("control API call failed", e)).withConsole(() -> console)));
            synchronized (this) {
                listener = l;
            }
            LOG.info("control socket listening on {}", local.controlSocket());
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot serve the control API on {}: {}", local.controlSocket(), e.getMessage());
            Hashtable<String, Object> props = baseProperties();
            props.put(DaemonState.STATE, DaemonState.FAILED);
            props.put(DaemonState.MESSAGE, e.getMessage());
            synchronized (this) {
                state = context.registerService(DaemonState.class.getName(), new DaemonState() {}, props);
            }
            return;
        }
        announceReadyIfSo();
    }

    private Hashtable<String, Object> baseProperties() {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("swarmlet.node.id", local.nodeId());
        props.put("swarmlet.control.socket", local.controlSocket().toString());
        return props;
    }

    private boolean worker() {
        String role = certificateRole;
        return role != null ? "worker".equals(role) : !local.manager();
    }

    /** Registers ready once: when the socket is served and this node is a worker or its manager API is up. */
    private synchronized void announceReadyIfSo() {
        if (listener == null || state != null || context == null) {
            return;
        }
        boolean locked = api == null && locked();
        if (api == null && !worker() && !locked) {
            if (!waitingLogged) {
                waitingLogged = true;
                LOG.info("control socket served; waiting for this manager's store before reporting ready");
            }
            return;
        }
        Hashtable<String, Object> props = baseProperties();
        props.put(DaemonState.STATE, DaemonState.READY);
        if (locked) {
            // ready to be unlocked: the launcher must not wait for a store that needs the key first
            props.put(DaemonState.MESSAGE, LOCKED);
            LOG.warn("this manager is locked (autolock): it serves only version and unlock until"
                    + " `swarmlet swarm unlock` is given the unlock key");
        }
        state = context.registerService(DaemonState.class.getName(), new DaemonState() {}, props);
    }

    @Deactivate
    synchronized void deactivate() {
        if (state != null) {
            state.unregister();
            state = null;
        }
        if (listener != null) {
            listener.close();
            listener = null;
        }
        context = null;
    }
}
