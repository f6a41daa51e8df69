package io.swarmlet.api.node;

/**
 * How a bundle tells the launcher that the daemon is ready or cannot start.
 * A component registers any object under this interface's name with the
 * {@link #STATE} property ("ready" or "failed") and, when failed, a one-line
 * {@link #MESSAGE} saying what is wrong and what to do. The launcher watches
 * for these registrations by name (it shares no classes with the bundles),
 * prints the message and exits non-zero on "failed".
 *
 * <p>Registered by core components (store, control API); read by the launcher.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface DaemonState {

    String STATE = "swarmlet.daemon.state";
    String MESSAGE = "swarmlet.daemon.message";
    String READY = "ready";
    String FAILED = "failed";
}
