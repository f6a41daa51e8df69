package io.swarmlet.mesh.internal;

import io.swarmlet.api.types.PortConfig;
import java.util.Comparator;

/**
 * What a listener is for: a protocol and a published port, on the node's listen address (an ingress port,
 * {@code vip} empty) or on a service's virtual IP. The order of status reports: ingress ports by protocol then
 * port, then VIP ports by address, protocol, port.
 */
record PortKey(String vip, PortConfig.Protocol protocol, int port) implements Comparable<PortKey> {

    private static final Comparator<PortKey> ORDER = Comparator.comparing((PortKey k) -> !k.vip.isEmpty())
            .thenComparing(PortKey::vip, Addresses::compare)
            .thenComparingInt(k -> k.protocol.getNumber())
            .thenComparingInt(PortKey::port);

    /** An ingress port. */
    PortKey(PortConfig.Protocol protocol, int port) {
        this("", protocol, port);
    }

    @Override
    public int compareTo(PortKey o) {
        return ORDER.compare(this, o);
    }

    boolean isVip() {
        return !vip.isEmpty();
    }

    /** "tcp", "udp" as in "8080/tcp" and Go's listen errors. */
    String protocolName() {
        return protocol.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public String toString() {
        return (vip.isEmpty() ? "" : vip + ":") + port + "/" + protocolName();
    }
}
