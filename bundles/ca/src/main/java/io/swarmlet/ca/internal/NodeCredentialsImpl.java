package io.swarmlet.ca.internal;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.security.NodeCertificates;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.ca.join.JoinClient;
import io.swarmlet.ca.join.JoinException;
import io.swarmlet.ca.pki.ClusterTrustManager;
import io.swarmlet.ca.pki.Pki;
import io.swarmlet.ca.pki.RenewableKeyManager;
import io.swarmlet.ca.pki.StateDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * This node's TLS identity from {@code <state-dir>/certificates/}: registered
 * as {@link NodeCredentials} with {@code swarmlet.role} = the role in the
 * current certificate (registered by hand, so the property can change with
 * the role).
 *
 * <p>Bootstrap: with no certificates yet and no {@code role=worker} in
 * node.properties (the first manager, or a state dir of an older build), it
 * makes the cluster's root CA, a manager certificate for this node and the
 * cluster's data key ({@code certificates/swarm-dek}, 0600, 32 random bytes).
 *
 * <p>The data key file of a manager: a manager receives the key with its
 * certificate (join, promotion) and writes it before it takes the manager role
 * (before the service property says manager), unless a file is already there
 * (a wrapped one is never overwritten); a demotion deletes it. A manager that
 * starts without one either fetches it first by renewing its certificate (it
 * joined, {@code raft-join.properties} is still there: the launcher wrote no
 * key) or, a state dir of an older build, gets a new one (with a warning).
 *
 * <p>Renewal: once 2/3 of the certificate's validity has passed (and whenever
 * {@link #renew()} is called, e.g. when the node learns that its role
 * changed) a new key and CSR go to a manager ({@code RenewNodeCertificate},
 * mutual TLS with the current certificate), trying those in
 * {@code <state-dir>/managers} in turn, this node itself last if it is a
 * manager; failures retry with backoff. The new pair is written atomically
 * and swapped into the key manager. A promotion writes the root key and
 * raft-join.properties before the role property turns to manager; a
 * demotion turns the property to worker, then deletes the root key.
 */
@Component(service = {}, immediate = true, configurationPid = NodeCredentialsImpl.PID)
// registered by hand (see activate), so resolvers are told here that this bundle provides it
@org.osgi.annotation.bundle.Capability(namespace = "osgi.service",
        attribute = "objectClass:List<String>=\"io.swarmlet.api.security.NodeCredentials\"", uses = NodeCredentials.class)
@Designate(ocd = NodeCredentialsImpl.Config.class)
public class NodeCredentialsImpl implements NodeCredentials {

    static final String PID = "io.swarmlet.ca.credentials";
    /** swarmletd --cert-expiry: validity of the bootstrap manager's certificate (ISO-8601 duration). */
    static final String CERT_EXPIRY_PROPERTY = "swarmlet.cert.expiry";

    private static final Logger LOG = LogManager.getLogger(NodeCredentialsImpl.class);

    @ObjectClassDefinition(name = "Swarmlet node credentials")
    public @interface Config {
        @AttributeDefinition(description = "Fraction of a certificate's validity after which it is renewed")
        double renewAfterFraction() default 2.0 / 3.0;

        @AttributeDefinition(description = "First delay in milliseconds before a failed renewal is tried again (doubles up to retryMaxMs)")
        long retryMinMs() default 5_000;

        @AttributeDefinition(description = "Longest delay in milliseconds between renewal attempts")
        long retryMaxMs() default 300_000;

        @AttributeDefinition(description = "Timeout in milliseconds of one renewal call to a manager")
        long callTimeoutMs() default 10_000;
    }

    /** What the component runs with; tests set them directly. */
    record Settings(Duration bootstrapExpiry, double renewAfterFraction, Duration retryMin, Duration retryMax,
            Duration callTimeout) {
        static final Settings DEFAULTS = new Settings(Pki.DEFAULT_NODE_VALIDITY, 2.0 / 3.0,
                Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(10));
    }

    private record Identity(String nodeId, String clusterId, NodeRole role, X509Certificate certificate) {}

    @Reference
    private LocalNode local;

