package io.swarmlet.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.AllServiceListener;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * Runs the OSGi framework with the distribution's bundles and follows the
 * ready/failed protocol of {@code io.swarmlet.api.node.DaemonState}, by name
 * only: the launcher shares no classes with the bundles.
 */
final class Daemon {

    static final String DAEMON_STATE = "io.swarmlet.api.node.DaemonState";
    static final String STATE = "swarmlet.daemon.state";
    static final String MESSAGE = "swarmlet.daemon.message";
    static final String NODE_ID = "swarmlet.node.id";
    static final String READY = "ready";
    static final String FAILED = "failed";

    /** Default seconds to wait for a "ready" registration ({@code -Dswarmlet.ready.timeout}). */
    static final long DEFAULT_READY_TIMEOUT_S = 60;
    /** Seconds to wait for the framework to stop. */
    static final long STOP_TIMEOUT_S = 15;

    static final String GOGO_SHELL = "org.apache.felix.gogo.shell";

    /** Framework property: the distribution's boot features, comma-separated (absent: unknown). */
    static final String FEATURES_PROPERTY = "swarmlet.features";

    /** What the main thread waits for. */
    private enum Kind { READY, FAILED, BUNDLE_ERROR, STOPPED, SIGNAL }

    /** @param detail READY only: the state's message (a manager that starts locked says "locked") */
    private record Event(Kind kind, String text, String detail) {
        Event(Kind kind, String text) {
            this(kind, text, null);
        }
    }

    private final Settings settings;
    private final PrintWriter err;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final CountDownLatch exitDecided = new CountDownLatch(1);
    private volatile Framework framework;
    /** SIGTERM/SIGINT received: stop cleanly and exit 0. */
    private volatile boolean signalled;
    /** run() returned: the exit is the launcher's own. */
    private volatile boolean exiting;
    /** The JVM is exiting behind the launcher's back: the shutdown hook reports it. */
    private volatile boolean jvmExiting;
    private final long readyTimeoutSeconds;
    private final boolean handleSignals;
    /** Held while running: one swarmletd per state directory. */
    private java.nio.channels.FileChannel lockChannel;
    private Logger log;
    /** The web console as this start serves it (see {@link #webConsole}). */
    private WebConsole web = WebConsole.OFF;

    /** The Docker Engine API's socket as this start serves it; null: none. */
    private DockerApi dockerApi = DockerApi.OFF;

    /**
     * @param handleSignals take over SIGTERM/SIGINT (the real daemon; not when
     *                      run inside another program, e.g. a test)
     */
    Daemon(Settings settings, PrintWriter err, long readyTimeoutSeconds, boolean handleSignals) {
        this.settings = settings;
        this.err = err;
        this.readyTimeoutSeconds = readyTimeoutSeconds;
        this.handleSignals = handleSignals;
    }

    /** The running framework (for tests), or null. */
    Framework framework() {
        return framework;
    }

    /**
     * Prepares the state directory, starts the framework and blocks until the
     * daemon stops. Returns the exit status.
     */
    int run() {
        try {
            return doRun();
        } catch (StartupException e) {
            return fail(e.getMessage(), e.getCause());
        } finally {
            exiting = true;
            releaseStateLock();
        }
    }

