package io.swarmlet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HostPortTest {

    @Test
    void parsesHostAndPort() {
        HostPort hp = HostPort.parse("0.0.0.0:4242");
        assertEquals("0.0.0.0", hp.host());
        assertEquals(4242, hp.port());
        assertEquals("0.0.0.0:4243", hp.withPort(4243).toString());
    }

    @Test
    void parsesIpv6() {
        assertEquals("[::1]", HostPort.parse("[::1]:80").host());
        assertEquals(80, HostPort.parse("[::1]:80").port());
        assertEquals("[fe80::1]:4242", HostPort.parse("fe80::1", 4242).toString());
        assertEquals("[::1]:7", HostPort.parse("[::1]", 7).toString());
    }

    @Test
    void defaultPortWhenMissing() {
        assertEquals("node1:4242", HostPort.parse("node1", 4242).toString());
        assertEquals("node1", HostPort.parse("node1", HostPort.NO_PORT).toString());
        assertEquals("node1:9", HostPort.parse("node1:9", 4242).toString());
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("localhost"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse(":4242"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h:"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h:-1"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h:65536"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("[::1"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("[::1]x"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse(" "));
    }
}
