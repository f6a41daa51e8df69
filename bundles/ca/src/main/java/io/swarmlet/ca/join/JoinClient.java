package io.swarmlet.ca.join;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.swarmlet.api.grpc.NodeCAGrpc;
import io.swarmlet.api.remote.GetRootCACertificateRequest;
import io.swarmlet.api.remote.IssueNodeCertificateRequest;
import io.swarmlet.api.remote.IssueNodeCertificateResponse;
import io.swarmlet.api.remote.RemoteManager;
import io.swarmlet.api.remote.RenewNodeCertificateRequest;
import io.swarmlet.api.security.NodeCertificates;
import io.swarmlet.api.types.NodeRole;
import io.swarmlet.ca.pki.ClusterTrustManager;
import io.swarmlet.ca.pki.Pki;
import io.swarmlet.ca.pki.StateDir;
import io.swarmlet.grpc.Transports;
import java.net.Socket;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Joins a cluster through one of its managers, as SwarmKit's node does
 * (plain Java: the launcher calls it before the framework starts):
 * <ol>
 * <li>the token is parsed: {@code SWMTKN-1-<digest>-<secret>};</li>
 * <li>the manager's root CA certificate is fetched over TLS that trusts any
 * server ({@code GetRootCACertificate}), and its SHA-256 digest must be the
 * token's, so a node cannot be fooled by a manager of another cluster;</li>
 * <li>a new key and CSR go with the token to {@code IssueNodeCertificate}, over
 * TLS that trusts only that root and only a manager certificate;</li>
 * <li>the answer is checked (certificate for our key, from that root; root key
 * for managers matches the root, a manager also gets the cluster's data key) and returned. Nothing is written anywhere:
 * the caller writes the state dir ({@link JoinResult#writeTo}).</li>
 * </ol>
 * {@link #renew} asks for a new certificate with the current one (mutual TLS).
 * Every failure is a {@link JoinException} with a one-line message that says
 * what to do; tokens and keys never appear in messages.
 */
public final class JoinClient {

    /** Authority of a manager's TLS server: every manager certificate names it. */
    public static final String MANAGER_AUTHORITY = NodeCertificates.MANAGER_OU;

    private static final Pattern TOKEN = Pattern.compile("SWMTKN-1-([0-9a-z]{50})-([0-9a-z]{25})");

    private JoinClient() {}

    /** A join token's parts. */
    public record Token(String caDigest, String secret) {
        @Override
        public String toString() {
            return "SWMTKN-1-" + caDigest + "-<secret>";
        }
    }

    /**
     * What a manager issued: a certificate, and for managers the root key and the
     * cluster's data key (32 bytes; null when the manager sent none, which only an
     * older manager does, and never for workers).
     */
    public record Issued(String nodeId, String clusterId, NodeRole role, String certificatePem, String rootKeyPem,
            List<StateDir.Manager> managers, byte[] dataKey) {
        @Override
        public String toString() {
            return "Issued[nodeId=" + nodeId + ", role=" + role + ", managers=" + managers + "]";
        }
    }

    /**
     * Parses a join token.
     *
     * @throws JoinException "invalid join token format ..." if it is not SWMTKN-1-&lt;50&gt;-&lt;25&gt;
     */
    public static Token parseToken(String token) throws JoinException {
        Matcher m = token == null ? null : TOKEN.matcher(token.trim());
        if (m == null || !m.matches()) {
            throw new JoinException("invalid join token format: expected SWMTKN-1-<50 characters>-<25 characters>;"
                    + " copy the token that 'swarmlet swarm join-token worker|manager' prints on a manager");
        }
        return new Token(m.group(1), m.group(2));
    }

    /**
     * Joins the cluster of the manager at {@code managerAddr} with {@code token}.
     *
     * @param managerAddr host:port of a manager's remote API (--join-addr)
     * @param token the join token (--join-token); it decides the role
     * @param hostname this node's hostname, recorded in its Node object
     * @param advertiseAddr where other nodes reach this node's remote API (host:port)
     * @param timeout for each of the two calls
     * @throws JoinException with a message that says what to do
     */
    public static JoinResult join(String managerAddr, String token, String hostname, String advertiseAddr,
            Duration timeout) throws JoinException {
        return join(managerAddr, token, hostname, advertiseAddr, timeout, false);
    }

    /**
     * As {@link #join(String, String, String, String, Duration)}; with
     * {@code workerOnly} (the worker-only distribution, which has no manager
     * bundles) the manager refuses a manager token and creates nothing.
     */
    public static JoinResult join(String managerAddr, String token, String hostname, String advertiseAddr,
            Duration timeout, boolean workerOnly) throws JoinException {
        Token t = parseToken(token);
        checkAddress(managerAddr);

        // 1. the root CA, over TLS that trusts anyone: the token's digest is what authenticates it
        String rootPem = call(managerAddr, null, new TrustAnything(), timeout,
                s -> s.getRootCACertificate(GetRootCACertificateRequest.getDefaultInstance()).getCertificate());
        X509Certificate root;
        try {
            root = Pki.readCertificate(rootPem);
        } catch (IllegalArgumentException e) {
            throw new JoinException("the manager at " + managerAddr + " sent no valid root CA certificate ("
                    + e.getMessage() + "); check --join-addr");
        }
        String digest = Pki.digest(root);
        if (!digest.equals(t.caDigest())) {
            throw new JoinException("the manager at " + managerAddr + " presented a root CA certificate that does not"
                    + " match the join token (digest " + digest + ", the token has " + t.caDigest()
                    + "); check the token and the manager address");
        }

        // 2. a certificate, over TLS that trusts only that root and only a manager
        KeyPair key = Pki.newKeyPair();
        byte[] csr = Pki.csr(key, hostname);
        IssueNodeCertificateRequest request = IssueNodeCertificateRequest.newBuilder()
                .setCsr(ByteString.copyFrom(csr))
                .setToken(token.trim())
                .setHostname(hostname == null ? "" : hostname)
                .setAdvertiseAddr(advertiseAddr == null ? "" : advertiseAddr)
                .setWorkerOnly(workerOnly)
                .build();
        IssueNodeCertificateResponse response = call(managerAddr, null, ClusterTrustManager.managers(root), timeout,
                s -> s.issueNodeCertificate(request));
        Issued issued = check(managerAddr, response, key.getPublic(), root);
        if (issued.role() == NodeRole.MANAGER && issued.dataKey() == null) {
            throw new JoinException("the manager at " + managerAddr + " sent no data key for this new manager;"
                    + " join through a manager of the same version");
        }
        return new JoinResult(issued.nodeId(), issued.clusterId(), issued.role(), Pki.toPem(key.getPrivate()),
                issued.certificatePem(), Pki.toPem(root), issued.rootKeyPem(), issued.managers(), issued.dataKey());
    }

    /**
     * Renews this node's certificate at the manager at {@code managerAddr}
     * ({@code RenewNodeCertificate}, mutual TLS with the current certificate):
     * the manager signs {@code csr} with the role it wants this node to have.
     *
     * @param keyManager presents the current certificate
     * @param root the cluster's root CA: the manager must hold a manager certificate from it
     * @param csr PKCS#10 (DER) for {@code newKey}
     * @param newKey the CSR's public key (the certificate must be for it)
     * @throws JoinException with a message that says what went wrong
     */
    public static Issued renew(String managerAddr, KeyManager keyManager, X509Certificate root, byte[] csr,
            PublicKey newKey, Duration timeout) throws JoinException {
        checkAddress(managerAddr);
        RenewNodeCertificateRequest request = RenewNodeCertificateRequest.newBuilder().setCsr(ByteString.copyFrom(csr)).build();
        IssueNodeCertificateResponse response = call(managerAddr, keyManager, ClusterTrustManager.managers(root), timeout,
                s -> s.renewNodeCertificate(request));
        return check(managerAddr, response, newKey, root);
    }

    private static void checkAddress(String managerAddr) throws JoinException {
        if (managerAddr == null || managerAddr.isBlank()) {
            throw new JoinException("no manager address; give one with --join-addr host:port");
        }
        java.net.InetSocketAddress a;
        try {
            a = Transports.parseHostPort(managerAddr);
        } catch (IllegalArgumentException e) {
            throw new JoinException("invalid manager address: " + e.getMessage() + " (--join-addr)");
        }
        if (a.isUnresolved()) {
            throw new JoinException("cannot reach the manager at " + managerAddr + ": unknown host " + a.getHostString()
                    + "; check --join-addr");
        }
    }

    private static <R> R call(String addr, KeyManager keyManager, TrustManager trustManager, Duration timeout,
            Function<NodeCAGrpc.NodeCABlockingStub, R> rpc) throws JoinException {
        ManagedChannel channel = Transports.tlsChannel(addr, keyManager, trustManager, MANAGER_AUTHORITY);
        try {
            return rpc.apply(NodeCAGrpc.newBlockingStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (StatusRuntimeException e) {
            throw failure(addr, e, timeout);
        } finally {
            channel.shutdownNow();
            try {
                channel.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One line that says what happened and what to do. */
    static JoinException failure(String addr, StatusRuntimeException e, Duration timeout) {
        Status s = e.getStatus();
        String desc = s.getDescription() == null ? s.getCode().name() : s.getDescription();
        switch (s.getCode()) {
            case UNAVAILABLE:
                if (s.getCause() == null && e.getCause() == null && !desc.startsWith("io exception")) {
                    // the node answered: it cannot issue certificates
                    return new JoinException("the node at " + addr + " cannot issue certificates: " + desc
                            + "; give the address of a manager (--join-addr)", e);
                }
                Throwable tls = find(e, javax.net.ssl.SSLException.class);
                if (tls != null) {
                    return new JoinException("TLS with the manager at " + addr + " failed: " + rootMessage(tls)
                            + "; check --join-addr", e);
                }
                return new JoinException("cannot reach the manager at " + addr + ": " + rootMessage(e)
                        + "; check --join-addr (is swarmletd running there with --listen-remote-api?)", e);
            case DEADLINE_EXCEEDED:
                return new JoinException("cannot reach the manager at " + addr + ": no answer within "
                        + timeout.toSeconds() + " s; check --join-addr", e);
            case PERMISSION_DENIED:
                return new JoinException("the manager at " + addr + " refused: " + desc
                        + "; check --join-token (a rotated token no longer works: 'swarmlet swarm join-token"
                        + " worker|manager' on a manager prints the current one)", e);
            case FAILED_PRECONDITION:
                // the manager's own words say what to do (e.g. a worker-only node with a manager token)
                return new JoinException(desc, e);
            case UNAUTHENTICATED:
                return new JoinException("the manager at " + addr + " did not accept this node's certificate: " + desc, e);
            case UNIMPLEMENTED:
                return new JoinException("the node at " + addr + " serves no certificate authority: is it the remote API"
                        + " address of a swarmletd manager? check --join-addr", e);
            default:
                return new JoinException("the manager at " + addr + " could not issue a certificate: "
                        + s.getCode().name().toLowerCase(Locale.ROOT) + ": " + desc, e);
        }
    }

    private static Issued check(String addr, IssueNodeCertificateResponse r, PublicKey key, X509Certificate root)
            throws JoinException {
        String bad = "the manager at " + addr + " returned an invalid certificate: ";
        X509Certificate cert;
        try {
            cert = Pki.readCertificate(r.getCertificate());
            Pki.verifyIssuedBy(cert, root);
        } catch (IllegalArgumentException | CertificateException e) {
            throw new JoinException(bad + e.getMessage(), e);
        }
        if (!cert.getPublicKey().equals(key)) {
            throw new JoinException(bad + "it is not for this node's key");
        }
        if (r.getNodeId().isEmpty() || !r.getNodeId().equals(NodeCertificates.nodeId(cert))) {
            throw new JoinException(bad + "it does not name node " + r.getNodeId());
        }
        if (NodeCertificates.role(cert) != r.getRole()) {
            throw new JoinException(bad + "its role is not " + NodeCertificates.ou(r.getRole()));
        }
        String rootKey = null;
        if (r.getRole() == NodeRole.MANAGER) {
            try {
                PrivateKey k = Pki.readPrivateKey(r.getRootCaKey());
                if (!Pki.matches(k, root)) {
                    throw new JoinException("the manager at " + addr + " sent a root CA key that does not match the root CA certificate");
                }
            } catch (IllegalArgumentException e) {
                throw new JoinException("the manager at " + addr + " sent no valid root CA key for this new manager");
            }
            rootKey = r.getRootCaKey();
        }
        byte[] dataKey = null;
        if (r.getRole() == NodeRole.MANAGER && !r.getDataKey().isEmpty()) {
            if (r.getDataKey().size() != StateDir.DATA_KEY_BYTES) {
                throw new JoinException("the manager at " + addr + " sent a data key of " + r.getDataKey().size()
                        + " bytes instead of " + StateDir.DATA_KEY_BYTES);
            }
            dataKey = r.getDataKey().toByteArray();
        }
        List<StateDir.Manager> managers = new ArrayList<>();
        for (RemoteManager m : r.getManagersList()) {
            managers.add(new StateDir.Manager(m.getNodeId(), m.getRemoteAddr(), m.getRaftAddr()));
        }
        String clusterId = r.getClusterId().isEmpty() ? NodeCertificates.clusterId(cert) : r.getClusterId();
        return new Issued(r.getNodeId(), clusterId, r.getRole(), r.getCertificate(), rootKey, managers, dataKey);
    }

    private static Throwable find(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return c;
            }
        }
        return null;
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** For the first call only: the root it yields is checked against the token's digest. */
    private static final class TrustAnything extends X509ExtendedTrustManager {
        @Override public void checkClientTrusted(X509Certificate[] c, String a) {}
        @Override public void checkServerTrusted(X509Certificate[] c, String a) {}
        @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) {}
        @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) {}
        @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) {}
        @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) {}
        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }
}