    private Settings settings = Settings.DEFAULTS;
    private Consumer<NodeRole> roleListener = r -> {};

    private volatile Identity identity;
    private X509Certificate root;
    private RenewableKeyManager keyManager;
    private ClusterTrustManager trustManager;
    private ClusterTrustManager managerTrustManager;

    private final Object renewLock = new Object();
    private final Object publishLock = new Object();
    private NodeRole published;
    private ScheduledExecutorService timer;
    private ScheduledFuture<?> pending;
    private int failures;
    private ServiceRegistration<NodeCredentials> registration;

    public NodeCredentialsImpl() {}

    /** For tests outside OSGi: {@code roleListener} is told each role change, as the service property is. */
    NodeCredentialsImpl(LocalNode local, Settings settings, Consumer<NodeRole> roleListener) {
        this.local = local;
        this.settings = settings;
        this.roleListener = roleListener;
    }

    @Activate
    void activate(BundleContext context, Config config) {
        Duration expiry = parseDuration(context.getProperty(CERT_EXPIRY_PROPERTY), Pki.DEFAULT_NODE_VALIDITY);
        settings = new Settings(expiry, config.renewAfterFraction(), Duration.ofMillis(config.retryMinMs()),
                Duration.ofMillis(config.retryMaxMs()), Duration.ofMillis(config.callTimeoutMs()));
        start();
        synchronized (publishLock) {
            published = identity.role();
            registration = context.registerService(NodeCredentials.class, this, properties(published));
            roleListener = role -> registration.setProperties(properties(role));
        }
    }

    @Deactivate
    void deactivate() {
        stop();
        synchronized (publishLock) {
            if (registration != null) {
                try {
                    registration.unregister();
                } catch (IllegalStateException alreadyGone) {
                    // the bundle is stopping
                }
                registration = null;
            }
        }
    }

