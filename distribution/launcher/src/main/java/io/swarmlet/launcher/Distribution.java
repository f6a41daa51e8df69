package io.swarmlet.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What a distribution boots: {@code conf/distribution.properties} names the
 * distribution ({@code name}) and its boot features ({@code features}, a
 * comma-separated list), {@code conf/features.xml} defines them; the jars come
 * from {@code bundle/} by file name. Without {@code conf/distribution.properties}
 * (a distribution laid out before features), every jar of {@code bundle/} is
 * booted, sorted by name.
 *
 * <p>A distribution whose boot features do not include {@value #MANAGER} is
 * worker-only: it cannot create a swarm, and joins only as a worker.
 */
record Distribution(String name, List<String> features, List<Jar> jars, boolean workerOnly, List<String> unused) {

    static final String PROPERTIES = "conf/distribution.properties";
    static final String FEATURES = "conf/features.xml";
    /** The feature whose bundles make a node able to be a manager. */
    static final String MANAGER = "manager";
    static final String DEFAULT_NAME = "swarmlet";

    /** A jar of bundle/ to install, and whether to start it. */
    record Jar(Path path, boolean start) {}

    /** Reads the distribution at {@code home}; a feature that names a jar bundle/ lacks is an error. */
    static Distribution read(Path home) {
        Path bundleDir = home.resolve("bundle");
        Path propsFile = home.resolve(PROPERTIES);
        if (!Files.isRegularFile(propsFile)) {
            List<Jar> jars = listJars(bundleDir).stream().map(p -> new Jar(p, true)).toList();
            if (jars.isEmpty()) {
                throw new StartupException("no bundles in " + bundleDir);
            }
            return new Distribution(DEFAULT_NAME, List.of(), jars, false, List.of());
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(propsFile)) {
            p.load(in);
        } catch (IOException e) {
            throw new StartupException("cannot read " + propsFile + ": " + Daemon.reason(e));
        }
        String name = p.getProperty("name", DEFAULT_NAME).trim();
        List<String> boot = split(p.getProperty("features", ""));
        if (boot.isEmpty()) {
            throw new StartupException(propsFile + " names no boot features (features=feature1,feature2,...)");
        }
        Path featuresFile = home.resolve(FEATURES);
        if (!Files.isRegularFile(featuresFile)) {
            throw new StartupException("the distribution " + name + " has no " + FEATURES + " (" + propsFile
                    + " boots features " + String.join(",", boot) + "); it is incomplete: unpack it again");
        }
        Features features = Features.read(featuresFile);
        List<String> resolved = features.resolve(boot);
        List<Jar> jars = new ArrayList<>();
        for (Features.FeatureBundle b : features.bundles(boot)) {
            Path jar = bundleDir.resolve(b.fileName());
            if (!Files.isRegularFile(jar)) {
                throw new StartupException("feature " + owner(features, resolved, b) + " of the distribution " + name
                        + " names " + b.uri() + ", but " + bundleDir + " has no " + b.fileName()
                        + "; the distribution is incomplete: unpack it again");
            }
            jars.add(new Jar(jar, b.start()));
        }
        Set<Path> named = jars.stream().map(Jar::path).collect(Collectors.toSet());
        List<String> unused = listJars(bundleDir).stream().filter(j -> !named.contains(j))
                .map(j -> j.getFileName().toString()).toList();
        return new Distribution(name, List.copyOf(resolved), List.copyOf(jars), !resolved.contains(MANAGER), unused);
    }

    private static String owner(Features features, List<String> resolved, Features.FeatureBundle b) {
        return resolved.stream().filter(f -> features.all().get(f).bundles().contains(b)).findFirst().orElse("?");
    }

    static List<String> split(String list) {
        return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** The jars of {@code dir}, sorted by name. */
    static List<Path> listJars(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new StartupException("cannot list " + dir + ": " + Daemon.reason(e));
        }
    }

    /** The one line a worker-only distribution answers to a start that would create a swarm. */
    String cannotCreateSwarm() {
        return "this is the worker-only distribution (" + name + "): it cannot create a swarm; join one with"
                + " --join-addr and --join-token (swarmlet swarm join-token worker)";
    }
}
