package io.swarmlet.node.internal;

import io.swarmlet.api.control.PluginJars;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.node.Plugins;
import io.swarmlet.api.types.InstallPluginRequest;
import io.swarmlet.api.types.InstallPluginResponse;
import io.swarmlet.api.types.ListPluginsResponse;
import io.swarmlet.api.types.Plugin;
import io.swarmlet.api.types.PluginEntry;
import io.swarmlet.api.types.PluginSet;
import io.swarmlet.api.types.PluginStatus;
import io.swarmlet.api.types.RemovePluginRequest;
import io.swarmlet.api.types.RemovePluginResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/**
 * This node's plugins ({@code swarmlet plugin install|ls|rm}), on every node,
 * manager or worker.
 *
 * <p>Local plugins (no {@code --cluster}) are kept in
 * {@code <state-dir>/plugins/local/NAME.jar} and installed again when the
 * daemon starts. Cluster plugins come from the replicated store through the
 * {@link Dispatcher} the agent uses (the leader's own on the leader, the remote
 * bundle's client elsewhere): one thread long-polls the set, fetches each new
 * jar, checks its digest, keeps it in {@code <state-dir>/plugins/cluster/ID.jar}
 * (so a restarted daemon runs its plugins before it reaches the leader), and
 * installs and starts it; a plugin gone from the set is uninstalled. A node
 * that joins later gets the whole set on its first poll.
 *
 * <p>A plugin that cannot be installed, resolved or activated is uninstalled
 * again and reported FAILED with the reason; a failed cluster plugin is tried
 * again only when the daemon restarts. The full list (local and cluster, with
 * states) goes to the managers ({@code node.plugins}) after every change, when
 * the dispatcher changes and with every new set (a new leader sends one).
 */
@Component(service = Plugins.class, immediate = true)
public final class PluginsImpl implements Plugins {

    private static final Logger LOG = LogManager.getLogger(PluginsImpl.class);

    static final Duration POLL = Duration.ofSeconds(10);
    private static final long MIN_BACKOFF_MS = 200;
    private static final long MAX_BACKOFF_MS = 2_000;

    @Reference
    private LocalNode local;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ServiceComponentRuntime scr;

    private volatile Dispatcher dispatcher;

    /** One plugin on this node: what is reported, and its bundle while it runs. */
    private record Entry(PluginStatus status, Bundle bundle, Path file) {}

    private final Object lock = new Object();
    /** What the poller waits on (a dispatcher, a pause), apart from lock: binding never waits for an install. */
    private final Object wake = new Object();
    /** Local plugins by name, cluster plugins by ID. Guarded by lock. */
    private final Map<String, Entry> locals = new LinkedHashMap<>();
    private final Map<String, Entry> clusters = new LinkedHashMap<>();

    private PluginInstaller installer;
    private Path localDir;
    private Path clusterDir;
    private Thread poller;
    private ScheduledExecutorService reporter;
    private volatile boolean stopping;
    private boolean polling; // guarded by wake
    private volatile boolean reportWanted;
    private long reportBackoff = MIN_BACKOFF_MS; // reporter thread only

    public PluginsImpl() {}

