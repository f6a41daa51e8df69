package io.swarmlet.dockerapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.security.PemTls;
import io.swarmlet.api.testing.OpensslCerts;
import io.swarmlet.api.types.ListSecretsRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Docker API over TCP with mutual TLS, as dockerd's {@code --tlsverify}: the stock docker
 * CLI with DOCKER_TLS_VERIFY and a client certificate signed by the configured CA gets the
 * same answers as over the unix socket; a client without a certificate, or with one signed
 * by another CA, or speaking plain HTTP, gets nothing and writes nothing.
 */
class DockerApiTlsTest {

    @TempDir
    static Path dir;

    static OpensslCerts.Ca ca;
    static OpensslCerts.Ca otherCa;
    static ApiHarness h;
    static InetSocketAddress tcp;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(DockerCli.available(), "no docker CLI installed");
        ca = OpensslCerts.make(dir.resolve("pki"));
        otherCa = OpensslCerts.make(dir.resolve("other-pki"));
        h = new ApiHarness(dir, DockerApiComponent.tls("127.0.0.1:0", ca.caCert().toString(),
                ca.serverCert().toString(), ca.serverKey().toString()));
        tcp = h.server.tcpAddress();
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    private static DockerCli overTcp(Path certPath, String name) throws IOException {
        return new DockerCli(Map.of("DOCKER_HOST", "tcp://127.0.0.1:" + tcp.getPort(), "DOCKER_TLS_VERIFY", "1",
                "DOCKER_CERT_PATH", certPath.toString()), dir.resolve("config-" + name));
    }

    private static int secrets() {
        return h.api.listSecrets(ListSecretsRequest.getDefaultInstance()).getSecretsCount();
    }

    @Test
    void theDockerCliWithASignedClientCertificateGetsWhatTheSocketGives() throws Exception {
        assertNotEquals(0, tcp.getPort());
        DockerCli tls = overTcp(ca.client(), "signed");
        DockerCli unix = new DockerCli(h.server.socket(), dir.resolve("config-unix"));

        DockerCli.Run nodes = tls.run("node", "ls");
        assertEquals(0, nodes.exit(), nodes.toString());
        DockerCli.Run viaSocket = unix.run("node", "ls");
        assertEquals(viaSocket.out(), nodes.out());
        assertTrue(nodes.out().contains("m1") && nodes.out().contains("w1"), nodes.out());

        DockerCli.Run info = tls.run("info", "--format", "{{.Swarm.NodeID}} {{.Swarm.LocalNodeState}}");
        assertEquals(0, info.exit(), info.toString());
        assertEquals(ApiHarness.M1 + " active", info.out().trim());

        int before = secrets();
        DockerCli.Run created = tls.runWithInput("tls-test-value", "secret", "create", "over-tls", "-");
        assertEquals(0, created.exit(), created.toString());
        assertEquals(before + 1, secrets());
        DockerCli.Run ls = unix.run("secret", "ls", "--format", "{{.Name}}");
        assertTrue(ls.out().lines().anyMatch("over-tls"::equals), ls.toString());
        assertFalse(created.out().contains("tls-test-value") || created.err().contains("tls-test-value"));
        assertEquals(0, tls.run("secret", "rm", "over-tls").exit());
        assertEquals(before, secrets());
    }

    @Test
    void aClientCertificateFromAnotherCaIsTurnedAwayAndWritesNothing() throws Exception {
        // the other CA's client trusts our server (so only the server's check can refuse it)
        Path mixed = Files.createDirectories(dir.resolve("mixed"));
        Files.copy(ca.caCert(), mixed.resolve("ca.pem"));
        Files.copy(otherCa.client().resolve("cert.pem"), mixed.resolve("cert.pem"));
        Files.copy(otherCa.client().resolve("key.pem"), mixed.resolve("key.pem"));
        int before = secrets();
        DockerCli.Run r = overTcp(mixed, "other").runWithInput("x", "secret", "create", "rogue", "-");
        assertNotEquals(0, r.exit(), r.toString());
        assertTrue(r.err().toLowerCase().contains("tls") || r.err().toLowerCase().contains("certificate"), r.toString());
        assertEquals(before, secrets());
    }

    @Test
    void aClientWithoutACertificateGetsNoAnswer() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", PemTls.certificates(ca.caCert()).get(0));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        HttpClient client = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest ping = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tcp.getPort() + "/_ping"))
                .timeout(Duration.ofSeconds(20)).build();
        assertThrows(IOException.class, () -> client.send(ping, HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void plainHttpOnTheTlsPortGetsNoDockerAnswer() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(tcp, 10_000);
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write("GET /_ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String answer = new String(in.readNBytes(4096), StandardCharsets.ISO_8859_1);
            assertFalse(answer.startsWith("HTTP/1.1 200"), answer);
            assertFalse(answer.contains("Api-Version"), answer);
        } catch (IOException reset) {
            // the connection closed on us: no answer either
        }
    }

    @Test
    void tcpIsMutualTlsOnlyAndBadSettingsSayWhatIsWrong() {
        String c = ca.caCert().toString();
        String cert = ca.serverCert().toString();
        String key = ca.serverKey().toString();
        IllegalArgumentException noCa = assertThrows(IllegalArgumentException.class,
                () -> DockerApiComponent.tls("127.0.0.1:2376", null, cert, key));
        assertTrue(noCa.getMessage().contains("mutual TLS only"), noCa.getMessage());
        assertTrue(noCa.getMessage().contains(DockerApiComponent.TLS_CA_PROPERTY), noCa.getMessage());
        for (String bad : new String[] {"127.0.0.1", ":2376", "127.0.0.1:x", "127.0.0.1:70000"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DockerApiComponent.tls(bad, c, cert, key), bad);
            assertTrue(e.getMessage().contains("not a host:port: " + bad), e.getMessage());
        }
        IllegalArgumentException keyIsACert = assertThrows(IllegalArgumentException.class,
                () -> DockerApiComponent.tls("127.0.0.1:2376", c, cert, cert));
        assertTrue(keyIsACert.getMessage().contains("PRIVATE KEY"), keyIsACert.getMessage());
        IllegalArgumentException caIsAKey = assertThrows(IllegalArgumentException.class,
                () -> DockerApiComponent.tls("127.0.0.1:2376", key, cert, key));
        assertTrue(caIsAKey.getMessage().contains("no PEM certificate"), caIsAKey.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> DockerApiComponent.tls("127.0.0.1:2376", c, cert, dir.resolve("nope.pem").toString()));
        assertTrue(missing.getMessage().contains("cannot read the Docker API's TLS files"), missing.getMessage());
        assertFalse(missing.getMessage().contains("BEGIN"), "no key material in messages");
    }
}
