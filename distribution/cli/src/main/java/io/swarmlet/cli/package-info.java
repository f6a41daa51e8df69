/**
 * The {@code swarmlet} command line client: {@link io.swarmlet.cli.Main} is
 * the picocli root command, with one class per verb group
 * ({@link io.swarmlet.cli.NodeCommands}, {@link io.swarmlet.cli.ServiceCommands},
 * {@link io.swarmlet.cli.ClusterCommands}, {@link io.swarmlet.cli.SwarmCommands},
 * {@link io.swarmlet.cli.SecretCommands}, {@link io.swarmlet.cli.ConfigCommands},
 * {@link io.swarmlet.cli.NetworkCommands}, {@link io.swarmlet.cli.StackCommands},
 * {@code VersionCommand}); the secret and config verbs share their code in
 * {@code PayloadCommands}; {@code stack services} and {@code stack ps} are
 * {@code service ls} and {@code service ps} ({@code ServiceCommands.ServiceList},
 * {@code ServiceCommands.TaskList}) over one stack's services; {@code DotEnv} reads
 * the {@code .env} file that {@code stack deploy} sends with the compose files; service create, update and logs have classes of
 * their own, their shared flags are the {@code ServiceFlags} mixin and their
 * value syntaxes (durations, sizes, ports, mounts) are parsed in
 * {@code FlagValues}, so that a bad value is a usage error before anything
 * is sent. {@code ConvergeProgress} draws docker's converge progress.
 *
 * <p>Commands reach the cluster only through the {@code Supplier<ControlApi>}
 * of the root command and print only to picocli's writers, so an in-process
 * caller (the Gogo shell) runs them against its local API with
 * {@code Main.run(new Main(() -> api), out, err, args)}.
 *
 * <p>Printing helpers: {@link io.swarmlet.cli.Table} (docker's column
 * layout), {@link io.swarmlet.cli.Output} (JSON with secret values removed,
 * readable blocks, value formats), {@link io.swarmlet.cli.HumanTime}
 * ("2 hours ago"), {@code Services} (docker's MODE, REPLICAS and PORTS
 * columns) and {@code ServicePretty} ({@code service inspect --pretty}).
 */
package io.swarmlet.cli;