    /** For tests outside OSGi. */
    PluginsImpl(LocalNode local) {
        this.local = local;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindDispatcher")
    void bindDispatcher(Dispatcher d) {
        dispatcher = d;
        dispatcherChanged();
    }

    void unbindDispatcher(Dispatcher d) {
        if (dispatcher == d) {
            dispatcher = null;
            dispatcherChanged();
        }
    }

    @Activate
    void activate(BundleContext context) {
        start(new PluginInstaller(context, () -> scr), local.stateDir());
    }

    /** Starts outside OSGi too (tests): local plugins installed again, the cached cluster ones, then the poller. */
    void start(PluginInstaller installer, Path stateDir) {
        this.installer = installer;
        this.localDir = stateDir.resolve("plugins").resolve("local");
        this.clusterDir = stateDir.resolve("plugins").resolve("cluster");
        reporter = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "swarmlet-plugins-report");
            t.setDaemon(true);
            return t;
        });
        try {
            Files.createDirectories(localDir);
            Files.createDirectories(clusterDir);
        } catch (IOException e) {
            LOG.error("plugins: cannot create {}: {}", localDir.getParent(), e.getMessage());
        }
        synchronized (lock) {
            Map<String, Bundle> leftovers = new HashMap<>();
            installer.installedPlugins().forEach(b -> leftovers.put(b.getLocation(), b));
            restoreLocals(leftovers);
            restoreClusters(leftovers);
            leftovers.values().forEach(b -> {
                LOG.info("plugins: uninstalling {}, which is no plugin of this node any more", b.getLocation());
                installer.uninstall(b);
            });
        }
        poller = new Thread(this::pollLoop, "swarmlet-plugins");
        poller.setDaemon(true);
        poller.start();
        changed();
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        // the plugins' bundles stay: a node bundle that is updated adopts them again
        stopping = true;
        synchronized (wake) {
            wake.notifyAll();
        }
        poller.interrupt();
        poller.join(2_000);
        reporter.shutdownNow();
    }

    // ------------------------------------------------------------ Plugins

    @Override
    public ListPluginsResponse list() {
        ListPluginsResponse.Builder out = ListPluginsResponse.newBuilder();
        for (PluginStatus s : statuses()) {
            out.addPlugins(PluginEntry.newBuilder().setNodeId(local.nodeId()).setNodeHostname(local.hostname()).setStatus(s));
        }
        return out.build();
    }

    @Override
    public InstallPluginResponse install(InstallPluginRequest request) {
        if (request.getCluster()) {
            throw ControlException.invalid("cluster plugins are installed through the managers' control API");
        }
        byte[] jar = request.getJar().toByteArray();
        PluginJars.Checked c = PluginJars.check(jar, request.getSha256(), request.getName(), "the jar");
        synchronized (lock) {
            if (taken(c.name())) {
                throw new ControlException(ControlException.Code.ALREADY_EXISTS, "plugin " + c.name()
                        + " already exists on this node: choose another --name, or remove it first with swarmlet plugin rm "
                        + c.name());
            }
            Path file = localDir.resolve(c.name() + ".jar");
            try {
                write(file, jar);
            } catch (IOException e) {
                throw new ControlException(ControlException.Code.INTERNAL, "cannot keep the plugin in " + file + ": " + e.getMessage());
            }
            PluginStatus.Builder s = PluginStatus.newBuilder().setName(c.name()).setSha256(c.sha256())
                    .setSymbolicName(c.symbolicName()).setVersion(c.version()).setSize(jar.length);
            Bundle b;
            try {
                b = installer.install(PluginInstaller.location(false, file), file);
            } catch (PluginInstaller.Failure f) {
                deleteQuietly(file);
                LOG.warn("plugins: {} was not installed: {}", c.name(), f.getMessage());
                throw new ControlException(ControlException.Code.FAILED_PRECONDITION,
                        "plugin " + c.name() + " " + f.getMessage() + "; nothing was installed");
            }
            s.setState(PluginStatus.State.ACTIVE).setSymbolicName(b.getSymbolicName()).setVersion(b.getVersion().toString());
            locals.put(c.name(), new Entry(s.build(), b, file));
            LOG.info("plugins: {} ({} {}) installed on this node", c.name(), b.getSymbolicName(), b.getVersion());
            changed();
            return InstallPluginResponse.newBuilder().setPlugin(s.build())
                    .setMessage("plugin " + c.name() + " installed on this node").build();
        }
    }

    @Override
    public RemovePluginResponse remove(RemovePluginRequest request) {
        String name = request.getName().trim();
        synchronized (lock) {
            Entry e = locals.remove(name);
            if (e == null) {
                throw ControlException.notFound("No such plugin: " + name);
            }
            if (e.bundle() != null) {
                installer.uninstall(e.bundle());
            }
            deleteQuietly(e.file());
            LOG.info("plugins: {} removed from this node", name);
        }
        changed();
        return RemovePluginResponse.newBuilder().setMessage("plugin " + name + " removed from this node").build();
    }

    /** Every plugin of this node: local ones by name, then cluster ones by name. */
    List<PluginStatus> statuses() {
        synchronized (lock) {
            List<PluginStatus> out = new ArrayList<>();
            locals.values().stream().map(Entry::status).sorted(Comparator.comparing(PluginStatus::getName)).forEach(out::add);
            clusters.values().stream().map(Entry::status).sorted(Comparator.comparing(PluginStatus::getName)
                    .thenComparing(PluginStatus::getPluginId)).forEach(out::add);
            return out;
        }
    }

    private boolean taken(String name) {
        return locals.containsKey(name) || clusters.values().stream().anyMatch(e -> e.status().getName().equals(name));
    }

    // ------------------------------------------------------------ restart

    /** Installs the local plugins kept in the state directory again. Holding the lock. */
    private void restoreLocals(Map<String, Bundle> leftovers) {
        for (Path file : jars(localDir)) {
            String name = file.getFileName().toString().replaceFirst("\\.jar$", "");
            PluginStatus.Builder s = PluginStatus.newBuilder().setName(name);
            try {
                byte[] jar = Files.readAllBytes(file);
                PluginJars.Checked c = PluginJars.check(jar, "", name, file.toString());
                s.setSha256(c.sha256()).setSymbolicName(c.symbolicName()).setVersion(c.version()).setSize(jar.length);
                Bundle b = adoptOrInstall(PluginInstaller.location(false, file), file, leftovers);
                s.setState(PluginStatus.State.ACTIVE).setVersion(b.getVersion().toString());
                locals.put(name, new Entry(s.build(), b, file));
                LOG.info("plugins: {} installed again", name);
            } catch (IOException | ControlException e) {
                fail(locals, name, s, file, e.getMessage());
            } catch (PluginInstaller.Failure f) {
                fail(locals, name, s, file, f.getMessage());
            }
        }
    }

    /** Installs the cluster plugins this node ran before it stopped; the first poll says which still are. Holding the lock. */
    private void restoreClusters(Map<String, Bundle> leftovers) {
        for (Path file : jars(clusterDir)) {
            String id = file.getFileName().toString().replaceFirst("\\.jar$", "");
            Properties p = readProperties(clusterDir.resolve(id + ".properties"));
            String name = p.getProperty("name", id);
            PluginStatus.Builder s = PluginStatus.newBuilder().setPluginId(id).setName(name).setCluster(true)
                    .setSha256(p.getProperty("sha256", ""));
            try {
                byte[] jar = Files.readAllBytes(file);
                PluginJars.Checked c = PluginJars.check(jar, s.getSha256(), name, file.toString());
                s.setSymbolicName(c.symbolicName()).setVersion(c.version()).setSize(jar.length);
                Bundle b = adoptOrInstall(PluginInstaller.location(true, file), file, leftovers);
                s.setState(PluginStatus.State.ACTIVE).setVersion(b.getVersion().toString());
                clusters.put(id, new Entry(s.build(), b, file));
            } catch (IOException | ControlException e) {
                deleteQuietly(file); // fetched again if it is still wanted
            } catch (PluginInstaller.Failure f) {
                fail(clusters, id, s, file, f.getMessage());
            }
        }
    }

    private Bundle adoptOrInstall(String location, Path file, Map<String, Bundle> leftovers) throws PluginInstaller.Failure {
        Bundle b = leftovers.remove(location);
        if (b != null && b.getState() == Bundle.ACTIVE) {
            return b; // still running (this component was restarted, not the daemon)
        }
        if (b != null) {
            installer.uninstall(b);
        }
        return installer.install(location, file);
    }

    private void fail(Map<String, Entry> into, String key, PluginStatus.Builder s, Path file, String why) {
        LOG.warn("plugins: {} does not run: {}", s.getName(), why);
        into.put(key, new Entry(s.setState(PluginStatus.State.FAILED).setError(why).build(), null, file));
    }

    // ------------------------------------------------------------ cluster plugins

    private void dispatcherChanged() {
        Thread t = poller;
        synchronized (wake) {
            wake.notifyAll();
            if (polling && t != null) {
                t.interrupt();
            }
        }
        changed();
    }

    private void pollLoop() {
        long version = 0;
        long backoff = MIN_BACKOFF_MS;
        Dispatcher last = null;
        boolean failing = false;
        while (!stopping) {
            Dispatcher d;
            synchronized (wake) {
                while (!stopping && dispatcher == null) {
                    try {
                        wake.wait();
                    } catch (InterruptedException e) {
                        // the loop condition decides
                    }
                }
                if (stopping) {
                    return;
                }
                d = dispatcher;
                polling = true;
            }
            if (d != last) {
                last = d;
                version = 0; // ask the new one for the whole set
            }
            PluginSet set = null;
            RuntimeException error = null;
            try {
                set = d.plugins(version, POLL);
            } catch (InterruptedException e) {
                // stopping, or the dispatcher changed
            } catch (RuntimeException e) {
                error = e;
            } finally {
                synchronized (wake) {
                    polling = false;
                    Thread.interrupted();
                }
            }
            if (stopping) {
                return;
            }
            if (error != null) {
                if (dispatcher != d) {
                    continue;
                }
                if (!failing) {
                    failing = true;
                    LOG.info("plugins: cannot get the cluster's plugins ({}); retrying", error.getMessage());
                }
                pause(d, backoff);
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
                continue;
            }
            if (set == null || set.getVersion() == version) {
                continue;
            }
            failing = false;
            if (apply(set, d)) {
                version = set.getVersion();
                backoff = MIN_BACKOFF_MS;
            } else {
                pause(d, backoff); // a jar could not be fetched: the same set again after a pause
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
            }
            changed(); // every new set (a new leader sends one) is reported
        }
    }

    /**
     * Makes this node run exactly the set: uninstalls what left it, fetches and
     * installs what is new. Returns false when a jar could not be fetched (try again).
     */
    boolean apply(PluginSet set, Dispatcher d) {
        Map<String, Plugin> wanted = new LinkedHashMap<>();
        set.getPluginsList().forEach(p -> wanted.put(p.getId(), p));
        List<Entry> gone = new ArrayList<>();
        synchronized (lock) {
            clusters.entrySet().removeIf(e -> {
                Plugin w = wanted.get(e.getKey());
                if (w != null && w.getSha256().equals(e.getValue().status().getSha256())) {
                    return false;
                }
                gone.add(e.getValue());
                return true;
            });
            for (Entry e : gone) {
                if (e.bundle() != null) {
                    installer.uninstall(e.bundle());
                }
                deleteQuietly(e.file());
                deleteQuietly(clusterDir.resolve(e.status().getPluginId() + ".properties"));
                LOG.info("plugins: cluster plugin {} uninstalled", e.status().getName());
            }
        }
        if (!gone.isEmpty()) {
            changed();
        }
        boolean complete = true;
        for (Plugin p : wanted.values()) {
            synchronized (lock) {
                if (clusters.containsKey(p.getId())) {
                    continue;
                }
            }
            if (!installCluster(p, d)) {
                complete = false;
            }
        }
        return complete;
    }

    /** Fetches, checks, keeps and installs one cluster plugin; false when its jar could not be fetched now. */
    private boolean installCluster(Plugin p, Dispatcher d) {
        String name = p.getSpec().getAnnotations().getName();
        PluginStatus.Builder s = PluginStatus.newBuilder().setPluginId(p.getId()).setName(name).setCluster(true)
                .setSha256(p.getSha256()).setSymbolicName(p.getSymbolicName()).setVersion(p.getVersion())
                .setSize(p.getSize()).setState(PluginStatus.State.PENDING);
        Path file = clusterDir.resolve(p.getId() + ".jar");
        synchronized (lock) {
            clusters.put(p.getId(), new Entry(s.build(), null, file));
        }
        changed();
        Plugin full;
        try {
            full = d.pluginJar(p.getId());
        } catch (RuntimeException e) {
            LOG.info("plugins: cannot fetch cluster plugin {} now: {}", name, e.getMessage());
            synchronized (lock) {
                clusters.remove(p.getId());
            }
            return false;
        }
        synchronized (lock) {
            if (stopping) {
                return true;
            }
            if (full == null) {
                clusters.remove(p.getId()); // removed meanwhile: the next set says so
                return true;
            }
            byte[] jar = full.getJar().toByteArray();
            String digest = PluginJars.sha256(jar);
            if (!digest.equalsIgnoreCase(p.getSha256())) {
                fail(clusters, p.getId(), s, file, "the jar's SHA-256 is " + digest + ", not " + p.getSha256()
                        + " as the store says");
                return true;
            }
            try {
                write(file, jar);
                Properties props = new Properties();
                props.setProperty("name", name);
                props.setProperty("sha256", digest);
                try (OutputStream out = Files.newOutputStream(clusterDir.resolve(p.getId() + ".properties"))) {
                    props.store(out, "cluster plugin " + name);
                }
            } catch (IOException e) {
                fail(clusters, p.getId(), s, file, "cannot keep the jar in " + file + ": " + e.getMessage());
                return true;
            }
            try {
                Bundle b = installer.install(PluginInstaller.location(true, file), file);
                s.setState(PluginStatus.State.ACTIVE).setSymbolicName(b.getSymbolicName()).setVersion(b.getVersion().toString());
                clusters.put(p.getId(), new Entry(s.build(), b, file));
                LOG.info("plugins: cluster plugin {} ({} {}) installed", name, b.getSymbolicName(), b.getVersion());
            } catch (PluginInstaller.Failure f) {
                fail(clusters, p.getId(), s, file, f.getMessage());
            }
        }
        changed();
        return true;
    }

    private void pause(Dispatcher d, long millis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (wake) {
            long left;
            while (!stopping && dispatcher == d && (left = end - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(wake, left);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    // ------------------------------------------------------------ reporting

    /** Something changed: the full list goes to the managers (on the reporter thread). */
    private void changed() {
        reportWanted = true;
        ScheduledExecutorService r = reporter;
        if (r == null) {
            return;
        }
        try {
            r.execute(this::report);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // deactivated
        }
    }

    private void report() {
        if (!reportWanted || stopping) {
            return;
        }
        Dispatcher d = dispatcher;
        if (d == null) {
            return; // the next dispatcher gets it
        }
        reportWanted = false;
        List<PluginStatus> list = statuses();
        try {
            d.reportPlugins(local.nodeId(), list);
            reportBackoff = MIN_BACKOFF_MS;
            LOG.debug("plugins: reported {} plugins", list.size());
        } catch (RuntimeException e) {
            reportWanted = true;
            LOG.debug("plugins: report failed, retrying in {} ms: {}", reportBackoff, e.getMessage());
            try {
                reporter.schedule(this::report, reportBackoff, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                return;
            }
            reportBackoff = Math.min(MAX_BACKOFF_MS * 2, reportBackoff * 2);
        }
    }

    // ------------------------------------------------------------ files

    private static List<Path> jars(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            LOG.warn("plugins: cannot list {}: {}", dir, e.getMessage());
            return List.of();
        }
    }

    private static Properties readProperties(Path file) {
        Properties p = new Properties();
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            } catch (IOException e) {
                LOG.warn("plugins: cannot read {}: {}", file, e.getMessage());
            }
        }
        return p;
    }

    private static void write(Path file, byte[] data) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, data);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("plugins: cannot delete {}: {}", file, e.getMessage());
        }
    }
}
