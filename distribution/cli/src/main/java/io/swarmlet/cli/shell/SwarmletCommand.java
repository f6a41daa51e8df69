package io.swarmlet.cli.shell;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.node.NodeMembership;
import io.swarmlet.cli.Main;
import java.io.PrintWriter;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The {@code swarmlet} command in the daemon's Gogo shell: the very same
 * commands as the CLI, run in-process against this manager's ControlApi, so
 * {@code g! swarmlet node ls} prints what {@code swarmlet node ls} prints.
 * On a worker (no ControlApi) cluster commands say so, as the control socket
 * does; {@code swarmlet swarm leave} goes to the node's {@link NodeMembership}.
 * Only the DS runtime ever loads this class; the plain-JVM CLI never does.
 */
@Component(service = SwarmletCommand.class, property = {
        "osgi.command.scope=swarmlet",
        "osgi.command.function=swarmlet"
})
public class SwarmletCommand {

    static final String NOT_A_MANAGER = "This node is not a swarm manager. Worker nodes can't be used to view or modify"
            + " cluster state. Please run this command on a manager node or promote the current node to a manager.";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ControlApi api;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile NodeMembership membership;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile io.swarmlet.api.node.Modules modules;

    /** This manager's data key lock: while locked there is no ControlApi, and {@code swarm unlock} goes here. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile io.swarmlet.api.security.Keyring keyring;

    public SwarmletCommand() {
    }

    /** For tests: the commands against {@code api}, without membership or modules. */
    SwarmletCommand(ControlApi api) {
        this.api = api;
    }

    private ControlApi api() {
        ControlApi a = api;
        if (a == null) {
            io.swarmlet.api.security.Keyring k = keyring;
            if (k != null && k.locked()) {
                return locked(k);
            }
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION, NOT_A_MANAGER);
        }
        return a;
    }

    /**
     * What the shell of a locked manager talks to: {@code swarm unlock} opens the
     * data key, every other call is refused with {@link io.swarmlet.api.security.Keyring#LOCKED_MESSAGE},
     * as on the control socket.
     */
    static ControlApi locked(io.swarmlet.api.security.Keyring keyring) {
        return (ControlApi) java.lang.reflect.Proxy.newProxyInstance(ControlApi.class.getClassLoader(),
                new Class<?>[] {ControlApi.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "unlockSwarm" -> {
                            try {
                                keyring.unlock(((io.swarmlet.api.types.UnlockSwarmRequest) args[0]).getUnlockKey());
                            } catch (IllegalArgumentException e) {
                                throw new ControlException(ControlException.Code.INVALID_ARGUMENT, e.getMessage());
                            } catch (IllegalStateException e) {
                                throw new ControlException(ControlException.Code.FAILED_PRECONDITION, e.getMessage());
                            }
                            return io.swarmlet.api.types.UnlockSwarmResponse.getDefaultInstance();
                        }
                        case "toString" -> {
                            return "locked manager";
                        }
                        case "hashCode" -> {
                            return System.identityHashCode(proxy);
                        }
                        case "equals" -> {
                            return proxy == args[0];
                        }
                        default -> throw new ControlException(ControlException.Code.FAILED_PRECONDITION,
                                io.swarmlet.api.security.Keyring.LOCKED_MESSAGE);
                    }
                });
    }

    private String leave(boolean force) {
        NodeMembership m = membership;
        if (m == null) {
            throw new ControlException(ControlException.Code.UNAVAILABLE,
                    "this daemon cannot leave the swarm right now: its node component is not running (see its log)");
        }
        try {
            return m.leave(force);
        } catch (IllegalStateException e) {
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION, e.getMessage());
        }
    }

    /** Runs {@code swarmlet <args>}; returns the exit code (0 = success). */
    public int swarmlet(String... args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        return Main.run(new Main(this::api, this::leave, modules), out, err, args);
    }
}
