package io.swarmlet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.testing.FreePorts;
import io.swarmlet.launcher.testbundle.StateActivator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.launch.Framework;

/**
 * Runs the real launcher (Felix, in this JVM) over a throw-away distribution
 * whose bundles report ready, failed, nothing, or cannot resolve.
 */
class DaemonTest {

    @TempDir
    static Path tmp;

    @BeforeAll
    static void logging() throws IOException {
        Path conf = Files.createDirectories(tmp.resolve("conf"));
        Files.writeString(conf.resolve("log4j2.xml"), "<Configuration status=\"warn\"><Appenders>"
                + "<File name=\"f\" fileName=\"${sys:swarmlet.log.dir}/swarmletd.log\"/></Appenders>"
                + "<Loggers><Root level=\"${sys:swarmlet.log.level}\"><AppenderRef ref=\"f\"/></Root></Loggers>"
                + "</Configuration>");
        System.setProperty("log4j2.configurationFile", conf.resolve("log4j2.xml").toString());
    }

    /** A distribution home with the given bundles in bundle/. */
    private static Path home(String name, Manifest... bundles) throws IOException {
        Path home = Files.createDirectories(tmp.resolve(name));
        Files.createDirectories(home.resolve("bundle"));
        Files.createDirectories(home.resolve("deploy"));
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/framework.properties"),
                "felix.log.level=1\nexample.dir=${swarmlet.state.dir}/x\n");
        int i = 0;
        for (Manifest mf : bundles) {
            Path jar = home.resolve("bundle/b" + (i++) + ".jar");
            try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, mf)) {
                String cls = StateActivator.class.getName().replace('.', '/') + ".class";
                jos.putNextEntry(new JarEntry(cls));
                try (InputStream in = StateActivator.class.getClassLoader().getResourceAsStream(cls)) {
                    in.transferTo(jos);
                }
                for (String inner : new String[] {"$1"}) {
                    String c = cls.replace(".class", inner + ".class");
                    jos.putNextEntry(new JarEntry(c));
                    try (InputStream in = StateActivator.class.getClassLoader().getResourceAsStream(c)) {
                        in.transferTo(jos);
                    }
                }
            }
        }
        return home;
    }

    private static Manifest bundle(String bsn, String... headers) {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", "1.0.0");
        a.putValue("Bundle-Activator", StateActivator.class.getName());
        a.putValue("Import-Package", "org.osgi.framework");
        for (int i = 0; i < headers.length; i += 2) {
            a.putValue(headers[i], headers[i + 1]);
        }
        return mf;
    }

    private static final class Started {
        final StringWriter err = new StringWriter();
        final Daemon daemon;
        final CompletableFuture<Integer> status;

        Started(Path home, String stateName, long timeoutSeconds) {
            this(home, stateName, timeoutSeconds, WebConsole.OFF);
        }

        Started(Path home, String stateName, long timeoutSeconds, WebConsole web) {
            Settings s = new Settings(tmp.resolve(stateName), tmp.resolve(stateName + ".sock"),
                    HostPort.parse("127.0.0.1:0"), HostPort.parse("127.0.0.1:0"), null, "h1", "info",
                    null, null, false, java.time.Duration.ofHours(1), java.time.Duration.ofSeconds(1), web);
            daemon = new Daemon(s, new PrintWriter(err, true), timeoutSeconds, false);
            System.setProperty("swarmlet.home", home.toString());
            status = CompletableFuture.supplyAsync(daemon::run);
        }

        int status() throws Exception {
            return status.get(60, TimeUnit.SECONDS);
        }

        String err() {
            return err.toString();
        }
    }

    private static void await(BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void readyThenStop() throws Exception {
        Path home = home("ready", bundle("t.ready", "X-State", "ready", "X-Node-Id", "abc123"));
        Started d = new Started(home, "st-ready", 30);
        await(() -> d.err().contains("swarmletd: ready"), "the ready line");
        assertEquals("swarmletd: ready (node abc123, control API at " + tmp.resolve("st-ready.sock") + ")",
                d.err().trim());
        Framework fw = d.daemon.framework();
        assertNotNull(fw);
        assertEquals(tmp.resolve("st-ready/felix-cache").toString(), fw.getBundleContext().getProperty(
                "org.osgi.framework.storage"));
        assertEquals(tmp.resolve("st-ready").toString(), fw.getBundleContext().getProperty("swarmlet.state.dir"));
        assertEquals(tmp.resolve("st-ready") + "/x", fw.getBundleContext().getProperty("example.dir"),
                "conf/framework.properties is merged and substituted");
        assertTrue(Files.isDirectory(tmp.resolve("st-ready/logs")));
        assertFalse(d.status.isDone(), "the daemon keeps running once ready");
        fw.stop();
        assertEquals(0, d.status());
    }

    @Test
    void failedIsReportedAndExitsOne() throws Exception {
        Path home = home("failed", bundle("t.failed", "X-State", "failed",
                "X-Message", "store: state dir is damaged; restore it"));
        Started d = new Started(home, "st-failed", 30);
        assertEquals(1, d.status());
        assertEquals("swarmletd: error: store: state dir is damaged; restore it", d.err().trim());
        assertEquals(org.osgi.framework.Bundle.RESOLVED, d.daemon.framework().getState(),
                "the framework is stopped");
    }

    @Test
    void unresolvableBundleIsNamed() throws Exception {
        Path home = home("unresolved", bundle("t.ready", "X-State", "ready"),
                bundle("t.broken", "Import-Package", "org.osgi.framework,no.such.pkg"));
        Started d = new Started(home, "st-unresolved", 30);
        assertEquals(1, d.status());
        String err = d.err().trim();
        assertTrue(err.startsWith("swarmletd: error: bundle t.broken 1.0.0 cannot start: "), err);
        assertTrue(err.contains("no.such.pkg"), err);
        assertEquals(1, err.lines().count(), err);
    }

    @Test
    void frameworkErrorBeforeReadyIsFatal() throws Exception {
        Path home = home("fwerror", bundle("t.throws", "X-Throw-In-Listener", "yes"));
        Started d = new Started(home, "st-fwerror", 30);
        assertEquals(1, d.status());
        String err = d.err().trim();
        assertTrue(err.startsWith("swarmletd: error: bundle t.throws 1.0.0: "), err);
        assertTrue(err.contains("listener broke"), err);
        assertEquals(1, err.lines().count(), err);
    }

    @Test
    void aFailingServiceFactoryIsNotFatal() {
        // what SCR's component of a plugin whose activate throws looks like to the bundle asking for it
        assertTrue(Daemon.pluginFailure(new org.osgi.framework.ServiceException("Service factory returned null.",
                org.osgi.framework.ServiceException.FACTORY_ERROR)));
        assertTrue(Daemon.pluginFailure(new org.osgi.framework.ServiceException("boom",
                org.osgi.framework.ServiceException.FACTORY_EXCEPTION)));
        assertFalse(Daemon.pluginFailure(new org.osgi.framework.ServiceException("other",
                org.osgi.framework.ServiceException.UNREGISTERED)));
        assertFalse(Daemon.pluginFailure(new IllegalStateException("listener broke")));
    }

    @Test
    void noReadyInTimeIsAnError() throws Exception {
        Path home = home("silent", bundle("t.silent"));
        Started d = new Started(home, "st-silent", 1);
        assertEquals(1, d.status());
        assertTrue(d.err().trim().startsWith("swarmletd: error: the daemon did not report ready within 1 s"),
                d.err());
    }

    @Test
    void stateDirThatIsAFileIsRefused() throws IOException {
        Path file = Files.writeString(tmp.resolve("plainfile"), "x");
        StartupException e = assertThrows(StartupException.class,
                () -> Daemon.prepareDirectory(file, "state directory"));
        assertEquals("state directory " + file + " exists and is not a directory", e.getMessage());
        e = assertThrows(StartupException.class,
                () -> Daemon.prepareDirectory(file.resolve("sub"), "state directory"));
        assertTrue(e.getMessage().startsWith("cannot create state directory " + file.resolve("sub")), e.getMessage());
    }

    @Test
    void theWebConsoleIsInTheReadyLineAndTheFrameworkProperties() throws Exception {
        Path home = home("web", bundle("t.web", "X-State", "ready", "X-Node-Id", "abc123"));
        HostPort addr = HostPort.parse("127.0.0.1:" + FreePorts.next());
        Started d = new Started(home, "st-web", 30, new WebConsole(addr, false, null, null));
        await(() -> d.err().contains("swarmletd: ready"), "the ready line");
        assertEquals("swarmletd: ready (node abc123, control API at " + tmp.resolve("st-web.sock")
                + ", web console at http://" + addr + "/)", d.err().trim());
        Framework fw = d.daemon.framework();
        assertEquals(addr.toString(), fw.getBundleContext().getProperty("swarmlet.http.addr"));
        assertEquals(null, fw.getBundleContext().getProperty("swarmlet.http.tls.cert"));
        fw.stop();
        assertEquals(0, d.status());
    }

    @Test
    void aBusyDefaultAddressTurnsTheConsoleOffWithAWarning() throws Exception {
        Path home = home("web-busy", bundle("t.webbusy", "X-State", "ready", "X-Node-Id", "abc123"));
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            HostPort addr = HostPort.parse("127.0.0.1:" + taken.getLocalPort());
            Started d = new Started(home, "st-web-busy", 30, new WebConsole(addr, true, null, null));
            await(() -> d.err().contains("swarmletd: ready"), "the ready line");
            String[] lines = d.err().trim().split("\n");
            assertEquals(2, lines.length, d.err());
            assertTrue(lines[0].startsWith("swarmletd: warning: the web console is off: cannot listen on " + addr
                    + " (--listen-http): address already in use"), lines[0]);
            assertTrue(lines[0].endsWith("Choose another port with --listen-http (or none)"), lines[0]);
            assertEquals("swarmletd: ready (node abc123, control API at " + tmp.resolve("st-web-busy.sock") + ")", lines[1]);
            Framework fw = d.daemon.framework();
            assertEquals("none", fw.getBundleContext().getProperty("swarmlet.http.addr"));
            fw.stop();
            assertEquals(0, d.status());
        }
    }

    @Test
    void aBusyGivenAddressOrAMissingCertificateFailsTheStart() throws Exception {
        Path home = home("web-taken", bundle("t.webtaken", "X-State", "ready", "X-Node-Id", "abc123"));
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            HostPort addr = HostPort.parse("127.0.0.1:" + taken.getLocalPort());
            Started d = new Started(home, "st-web-taken", 30, new WebConsole(addr, false, null, null));
            assertEquals(1, d.status());
            assertTrue(d.err().trim().startsWith("swarmletd: error: cannot listen on " + addr
                    + " (--listen-http): address already in use"), d.err());
        }
        Path cert = tmp.resolve("no-such-cert.pem");
        Started d = new Started(home, "st-web-cert", 30, new WebConsole(HostPort.parse("127.0.0.1:" + FreePorts.next()), false,
                cert, tmp.resolve("key.pem")));
        assertEquals(1, d.status());
        assertEquals("swarmletd: error: cannot read " + cert + " (--http-tls-cert): no such file", d.err().trim());
    }

    @Test
    void addressInUseIsRefusedWithTheFlag() throws IOException {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            HostPort addr = HostPort.parse("127.0.0.1:" + taken.getLocalPort());
            StartupException e = assertThrows(StartupException.class,
                    () -> Daemon.checkCanListen(addr, "--listen-raft-api"));
            assertTrue(e.getMessage().startsWith("cannot listen on " + addr + " (--listen-raft-api): address already in use"),
                    e.getMessage());
        }
        Daemon.checkCanListen(HostPort.parse("127.0.0.1:0"), "--listen-remote-api");
        StartupException e = assertThrows(StartupException.class,
                () -> Daemon.checkCanListen(HostPort.parse("no-such-host.invalid:4242"), "--listen-remote-api"));
        assertEquals("cannot resolve no-such-host.invalid (--listen-remote-api no-such-host.invalid:4242)", e.getMessage());
    }

    @Test
    void oneDaemonPerStateDir() throws Exception {
        Path home = home("locked", bundle("t.ready2", "X-State", "ready"));
        Started first = new Started(home, "st-locked", 30);
        await(() -> first.err().contains("swarmletd: ready"), "the first daemon");
        assertEquals(ProcessHandle.current().pid() + "", Files.readString(tmp.resolve("st-locked/swarmletd.lock")).trim());
        Started second = new Started(home, "st-locked", 30);
        assertEquals(1, second.status());
        assertEquals("swarmletd: error: state directory " + tmp.resolve("st-locked") + " is in use by another swarmletd (pid "
                + ProcessHandle.current().pid() + "); stop it, or use another --state-dir", second.err().trim());
        assertTrue(first.daemon.framework().getBundleContext().getBundles().length > 1,
                "the first daemon's bundles are untouched");
        first.daemon.framework().stop();
        assertEquals(0, first.status());
        Started third = new Started(home, "st-locked", 30);
        await(() -> third.err().contains("swarmletd: ready"), "a daemon after the first stopped");
        third.daemon.framework().stop();
        assertEquals(0, third.status());
    }

    @Test
    void stateDirIsCreated() {
        Path dir = tmp.resolve("new/state/dir");
        Daemon.prepareDirectory(dir, "state directory");
        assertTrue(Files.isDirectory(dir));
    }

    @Test
    void frameworkPropertiesExportLoggingApis() throws IOException {
        Path home = home("props");
        Files.writeString(home.resolve("conf/framework.properties"),
                "org.osgi.framework.system.packages.extra=com.example.extra;version=1\n"
                        + "felix.fileinstall.poll=250\norg.osgi.framework.storage=/elsewhere\n",
                StandardCharsets.UTF_8);
        Settings s = new Settings(tmp.resolve("st"), tmp.resolve("st/s.sock"), HostPort.parse("0.0.0.0:4242"),
                HostPort.parse("0.0.0.0:4243"), null, "h", "info", null, null);
        Map<String, String> p = Daemon.frameworkProperties(home, s, false);
        String extra = p.get("org.osgi.framework.system.packages.extra");
        assertTrue(extra.startsWith("com.example.extra;version=1,"), extra);
        assertTrue(extra.contains("org.apache.logging.log4j;version="), extra);
        assertTrue(extra.contains("org.slf4j;version=\"2.0.17\""), extra);
        assertFalse(extra.contains("uses:="), extra);
        assertEquals(tmp.resolve("st/felix-cache").toString(), p.get("org.osgi.framework.storage"),
                "the launcher owns the cache location");
        assertEquals("onFirstInit", p.get("org.osgi.framework.storage.clean"));
        assertEquals(home.resolve("deploy").toString(), p.get("felix.fileinstall.dir"));
        assertEquals("250", p.get("felix.fileinstall.poll"), "conf overrides the launcher's defaults");
        assertEquals("true", p.get("felix.fileinstall.noInitialDelay"));
        assertEquals("--nointeractive", p.get("gosh.args"), "no terminal: Gogo must not read stdin");
        assertFalse(Daemon.frameworkProperties(home, s, true).containsKey("gosh.args"));
        assertEquals("h", p.get("swarmlet.hostname"));
        assertEquals(tmp.resolve("st/s.sock").toString(), p.get("swarmlet.control.socket"));
    }

    @Test
    void consoleOnlyInTheForegroundProcessGroup() throws IOException {
        Path stat = tmp.resolve("stat");
        Files.writeString(stat, "4242 (java (x) y) S 1 4242 4242 34816 4242 4194560 0 0\n");
        assertTrue(Daemon.isForegroundProcessGroup(stat), "pgrp 4242 is the terminal's foreground group");
        Files.writeString(stat, "4242 (java) S 1 4242 4242 34816 5000 4194560 0 0\n");
        assertFalse(Daemon.isForegroundProcessGroup(stat), "a background job (tpgid 5000)");
        assertTrue(Daemon.isForegroundProcessGroup(tmp.resolve("missing")), "unknown: trust System.console()");
        assertFalse(Daemon.interactive(), "no terminal under the test runner");
    }

    @Test
    void homeMustBeADistribution() {
        String old = System.getProperty("swarmlet.home");
        try {
            System.setProperty("swarmlet.home", tmp.resolve("nowhere").toString());
            StartupException e = assertThrows(StartupException.class, Daemon::distributionHome);
            assertTrue(e.getMessage().contains("is not a Swarmlet distribution"), e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty("swarmlet.home");
            } else {
                System.setProperty("swarmlet.home", old);
            }
        }
    }
}