    private static Dictionary<String, Object> properties(NodeRole role) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(ROLE, roleName(role));
        p.put("service.description", "this node's TLS identity");
        return p;
    }

    static String roleName(NodeRole role) {
        return role == NodeRole.MANAGER ? "manager" : "worker";
    }

    /** Loads (or bootstraps) the credentials and starts the renewal timer. */
    void start() {
        try {
            load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read this node's certificates in "
                    + StateDir.certificates(local.stateDir()) + ": " + e.getMessage(), e);
        }
        try {
            ensureDataKey();
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        published = identity.role();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "swarmlet-cert-renewal");
            t.setDaemon(true);
            return t;
        });
        synchronized (renewLock) {
            scheduleRenewal();
        }
    }

    void stop() {
        if (timer != null) {
            timer.shutdownNow();
            try {
                timer.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ load and bootstrap

    private void load() throws IOException {
        Path stateDir = local.stateDir();
        Path dir = StateDir.certificates(stateDir);
        if (Files.isDirectory(dir)) {
            StateDir.recoverNodeCredentials(stateDir);
        }
        if (!Files.exists(dir.resolve(StateDir.NODE_CERT))) {
            bootstrap(stateDir, dir);
        }
        X509Certificate rootCert = Pki.readCertificate(Pki.read(dir.resolve(StateDir.ROOT_CERT)));
        X509Certificate cert = Pki.readCertificate(Pki.read(dir.resolve(StateDir.NODE_CERT)));
        PrivateKey key = Pki.readPrivateKey(Pki.read(dir.resolve(StateDir.NODE_KEY)));
        if (!Pki.matches(key, cert)) {
            throw new IOException(StateDir.NODE_KEY + " is not the key of " + StateDir.NODE_CERT
                    + "; restore both from a backup, or remove the state dir and join again");
        }
        try {
            cert.verify(rootCert.getPublicKey());
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(StateDir.NODE_CERT + " was not issued by " + StateDir.ROOT_CERT
                    + "; restore both from a backup, or remove the state dir and join again");
        }
        String nodeId = NodeCertificates.nodeId(cert);
        if (!local.nodeId().equals(nodeId)) {
            throw new IOException(StateDir.NODE_CERT + " belongs to node " + nodeId + ", but node.properties says this is node "
                    + local.nodeId() + "; the state dir is damaged");
        }
        NodeRole role = NodeCertificates.role(cert);
        if (role == null) {
            throw new IOException(StateDir.NODE_CERT + " names no role (OU)");
        }
        try {
            cert.checkValidity();
        } catch (CertificateException e) {
            LOG.error("this node's certificate is not valid now ({}); renewal will be tried, but a manager may refuse it",
                    e.getMessage());
        }
        root = rootCert;
        keyManager = new RenewableKeyManager(key, cert);
        trustManager = ClusterTrustManager.anyRole(rootCert);
        managerTrustManager = ClusterTrustManager.managers(rootCert);
        identity = new Identity(nodeId, NodeCertificates.clusterId(cert), role, cert);
        LOG.info("node {} of cluster {}: {} certificate valid until {} (root CA digest {})", nodeId, identity.clusterId(),
                NodeCertificates.ou(role), cert.getNotAfter().toInstant(), Pki.digest(rootCert));
    }

    /**
     * A manager needs the data key file before its role is published. One that
     * joined but has none (the launcher wrote no key) asks a manager for it with a
     * renewal; one of an older build's state dir gets a new key.
     */
    private void ensureDataKey() throws IOException {
        Path stateDir = local.stateDir();
        if (identity.role() != NodeRole.MANAGER || Files.exists(StateDir.dataKeyFile(stateDir))) {
            return;
        }
        if (Files.exists(stateDir.resolve(StateDir.RAFT_JOIN))) {
            LOG.info("this new manager has no data key yet: asking a manager for it");
            synchronized (renewLock) {
                try {
                    renewNow();
                } catch (IOException e) {
                    throw new IOException("this new manager has no data key and no manager handed it one ("
                            + e.getMessage() + "); start it again once a manager is reachable", e);
                }
            }
            if (!Files.exists(StateDir.dataKeyFile(stateDir))) {
                throw new IOException("this new manager has no data key and the manager it asked sent none;"
                        + " start it again once a manager of the same version is reachable");
            }
            return;
        }
        LOG.warn("this manager has no data key file ({}), as state dirs of older builds: made a new one; managers"
                + " that joined before this one keep theirs", StateDir.dataKeyFile(stateDir));
        StateDir.writeDataKeyIfAbsent(stateDir, StateDir.newDataKey());
    }

    /**
     * The first manager: a new root CA, a manager certificate for this node (an
     * existing root is reused) and a new data key.
     */
    private void bootstrap(Path stateDir, Path dir) throws IOException {
        String joinedAs = StateDir.readNodeProperties(stateDir).getProperty("role");
        if ("worker".equals(joinedAs)) {
            throw new IOException("this worker has no certificate (" + dir.resolve(StateDir.NODE_CERT)
                    + "); its state dir is incomplete: remove it and join again with --join-addr and --join-token");
        }
        Path rootCertFile = dir.resolve(StateDir.ROOT_CERT);
        Path rootKeyFile = dir.resolve(StateDir.ROOT_KEY);
        X509Certificate rootCert;
        PrivateKey rootKey;
        if (Files.exists(rootCertFile) && Files.exists(rootKeyFile)) {
            // a bootstrap that stopped before writing the node certificate
            rootCert = Pki.readCertificate(Pki.read(rootCertFile));
            rootKey = Pki.readPrivateKey(Pki.read(rootKeyFile));
            if (!Pki.matches(rootKey, rootCert)) {
                throw new IOException(StateDir.ROOT_KEY + " does not match " + StateDir.ROOT_CERT);
            }
        } else if (Files.exists(rootCertFile)) {
            throw new IOException(dir + " holds a root CA certificate but no key and no node certificate;"
                    + " restore the certificates from a backup, or remove the state dir to start a new cluster");
        } else {
            Pki.RootCa ca = Pki.newRootCa();
            rootCert = ca.certificate();
            rootKey = ca.key();
            StateDir.writeRootKey(stateDir, Pki.toPem(rootKey));
            StateDir.writeRootCertificate(stateDir, Pki.toPem(rootCert));
            LOG.info("created the cluster's root CA (digest {})", Pki.digest(rootCert));
        }
        if (StateDir.writeDataKeyIfAbsent(stateDir, StateDir.newDataKey())) {
            LOG.info("created the cluster's data key ({})", StateDir.dataKeyFile(stateDir));
        }
        KeyPair kp = Pki.newKeyPair();
        X509Certificate cert = Pki.issue(kp.getPublic(), rootCert, rootKey, local.nodeId(), NodeRole.MANAGER,
                local.clusterId(), settings.bootstrapExpiry());
        StateDir.writeNodeCredentials(stateDir, Pki.toPem(kp.getPrivate()), Pki.toPem(cert));
    }

    // ------------------------------------------------------------------ renewal

    @Override
    public void renew() throws IOException {
        synchronized (renewLock) {
            try {
                renewNow();
                failures = 0;
            } finally {
                scheduleRenewal();
            }
        }
        publishRole();
    }

    private void renewNow() throws IOException {
        Identity cur = identity;
        List<String> addrs = managerAddresses(cur);
        if (addrs.isEmpty()) {
            throw new IOException("no manager known to renew this node's certificate (" + local.stateDir().resolve(StateDir.MANAGERS)
                    + " is empty)");
        }
        KeyPair kp = Pki.newKeyPair();
        byte[] csr = Pki.csr(kp, cur.nodeId());
        List<String> errors = new ArrayList<>();
        JoinClient.Issued issued = null;
        for (String addr : addrs) {
            try {
                issued = JoinClient.renew(addr, keyManager, root, csr, kp.getPublic(), settings.callTimeout());
                break;
            } catch (JoinException e) {
                LOG.debug("renewal at {} failed: {}", addr, e.getMessage());
                errors.add(e.getMessage());
            }
        }
        if (issued == null) {
            throw new IOException("no manager renewed this node's certificate: " + String.join("; ", errors));
        }
        if (!issued.nodeId().equals(cur.nodeId())) {
            throw new IOException("a manager issued a certificate for node " + issued.nodeId() + " instead of " + cur.nodeId());
        }
        apply(cur, issued, kp);
    }

    /**
     * Writes and swaps in a renewed certificate; on promotion first the root key,
     * the data key (unless a file is there) and raft-join.properties.
     */
    private void apply(Identity cur, JoinClient.Issued issued, KeyPair kp) throws IOException {
        Path stateDir = local.stateDir();
        X509Certificate cert = Pki.readCertificate(issued.certificatePem());
        NodeRole role = issued.role();
        if (role == NodeRole.MANAGER) {
            Path rootKey = StateDir.certificates(stateDir).resolve(StateDir.ROOT_KEY);
            if (cur.role() != NodeRole.MANAGER || !Files.exists(rootKey)) {
                StateDir.writeRootKey(stateDir, issued.rootKeyPem());
            }
            if (issued.dataKey() != null) {
                if (StateDir.writeDataKeyIfAbsent(stateDir, issued.dataKey())) {
                    LOG.info("received the cluster's data key ({})", StateDir.dataKeyFile(stateDir));
                }
                java.util.Arrays.fill(issued.dataKey(), (byte) 0);
            } else if (!Files.exists(StateDir.dataKeyFile(stateDir))) {
                LOG.warn("the manager that issued this manager certificate sent no data key; this manager's store"
                        + " will not start until it has one");
            }
            if (cur.role() != NodeRole.MANAGER) {
                StateDir.writeRaftJoin(stateDir, issued.managers(), cur.nodeId());
            }
        }
        StateDir.writeNodeCredentials(stateDir, Pki.toPem(kp.getPrivate()), issued.certificatePem());
        keyManager.update(kp.getPrivate(), cert);
        identity = new Identity(cur.nodeId(), cur.clusterId(), role, cert);
        if (role != cur.role()) {
            StateDir.writeNodeProperties(stateDir, Map.of("role", roleName(role)));
            LOG.info("this node is now a {} (new certificate valid until {})", roleName(role), cert.getNotAfter().toInstant());
        } else {
            LOG.info("renewed this node's certificate (valid until {})", cert.getNotAfter().toInstant());
        }
    }

    /**
     * Makes the service property say the role of the current certificate;
     * after a demotion, then deletes the root key and the data key.
     */
    private void publishRole() throws IOException {
        synchronized (publishLock) {
            NodeRole role = identity.role();
            if (role == published) {
                return;
            }
            roleListener.accept(role);
            published = role;
            if (role == NodeRole.WORKER) {
                Files.deleteIfExists(StateDir.certificates(local.stateDir()).resolve(StateDir.ROOT_KEY));
                Files.deleteIfExists(StateDir.dataKeyFile(local.stateDir()));
            }
        }
    }

    /** The managers to ask, in order: those in the managers file, then this node itself if it is a manager. */
    private List<String> managerAddresses(Identity cur) throws IOException {
        String self = local.advertiseAddr();
        Set<String> addrs = new LinkedHashSet<>();
        for (StateDir.Manager m : StateDir.readManagers(local.stateDir())) {
            if (!m.nodeId().equals(cur.nodeId()) && !m.remoteAddr().equals(self)) {
                addrs.add(m.remoteAddr());
            }
        }
        if (cur.role() == NodeRole.MANAGER && self != null && !self.isBlank()) {
            addrs.add(self);
        }
        return new ArrayList<>(addrs);
    }

    /** Caller holds renewLock. */
    private void scheduleRenewal() {
        if (timer == null || timer.isShutdown()) {
            return;
        }
        if (pending != null) {
            pending.cancel(false);
        }
        long delay = Math.max(0, renewalTime(identity.certificate(), settings.renewAfterFraction()).toEpochMilli()
                - System.currentTimeMillis());
        if (failures > 0) {
            long backoff = settings.retryMin().toMillis() << Math.min(failures - 1, 20);
            delay = Math.max(delay, Math.min(backoff, settings.retryMax().toMillis()));
        }
        pending = timer.schedule(this::renewOnTimer, delay, TimeUnit.MILLISECONDS);
        LOG.debug("next certificate renewal in {} ms", delay);
    }

    /**
     * When a certificate is due for renewal: after {@code fraction} of its
     * validity, counted from when it was issued (its start is backdated by
     * {@link Pki#BACKDATE}, which would make short-lived certificates due at once).
     */
    static Instant renewalTime(X509Certificate cert, double fraction) {
        Instant to = cert.getNotAfter().toInstant();
        Instant from = cert.getNotBefore().toInstant().plus(Pki.BACKDATE);
        if (from.isAfter(to)) {
            from = cert.getNotBefore().toInstant();
        }
        return from.plusMillis((long) ((to.toEpochMilli() - from.toEpochMilli()) * fraction));
    }

    private void renewOnTimer() {
        try {
            renew();
        } catch (IOException | RuntimeException e) {
            synchronized (renewLock) {
                failures++;
                scheduleRenewal();
            }
            LOG.warn("certificate renewal failed (attempt {}), trying again later: {}", failures, e.getMessage());
        }
    }

    // ------------------------------------------------------------------ NodeCredentials

    @Override
    public String nodeId() {
        return identity.nodeId();
    }

    @Override
    public String clusterId() {
        return identity.clusterId();
    }

    @Override
    public NodeRole role() {
        return identity.role();
    }

    @Override
    public X509Certificate certificate() {
        return identity.certificate();
    }

    @Override
    public X509Certificate rootCertificate() {
        return root;
    }

    @Override
    public X509ExtendedKeyManager keyManager() {
        return keyManager;
    }

    @Override
    public X509TrustManager trustManager() {
        return trustManager;
    }

    @Override
    public X509TrustManager managerTrustManager() {
        return managerTrustManager;
    }

    static Duration parseDuration(String value, Duration fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            Duration d = Duration.parse(value.trim());
            if (d.isNegative() || d.isZero()) {
                LOG.warn("ignoring {}={}: not a positive duration", CERT_EXPIRY_PROPERTY, value);
                return fallback;
            }
            return d;
        } catch (java.time.format.DateTimeParseException e) {
            LOG.warn("ignoring {}={}: not an ISO-8601 duration", CERT_EXPIRY_PROPERTY, value);
            return fallback;
        }
    }
}
