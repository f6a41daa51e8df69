package io.swarmlet.cli.shell;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The CLI's verbs as Gogo commands of scope {@code swarm}, one function per
 * top-level verb of {@link io.swarmlet.cli.Main}: {@code swarm:node ls} prints
 * what {@code swarmlet node ls} prints, because it is the same code
 * ({@link SwarmletCommand} runs {@code Main} in-process against this daemon).
 * Errors print as the CLI prints them ({@code Error: ...}); a function
 * returns nothing, so the shell prints nothing more.
 *
 * <p>Not here: {@code help} (Gogo has its own; use {@code swarm:node --help})
 * and {@code console} (this is the console). {@code swarm:secret create NAME -}
 * reads the value from the session's input; nothing a secret verb prints holds a
 * value. {@code swarm:stack deploy -c FILE STACK} reads FILE (and the .env and files
 * it names) from the daemon's filesystem, relative to the daemon's working directory.
 */
@Component(service = SwarmScopeCommands.class, property = {
        "osgi.command.scope=swarm",
        "osgi.command.function=node",
        "osgi.command.function=service",
        "osgi.command.function=secret",
        "osgi.command.function=config",
        "osgi.command.function=network",
        "osgi.command.function=stack",
        "osgi.command.function=events",
        "osgi.command.function=web",
        "osgi.command.function=cluster",
        "osgi.command.function=swarm",
        "osgi.command.function=module",
        "osgi.command.function=plugin",
        "osgi.command.function=version",
})
public class SwarmScopeCommands {

    @Reference
    private SwarmletCommand cli;

    public SwarmScopeCommands() {
    }

    /** For tests: runs the commands through {@code cli}. */
    SwarmScopeCommands(SwarmletCommand cli) {
        this.cli = cli;
    }

    private void run(String verb, String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = verb;
        System.arraycopy(args, 0, all, 1, args.length);
        cli.swarmlet(all);
    }

    @Descriptor("Manage swarm nodes (swarm:node --help)")
    public void node(@Descriptor("ls, inspect, update, promote, demote, drain, activate, pause, rm, ...") String... args) {
        run("node", args);
    }

    @Descriptor("Manage services (swarm:service --help)")
    public void service(@Descriptor("create, ls, ps, inspect, update, scale, rollback, logs, rm, ...") String... args) {
        run("service", args);
    }

    @Descriptor("Manage secrets (swarm:secret --help)")
    public void secret(@Descriptor("create, ls, inspect, rm, rotate") String... args) {
        run("secret", args);
    }

    @Descriptor("Manage configs (swarm:config --help)")
    public void config(@Descriptor("create, ls, inspect, rm, rotate") String... args) {
        run("config", args);
    }

    @Descriptor("Manage networks (swarm:network --help)")
    public void network(@Descriptor("create, ls, inspect, rm") String... args) {
        run("network", args);
    }

    @Descriptor("Manage stacks (swarm:stack --help)")
    public void stack(@Descriptor("deploy, ls, services, ps, rm") String... args) {
        run("stack", args);
    }

    @Descriptor("Stream the cluster's events (swarm:events --help; give --until in a console)")
    public void events(@Descriptor("--filter K=V, --until T") String... args) {
        run("events", args);
    }

    @Descriptor("Manage the web console's access (swarm:web --help)")
    public void web(@Descriptor("token") String... args) {
        run("web", args);
    }

    @Descriptor("Manage the cluster object (swarm:cluster --help)")
    public void cluster(@Descriptor("ls, inspect, update") String... args) {
        run("cluster", args);
    }

    @Descriptor("Manage the swarm (swarm:swarm --help)")
    public void swarm(@Descriptor("join-token, update, unlock, unlock-key, leave") String... args) {
        run("swarm", args);
    }

    @Descriptor("Manage this daemon's modules (swarm:module --help)")
    public void module(@Descriptor("ls, start, stop, update") String... args) {
        run("module", args);
    }

    @Descriptor("Manage plugins (swarm:plugin --help)")
    public void plugin(@Descriptor("install, ls, rm") String... args) {
        run("plugin", args);
    }

    @Descriptor("Show the swarmlet client and swarmletd server versions")
    public void version(String... args) {
        run("version", args);
    }
}
