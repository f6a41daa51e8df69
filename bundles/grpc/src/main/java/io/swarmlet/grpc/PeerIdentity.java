package io.swarmlet.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Puts the caller's verified TLS client certificate (null without one) into
 * the call's {@link Context}; {@link Transports#serveTls} installs it on every
 * service. Services read it with {@link #current()}.
 */
public final class PeerIdentity implements ServerInterceptor {

    /** The caller's client certificate, verified by the server's trust manager; null if it sent none. */
    public static final Context.Key<X509Certificate> CERTIFICATE = Context.key("swarmlet-peer-certificate");

    /** The current call's client certificate, or null. */
    public static X509Certificate current() {
        return CERTIFICATE.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        X509Certificate peer = null;
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session != null) {
            try {
                Certificate[] chain = session.getPeerCertificates();
                if (chain.length > 0 && chain[0] instanceof X509Certificate x) {
                    peer = x;
                }
            } catch (SSLPeerUnverifiedException e) {
                peer = null; // no client certificate
            }
        }
        return Contexts.interceptCall(Context.current().withValue(CERTIFICATE, peer), call, headers, next);
    }
}
