package io.swarmlet.node.internal;

import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.node.Modules;
import io.swarmlet.api.types.ChangeModuleRequest;
import io.swarmlet.api.types.ChangeModuleResponse;
import io.swarmlet.api.types.ListModulesResponse;
import io.swarmlet.api.types.ModuleInfo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * This daemon's bundles as modules ({@code swarmlet module ls|start|stop|update}).
 * Stop and start are transient. An update is checked before anything changes
 * (a bundle with the module's symbolic name), then the bundle is updated and
 * refreshed; if it then cannot resolve or start, the jar that ran before (the
 * last one updated through here, else the one it was installed from) is put
 * back. Changes that would cut the very call asking for them (this bundle, the
 * control API, gRPC, the api bundle, the store and what it needs) run in the background after the answer.
 */
@Component(service = Modules.class, immediate = true)
public final class ModulesImpl implements Modules {

    private static final Logger LOG = LogManager.getLogger(ModulesImpl.class);

    /** The largest jar {@code module update} takes. */
    static final int MAX_JAR_BYTES = 64 * 1024 * 1024;

    /**
     * Bundles whose change would cut the control call asking for it: the control
     * API needs the store, and the store needs the node's credentials (ca) and
     * the data key (secrets).
     */
    private static final Set<String> SELF = Set.of("io.swarmlet.node", "io.swarmlet.controlapi", "io.swarmlet.grpc",
            "io.swarmlet.api", "io.swarmlet.store", "io.swarmlet.ca", "io.swarmlet.secrets");

    private static final String[] STATES = {"UNINSTALLED", "INSTALLED", "RESOLVED", "STARTING", "STOPPING", "ACTIVE"};

    /** The jar each bundle last ran after an update through here (for putting it back). */
    private final Map<Long, byte[]> lastGood = new ConcurrentHashMap<>();

    private BundleContext context;

    @Activate
    void activate(BundleContext context) {
        this.context = context;
    }

    @Override
    public ListModulesResponse list() {
        ListModulesResponse.Builder out = ListModulesResponse.newBuilder();
        Arrays.stream(context.getBundles()).sorted((a, b) -> Long.compare(a.getBundleId(), b.getBundleId()))
                .forEach(b -> out.addModules(info(b)));
        return out.build();
    }

    static ModuleInfo info(Bundle b) {
        Set<String> services = new TreeSet<>();
        ServiceReference<?>[] refs = b.getState() == Bundle.ACTIVE || b.getState() == Bundle.STARTING
                ? b.getRegisteredServices() : null;
        if (refs != null) {
            for (ServiceReference<?> r : refs) {
                Object classes = r.getProperty(Constants.OBJECTCLASS);
                if (classes instanceof String[] names) {
                    services.addAll(List.of(names));
                }
            }
        }
        int state = Integer.numberOfTrailingZeros(b.getState());
        return ModuleInfo.newBuilder()
                .setId(b.getBundleId())
                .setName(b.getSymbolicName() == null ? "" : b.getSymbolicName())
                .setVersion(b.getVersion().toString())
                .setState(state < STATES.length ? STATES[state] : String.valueOf(b.getState()))
                .addAllServices(services)
                .setLocation(b.getLocation())
                .build();
    }

    /** A bundle by ID, symbolic name, or the name's part after "io.swarmlet." with '-' for '.'. */
    Bundle find(String name) {
        String n = name.trim();
        if (n.isEmpty()) {
            throw ControlException.invalid("give a module name (swarmlet module ls lists them)");
        }
        if (n.chars().allMatch(Character::isDigit)) {
            Bundle b = context.getBundle(Long.parseLong(n));
            if (b != null) {
                return b;
            }
        }
        for (String candidate : List.of(n, "io.swarmlet." + n.replace('-', '.'))) {
            Bundle found = null;
            for (Bundle b : context.getBundles()) {
                if (candidate.equals(b.getSymbolicName()) && (found == null || b.getBundleId() > found.getBundleId())) {
                    found = b;
                }
            }
            if (found != null) {
                return found;
            }
        }
        throw new ControlException(ControlException.Code.NOT_FOUND,
                "no module named '" + n + "' on this node (swarmlet module ls lists them)");
    }

    @Override
    public ChangeModuleResponse change(ChangeModuleRequest request) {
        Bundle b = find(request.getName());
        String name = b.getSymbolicName();
        if (b.getBundleId() == 0) {
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION,
                    "the OSGi framework itself cannot be stopped or updated here; restart swarmletd instead");
        }
        if (request.getAction() == ChangeModuleRequest.Action.UPDATE) {
            checkJar(request.getJar().toByteArray(), name);
        }
        if (SELF.contains(name)) {
            Thread t = new Thread(() -> {
                try {
                    apply(b, request);
                } catch (RuntimeException e) {
                    LOG.error("module {}: {} failed", name, request.getAction(), e);
                }
            }, "swarmlet-module-" + name);
            t.setDaemon(true);
            t.start();
            return ChangeModuleResponse.newBuilder().setModule(info(b))
                    .setMessage(verb(request.getAction()) + " module " + name
                            + " in the background (it serves this call; see the daemon's log)").build();
        }
        String message = apply(b, request);
        return ChangeModuleResponse.newBuilder().setModule(info(b)).setMessage(message).build();
    }

    private static String verb(ChangeModuleRequest.Action a) {
        return switch (a) {
            case START -> "starting";
            case STOP -> "stopping";
            default -> "updating";
        };
    }

    private String apply(Bundle b, ChangeModuleRequest request) {
        String name = b.getSymbolicName();
        try {
            switch (request.getAction()) {
                case STOP -> {
                    b.stop(Bundle.STOP_TRANSIENT);
                    LOG.info("module {} stopped", name);
                    return "module " + name + " stopped";
                }
                case START -> {
                    b.start(Bundle.START_TRANSIENT);
                    LOG.info("module {} started", name);
                    return "module " + name + " started";
                }
                case UPDATE -> {
                    return update(b, request.getJar().toByteArray());
                }
                default -> throw ControlException.invalid("unknown module action " + request.getAction());
            }
        } catch (BundleException e) {
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION,
                    "module " + name + " could not be " + (request.getAction() == ChangeModuleRequest.Action.STOP
                            ? "stopped" : "started") + ": " + e.getMessage());
        }
    }

    private String update(Bundle b, byte[] jar) {
        String name = b.getSymbolicName();
        String before = b.getVersion().toString();
        boolean wasActive = b.getState() == Bundle.ACTIVE || b.getState() == Bundle.STARTING;
        try {
            // stopped first, the bundle is not started by update() only to be stopped and started again by
            // the refresh: one stop, one start (a store restarts its Raft member once, not twice)
            stopTransient(b);
            b.update(new ByteArrayInputStream(jar));
            refresh(b);
            if (wasActive) {
                b.start(Bundle.START_TRANSIENT);
            }
        } catch (BundleException | RuntimeException e) {
            LOG.warn("module {}: the new version does not run ({}); putting the previous one back", name, e.getMessage());
            String back = restore(b, wasActive);
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION,
                    "module " + name + " was not updated: " + e.getMessage() + "; " + back);
        }
        lastGood.put(b.getBundleId(), jar);
        LOG.info("module {} updated from {} to {}", name, before, b.getVersion());
        return "module " + name + " updated: " + before + " -> " + b.getVersion();
    }

    /** Puts back what ran before; says what runs now. */
    private String restore(Bundle b, boolean start) {
        byte[] previous = lastGood.get(b.getBundleId());
        try (InputStream in = previous != null ? new ByteArrayInputStream(previous) : new URL(b.getLocation()).openStream()) {
            stopTransient(b);
            b.update(in);
            refresh(b);
            if (start) {
                b.start(Bundle.START_TRANSIENT);
            }
            return "version " + b.getVersion() + " runs again";
        } catch (IOException | BundleException | RuntimeException e) {
            LOG.error("module {}: could not put the previous version back", b.getSymbolicName(), e);
            return "the previous version could not be put back either (" + e.getMessage() + "); the module is "
                    + info(b).getState();
        }
    }

    private static void stopTransient(Bundle b) throws BundleException {
        if (b.getState() == Bundle.ACTIVE || b.getState() == Bundle.STARTING) {
            b.stop(Bundle.STOP_TRANSIENT);
        }
    }

    /** Refreshes the bundle (drops its old revision, rewires dependants); waits up to 30 s. */
    private void refresh(Bundle b) {
        FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
        CountDownLatch done = new CountDownLatch(1);
        wiring.refreshBundles(List.of(b), event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                done.countDown();
            }
        });
        try {
            if (!done.await(30, TimeUnit.SECONDS)) {
                LOG.warn("module {}: refresh not done within 30 s", b.getSymbolicName());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A jar that is a bundle with that symbolic name, within the size limit. */
    static void checkJar(byte[] jar, String name) {
        if (jar.length == 0) {
            throw ControlException.invalid("module update needs the new bundle's jar");
        }
        if (jar.length > MAX_JAR_BYTES) {
            throw ControlException.invalid("the jar is " + jar.length / (1024 * 1024) + " MB; a module may be at most "
                    + MAX_JAR_BYTES / (1024 * 1024) + " MB");
        }
        Manifest m;
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            m = in.getManifest();
        } catch (IOException e) {
            throw ControlException.invalid("not a jar file: " + e.getMessage());
        }
        String bsn = m == null ? null : m.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
        if (bsn == null) {
            throw ControlException.invalid("not an OSGi bundle: its manifest has no Bundle-SymbolicName");
        }
        bsn = bsn.split(";")[0].trim();
        if (!bsn.equals(name)) {
            throw ControlException.invalid("the jar is bundle " + bsn + ", not module " + name);
        }
    }
}
