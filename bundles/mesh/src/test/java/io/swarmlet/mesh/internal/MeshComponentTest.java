package io.swarmlet.mesh.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class MeshComponentTest {

    @Test
    void listensOnTheRemoteApiHostUnlessConfigured() throws Exception {
        assertEquals(InetAddress.getByName("127.0.0.2"), MeshComponent.listenHost("", "127.0.0.2:4242"));
        assertEquals(InetAddress.getByName("::1"), MeshComponent.listenHost("", "[::1]:4242"));
        assertEquals(InetAddress.getByName("127.0.0.3"), MeshComponent.listenHost("127.0.0.3", "127.0.0.2:4242"));
        assertNull(MeshComponent.listenHost("", "0.0.0.0:4242"));
        assertNull(MeshComponent.listenHost("", ":4242"));
        assertNull(MeshComponent.listenHost("", null));
        assertNull(MeshComponent.listenHost("*", "127.0.0.2:4242"));
        assertNull(MeshComponent.listenHost("0.0.0.0", "127.0.0.2:4242"));
        assertThrows(IllegalArgumentException.class, () -> MeshComponent.listenHost("no-such-host.invalid", null));
    }

    @Test
    void listenErrorsReadLikeGos() {
        assertEquals("address already in use",
                Listener.describe(new java.net.BindException("bind(..) failed: Address already in use")));
        assertEquals("address already in use", Listener.describe(new java.net.BindException("Address already in use")));
        assertEquals("cannot assign requested address",
                Listener.describe(new java.net.BindException("Cannot assign requested address")));
    }
}
