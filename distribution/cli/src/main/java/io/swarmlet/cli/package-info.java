/**
 * The {@code swarmlet} command line client: {@link io.swarmlet.cli.Main} is
 * the picocli root command, with one class per verb group
 * ({@link io.swarmlet.cli.NodeCommands}, {@link io.swarmlet.cli.ClusterCommands},
 * {@link io.swarmlet.cli.SwarmCommands}, {@code VersionCommand}).
 *
 * <p>Commands reach the cluster only through the {@code Supplier<ControlApi>}
 * of the root command and print only to picocli's writers, so an in-process
 * caller (the Gogo shell) runs them against its local API with
 * {@code Main.run(new Main(() -> api), out, err, args)}.
 *
 * <p>Printing helpers: {@link io.swarmlet.cli.Table} (docker's column
 * layout), {@link io.swarmlet.cli.Output} (JSON with secret values removed,
 * readable blocks, value formats) and {@link io.swarmlet.cli.HumanTime}
 * ("2 hours ago").
 */
package io.swarmlet.cli;
