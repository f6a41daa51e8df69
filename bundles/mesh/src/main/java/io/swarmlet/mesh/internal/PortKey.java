package io.swarmlet.mesh.internal;

import io.swarmlet.api.types.PortConfig;
import java.util.Comparator;

/** What a listener is for: a protocol and a published port (the order of status reports). */
record PortKey(PortConfig.Protocol protocol, int port) implements Comparable<PortKey> {

    private static final Comparator<PortKey> ORDER =
            Comparator.comparingInt((PortKey k) -> k.protocol.getNumber()).thenComparingInt(PortKey::port);

    @Override
    public int compareTo(PortKey o) {
        return ORDER.compare(this, o);
    }

    /** "tcp", "udp" as in "8080/tcp" and Go's listen errors. */
    String protocolName() {
        return protocol.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public String toString() {
        return port + "/" + protocolName();
    }
}
