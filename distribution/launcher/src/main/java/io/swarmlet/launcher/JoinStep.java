package io.swarmlet.launcher;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Joining a cluster ({@code --join-addr/--join-token}), before the framework
 * starts and before anything is written to the state directory: the ca
 * bundle's join client (run from the bundle jars on a class loader of its
 * own; the launcher shares no classes with bundles) fetches the root CA,
 * checks it against the token's digest, sends a CSR with the token and gets
 * the node's identity and certificate. Only then does {@link #write} lay out
 * the state directory, which the bundles read when they start.
 */
final class JoinStep {

    static final String IDENTITY_FILE = "node.properties";
    /** Written by the node bundle's {@code swarm leave}; see {@link #forget}. */
    static final String LEAVE_MARKER = "left-swarm";
    /** The ca bundle's entry point: {@code Function<Map<String,String>, Map<String,String>>}. */
    static final String ENTRY = "io.swarmlet.ca.join.LauncherJoin";
    private static final List<String> JARS = List.of("io.swarmlet.api-", "io.swarmlet.grpc-", "io.swarmlet.ca-",
            "protobuf-java-");

    /** What the cluster answered. */
    record Joined(String nodeId, String clusterId, String role, String keyPem, String certPem, String rootPem,
            String rootKeyPem, String managers, String dataKey) {}

    private JoinStep() {}

    @SuppressWarnings("unchecked")
    static Joined join(Path home, Settings settings, boolean workerOnly) {
        Path bundles = home.resolve("bundle");
        List<URL> urls = new ArrayList<>();
        for (String prefix : JARS) {
            urls.add(jar(bundles, prefix));
        }
        Map<String, String> in = new LinkedHashMap<>();
        in.put("join.addr", settings.joinAddr());
        in.put("join.token", settings.joinToken());
        in.put("hostname", settings.hostname());
        in.put("advertise.addr", (settings.advertiseAddr() != null ? settings.advertiseAddr()
                : advertiseDefault(settings.remoteApi())).toString());
        in.put("timeout", "PT20S");
        // a worker-only distribution asks to join as a worker: a manager token is refused by the manager
        in.put("worker.only", Boolean.toString(workerOnly));
        Thread current = Thread.currentThread();
        ClassLoader previous = current.getContextClassLoader();
        // not closed: the join client's event loop threads finish shutting down in the background
        // and still load classes from it; it is a few jars, once per daemon
        URLClassLoader loader = new URLClassLoader("swarmlet-join", urls.toArray(new URL[0]),
                JoinStep.class.getClassLoader());
        try {
            current.setContextClassLoader(loader);
            Function<Map<String, String>, Map<String, String>> join =
                    (Function<Map<String, String>, Map<String, String>>) loader.loadClass(ENTRY)
                            .getConstructor().newInstance();
            Map<String, String> out = join.apply(in);
            return new Joined(out.get("node.id"), out.get("cluster.id"), out.get("role"), out.get("key.pem"),
                    out.get("cert.pem"), out.get("root.pem"), out.get("root.key.pem"), out.getOrDefault("managers", ""),
                    out.get("data.key"));
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new StartupException("cannot run the join client from " + bundles + ": " + Daemon.oneLine(e), e);
        } catch (RuntimeException e) {
            // the join client's one-line reason (wrong token, CA digest mismatch, unreachable manager)
            throw new StartupException("cannot join the cluster at " + settings.joinAddr() + ": " + e.getMessage(), e);
        } finally {
            current.setContextClassLoader(previous);
        }
    }

