package io.swarmlet.api.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates for a mutual-TLS listener (the Docker API over TCP) made as Docker's "Protect the Docker daemon
 * socket" page makes them, with the {@code openssl} CLI (EC keys, to be quick): a CA, a
 * server certificate for 127.0.0.1 and a client certificate, laid out as the docker CLI
 * wants them in DOCKER_CERT_PATH ({@code ca.pem}, {@code cert.pem}, {@code key.pem}).
 */
public final class OpensslCerts {

    /** One CA's files: {@code dir/ca.pem}, the server's {@code dir/server-*.pem}, a client's {@code dir/client/}. */
    public record Ca(Path dir) {
        public Path caCert() { return dir.resolve("ca.pem"); }
        public Path serverCert() { return dir.resolve("server-cert.pem"); }
        public Path serverKey() { return dir.resolve("server-key.pem"); }
        /** DOCKER_CERT_PATH of a client signed by this CA. */
        public Path client() { return dir.resolve("client"); }
    }

    private OpensslCerts() {}

    /** A CA, a server certificate for 127.0.0.1 and a client certificate under {@code dir}. */
    public static Ca make(Path dir) throws Exception {
        return make(dir, "127.0.0.1");
    }

    /** A CA, a server certificate for the IP address {@code serverIp} and a client certificate under {@code dir}. */
    public static Ca make(Path dir, String serverIp) throws Exception {
        Files.createDirectories(dir.resolve("client"));
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=test docker api ca", "-keyout", "ca-key.pem", "-out", "ca.pem");
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-subj", "/CN=" + serverIp, "-keyout", "server-key.pem", "-out", "server.csr");
        Files.writeString(dir.resolve("server.cnf"), "subjectAltName = IP:" + serverIp + "\nextendedKeyUsage = serverAuth\n");
        openssl(dir, "x509", "-req", "-days", "2", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                "-CAcreateserial", "-extfile", "server.cnf", "-out", "server-cert.pem");
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-subj", "/CN=client", "-keyout", "client/key.pem", "-out", "client.csr");
        Files.writeString(dir.resolve("client.cnf"), "extendedKeyUsage = clientAuth\n");
        openssl(dir, "x509", "-req", "-days", "2", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                "-CAcreateserial", "-extfile", "client.cnf", "-out", "client/cert.pem");
        Files.copy(dir.resolve("ca.pem"), dir.resolve("client/ca.pem"));
        return new Ca(dir);
    }

    private static void openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out);
        }
    }
}