    private int doRun() {
        if (handleSignals) {
            installSignalHandlers();
        }
        Path home = distributionHome();
        Distribution dist = Distribution.read(home);
        if (dist.workerOnly()) {
            checkWorkerOnly(dist);
        }
        JoinStep.Joined joined = null;
        if (settings.joinRequested()) {
            if (Files.exists(settings.stateDir().resolve(JoinStep.IDENTITY_FILE))) {
                err.println("swarmletd: this node already belongs to a cluster (" + settings.stateDir()
                        + "); --join-addr/--join-token are ignored");
            } else {
                checkCanListen(settings.remoteApi(), "--listen-remote-api");
                checkCanListen(settings.raftApi(), "--listen-raft-api");
                // nothing is written before the cluster accepted the token
                joined = JoinStep.join(home, settings, dist.workerOnly());
            }
        }
        prepareDirectory(settings.stateDir(), "state directory");
        lockStateDir(settings.stateDir());
        if (joined != null) {
            JoinStep.write(settings.stateDir(), joined);
            err.println("swarmletd: joined cluster " + joined.clusterId() + " as " + joined.role() + " (node "
                    + joined.nodeId() + ")");
            err.flush();
        }
        prepareDirectory(settings.logDir(), "log directory");
        prepareDirectory(settings.controlSocket().getParent(), "control socket directory");
        if (Files.isDirectory(settings.controlSocket())) {
            throw new StartupException("--listen-control-api " + settings.controlSocket() + " is a directory");
        }
        checkCanListen(settings.remoteApi(), "--listen-remote-api");
        checkCanListen(settings.raftApi(), "--listen-raft-api");
        configureLogging(home);
        log = LogManager.getLogger("io.swarmlet.launcher");
        log.info("swarmletd {} starting: state dir {}, control API {}, remote API {}, raft {}, hostname {}",
                DaemonOptions.Version.version(), settings.stateDir(), settings.controlSocket(),
                settings.remoteApi(), settings.raftApi(), settings.hostname());

        web = webConsole(dist);
        dockerApi = dockerApi(dist);
        boolean console = interactive();
        Map<String, String> props = frameworkProperties(home, settings, console);
        props.putAll(web.frameworkProperties());
        props.keySet().removeIf(k -> k.startsWith("swarmlet.dockerapi."));
        props.putAll(dockerApi.frameworkProperties());
        if (!dist.features().isEmpty()) {
            // what this node can be: the agent advertises it (NodeDescription.features), promotion checks it
            props.put(FEATURES_PROPERTY, String.join(",", dist.features()));
        }
        try {
            return runFramework(home, dist, props, console);
        } catch (StartupException e) {
            return fail(e.getMessage(), e.getCause());
        } catch (BundleException | RuntimeException e) {
            return fail("cannot start the OSGi framework: " + oneLine(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted", e);
        }
    }

    private int runFramework(Path home, Distribution dist, Map<String, String> props, boolean console)
            throws BundleException, InterruptedException {
        Iterator<FrameworkFactory> factories = ServiceLoader.load(FrameworkFactory.class,
                Daemon.class.getClassLoader()).iterator();
        if (!factories.hasNext()) {
            throw new StartupException("no OSGi framework on the classpath (lib/ must hold org.apache.felix.framework)");
        }
        Framework fw = factories.next().newFramework(props);
        framework = fw;
        Runtime.getRuntime().addShutdownHook(new Thread(this::onJvmExit, "swarmletd-shutdown"));
        fw.init();
        BundleContext ctx = fw.getBundleContext();
        ctx.addFrameworkListener(ev -> {
            if (ev.getType() == FrameworkEvent.ERROR) {
                Bundle b = ev.getBundle();
                log.error("framework error in bundle {}", describe(b), ev.getThrowable());
                if (pluginFailure(ev.getThrowable())) {
                    // a plugin's component that fails to activate, seen by whoever asked for its service:
                    // the plugin is left out, the daemon goes on (the log above says which)
                    return;
                }
                events.add(new Event(Kind.BUNDLE_ERROR, "bundle " + describe(b) + ": " + oneLine(ev.getThrowable())));
            }
        });
        try {
            ctx.addServiceListener((AllServiceListener) this::serviceChanged, "(objectClass=" + DAEMON_STATE + ")");
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        fw.start();
        Thread watcher = new Thread(() -> {
            try {
                fw.waitForStop(0);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            events.add(new Event(Kind.STOPPED, null));
        }, "swarmletd-framework-watcher");
        watcher.setDaemon(true);
        watcher.start();

        startBundles(ctx, dist, home.resolve("bundle"), console);
        return awaitOutcome();
    }

    private void serviceChanged(ServiceEvent ev) {
        if (ev.getType() != ServiceEvent.REGISTERED && ev.getType() != ServiceEvent.MODIFIED) {
            return;
        }
        ServiceReference<?> ref = ev.getServiceReference();
        Object state = ref.getProperty(STATE);
        if (READY.equals(state)) {
            Object node = ref.getProperty(NODE_ID);
            Object msg = ref.getProperty(MESSAGE);
            events.add(new Event(Kind.READY, node == null ? null : node.toString(), msg == null ? null : msg.toString()));
        } else if (FAILED.equals(state)) {
            Object msg = ref.getProperty(MESSAGE);
            events.add(new Event(Kind.FAILED, msg == null || msg.toString().isBlank()
                    ? "a component of bundle " + describe(ref.getBundle()) + " reported a failure without a message; see "
                      + settings.logDir().resolve("swarmletd.log")
                    : oneLine(msg.toString())));
        }
    }

    private int awaitOutcome() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(readyTimeoutSeconds);
        boolean ready = false;
        while (true) {
            Event ev;
            if (ready) {
                ev = events.take();
            } else {
                ev = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (ev == null) {
                    throw new StartupException("the daemon did not report ready within " + readyTimeoutSeconds
                            + " s; see " + settings.logDir().resolve("swarmletd.log"));
                }
            }
            switch (ev.kind()) {
                case READY:
                    if (!ready) {
                        ready = true;
                        String line = "swarmletd: ready ("
                                + (ev.text() == null ? "" : "node " + ev.text() + ", ")
                                + "control API at " + settings.controlSocket()
                                + (dockerApi.on() ? ", Docker API at " + dockerApi.where() : "")
                                + (web.on() ? ", web console at " + web.url() : "") + ")"
                                + ("locked".equals(ev.detail())
                                    ? "; this manager is locked (autolock): run `swarmlet swarm unlock` and give it the unlock key"
                                    : "");
                        err.println(line);
                        err.flush();
                        log.info(line);
                    }
                    break;
                case FAILED:
                    throw new StartupException(ev.text());
                case BUNDLE_ERROR:
                    if (!ready) {
                        throw new StartupException(ev.text());
                    }
                    err.println("swarmletd: warning: " + ev.text());
                    err.flush();
                    break;
                case SIGNAL:
                    log.info("{} received: stopping", ev.text());
                    stopFramework();
                    return 0;
                case STOPPED:
                    if (signalled) {
                        stopFramework(); // waits for the stop the signal began, if any
                        return 0;
                    }
                    if (!ready) {
                        throw new StartupException("the OSGi framework stopped before the daemon was ready; see "
                                + settings.logDir().resolve("swarmletd.log"));
                    }
                    log.info("framework stopped; swarmletd exits");
                    forgetIdentityAfterLeave();
                    return 0;
                default:
                    throw new IllegalStateException(ev.kind().name());
            }
        }
    }

    /**
     * After {@code swarm leave} (the node bundle left the marker and stopped the
     * framework): forgets this node's identity, certificates and Raft data, so
     * the state directory can join or start a cluster again.
     */
    private void forgetIdentityAfterLeave() {
        Path marker = settings.stateDir().resolve(JoinStep.LEAVE_MARKER);
        if (!Files.exists(marker)) {
            return;
        }
        try {
            JoinStep.forget(settings.stateDir());
            Files.deleteIfExists(marker);
            err.println("swarmletd: left the swarm; the node's identity was removed from " + settings.stateDir());
            err.flush();
            log.info("left the swarm: identity, certificates and raft data removed from {}", settings.stateDir());
        } catch (IOException e) {
            err.println("swarmletd: warning: left the swarm but could not clean " + settings.stateDir() + ": " + reason(e));
        }
    }

    /**
     * Installs the jars of the distribution's boot features (in feature order;
     * without a feature list every jar of {@code bundle/}, sorted by name), then
     * starts them all but fragments and {@code start="false"} bundles.
     */
    private void startBundles(BundleContext ctx, Distribution dist, Path bundleDir, boolean console) {
        if (dist.features().isEmpty()) {
            log.info("distribution {}: no {}, booting every jar of {}", dist.name(), Distribution.PROPERTIES, bundleDir);
        } else {
            log.info("distribution {}{}: booting features {}", dist.name(), dist.workerOnly() ? " (worker-only)" : "",
                    String.join(", ", dist.features()));
        }
        for (String jar : dist.unused()) {
            log.warn("{} is in no boot feature of the distribution: not installed (plugins go to deploy/)",
                    bundleDir.resolve(jar));
        }
        List<Bundle> installed = new ArrayList<>();
        List<Bundle> toStart = new ArrayList<>();
        for (Distribution.Jar jar : dist.jars()) {
            try {
                Bundle b = ctx.installBundle(jar.path().toUri().toString());
                installed.add(b);
                if (jar.start()) {
                    toStart.add(b);
                }
            } catch (BundleException | RuntimeException e) {
                throw new StartupException("cannot install bundle " + jar.path().getFileName() + ": " + oneLine(e), e);
            }
        }
        for (Bundle b : toStart) {
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) != null) {
                continue;
            }
            if (!console && GOGO_SHELL.equals(b.getSymbolicName())) {
                log.debug("no terminal: not starting the Gogo shell console");
                continue;
            }
            if (signalled) {
                return;
            }
            try {
                b.start();
            } catch (BundleException | RuntimeException e) {
                throw new StartupException("bundle " + describe(b) + " cannot start: " + oneLine(e), e);
            }
        }
        log.info("{} bundles installed from {}", installed.size(), bundleDir);
    }

    /**
     * A worker-only distribution runs a node that joined, or joins, as a
     * worker; it refuses what only a manager can do: create a swarm, or run a
     * node whose certificate is a manager's (it has no store to run it on).
     */
    private void checkWorkerOnly(Distribution dist) {
        if (settings.forceNewCluster()) {
            throw new StartupException("--force-new-cluster: this is the worker-only distribution (" + dist.name()
                    + "): it runs no manager; use the swarmlet distribution");
        }
        Path state = settings.stateDir();
        if (!Files.exists(state.resolve(JoinStep.IDENTITY_FILE))) {
            if (!settings.joinRequested()) {
                throw new StartupException(dist.cannotCreateSwarm());
            }
            return;
        }
        if ("manager".equals(JoinStep.currentRole(state))) {
            throw new StartupException("the node in " + state + " is a manager; this is the worker-only distribution ("
                    + dist.name() + ") and cannot run it: start it with the swarmlet distribution (or demote it there"
                    + " first: swarmlet node demote)");
        }
    }

    /**
     * Whether a framework error is a service factory that failed or returned
     * nothing: how a DS component (of a plugin, typically) whose activate throws
     * reaches the bundle that asked for its service. Not a reason to stop the
     * daemon, before or after ready.
     */
    static boolean pluginFailure(Throwable t) {
        return t instanceof org.osgi.framework.ServiceException se
                && (se.getType() == org.osgi.framework.ServiceException.FACTORY_ERROR
                    || se.getType() == org.osgi.framework.ServiceException.FACTORY_EXCEPTION);
    }

    /** Prints the one-line error, stops the framework (bounded) and returns exit status 1. */
    private int fail(String message, Throwable cause) {
        if (jvmExiting) {
            return 1; // the shutdown hook said why; the JVM's exit status stands
        }
        if (signalled) {
            // stopping on SIGTERM/SIGINT made a start-up step fail: not an error
            stopFramework();
            return 0;
        }
        err.println("swarmletd: error: " + message);
        err.flush();
        if (log != null) {
            log.error(message, cause);
        }
        stopFramework();
        return 1;
    }

    /**
     * SIGTERM and SIGINT go to the main thread, which stops the framework and
     * exits 0. A second one exits at once. (Where a handler cannot be
     * installed, the JVM's default applies: the shutdown hook stops the
     * framework and the exit status is 128 + the signal.)
     */
    private void installSignalHandlers() {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                    if (signalled) {
                        err.println("swarmletd: SIG" + sig.getName() + " again: exiting without waiting for the bundles");
                        err.flush();
                        Runtime.getRuntime().halt(1);
                    }
                    signalled = true;
                    events.add(new Event(Kind.SIGNAL, "SIG" + sig.getName()));
                });
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // e.g. -Xrs: the shutdown hook still stops the framework
            }
        }
    }

    /**
     * Shutdown hook. After run() returned, only flushes the logs. Otherwise
     * the JVM is exiting behind the launcher's back (System.exit in a bundle,
     * SIGHUP): stop the bundles briefly, keep the exit status.
     */
    private void onJvmExit() {
        if (!exiting) {
            jvmExiting = true;
            err.println("swarmletd: error: the JVM is exiting unexpectedly (System.exit() called by a bundle, or a "
                    + "signal); stopping the bundles; see " + settings.logDir().resolve("swarmletd.log"));
            err.flush();
            if (log != null) {
                log.error("JVM exit not initiated by the launcher", new Throwable("stack of the shutdown hook"));
            }
            stopFramework(UNEXPECTED_EXIT_STOP_TIMEOUT_S);
        }
        shutdownLogging();
    }

    /** Seconds to let the bundles stop when the JVM exits unexpectedly (whoever called System.exit waits). */
    static final long UNEXPECTED_EXIT_STOP_TIMEOUT_S = 5;

    private void stopFramework() {
        stopFramework(STOP_TIMEOUT_S);
    }

    private void stopFramework(long timeoutSeconds) {
        Framework fw = framework;
        if (fw == null) {
            return;
        }
        try {
            if ((fw.getState() & (Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING)) != 0) {
                fw.stop();
            }
            FrameworkEvent ev = fw.waitForStop(TimeUnit.SECONDS.toMillis(timeoutSeconds));
            if (ev.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                err.println("swarmletd: warning: the OSGi framework did not stop within " + timeoutSeconds + " s");
                err.flush();
            }
        } catch (BundleException | RuntimeException e) {
            err.println("swarmletd: warning: stopping the OSGi framework: " + oneLine(e));
            err.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void shutdownLogging() {
        if (log != null) {
            LogManager.shutdown();
        }
    }

    // ---------------------------------------------------------------- setup

    static final String LOCK_FILE = "swarmletd.lock";

    /**
     * Takes the state directory's lock ({@code swarmletd.lock}, holding our
     * pid) for as long as this daemon runs: a second swarmletd on the same
     * directory must not start (it would wipe the first one's bundle cache).
     */
    void lockStateDir(Path dir) {
        Path file = dir.resolve(LOCK_FILE);
        java.nio.channels.FileChannel ch = null;
        try {
            ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE);
            java.nio.channels.FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                lock = null; // held by this JVM
            }
            if (lock == null) {
                String pid = "";
                try {
                    pid = Files.readString(file).trim();
                } catch (IOException ignored) {
                    // no pid to show
                }
                ch.close();
                throw new StartupException("state directory " + dir + " is in use by another swarmletd"
                        + (pid.matches("\\d+") ? " (pid " + pid + ")" : "") + "; stop it, or use another --state-dir");
            }
            ch.truncate(0);
            ch.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
            ch.force(false);
            lockChannel = ch;
        } catch (IOException e) {
            try {
                if (ch != null) {
                    ch.close();
                }
            } catch (IOException ignored) {
                // already failing
            }
            throw new StartupException("cannot lock state directory " + dir + ": " + reason(e));
        }
    }

    private void releaseStateLock() {
        java.nio.channels.FileChannel ch = lockChannel;
        lockChannel = null;
        if (ch != null) {
            try {
                ch.close(); // releases the lock; the file stays (harmless, overwritten next time)
            } catch (IOException ignored) {
                // exiting anyway
            }
        }
    }

    /**
     * The web console as this start serves it: off in the worker-only
     * distribution (it has no web bundle); a given address must be free and the
     * TLS files readable; the default address, when busy (another swarmletd on
     * this host), turns the console off with a warning rather than failing.
     */
    private WebConsole webConsole(Distribution dist) {
        WebConsole w = settings.web();
        if (!w.on() || dist.workerOnly()) {
            return WebConsole.OFF;
        }
        checkReadable(w.tlsCert(), "--http-tls-cert");
        checkReadable(w.tlsKey(), "--http-tls-key");
        try {
            checkCanListen(w.addr(), "--listen-http");
        } catch (StartupException e) {
            if (!w.defaulted()) {
                throw e;
            }
            String line = "the web console is off: " + e.getMessage() + " (or none)";
            log.warn(line);
            err.println("swarmletd: warning: " + line);
            err.flush();
            return WebConsole.OFF;
        }
        log.info("web console at {}", w.url());
        return w;
    }

    /**
     * Where the Docker Engine API listens: nowhere in the worker-only distribution (it has no
     * dockerapi bundle: a warning says so); the socket's directory must exist, the TCP address
     * be free and the TLS files readable.
     */
    private DockerApi dockerApi(Distribution dist) {
        DockerApi d = settings.dockerApi();
        if (!d.on()) {
            return DockerApi.OFF;
        }
        if (dist.workerOnly()) {
            String line = "--listen-docker-api is ignored: the worker-only distribution (swarmlet-worker) has no Docker API;"
                    + " give it to a manager";
            log.warn(line);
            err.println("swarmletd: warning: " + line);
            err.flush();
            return DockerApi.OFF;
        }
        Path sock = d.socket();
        if (sock != null && (sock.getParent() == null || !Files.isDirectory(sock.getParent()))) {
            throw new StartupException("cannot listen on " + sock + " (--listen-docker-api): no such directory "
                    + sock.getParent());
        }
        if (d.tcp() != null) {
            checkReadable(d.tlsCaCert(), "--docker-api-tlscacert");
            checkReadable(d.tlsCert(), "--docker-api-tlscert");
            checkReadable(d.tlsKey(), "--docker-api-tlskey");
            checkCanListen(d.tcp(), "--listen-docker-api");
        }
        return d;
    }

    private static void checkReadable(Path file, String flag) {
        if (file != null && !(Files.isRegularFile(file) && Files.isReadable(file))) {
            throw new StartupException("cannot read " + file + " (" + flag + "): "
                    + (Files.exists(file) ? "not a readable file" : "no such file"));
        }
    }

    /**
     * Fails early, with the flag's name, when {@code addr} cannot be listened
     * on (in use, not a local address, unknown host). Port 0 is not checked.
     */
    static void checkCanListen(HostPort addr, String flag) {
        if (addr.port() <= 0) {
            return;
        }
        String host = addr.host();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        java.net.InetAddress ip;
        try {
            ip = java.net.InetAddress.getByName(host);
        } catch (java.net.UnknownHostException e) {
            throw new StartupException("cannot resolve " + addr.host() + " (" + flag + " " + addr + ")");
        }
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress(ip, addr.port()));
        } catch (java.net.BindException e) {
            String why = e.getMessage() == null ? "cannot bind" : e.getMessage().replaceFirst(" \\(.*\\)$", "").toLowerCase(java.util.Locale.ROOT);
            throw new StartupException("cannot listen on " + addr + " (" + flag + "): " + why
                    + (why.contains("in use") ? "; is another swarmletd running? Choose another port with " + flag : ""));
        } catch (IOException e) {
            throw new StartupException("cannot listen on " + addr + " (" + flag + "): " + e.getMessage());
        }
    }

    /**
     * Whether to run the Gogo shell console: only in the foreground of a
     * terminal. A background job ({@code swarmletd &}) that read the terminal
     * would be stopped by SIGTTIN, and a daemon whose stdin is a file or
     * /dev/null must not stop at its end. {@code -Dswarmlet.console=false}
     * turns the console off.
     */
    static boolean interactive() {
        if (System.console() == null || "false".equalsIgnoreCase(System.getProperty("swarmlet.console"))) {
            return false;
        }
        return isForegroundProcessGroup(Paths.get("/proc/self/stat"));
    }

    /** From /proc/PID/stat: is the process group the terminal's foreground group? True if unknown. */
    static boolean isForegroundProcessGroup(Path stat) {
        try {
            String s = Files.readString(stat);
            // pid (comm) state ppid pgrp session tty_nr tpgid ...; comm may hold spaces and parentheses
            String[] f = s.substring(s.lastIndexOf(')') + 2).trim().split("\\s+");
            long pgrp = Long.parseLong(f[2]);
            long tpgid = Long.parseLong(f[5]);
            return tpgid == pgrp;
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    /** The unpacked distribution: {@code -Dswarmlet.home}, else the parent of the launcher jar's {@code lib/}. */
    static Path distributionHome() {
        String prop = System.getProperty("swarmlet.home");
        Path home;
        if (prop != null && !prop.isBlank()) {
            home = Paths.get(prop).toAbsolutePath().normalize();
        } else {
            Path jar;
            try {
                jar = Paths.get(Daemon.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            } catch (Exception e) {
                throw new StartupException("cannot find the Swarmlet distribution; run bin/swarmletd or set -Dswarmlet.home");
            }
            if (!Files.isRegularFile(jar) || jar.getParent() == null || jar.getParent().getParent() == null) {
                throw new StartupException("cannot find the Swarmlet distribution (the launcher is not in a lib/ "
                        + "directory); run bin/swarmletd or set -Dswarmlet.home");
            }
            home = jar.getParent().getParent();
        }
        if (!Files.isDirectory(home.resolve("bundle"))) {
            throw new StartupException(home + " is not a Swarmlet distribution (it has no bundle/ directory)");
        }
        return home;
    }

    /** Creates {@code dir} if missing and checks that it can be listed and written. */
    static void prepareDirectory(Path dir, String what) {
        try {
            Files.createDirectories(dir);
        } catch (FileAlreadyExistsException e) {
            throw new StartupException(what + " " + dir + " exists and is not a directory");
        } catch (IOException e) {
            throw new StartupException("cannot create " + what + " " + dir + ": " + reason(e));
        }
        if (!Files.isDirectory(dir)) {
            throw new StartupException(what + " " + dir + " is not a directory");
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.iterator().hasNext();
        } catch (IOException e) {
            throw new StartupException(what + " " + dir + " is not readable: " + reason(e));
        }
        try {
            Path probe = Files.createTempFile(dir, ".swarmletd-probe", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new StartupException(what + " " + dir + " is not writable: " + reason(e));
        }
    }

    /** System properties Log4j reads; set before the first {@link LogManager} call. */
    void configureLogging(Path home) {
        System.setProperty("swarmlet.log.dir", settings.logDir().toString());
        System.setProperty("swarmlet.log.level", settings.logLevel());
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", home.resolve("conf/log4j2.xml").toString());
        }
        // one logger context for the launcher and every bundle (not one per class loader)
        System.setProperty("log4j2.contextSelector", "org.apache.logging.log4j.core.selector.BasicContextSelector");
        // the launcher's shutdown hook stops the bundles first, then shuts Log4j down
        System.setProperty("log4j2.shutdownHookEnabled", "false");
    }

    /**
     * The framework properties: {@code conf/framework.properties}, then what the
     * launcher owns (cache, {@code swarmlet.*}, file install, system packages).
     */
    static Map<String, String> frameworkProperties(Path home, Settings settings, boolean console) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("felix.fileinstall.noInitialDelay", "true");
        props.put("felix.fileinstall.poll", "1000");
        Path conf = home.resolve("conf/framework.properties");
        if (Files.isRegularFile(conf)) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(conf)) {
                p.load(in);
            } catch (IOException e) {
                throw new StartupException("cannot read " + conf + ": " + reason(e));
            }
            for (String k : p.stringPropertyNames()) {
                props.put(k, p.getProperty(k));
            }
        }
        props.put("swarmlet.home", home.toString());
        props.put(Constants.FRAMEWORK_STORAGE, settings.stateDir().resolve("felix-cache").toString());
        props.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        props.putAll(settings.frameworkProperties());
        // plugins dropped here are installed, updated and removed while the daemon runs;
        // -Dswarmlet.deploy.dir (SWARMLETD_OPTS) points it elsewhere, e.g. one per daemon
        String deploy = System.getProperty("swarmlet.deploy.dir");
        props.put("felix.fileinstall.dir", deploy != null && !deploy.isBlank()
                ? Paths.get(deploy).toAbsolutePath().toString() : home.resolve("deploy").toString());
        if (!console) {
            props.put("gosh.args", "--nointeractive");
        }

        List<String> extra = new ArrayList<>();
        String configured = props.get(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA);
        if (configured != null && !configured.isBlank()) {
            extra.add(configured.trim());
        }
        ClassLoader cl = Daemon.class.getClassLoader();
        for (String cls : List.of("org.apache.logging.log4j.LogManager", "org.slf4j.LoggerFactory")) {
            try {
                extra.addAll(ManifestExports.ofJarContaining(cls, cl));
            } catch (IOException e) {
                throw new StartupException("cannot read the packages to export from the jar of " + cls + ": "
                        + e.getMessage());
            }
        }
        props.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, String.join(",", extra));
        return substitute(props);
    }

    private static final Pattern VAR = Pattern.compile("\\$\\{([^}]+)}");

    /** Replaces {@code ${name}} in values with another property or a system property. */
    static Map<String, String> substitute(Map<String, String> props) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : props.entrySet()) {
            Matcher m = VAR.matcher(e.getValue());
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String name = m.group(1);
                String v = props.containsKey(name) ? props.get(name) : System.getProperty(name);
                m.appendReplacement(sb, Matcher.quoteReplacement(v == null ? m.group() : v));
            }
            m.appendTail(sb);
            out.put(e.getKey(), sb.toString());
        }
        return out;
    }

    static String describe(Bundle b) {
        if (b == null) {
            return "(unknown)";
        }
        String name = b.getSymbolicName() == null ? b.getLocation() : b.getSymbolicName();
        return name + " " + b.getVersion();
    }

    /** A throwable's message (or its cause's) on one line. */
    static String oneLine(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        Throwable cur = t;
        String msg = cur.getMessage();
        while ((msg == null || msg.isBlank()) && cur.getCause() != null && cur.getCause() != cur) {
            cur = cur.getCause();
            msg = cur.getMessage();
        }
        if (msg == null || msg.isBlank()) {
            msg = cur.getClass().getName();
        }
        if (cur.getCause() != null && cur.getCause() != cur && cur.getCause().getMessage() != null
                && !msg.contains(cur.getCause().getMessage())) {
            msg = msg + ": " + cur.getCause().getMessage();
        }
        return oneLine(msg);
    }

    static String oneLine(String s) {
        return s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }

    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory: " + e.getMessage();
        }
        if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
            return ((FileSystemException) e).getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
