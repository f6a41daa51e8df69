package io.swarmlet.lb.internal;

import io.swarmlet.spi.lb.LoadBalancer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * Sticky by client IP (the port is ignored, so a client's successive
 * connections agree): rendezvous hashing. Every backend gets a score from a
 * hash of (client IP, backend address and port) and the highest score wins.
 * While the backend set is unchanged a client always lands on the same
 * backend; when a backend leaves only its clients move, and when one joins
 * only about 1/n of the clients move to it. The hash is deterministic, so
 * every node's mesh sends a given client to the same backend.
 *
 * <p>A retry passes the list without the refusing backend: the client goes to
 * its second choice, as it would if that backend had left.
 */
@Component(property = LoadBalancer.NAME + "=" + SourceHash.NAME)
public final class SourceHash implements LoadBalancer {

    static final String NAME = "source-hash";

    @Override
    public InetSocketAddress pick(String serviceId, List<InetSocketAddress> backends, InetSocketAddress client) {
        if (backends.isEmpty()) {
            return null;
        }
        long key = clientKey(client);
        InetSocketAddress best = null;
        long bestScore = 0;
        for (InetSocketAddress b : backends) {
            long score = mix(key ^ backendKey(b));
            if (best == null || Long.compareUnsigned(score, bestScore) > 0) {
                best = b;
                bestScore = score;
            }
        }
        return best;
    }

    private static long clientKey(InetSocketAddress client) {
        if (client == null) {
            return 0;
        }
        InetAddress ip = client.getAddress();
        return ip != null ? fnv(ip.getAddress(), 0) : fnv(client.getHostString().getBytes(StandardCharsets.UTF_8), 0);
    }

    private static long backendKey(InetSocketAddress backend) {
        InetAddress ip = backend.getAddress();
        byte[] host = ip != null ? ip.getAddress() : backend.getHostString().getBytes(StandardCharsets.UTF_8);
        return mix(fnv(host, backend.getPort()) + 0x9E3779B97F4A7C15L);
    }

    /** FNV-1a over the bytes and a port. */
    private static long fnv(byte[] bytes, int port) {
        long h = 0xcbf29ce484222325L;
        for (byte x : bytes) {
            h = (h ^ (x & 0xff)) * 0x100000001b3L;
        }
        h = (h ^ (port & 0xff)) * 0x100000001b3L;
        h = (h ^ ((port >>> 8) & 0xff)) * 0x100000001b3L;
        return h;
    }

    /** The 64-bit finaliser of MurmurHash3: spreads every input bit over the whole score. */
    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb93fe53e1a85L;
        h ^= h >>> 33;
        return h;
    }
}
