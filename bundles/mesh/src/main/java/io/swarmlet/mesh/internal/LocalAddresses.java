package io.swarmlet.mesh.internal;

import java.io.IOException;

/**
 * Makes the addresses the mesh listens on besides the node's own (services' virtual IPs, networks' DNS
 * addresses) local to this host, so that packets to them are delivered to its sockets. {@link LoopbackAddresses}
 * adds them to the loopback device; tests use a fake.
 *
 * <p>Called from the mesh's control threads only (under the mesh's lock).
 */
interface LocalAddresses {

    /**
     * Makes {@code address} (an IPv4 literal) local.
     *
     * @return true if this call added it; false if it was local already (another swarmlet node on this host,
     *         or an earlier run of this one, added it)
     * @throws IOException why it cannot be made local, in words for a listen error ("cannot add 10.0.1.130 to
     *         the loopback device: ... Operation not permitted")
     */
    boolean add(String address) throws IOException;

    /** Makes {@code address}, which {@link #add} added, no longer local; an address already gone is no error. */
    void remove(String address) throws IOException;
}