    /** With --listen-remote-api 0.0.0.0:P, other nodes dial this host's address. */
    static HostPort advertiseDefault(HostPort remote) {
        String host = remote.host();
        if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostAddress();
            } catch (IOException e) {
                host = "127.0.0.1";
            }
        }
        return HostPort.parse(host + ":" + remote.port());
    }

    private static URL jar(Path dir, String prefix) {
        try (Stream<Path> s = Files.list(dir)) {
            Path jar = s.filter(p -> p.getFileName().toString().startsWith(prefix)
                            && p.getFileName().toString().endsWith(".jar"))
                    .max(Comparator.naturalOrder())
                    .orElseThrow(() -> new StartupException("no " + prefix + "*.jar in " + dir
                            + "; the distribution is incomplete"));
            return jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new StartupException("bad jar path in " + dir + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new StartupException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Lays out the joined node's state directory (see design/cluster.md). */
    static void write(Path stateDir, Joined j) {
        try {
            Path certs = stateDir.resolve("certificates");
            Files.createDirectories(certs);
            writeFile(certs.resolve("swarm-root-ca.crt"), j.rootPem(), false);
            writeFile(certs.resolve("swarm-node.key"), j.keyPem(), true);
            writeFile(certs.resolve("swarm-node.crt"), j.certPem(), false);
            boolean manager = "manager".equals(j.role());
            if (manager) {
                writeFile(certs.resolve("swarm-root-ca.key"), j.rootKeyPem(), true);
                // the cluster's data key (secrets, autolock): 32 bytes, 0600; see api.security.Keyring
                if (j.dataKey() != null && !j.dataKey().isEmpty()) {
                    writeBytes(certs.resolve("swarm-dek"), java.util.Base64.getDecoder().decode(j.dataKey()), true);
                }
            }
            writeFile(stateDir.resolve("managers"), j.managers(), false);
            if (manager) {
                StringBuilder peers = new StringBuilder("# raft members to join (written at join)\n");
                for (String line : j.managers().split("\n")) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length >= 3) {
                        peers.append("peer.").append(f[0]).append('=').append(f[2]).append('\n');
                    }
                }
                writeFile(stateDir.resolve("raft-join.properties"), peers.toString(), false);
            }
            Properties p = new Properties();
            p.setProperty("node.id", j.nodeId());
            p.setProperty("cluster.id", j.clusterId());
            p.setProperty("role", j.role());
            Path tmp = stateDir.resolve(IDENTITY_FILE + ".tmp");
            try (var out = Files.newOutputStream(tmp)) {
                p.store(out, "Swarmlet node identity: do not edit");
            }
            Files.move(tmp, stateDir.resolve(IDENTITY_FILE), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new StartupException("joined the cluster but cannot write the state dir " + stateDir + ": "
                    + e.getMessage(), e);
        }
    }

    private static void writeFile(Path file, String text, boolean secret) throws IOException {
        writeBytes(file, (text == null ? "" : text).getBytes(StandardCharsets.UTF_8), secret);
    }

    private static void writeBytes(Path file, byte[] bytes, boolean secret) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                secret ? "rw-------" : "rw-r--r--")));
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * The role of the node in {@code stateDir}: the OU of its certificate
     * (demotion and promotion change it at renewal), else the role it joined
     * with ({@code node.properties}); "manager", "worker", or null if unknown.
     */
    static String currentRole(Path stateDir) {
        Path cert = stateDir.resolve("certificates").resolve("swarm-node.crt");
        if (Files.isRegularFile(cert)) {
            try (var in = Files.newInputStream(cert)) {
                var x509 = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                        .generateCertificate(in);
                for (var rdn : new javax.naming.ldap.LdapName(x509.getSubjectX500Principal().getName()).getRdns()) {
                    if ("OU".equalsIgnoreCase(rdn.getType())) {
                        String ou = String.valueOf(rdn.getValue());
                        if (ou.equals("swarm-manager")) {
                            return "manager";
                        }
                        if (ou.equals("swarm-worker")) {
                            return "worker";
                        }
                    }
                }
            } catch (IOException | java.security.GeneralSecurityException | javax.naming.NamingException
                    | RuntimeException e) {
                // fall back to node.properties
            }
        }
        Properties p = new Properties();
        try (var in = Files.newInputStream(stateDir.resolve(IDENTITY_FILE))) {
            p.load(in);
        } catch (IOException e) {
            return null;
        }
        String role = p.getProperty("role");
        return role == null ? "manager" : role.trim(); // written before roles were recorded: a manager
    }

    /** Removes what makes the state directory a member of a cluster (after {@code swarm leave}). */
    static void forget(Path stateDir) throws IOException {
        List<Path> gone = new ArrayList<>(List.of(stateDir.resolve(IDENTITY_FILE), stateDir.resolve("certificates"),
                stateDir.resolve("managers"), stateDir.resolve("raft-join.properties"), stateDir.resolve("raft")));
        try (Stream<Path> s = Files.list(stateDir)) {
            s.filter(p -> p.getFileName().toString().startsWith("raft-old-")).forEach(gone::add);
        }
        for (Path p : gone) {
            deleteTree(p);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(q);
            }
        }
    }
}
