package io.swarmlet.ca.pki;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents this node's newest key and certificate, for client and server
 * handshakes alike. {@link #update} swaps them under running servers and
 * channels: the next handshake uses the new pair. Each pair gets a new alias,
 * so a handshake that chose the old alias just before a swap still gets a
 * matching key and chain (the previous pair is kept for that), and no cache
 * keyed by alias can serve a stale one.
 */
public final class RenewableKeyManager extends X509ExtendedKeyManager {

    private record Entry(String alias, PrivateKey key, X509Certificate[] chain) {}

    private final AtomicLong generation = new AtomicLong();
    private final AtomicReference<Entry> current = new AtomicReference<>();
    private volatile Entry previous;

    public RenewableKeyManager(PrivateKey key, X509Certificate... chain) {
        update(key, chain);
    }

    /** From now on, handshakes present this key and chain (leaf first). */
    public void update(PrivateKey key, X509Certificate... chain) {
        if (key == null || chain == null || chain.length == 0) {
            throw new IllegalArgumentException("a key and a certificate chain are needed");
        }
        Entry next = new Entry("swarm-node-" + generation.incrementAndGet(), key, chain.clone());
        previous = current.getAndSet(next);
    }

    /** The certificate handshakes present now. */
    public X509Certificate certificate() {
        return current.get().chain[0];
    }

    private Entry byAlias(String alias) {
        Entry c = current.get();
        if (c.alias.equals(alias)) {
            return c;
        }
        Entry p = previous;
        return p != null && p.alias.equals(alias) ? p : null;
    }

    private String aliasFor(String keyType) {
        Entry c = current.get();
        return keyType == null || matchesType(keyType, c.key.getAlgorithm()) ? c.alias : null;
    }

    private String aliasFor(String[] keyTypes) {
        if (keyTypes == null) {
            return current.get().alias;
        }
        for (String t : keyTypes) {
            String a = aliasFor(t);
            if (a != null) {
                return a;
            }
        }
        return null;
    }

    /** JSSE asks for "EC"; older cipher suites for "EC_EC" / "EC_RSA" (key type, then signer's). */
    static boolean matchesType(String keyType, String algorithm) {
        return keyType.equalsIgnoreCase(algorithm) || keyType.toUpperCase().startsWith(algorithm.toUpperCase() + "_");
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        String a = aliasFor(keyType);
        return a == null ? null : new String[] {a};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return aliasFor(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        String a = aliasFor(keyType);
        return a == null ? null : new String[] {a};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return aliasFor(keyType);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyType);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyType);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Entry e = byAlias(alias);
        return e == null ? null : e.chain.clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Entry e = byAlias(alias);
        return e == null ? null : e.key;
    }
}
