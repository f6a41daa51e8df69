package io.swarmlet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class MainTest {

    /** Runs the command line with a stub daemon; captures what it prints and the settings it got. */
    private static final class Run {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final AtomicReference<Settings> settings = new AtomicReference<>();
        final int status;

        Run(String... args) {
            status = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), (s, o, e) -> {
                settings.set(s);
                return 0;
            });
        }

        Settings settings() {
            assertEquals(0, status, "exit status; stderr: " + err);
            return settings.get();
        }
    }

    private static Path abs(String p) {
        return Paths.get(p).toAbsolutePath().normalize();
    }

    @Test
    void defaultsLikeSwarmd() {
        Settings s = new Run().settings();
        assertEquals(abs("swarmletstate"), s.stateDir());
        assertEquals(abs("swarmletstate/swarmletd.sock"), s.controlSocket());
        assertEquals("0.0.0.0:4242", s.remoteApi().toString());
        assertEquals("0.0.0.0:4243", s.raftApi().toString());
        assertNull(s.advertiseAddr());
        assertEquals(DaemonOptions.machineHostname(), s.hostname());
        assertFalse(s.hostname().isBlank());
        assertEquals("info", s.logLevel());
        assertFalse(s.joinRequested());
        assertEquals(abs("swarmletstate/logs"), s.logDir());
    }

    @Test
    void allFlags() {
        Settings s = new Run("--state-dir", "/tmp/node-mgmt-01", "--listen-control-api", "/tmp/mgmt-01.sock",
                "--listen-remote-api", "127.0.0.1:5000", "--advertise-addr", "10.0.0.5",
                "--hostname", "mgmt-01", "--log-level", "DEBUG").settings();
        assertEquals(Paths.get("/tmp/node-mgmt-01"), s.stateDir());
        assertEquals(Paths.get("/tmp/mgmt-01.sock"), s.controlSocket());
        assertEquals("127.0.0.1:5000", s.remoteApi().toString());
        assertEquals("127.0.0.1:5001", s.raftApi().toString(), "raft defaults to the remote API port + 1");
        assertEquals("10.0.0.5:5000", s.advertiseAddr().toString(), "advertise address takes the remote API port");
        assertEquals("mgmt-01", s.hostname());
        assertEquals("debug", s.logLevel());
    }

    @Test
    void shortFlagsAndEqualsSyntax() {
        Settings s = new Run("-d", "rel/dir", "-l", "warning", "--listen-raft-api=[::1]:7000",
                "--listen-control-api=unix:///tmp/x.sock", "--advertise-addr=node1:9999").settings();
        assertEquals(abs("rel/dir"), s.stateDir());
        assertEquals("warn", s.logLevel());
        assertEquals("[::1]:7000", s.raftApi().toString());
        assertEquals(Paths.get("/tmp/x.sock"), s.controlSocket(), "unix:// prefix is accepted");
        assertEquals("node1:9999", s.advertiseAddr().toString());
    }

    @Test
    void frameworkPropertiesFromSettings() {
        Settings s = new Run("--state-dir", "/tmp/st", "--hostname", "h1", "--advertise-addr", "1.2.3.4:1").settings();
        Map<String, String> p = s.frameworkProperties();
        assertEquals("/tmp/st", p.get("swarmlet.state.dir"));
        assertEquals("/tmp/st/swarmletd.sock", p.get("swarmlet.control.socket"));
        assertEquals("0.0.0.0:4242", p.get("swarmlet.remote.addr"));
        assertEquals("0.0.0.0:4243", p.get("swarmlet.raft.addr"));
        assertEquals("1.2.3.4:1", p.get("swarmlet.advertise.addr"));
        assertEquals("h1", p.get("swarmlet.hostname"));
        assertFalse(new Run().settings().frameworkProperties().containsKey("swarmlet.advertise.addr"),
                "no advertise address unless given");
    }

    @Test
    void unknownFlagIsAUsageError() {
        Run r = new Run("--state-dri", "/tmp/x");
        assertEquals(2, r.status);
        assertNull(r.settings.get(), "the daemon must not run");
        String[] lines = r.err.toString().split("\\R");
        assertEquals(2, lines.length, r.err.toString());
        assertTrue(lines[0].startsWith("swarmletd: Unknown option") && lines[0].contains("'--state-dri'"), lines[0]);
        assertEquals("Try 'swarmletd --help' for more information.", lines[1]);
    }

    @Test
    void positionalArgumentIsAUsageError() {
        Run r = new Run("start");
        assertEquals(2, r.status);
        assertTrue(r.err.toString().startsWith("swarmletd: "), r.err.toString());
    }

    @Test
    void missingValueIsAUsageError() {
        Run r = new Run("--state-dir");
        assertEquals(2, r.status);
        assertTrue(r.err.toString().contains("--state-dir"), r.err.toString());
    }

    @Test
    void badAddressIsAUsageError() {
        Run r = new Run("--listen-remote-api", "localhost");
        assertEquals(2, r.status);
        assertTrue(r.err.toString().startsWith(
                "swarmletd: Invalid value for option '--listen-remote-api': expected host:port, got 'localhost'"),
                r.err.toString());
        assertEquals(2, new Run("--listen-remote-api", "h:99999").status);
        assertEquals(2, new Run("--listen-raft-api", "h:x").status);
    }

    @Test
    void theWebConsoleListensOnLoopbackByDefault() {
        WebConsole web = new Run().settings().web();
        assertEquals("127.0.0.1:8880", web.addr().toString());
        assertTrue(web.defaulted());
        assertNull(web.tlsCert());
        assertEquals("http://127.0.0.1:8880/", web.url());
        assertEquals(Map.of("swarmlet.http.addr", "127.0.0.1:8880"), web.frameworkProperties());
        assertEquals("127.0.0.1:8880", new Run().settings().frameworkProperties().get("swarmlet.http.addr"));
    }

    @Test
    void listenHttpTakesAnAddressOrNone() {
        Settings s = new Run("--listen-http", "0.0.0.0:9090", "--http-tls-cert", "c.pem", "--http-tls-key", "/k/key.pem")
                .settings();
        assertEquals("0.0.0.0:9090", s.web().addr().toString());
        assertFalse(s.web().defaulted());
        assertEquals(abs("c.pem"), s.web().tlsCert());
        assertEquals("https://0.0.0.0:9090/", s.web().url());
        Map<String, String> p = s.frameworkProperties();
        assertEquals("0.0.0.0:9090", p.get("swarmlet.http.addr"));
        assertEquals(abs("c.pem").toString(), p.get("swarmlet.http.tls.cert"));
        assertEquals("/k/key.pem", p.get("swarmlet.http.tls.key"));

        Settings off = new Run("--listen-http", "none").settings();
        assertFalse(off.web().on());
        assertEquals("none", off.frameworkProperties().get("swarmlet.http.addr"));
        assertFalse(off.frameworkProperties().containsKey("swarmlet.http.tls.cert"));
    }

    @Test
    void badWebConsoleFlagsAreRefused() {
        Run bad = new Run("--listen-http", "localhost");
        assertEquals(1, bad.status, bad.err.toString());
        assertEquals("swarmletd: error: invalid --listen-http: expected host:port, got 'localhost' (host:port, or none)",
                bad.err.toString().trim());
        Run certOnly = new Run("--http-tls-cert", "c.pem");
        assertEquals("swarmletd: error: --http-tls-cert needs --http-tls-key, the certificate's private key",
                certOnly.err.toString().trim());
        Run keyOnly = new Run("--http-tls-key", "k.pem");
        assertEquals("swarmletd: error: --http-tls-key needs --http-tls-cert, the certificate it goes with",
                keyOnly.err.toString().trim());
        Run tlsOff = new Run("--listen-http", "none", "--http-tls-cert", "c.pem", "--http-tls-key", "k.pem");
        assertEquals("swarmletd: error: --http-tls-cert and --http-tls-key need the web console on; --listen-http is none",
                tlsOff.err.toString().trim());
    }

    @Test
    void listenDockerApiIsOffByDefaultAndAnAbsoluteSocketWhenGiven() {
        Settings none = new Run().settings();
        assertEquals(DockerApi.OFF, none.dockerApi());
        assertFalse(none.frameworkProperties().keySet().stream().anyMatch(k -> k.startsWith("swarmlet.dockerapi.")));
        Settings s = new Run("--listen-docker-api", "run/docker.sock").settings();
        assertEquals(abs("run/docker.sock"), s.dockerApi().socket());
        assertEquals(Map.of("swarmlet.dockerapi.socket", abs("run/docker.sock").toString()), s.dockerApi().frameworkProperties());
        assertEquals(abs("run/docker.sock").toString(), s.frameworkProperties().get("swarmlet.dockerapi.socket"));
        assertEquals(abs("run/u.sock"), new Run("--listen-docker-api", "unix://run/u.sock").settings().dockerApi().socket());
        Run empty = new Run("--listen-docker-api", " ");
        assertEquals(DockerApi.OFF, empty.settings().dockerApi(), "blank is off, as not given");
    }

    @Test
    void listenDockerApiOnTcpIsMutualTlsOnly() {
        Settings s = new Run("--listen-docker-api", "unix:///run/swarmlet/docker.sock", "--listen-docker-api", "tcp://0.0.0.0:2376",
                "--docker-api-tlscacert", "ca.pem", "--docker-api-tlscert", "cert.pem", "--docker-api-tlskey", "key.pem").settings();
        DockerApi d = s.dockerApi();
        assertEquals(Path.of("/run/swarmlet/docker.sock"), d.socket());
        assertEquals("0.0.0.0:2376", d.tcp().toString());
        assertEquals(Map.of("swarmlet.dockerapi.socket", "/run/swarmlet/docker.sock", "swarmlet.dockerapi.tcp", "0.0.0.0:2376",
                "swarmlet.dockerapi.tls.cacert", abs("ca.pem").toString(), "swarmlet.dockerapi.tls.cert", abs("cert.pem").toString(),
                "swarmlet.dockerapi.tls.key", abs("key.pem").toString()), d.frameworkProperties());
        assertEquals("unix:///run/swarmlet/docker.sock and tcp://0.0.0.0:2376 (mutual TLS)", d.where());

        String[][] refused = {
            {"--listen-docker-api tcp://0.0.0.0:2376 serves the Docker API with mutual TLS only (as dockerd --tlsverify):"
                    + " give --docker-api-tlscacert (the CA that signs the clients' certificates), --docker-api-tlscert and"
                    + " --docker-api-tlskey", "--listen-docker-api", "tcp://0.0.0.0:2376", "--docker-api-tlscert", "c.pem",
                    "--docker-api-tlskey", "k.pem"},
            {"--docker-api-tlscacert, --docker-api-tlscert and --docker-api-tlskey go with --listen-docker-api tcp://HOST:PORT",
                    "--listen-docker-api", "d.sock", "--docker-api-tlscacert", "ca.pem"},
            {"invalid --listen-docker-api http://127.0.0.1:2375: use unix:///path/to/docker.sock or tcp://host:port",
                    "--listen-docker-api", "http://127.0.0.1:2375"},
            {"invalid --listen-docker-api tcp://nohost: expected host:port, got 'nohost'", "--listen-docker-api", "tcp://nohost"},
            {"--listen-docker-api takes one unix socket; got " + abs("a.sock") + " and b.sock",
                    "--listen-docker-api", "a.sock", "--listen-docker-api", "b.sock"},
        };
        for (String[] row : refused) {
            Run r = new Run(java.util.Arrays.copyOfRange(row, 1, row.length));
            assertEquals("swarmletd: error: " + row[0], r.err.toString().trim(), String.join(" ", row));
        }
    }

    @Test
    void badLogLevelIsAUsageError() {
        Run r = new Run("--log-level", "loud");
        assertEquals(2, r.status);
        assertTrue(r.err.toString().contains("'loud' is not a log level"), r.err.toString());
    }

    @Test
    void joinFlagsComeInPairs() {
        Run r = new Run("--join-addr", "10.0.0.1:4242");
        assertEquals(1, r.status);
        assertNull(r.settings.get(), "the daemon must not run");
        assertTrue(r.err.toString().startsWith("swarmletd: error: --join-addr needs --join-token"), r.err.toString());
        r = new Run("--join-token", "SWMTKN-1-abc");
        assertEquals(1, r.status);
        assertTrue(r.err.toString().startsWith("swarmletd: error: --join-token needs --join-addr"), r.err.toString());
        r = new Run("--join-addr", "10.0.0.1:4242", "--join-token", "SWMTKN-1-abc");
        assertEquals(0, r.status);
        assertEquals("10.0.0.1:4242", r.settings().joinAddr());
        assertTrue(r.settings().joinRequested());
    }

    @Test
    void durationsAreGoStyle() {
        Run r = new Run("--cert-expiry", "1h30m", "--dispatcher-heartbeat", "500ms");
        assertEquals(java.time.Duration.ofMinutes(90), r.settings().certExpiry());
        assertEquals(java.time.Duration.ofMillis(500), r.settings().dispatcherHeartbeat());
        Run d = new Run();
        assertEquals(java.time.Duration.ofHours(2160), d.settings().certExpiry());
        assertEquals(java.time.Duration.ofSeconds(1), d.settings().dispatcherHeartbeat());
        Run bad = new Run("--dispatcher-heartbeat", "fast");
        assertEquals(2, bad.status);
        assertTrue(bad.err.toString().contains("'fast' is not a duration"), bad.err.toString());
    }

    @Test
    void raftPortNeedsRoom() {
        Run r = new Run("--listen-remote-api", "0.0.0.0:65535");
        assertEquals(1, r.status);
        assertTrue(r.err.toString().startsWith("swarmletd: error: --listen-remote-api port 65535"), r.err.toString());
        assertEquals("0.0.0.0:65535", new Run("--listen-remote-api", "0.0.0.0:65535",
                "--listen-raft-api", "0.0.0.0:65534").settings().remoteApi().toString());
    }

    @Test
    void tooLongSocketPathIsRefused() {
        Run r = new Run("--listen-control-api", "/tmp/" + "x".repeat(120) + ".sock");
        assertEquals(1, r.status);
        assertTrue(r.err.toString().contains("longer than 107 bytes"), r.err.toString());
    }

    @Test
    void helpAndVersion() {
        Run help = new Run("--help");
        assertEquals(0, help.status);
        assertNull(help.settings.get());
        for (String flag : new String[] {"--state-dir", "--listen-control-api", "--listen-remote-api",
                "--listen-raft-api", "--advertise-addr", "--hostname", "--join-addr", "--join-token",
                "--log-level", "--version", "--help"}) {
            assertTrue(help.out.toString().contains(flag), "help mentions " + flag);
        }
        Run version = new Run("--version");
        assertEquals(0, version.status);
        assertNull(version.settings.get());
        assertTrue(version.out.toString().matches("swarmletd \\S+\\R"), version.out.toString());
        assertFalse(version.out.toString().contains("${"), "version is filtered at build time");
    }

    @Test
    void runnerStatusIsTheExitStatus() {
        int status = Main.execute(new String[0], new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()), (s, o, e) -> 7);
        assertEquals(7, status);
    }
}
