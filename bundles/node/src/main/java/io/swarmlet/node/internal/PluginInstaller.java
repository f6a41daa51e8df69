package io.swarmlet.node.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * Installs one plugin jar as a bundle and starts it, and tells whether it
 * runs: installed, resolved, started, and none of its Declarative Services
 * components failed to activate (SCR does not make {@code start()} throw for
 * those: their state is read from the {@link ServiceComponentRuntime}). What
 * fails is uninstalled again and reported in one line; nothing here ever
 * stops the daemon.
 */
final class PluginInstaller {

    /** Bundle locations of plugins start with this (then "cluster:" or "local:" and the file). */
    static final String LOCATION_PREFIX = "swarmlet-plugin:";

    /** How long SCR gets to activate a plugin's components before its state is read. */
    private static final long SETTLE_MS = 2_000;

    private static final Logger LOG = LogManager.getLogger(PluginInstaller.class);

    /** A plugin that could not be installed, resolved or started; the message is one line. */
    static final class Failure extends Exception {
        Failure(String message) {
            super(message);
        }
    }

    private final BundleContext context;
    private final Supplier<ServiceComponentRuntime> scr;

    PluginInstaller(BundleContext context, Supplier<ServiceComponentRuntime> scr) {
        this.context = context;
        this.scr = scr;
    }

    static String location(boolean cluster, Path file) {
        return LOCATION_PREFIX + (cluster ? "cluster:" : "local:") + file.toUri();
    }

    /** The bundles of plugins installed earlier (by this daemon, or a previous instance of this component). */
    List<Bundle> installedPlugins() {
        List<Bundle> out = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (b.getLocation().startsWith(LOCATION_PREFIX)) {
                out.add(b);
            }
        }
        return out;
    }

    /**
     * Installs {@code file} at {@code location}, starts it and checks it runs.
     *
     * @throws Failure with the reason (one line); nothing stays installed
     */
    Bundle install(String location, Path file) throws Failure {
        Bundle b;
        try {
            b = context.installBundle(location, java.nio.file.Files.newInputStream(file));
        } catch (BundleException | java.io.IOException | RuntimeException e) {
            throw new Failure("cannot be installed: " + oneLine(e));
        }
        try {
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) != null) {
                throw new Failure("a fragment bundle cannot be a plugin");
            }
            try {
                b.start();
            } catch (BundleException | RuntimeException e) {
                throw new Failure(b.getState() == Bundle.INSTALLED ? "does not resolve: " + unresolved(oneLine(e))
                        : "does not start: " + oneLine(e));
            }
            String failed = failedComponent(b);
            if (failed != null) {
                throw new Failure(failed);
            }
            return b;
        } catch (Failure f) {
            uninstall(b);
            throw f;
        }
    }

    /** Uninstalls quietly (the bundle may be gone already). */
    void uninstall(Bundle b) {
        try {
            if (b.getState() != Bundle.UNINSTALLED) {
                b.uninstall();
            }
        } catch (BundleException | RuntimeException e) {
            LOG.warn("plugin bundle {} could not be uninstalled: {}", b.getLocation(), oneLine(e));
        }
    }

    /**
     * Why one of the bundle's components failed to activate, or null: waits
     * (up to {@link #SETTLE_MS}) until SCR has dealt with every enabled
     * component (none left without a configuration, no immediate one only satisfied).
     */
    String failedComponent(Bundle b) {
        ServiceComponentRuntime runtime = scr.get();
        if (runtime == null || b.getHeaders().get("Service-Component") == null) {
            return null;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MS);
        while (true) {
            boolean settled = true;
            for (ComponentDescriptionDTO d : runtime.getComponentDescriptionDTOs(b)) {
                if (!runtime.isComponentEnabled(d)) {
                    continue;
                }
                java.util.Collection<ComponentConfigurationDTO> configs = runtime.getComponentConfigurationDTOs(d);
                if (configs.isEmpty() && !"require".equals(d.configurationPolicy)) {
                    settled = false;
                }
                for (ComponentConfigurationDTO c : configs) {
                    if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                        String why = c.failure == null ? "activation failed" : firstLine(c.failure);
                        return "component " + d.name + " failed to activate: " + why;
                    }
                    if (d.immediate && c.state == ComponentConfigurationDTO.SATISFIED) { // being activated
                        settled = false;
                    }
                }
            }
            if (settled || System.nanoTime() - deadline > 0) {
                return null;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    private static final java.util.regex.Pattern MISSING_PACKAGE =
            java.util.regex.Pattern.compile("osgi\\.wiring\\.package=([^)\\s]+)");

    /** Felix's resolution error, shortened: "missing package com.example" when that is why. */
    static String unresolved(String message) {
        java.util.regex.Matcher m = MISSING_PACKAGE.matcher(message);
        if (message.contains("missing requirement") && m.find()) {
            return "missing package " + m.group(1);
        }
        int cut = message.indexOf(" Unresolved requirements:");
        return cut > 0 ? message.substring(0, cut) : message;
    }

    /** The first line of a stack trace SCR keeps ("java.lang.IllegalStateException: boom"). */
    static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        return m.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }
}
