package io.swarmlet.executor.docker.internal;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse.ContainerState;
import com.github.dockerjava.api.exception.BadRequestException;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.Ports;
import io.swarmlet.api.types.NetworkAttachment;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.spi.executor.Controller;
import io.swarmlet.spi.executor.ExecutorException;
import io.swarmlet.spi.executor.LogSource;
import io.swarmlet.spi.executor.PortSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One task's container (docker's daemon/cluster/executor/container/controller.go).
 * Every method finds the container by its name and checks it carries this
 * task's ID label, so a controller made after a restart adopts the container
 * a previous one created, and a container swarmlet did not make is never
 * touched.
 *
 * <p>Made by {@link DockerExecutor#controller}; called by the agent, from one
 * thread at a time.
 */
final class DockerController implements Controller, LogSource, PortSource {

    private static final Logger LOG = LogManager.getLogger(DockerController.class);

    /** Re-inspect a waited-for container this often even without an event. */
    static final long SAFETY_INTERVAL_MS = 30_000;

    /** Bounds of the time waitReady gives a health check to pass. */
    static final Duration MIN_READY_BUDGET = Duration.ofSeconds(10);
    static final Duration MAX_READY_BUDGET = Duration.ofMinutes(10);

    private static final long DEFAULT_HEALTH_NS = Duration.ofSeconds(30).toNanos();
    private static final int DEFAULT_HEALTH_RETRIES = 3;

    private final DockerEngine engine;
    private final Images images;
    private final Networks networks;
    private final TaskContainer tc;
    private final String name;

    DockerController(DockerEngine engine, Images images, Networks networks, TaskContainer tc) {
        this.engine = engine;
        this.images = images;
        this.networks = networks;
        this.tc = tc;
        this.name = tc.name();
    }

    String containerName() {
        return name;
    }

    @Override
    public void prepare() throws ExecutorException {
        Optional<InspectContainerResponse> existing = container();
        if (existing.isPresent()) {
            LOG.info("task {}: adopting existing container {} ({})", tc.taskId(), name, status(existing.get()));
            if ("created".equals(status(existing.get()))) {
                ensureNetworks(); // its creator may have stopped before it connected the others
                connect(existing.get());
            }
            return;
        }
        tc.validate();
        try {
            images.ensure(tc.image());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExecutorException("task " + tc.taskId() + ": interrupted while pulling image " + tc.image(), false);
        }
        List<ExposedPort> imagePorts = tc.networks().isEmpty() ? List.of() : images.exposedPorts(tc.image());
        ensureNetworks();
        String what = "create container " + name;
        String id = null;
        for (int attempt = 1; id == null; attempt++) {
            CreateContainerCmd cmd = engine.newCreate(tc.image()).withName(name);
            tc.configure(cmd, imagePorts);
            boolean lastAttempt = attempt >= 2;
            id = engine.call(what, c -> {
                try {
                    return engine.create(cmd).getId();
                } catch (ConflictException e) {
                    return ""; // made by someone else in the meantime: adopt it below
                } catch (BadRequestException e) { // the engine refused the spec: retrying will not help
                    throw DockerErrors.translate(what, e, engine.host(), tc.env(), true);
                } catch (NotFoundException e) {
                    if (networkMissing(e)) {
                        // removed by another node's cleanup after we made sure of it: make it again, once
                        if (lastAttempt) {
                            throw DockerErrors.translate(what, e, engine.host(), tc.env(), false);
                        }
                        return null;
                    }
                    // the image went away since it was checked
                    throw DockerErrors.translate(what, e, engine.host(), tc.env(), true);
                } catch (RuntimeException e) {
                    throw DockerErrors.translate(what, e, engine.host(), tc.env(), false);
                }
            });
            if (id == null) {
                LOG.info("task {}: a network of container {} went away meanwhile: making it again", tc.taskId(), name);
                ensureNetworks();
            }
        }
        InspectContainerResponse c = container().orElseThrow(() -> new ExecutorException(
                what + ": the name is taken, but no container has it", false));
        if (id.isEmpty()) {
            LOG.info("task {}: adopting container {} ({}) created concurrently", tc.taskId(), name, shortId(c.getId()));
        } else {
            LOG.info("task {}: created container {} ({}) from {}, env {}{}", tc.taskId(), name, shortId(id), tc.image(),
                    tc.envNames(), tc.networks().isEmpty() ? "" : ", networks " + networkNames());
        }
        if ("created".equals(status(c))) {
            connect(c);
        }
    }

    /** Makes sure the engine has each of the task's cluster networks. */
    private void ensureNetworks() throws ExecutorException {
        for (NetworkAttachment a : tc.networks()) {
            try {
                networks.ensure(a.getNetwork());
            } catch (ExecutorException e) {
                throw new ExecutorException("task " + tc.taskId() + ": " + e.getMessage(), e.fatal(), e);
            }
        }
    }

    /** Connects a created container to each of the task's networks but the first (which it was created on). */
    private void connect(InspectContainerResponse c) throws ExecutorException {
        List<NetworkAttachment> attachments = tc.networks();
        var on = c.getNetworkSettings() == null ? null : c.getNetworkSettings().getNetworks();
        for (int i = 1; i < attachments.size(); i++) {
            NetworkAttachment a = attachments.get(i);
            String network = TaskContainer.networkName(a);
            if (on != null && on.containsKey(network)) {
                continue;
            }
            List<String> aliases = tc.aliases(a);
            engine.call("connect container " + name + " to network " + network, d -> {
                try {
                    d.connectToNetworkCmd().withNetworkId(network).withContainerId(c.getId())
                            .withContainerNetwork(new ContainerNetwork().withAliases(aliases)).exec();
                } catch (DockerException e) {
                    if (!DockerErrors.engineMessage(e).toLowerCase(Locale.ROOT).contains("already")) {
                        throw e;
                    }
                }
                return null;
            });
            LOG.debug("task {}: connected container {} to network {} as {}", tc.taskId(), name, network, aliases);
        }
    }

    private List<String> networkNames() {
        List<String> out = new ArrayList<>();
        for (NetworkAttachment a : tc.networks()) {
            out.add(TaskContainer.networkName(a));
        }
        return out;
    }

    /** Whether the engine's 404 is about a network (not the image). */
    private static boolean networkMissing(DockerException e) {
        String m = DockerErrors.engineMessage(e).toLowerCase(Locale.ROOT);
        return m.contains("network") && m.contains("not found");
    }

    @Override
    public void start() throws ExecutorException {
        if (!start(true)) {
            // one of its networks was removed (by another node's cleanup on a shared engine) after it was
            // created: a container that never ran can be made again
            LOG.info("task {}: a network of container {} went away before it started: creating it again",
                    tc.taskId(), name);
            removeContainer();
            prepare();
            start(false);
        }
    }

    /** False if the engine could not start the container because a network it was created on is gone. */
    private boolean start(boolean mayRecreate) throws ExecutorException {
        InspectContainerResponse c = require("start");
        String status = state(c).getStatus();
        if (!"created".equals(status)) {
            // running: nothing to do; exited: it ran once, and a task never runs twice (waitExit reports it)
            LOG.debug("task {}: not starting container {}, it is {}", tc.taskId(), name, status);
            return true;
        }
        boolean started = engine.call("start container " + name, d -> {
            try {
                d.startContainerCmd(c.getId()).exec();
            } catch (NotModifiedException e) {
                // started meanwhile
            } catch (NotFoundException e) {
                if (mayRecreate && networkMissing(e)) {
                    return false;
                }
                throw e;
            } catch (DockerException e) {
                // the engine's message names its endpoint and userland proxy; say which port, plainly
                String taken = DockerErrors.portInUse(DockerErrors.engineMessage(e), tc.ports());
                if (taken != null) {
                    LOG.info("task {}: cannot start container {}: {}", tc.taskId(), name, taken);
                    throw new ExecutorException(taken, false, new RuntimeException(e.getClass().getName()));
                }
                throw e;
            }
            return true;
        });
        if (started) {
            LOG.info("task {}: started container {}", tc.taskId(), name);
        }
        return started;
    }

    @Override
    public void waitReady() throws ExecutorException, InterruptedException {
        try {
            awaitReady();
        } catch (DockerEngine.Interrupted e) {
            throw e.rethrow();
        }
    }

    private void awaitReady() throws ExecutorException, InterruptedException {
        InspectContainerResponse first = require("wait for");
        try (ContainerWatch watch = ContainerWatch.open(engine, first.getId(), false)) {
            long deadline = 0;
            while (true) {
                InspectContainerResponse c = require("wait for");
                ContainerState s = state(c);
                boolean checked = hasHealthcheck(c);
                if (Boolean.TRUE.equals(s.getRunning())) {
                    String health = health(s);
                    if (!checked || "healthy".equals(health)) {
                        return;
                    }
                    if ("unhealthy".equals(health)) {
                        LOG.info("task {}: container {} is unhealthy{}", tc.taskId(), name, lastProbe(s));
                        throw new ExecutorException("unhealthy", false);
                    }
                } else if (exited(s)) {
                    int code = exitCode(s);
                    if (!checked && code == 0) {
                        return; // ran to completion before we looked: it did start; waitExit reports the rest
                    }
                    throw new ExecutorException("exited with code " + code, false);
                }
                long now = System.nanoTime();
                if (deadline == 0) {
                    deadline = now + readyBudget(c).toNanos();
                }
                if (now - deadline >= 0) {
                    throw new ExecutorException("not ready after " + readyBudget(c).toSeconds() + " s ("
                            + (Boolean.TRUE.equals(s.getRunning()) ? "health: " + health(s) : s.getStatus()) + ")",
                            false);
                }
                watch.await(Math.min(SAFETY_INTERVAL_MS, Duration.ofNanos(deadline - now).toMillis() + 1));
            }
        }
    }

    @Override
    public ExitStatus waitExit() throws ExecutorException, InterruptedException {
        try {
            return awaitExit();
        } catch (DockerEngine.Interrupted e) {
            throw e.rethrow();
        }
    }

    private ExitStatus awaitExit() throws ExecutorException, InterruptedException {
        InspectContainerResponse first = require("wait for");
        try (ContainerWatch watch = ContainerWatch.open(engine, first.getId(), true)) {
            while (true) {
                InspectContainerResponse c = require("wait for");
                ContainerState s = state(c);
                if (exited(s)) {
                    return exitStatus(s, "");
                }
                if (Boolean.TRUE.equals(s.getRunning()) && hasHealthcheck(c) && "unhealthy".equals(health(s))) {
                    LOG.info("task {}: container {} is unhealthy, stopping it{}", tc.taskId(), name, lastProbe(s));
                    shutdown();
                    return exitStatus(state(require("inspect")), "unhealthy");
                }
                watch.await(SAFETY_INTERVAL_MS);
            }
        }
    }

    @Override
    public Optional<RuntimeStatus> inspect() throws ExecutorException {
        return container().map(c -> {
            ContainerState s = state(c);
            return new RuntimeStatus(c.getId(), Boolean.TRUE.equals(s.getRunning()), exitCode(s),
                    s.getPid() == null ? 0 : s.getPid(), health(s));
        });
    }

    @Override
    public void shutdown() throws ExecutorException {
        Optional<InspectContainerResponse> c = container();
        if (c.isEmpty() || !Boolean.TRUE.equals(state(c.get()).getRunning())) {
            return;
        }
        int grace = tc.stopTimeoutSeconds();
        engine.stream("stop container " + name, d -> {
            try {
                d.stopContainerCmd(c.get().getId()).withTimeout(grace).exec();
            } catch (NotModifiedException | NotFoundException e) {
                // stopped or removed meanwhile
            }
            return null;
        });
        LOG.info("task {}: stopped container {} (grace period {} s)", tc.taskId(), name, grace);
    }

    @Override
    public void terminate() throws ExecutorException {
        Optional<InspectContainerResponse> c = container();
        if (c.isEmpty() || !Boolean.TRUE.equals(state(c.get()).getRunning())) {
            return;
        }
        engine.call("kill container " + name, d -> {
            try {
                d.killContainerCmd(c.get().getId()).exec();
            } catch (ConflictException | NotFoundException e) {
                // not running, or removed, meanwhile
            }
            return null;
        });
        LOG.info("task {}: killed container {}", tc.taskId(), name);
    }

    @Override
    public void remove() throws ExecutorException {
        removeContainer();
    }

    /** Force-removes the container and its anonymous volumes, then the cluster networks nothing uses any more. */
    private void removeContainer() throws ExecutorException {
        Optional<InspectContainerResponse> c = container();
        if (c.isEmpty()) {
            return;
        }
        var on = c.get().getNetworkSettings() == null ? null : c.get().getNetworkSettings().getNetworks();
        List<String> attached = on == null ? List.of() : new ArrayList<>(on.keySet());
        engine.stream("remove container " + name, d -> {
            try {
                d.removeContainerCmd(c.get().getId()).withForce(true).withRemoveVolumes(true).exec();
            } catch (NotFoundException e) {
                // gone already
            } catch (ConflictException e) {
                // "removal already in progress": someone else finishes it
            }
            return null;
        });
        LOG.info("task {}: removed container {}", tc.taskId(), name);
        networks.cleanup(attached);
    }

    /**
     * From the container's NetworkSettings.Ports: the task's ports, then the
     * image's EXPOSE ports the task published besides (as INTERNAL ports);
     * empty unless it runs.
     */
    @Override
    public List<PortConfig> publishedPorts() throws ExecutorException {
        List<PortConfig> ports = tc.ports();
        Optional<InspectContainerResponse> c = container();
        if (c.isEmpty() || !Boolean.TRUE.equals(state(c.get()).getRunning())) {
            return List.of();
        }
        Ports p = c.get().getNetworkSettings() == null ? null : c.get().getNetworkSettings().getPorts();
        Map<ExposedPort, Ports.Binding[]> bindings = p == null ? Map.of() : p.getBindings();
        List<PortConfig> out = new ArrayList<>(TaskContainer.published(ports, bindings));
        out.addAll(TaskContainer.extraPublished(ports, bindings));
        return out;
    }

    /**
     * The running container's IP address on its first cluster network, or,
     * for a task without networks, on the default bridge (else the first
     * network it has): this host routes to it directly.
     */
    @Override
    public String containerAddress() throws ExecutorException {
        Optional<InspectContainerResponse> c = container();
        if (c.isEmpty() || !Boolean.TRUE.equals(state(c.get()).getRunning()) || c.get().getNetworkSettings() == null) {
            return "";
        }
        var ns = c.get().getNetworkSettings();
        String primary = tc.primaryNetwork();
        if (!primary.isEmpty()) {
            ContainerNetwork n = ns.getNetworks() == null ? null : ns.getNetworks().get(primary);
            return n == null || n.getIpAddress() == null ? "" : n.getIpAddress();
        }
        if (ns.getIpAddress() != null && !ns.getIpAddress().isEmpty()) {
            return ns.getIpAddress();
        }
        if (ns.getNetworks() != null) {
            for (var n : ns.getNetworks().values()) {
                if (n.getIpAddress() != null && !n.getIpAddress().isEmpty()) {
                    return n.getIpAddress();
                }
            }
        }
        return "";
    }

    @Override
    public void logs(int tail, boolean follow, Consumer<LogLine> sink) throws ExecutorException, InterruptedException {
        try {
            readLogs(tail, follow, sink);
        } catch (DockerEngine.Interrupted e) {
            throw e.rethrow();
        }
    }

    private void readLogs(int tail, boolean follow, Consumer<LogLine> sink) throws ExecutorException, InterruptedException {
        InspectContainerResponse c = require("read the logs of");
        String what = "logs of container " + name;
        try (LogPump pump = new LogPump()) {
            engine.stream(what, d -> {
                var cmd = d.logContainerCmd(c.getId()).withStdOut(true).withStdErr(true).withTimestamps(true)
                        .withFollowStream(follow);
                if (tail < 0) {
                    cmd.withTailAll();
                } else {
                    cmd.withTail(tail);
                }
                return cmd.exec(pump);
            });
            pump.drain(sink, what, engine.host());
        }
    }

    // ---------------------------------------------------------------- helpers

    /** This task's container, if there is one; one that another owner named so is an error. */
    private Optional<InspectContainerResponse> container() throws ExecutorException {
        Optional<InspectContainerResponse> c = engine.call("inspect container " + name, d -> {
            try {
                return Optional.of(d.inspectContainerCmd(name).exec());
            } catch (NotFoundException e) {
                return Optional.empty();
            }
        });
        if (c.isPresent()) {
            Map<String, String> labels = c.get().getConfig() == null ? null : c.get().getConfig().getLabels();
            String owner = labels == null ? null : labels.get(TaskContainer.TASK_ID);
            if (!tc.taskId().equals(owner)) {
                throw new ExecutorException("a container named " + name + " exists that swarmlet did not create for task "
                        + tc.taskId() + "; remove it", true);
            }
        }
        return c;
    }

    private InspectContainerResponse require(String action) throws ExecutorException {
        return container().orElseThrow(() -> new ExecutorException(
                "cannot " + action + " container " + name + ": it does not exist", false));
    }

    private static ContainerState state(InspectContainerResponse c) {
        return c.getState();
    }

    private static boolean exited(ContainerState s) {
        return "exited".equals(s.getStatus()) || "dead".equals(s.getStatus());
    }

    private static int exitCode(ContainerState s) {
        return s.getExitCodeLong() == null ? 0 : (int) (long) s.getExitCodeLong();
    }

    private static ExitStatus exitStatus(ContainerState s, String reason) {
        String message = reason.isEmpty() && Boolean.TRUE.equals(s.getOOMKilled()) ? "out of memory" : reason;
        return new ExitStatus(exitCode(s), message);
    }

    private static String health(ContainerState s) {
        if (s.getHealth() == null || s.getHealth().getStatus() == null || "none".equals(s.getHealth().getStatus())) {
            return "";
        }
        return s.getHealth().getStatus();
    }

    /** Whether the container runs a health check (the spec's or, if the spec has none, the image's). */
    static boolean hasHealthcheck(InspectContainerResponse c) {
        if (c.getState() != null && c.getState().getHealth() != null) {
            return true;
        }
        HealthCheck h = c.getConfig() == null ? null : c.getConfig().getHealthcheck();
        List<String> test = h == null ? null : h.getTest();
        return test != null && !test.isEmpty() && !"NONE".equals(test.get(0));
    }

    /**
     * How long a health check may take to pass: its start period, then enough
     * failed probes to turn it unhealthy, plus one more probe; bounded.
     */
    static Duration readyBudget(InspectContainerResponse c) {
        HealthCheck h = c.getConfig() == null ? null : c.getConfig().getHealthcheck();
        if (h == null) {
            return MIN_READY_BUDGET;
        }
        long interval = positive(h.getInterval(), DEFAULT_HEALTH_NS);
        long timeout = positive(h.getTimeout(), DEFAULT_HEALTH_NS);
        long retries = h.getRetries() == null || h.getRetries() <= 0 ? DEFAULT_HEALTH_RETRIES : h.getRetries();
        long start = positive(h.getStartPeriod(), 0);
        Duration d = Duration.ofNanos(start).plus(Duration.ofNanos(interval + timeout).multipliedBy(retries + 1));
        return d.compareTo(MIN_READY_BUDGET) < 0 ? MIN_READY_BUDGET
                : d.compareTo(MAX_READY_BUDGET) > 0 ? MAX_READY_BUDGET : d;
    }

    private static long positive(Long v, long def) {
        return v == null || v <= 0 ? def : v;
    }

    /** The last probe's output, for a log line (debug level only: a probe may print anything). */
    private static String lastProbe(ContainerState s) {
        if (!LOG.isDebugEnabled() || s.getHealth() == null || s.getHealth().getLog() == null
                || s.getHealth().getLog().isEmpty()) {
            return "";
        }
        var last = s.getHealth().getLog().get(s.getHealth().getLog().size() - 1);
        return " (last probe exit " + last.getExitCodeLong() + ": " + DockerErrors.oneLine(last.getOutput()) + ")";
    }

    private static String status(InspectContainerResponse c) {
        return c.getState() == null ? "unknown" : c.getState().getStatus();
    }

    private static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
