package io.swarmlet.ca.pki;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The files of a node's state directory that carry its TLS identity and what
 * it needs to find the managers (the layout every bundle and the launcher
 * share):
 * <pre>
 * node.properties                    node.id, cluster.id, role=manager|worker
 * certificates/swarm-root-ca.crt     root CA certificate (PEM), every node
 * certificates/swarm-root-ca.key     root CA key (PKCS#8 PEM), managers only, 0600
 * certificates/swarm-node.crt        this node's certificate (PEM)
 * certificates/swarm-node.key        this node's key (PKCS#8 PEM), 0600
 * certificates/swarm-dek             the cluster's data key, managers only, 0600: 32 bytes in clear, or
 *                                    wrapped by the autolock unlock key (the secrets bundle's format)
 * managers                           "&lt;nodeId&gt; &lt;remoteAddr&gt; &lt;raftAddr&gt;" per line (or just an address)
 * raft-join.properties               peer.&lt;nodeId&gt;=&lt;raftAddr&gt;: the Raft group a new manager joins
 * </pre>
 * Every write is atomic (temporary file, then a rename); key files are 0600.
 */
public final class StateDir {

    public static final String NODE_PROPERTIES = "node.properties";
    public static final String CERTIFICATES = "certificates";
    public static final String ROOT_CERT = "swarm-root-ca.crt";
    public static final String ROOT_KEY = "swarm-root-ca.key";
    public static final String NODE_CERT = "swarm-node.crt";
    public static final String NODE_KEY = "swarm-node.key";
    /** The data key file ({@link io.swarmlet.api.security.Keyring#DATA_KEY_FILE}). */
    public static final String DATA_KEY = io.swarmlet.api.security.Keyring.DATA_KEY_FILE;
    /** Bytes of a data key in clear (a file of any other size holds a wrapped one). */
    public static final int DATA_KEY_BYTES = 32;
    public static final String MANAGERS = "managers";
    public static final String RAFT_JOIN = "raft-join.properties";

    /** Where a new node certificate waits while its key replaces the old one (see {@link #writeNodeCredentials}). */
    static final String NODE_CERT_NEW = NODE_CERT + ".new";

    private StateDir() {}

    /** A manager as other nodes reach it. */
    public record Manager(String nodeId, String remoteAddr, String raftAddr) {}

    public static Path certificates(Path stateDir) {
        return stateDir.resolve(CERTIFICATES);
    }

    /** Writes the root CA certificate (PEM). */
    public static void writeRootCertificate(Path stateDir, String pem) throws IOException {
        Pki.writeFile(certificates(stateDir).resolve(ROOT_CERT), pem);
    }

    /** Writes the root CA key (PEM), 0600. Managers only. */
    public static void writeRootKey(Path stateDir, String pem) throws IOException {
        Pki.writeKeyFile(certificates(stateDir).resolve(ROOT_KEY), pem);
    }

    public static Path dataKeyFile(Path stateDir) {
        return certificates(stateDir).resolve(DATA_KEY);
    }

    /**
     * Writes the cluster's data key in clear (0600, atomically) unless the file
     * already exists: one that is there, perhaps wrapped by the autolock unlock
     * key, is never overwritten.
     *
     * @return whether it was written
     */
    public static boolean writeDataKeyIfAbsent(Path stateDir, byte[] key) throws IOException {
        if (key == null || key.length != DATA_KEY_BYTES) {
            throw new IllegalArgumentException("a data key has " + DATA_KEY_BYTES + " bytes");
        }
        Path file = dataKeyFile(stateDir);
        if (Files.exists(file)) {
            return false;
        }
        Pki.writeKeyFile(file, key);
        return true;
    }

    /** A new random data key (256 bits). */
    public static byte[] newDataKey() {
        byte[] key = new byte[DATA_KEY_BYTES];
        new java.security.SecureRandom().nextBytes(key);
        return key;
    }

    /**
     * Replaces this node's key (0600) and certificate so that a crash at any
     * point leaves a pair that {@link #recoverNodeCredentials} makes whole:
     * the certificate is written aside first, then the key, then the
     * certificate is moved into place.
     */
    public static void writeNodeCredentials(Path stateDir, String keyPem, String certPem) throws IOException {
        Path dir = certificates(stateDir);
        Pki.writeFile(dir.resolve(NODE_CERT_NEW), certPem);
        Pki.writeKeyFile(dir.resolve(NODE_KEY), keyPem);
        Files.move(dir.resolve(NODE_CERT_NEW), dir.resolve(NODE_CERT),
                StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Finishes a {@link #writeNodeCredentials} that a crash interrupted: keeps
     * whichever certificate matches the key on disk.
     */
    public static void recoverNodeCredentials(Path stateDir) throws IOException {
        Path dir = certificates(stateDir);
        Path pending = dir.resolve(NODE_CERT_NEW);
        if (!Files.exists(pending)) {
            return;
        }
        Path keyFile = dir.resolve(NODE_KEY);
        Path certFile = dir.resolve(NODE_CERT);
        try {
            if (Files.exists(keyFile) && Pki.matches(Pki.readPrivateKey(Pki.read(keyFile)), Pki.readCertificate(Pki.read(pending)))) {
                Files.move(pending, certFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return;
            }
        } catch (IllegalArgumentException e) {
            // a damaged pending certificate: the old pair stays
        }
        Files.deleteIfExists(pending);
    }

    /** The managers file, or an empty list if there is none. Lines are "nodeId remoteAddr raftAddr" or "addr". */
    public static List<Manager> readManagers(Path stateDir) throws IOException {
        Path file = stateDir.resolve(MANAGERS);
        List<Manager> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        for (String line : Files.readAllLines(file)) {
            String l = line.trim();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.split("\\s+");
            if (f.length == 1) {
                out.add(new Manager("", f[0], ""));
            } else {
                out.add(new Manager(f[0], f[1], f.length > 2 ? f[2] : ""));
            }
        }
        return out;
    }

    /** Writes the managers file ("nodeId remoteAddr raftAddr" per line; managers without a remote address are left out). */
    public static void writeManagers(Path stateDir, List<Manager> managers) throws IOException {
        Pki.writeFile(stateDir.resolve(MANAGERS), managersFileContent(managers));
    }

    /** The managers file's text for these managers. */
    public static String managersFileContent(List<Manager> managers) {
        StringBuilder b = new StringBuilder();
        for (Manager m : managers) {
            if (m.remoteAddr() == null || m.remoteAddr().isBlank()) {
                continue;
            }
            b.append(m.nodeId().isBlank() ? "-" : m.nodeId()).append(' ').append(m.remoteAddr());
            if (m.raftAddr() != null && !m.raftAddr().isBlank()) {
                b.append(' ').append(m.raftAddr());
            }
            b.append('\n');
        }
        return b.toString();
    }

    /**
     * Writes raft-join.properties: {@code peer.<nodeId>=<raftAddr>} for each
     * manager but {@code selfId} that has a Raft address.
     */
    public static void writeRaftJoin(Path stateDir, List<Manager> managers, String selfId) throws IOException {
        Map<String, String> peers = new TreeMap<>();
        for (Manager m : managers) {
            if (!m.nodeId().isBlank() && !m.nodeId().equals(selfId) && m.raftAddr() != null && !m.raftAddr().isBlank()) {
                peers.put(m.nodeId(), m.raftAddr());
            }
        }
        StringBuilder b = new StringBuilder("# the Raft group this manager joins (written at join or promotion; removed once joined)\n");
        peers.forEach((id, addr) -> b.append("peer.").append(id).append('=').append(addr).append('\n'));
        Pki.writeFile(stateDir.resolve(RAFT_JOIN), b.toString());
    }

    /** node.properties (empty if there is none). */
    public static Properties readNodeProperties(Path stateDir) throws IOException {
        Properties p = new Properties();
        Path file = stateDir.resolve(NODE_PROPERTIES);
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
        }
        return p;
    }

    /** Writes node.properties with these values (keeping any others it has). */
    public static void writeNodeProperties(Path stateDir, Map<String, String> values) throws IOException {
        Properties p = readNodeProperties(stateDir);
        values.forEach(p::setProperty);
        StringWriter out = new StringWriter();
        p.store(out, "Swarmlet node identity: do not edit");
        // Properties.store escapes non-ASCII characters: the text is ASCII, as Pki.writeFile writes it
        Pki.writeFile(stateDir.resolve(NODE_PROPERTIES), out.toString());
    }
}
