package io.swarmlet.controlapi.internal;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.node.DaemonState;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.grpc.ControlGrpcService;
import io.swarmlet.grpc.Transports;
import java.io.IOException;
import java.util.Hashtable;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Serves the {@link ControlApi} over gRPC on the control socket (mode 0600),
 * then tells the launcher the daemon is ready; if the socket cannot be bound,
 * tells it why, in one line.
 */
@Component(immediate = true)
public class ControlServer {

    private static final Logger LOG = LogManager.getLogger(ControlServer.class);

    @Reference
    private ControlApi api;

    @Reference
    private LocalNode local;

    private Transports.Listener listener;
    private ServiceRegistration<?> state;

    @Activate
    void activate(BundleContext context) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("swarmlet.node.id", local.nodeId());
        props.put("swarmlet.control.socket", local.controlSocket().toString());
        try {
            listener = Transports.serveUnix(local.controlSocket(), "swarmlet-control",
                    List.of(new ControlGrpcService(api, e -> LOG.error("control API call failed", e))));
            LOG.info("control API listening on {}", local.controlSocket());
            props.put(DaemonState.STATE, DaemonState.READY);
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot serve the control API on {}: {}", local.controlSocket(), e.getMessage());
            props.put(DaemonState.STATE, DaemonState.FAILED);
            props.put(DaemonState.MESSAGE, e.getMessage());
        }
        state = context.registerService(DaemonState.class.getName(), new DaemonState() {}, props);
    }

    @Deactivate
    void deactivate() {
        if (state != null) {
            state.unregister();
        }
        if (listener != null) {
            listener.close();
        }
    }
}
