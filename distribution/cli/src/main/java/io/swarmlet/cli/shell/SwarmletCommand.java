package io.swarmlet.cli.shell;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.cli.Main;
import java.io.PrintWriter;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code swarmlet} command in the daemon's Gogo shell: the very same
 * commands as the CLI, run in-process against this manager's ControlApi, so
 * {@code g! swarmlet node ls} prints what {@code swarmlet node ls} prints.
 * Only the DS runtime ever loads this class; the plain-JVM CLI never does.
 */
@Component(service = SwarmletCommand.class, property = {
        "osgi.command.scope=swarmlet",
        "osgi.command.function=swarmlet"
})
public class SwarmletCommand {

    @Reference
    private ControlApi api;

    /** Runs {@code swarmlet <args>}; returns the exit code (0 = success). */
    public int swarmlet(String... args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        return Main.run(new Main(() -> api), out, err, args);
    }
}
