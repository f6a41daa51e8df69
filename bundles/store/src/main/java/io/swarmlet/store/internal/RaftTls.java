package io.swarmlet.store.internal;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslProvider;

/**
 * The mutual TLS of the Raft transport: this manager's key manager (which
 * always presents its newest node certificate) and a trust manager that
 * accepts only manager certificates of the cluster's root CA
 * ({@code NodeCredentials.managerTrustManager()}). Every Raft connection,
 * server to server and client to server, presents a certificate and checks the
 * other side's.
 *
 * <p>Peers are authenticated by their certificate, not by host name: a Raft
 * peer is dialled at the address in the group configuration (an IP and port),
 * while node certificates name the node ID and role. gRPC asks the TLS engine
 * to check the host name, so the given trust manager is wrapped in an
 * {@link X509ExtendedTrustManager} that checks the chain (root CA, manager
 * role) and nothing else; the JDK adds no host name check of its own to an
 * extended trust manager.
 *
 * <p>Netty runs on the JDK's TLS (its OpenSSL binding is not in the bundle).
 */
record RaftTls(KeyManager keyManager, X509TrustManager trustManager) {

    RaftTls {
        Objects.requireNonNull(keyManager, "keyManager");
        Objects.requireNonNull(trustManager, "trustManager");
    }

    /** The Ratis TLS configuration for the server, its peer connections and the store's clients. */
    GrpcTlsConfig grpc() {
        return GrpcTlsConfig.newBuilder()
                .setName("swarmlet-raft")
                .setKeyManager(keyManager)
                .setTrustManager(new ChainOnly(trustManager))
                .setMutualTls(true)
                .setSslProvider(SslProvider.JDK)
                .build();
    }

    /** Checks certificate chains with the delegate, without host name verification. */
    static final class ChainOnly extends X509ExtendedTrustManager {

        private final X509TrustManager delegate;

        ChainOnly(X509TrustManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }
}
