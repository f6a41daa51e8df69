package io.swarmlet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.PortConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FlagValuesTest {

    private static void assertRefused(Runnable parse, String messagePart) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, parse::run);
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }

    @Test
    void durationsLikeGo() {
        assertEquals(0, FlagValues.durationMillis("0"));
        assertEquals(5_000, FlagValues.durationMillis("5s"));
        assertEquals(90_000, FlagValues.durationMillis("1m30s"));
        assertEquals(500, FlagValues.durationMillis("500ms"));
        assertEquals(5_400_000, FlagValues.durationMillis("1.5h"));
        assertEquals(3_723_500, FlagValues.durationMillis("1h2m3.5s"));
        assertEquals(1, FlagValues.durationMillis("1000us"));
        assertEquals(0, FlagValues.durationMillis("999999ns"), "rounded down to whole milliseconds");
        assertEquals(2, FlagValues.durationMillis("2000µs"));
        assertEquals(250, FlagValues.durationMillis(".25s"));
        assertEquals(10_000, FlagValues.durationMillis("+10s"));
    }

    @Test
    void badDurations() {
        assertRefused(() -> FlagValues.durationMillis("5"), "missing unit");
        assertRefused(() -> FlagValues.durationMillis("-5s"), "must not be negative");
        assertRefused(() -> FlagValues.durationMillis("5x"), "invalid duration \"5x\"");
        assertRefused(() -> FlagValues.durationMillis("s"), "invalid duration");
        assertRefused(() -> FlagValues.durationMillis("1m30"), "missing unit");
        assertRefused(() -> FlagValues.durationMillis(""), "empty duration");
        assertRefused(() -> FlagValues.durationMillis("5 s"), "invalid duration");
    }

    @Test
    void memorySizesInBinaryUnits() {
        assertEquals(64L << 20, FlagValues.memoryBytes("64M"));
        assertEquals(64L << 20, FlagValues.memoryBytes("64m"));
        assertEquals(64L << 20, FlagValues.memoryBytes("64MiB"));
        assertEquals(64L << 20, FlagValues.memoryBytes("64mb"));
        assertEquals(1L << 30, FlagValues.memoryBytes("1g"));
        assertEquals(3L << 29, FlagValues.memoryBytes("1.5GiB"));
        assertEquals(512, FlagValues.memoryBytes("512"));
        assertEquals(512, FlagValues.memoryBytes("512b"));
        assertEquals(2048, FlagValues.memoryBytes("2k"));
        assertRefused(() -> FlagValues.memoryBytes("64Q"), "invalid size \"64Q\"");
        assertRefused(() -> FlagValues.memoryBytes("-1m"), "invalid size");
        assertRefused(() -> FlagValues.memoryBytes("lots"), "invalid size");
        assertRefused(() -> FlagValues.memoryBytes("99999999999P"), "too large");
    }

    @Test
    void cpusAsNanoCpus() {
        assertEquals(500_000_000L, FlagValues.nanoCpus("0.5"));
        assertEquals(2_000_000_000L, FlagValues.nanoCpus("2"));
        assertEquals(1_250_000_000L, FlagValues.nanoCpus("1.25"));
        assertEquals(1, FlagValues.nanoCpus("0.000000001"));
        assertRefused(() -> FlagValues.nanoCpus("0.0000000001"), "too precise");
        assertRefused(() -> FlagValues.nanoCpus("-1"), "must not be negative");
        assertRefused(() -> FlagValues.nanoCpus("half"), "invalid CPUs \"half\"");
    }

    @Test
    void unsignedAndRatios() {
        assertEquals(3, FlagValues.unsigned("3"));
        assertEquals(0, FlagValues.unsigned("0"));
        assertRefused(() -> FlagValues.unsigned("-1"), "not a whole number of 0 or more");
        assertRefused(() -> FlagValues.unsigned("two"), "not a whole number");
        assertEquals(0.25f, FlagValues.ratio("0.25"));
        assertRefused(() -> FlagValues.ratio("1.5"), "between 0 and 1");
    }

    private static PortConfig port(int published, int target, PortConfig.Protocol proto, PortConfig.PublishMode mode) {
        return PortConfig.newBuilder().setPublishedPort(published).setTargetPort(target).setProtocol(proto).setPublishMode(mode).build();
    }

    @Test
    void publishShortSyntax() {
        PortConfig.Protocol tcp = PortConfig.Protocol.TCP;
        PortConfig.PublishMode ingress = PortConfig.PublishMode.INGRESS;
        assertEquals(List.of(port(8080, 80, tcp, ingress)), FlagValues.ports("8080:80"));
        assertEquals(List.of(port(53, 53, PortConfig.Protocol.UDP, ingress)), FlagValues.ports("53:53/udp"));
        assertEquals(List.of(port(0, 80, tcp, ingress)), FlagValues.ports("80"), "published 0: the cluster chooses");
        assertEquals(List.of(port(8080, 80, tcp, ingress), port(8081, 81, tcp, ingress)), FlagValues.ports("8080-8081:80-81"));
        assertEquals(List.of(port(8080, 80, tcp, ingress), port(8081, 80, tcp, ingress)), FlagValues.ports("8080-8081:80"));
        assertRefused(() -> FlagValues.ports("127.0.0.1:8080:80"), "host IP is not supported");
        assertRefused(() -> FlagValues.ports("8080:80/icmp"), "invalid protocol 'icmp'");
        assertRefused(() -> FlagValues.ports("8080:http"), "invalid port 'http'");
        assertRefused(() -> FlagValues.ports("8080:70000"), "1 to 65535");
        assertRefused(() -> FlagValues.ports("8080-8082:80-81"), "ranges differ in size");
        assertRefused(() -> FlagValues.ports(""), "invalid port");
    }

    @Test
    void publishLongSyntax() {
        assertEquals(List.of(port(8080, 80, PortConfig.Protocol.UDP, PortConfig.PublishMode.HOST)),
                FlagValues.ports("mode=host,target=80,published=8080,protocol=udp"));
        assertEquals(List.of(port(0, 443, PortConfig.Protocol.TCP, PortConfig.PublishMode.INGRESS)),
                FlagValues.ports("target=443"));
        assertRefused(() -> FlagValues.ports("published=8080"), "missing mandatory field 'target'");
        assertRefused(() -> FlagValues.ports("mode=bridge,target=80"), "invalid publish mode 'bridge'");
        assertRefused(() -> FlagValues.ports("target=80,colour=red"), "invalid field key 'colour'");
    }

    @Test
    void mounts() {
        assertEquals(Mount.newBuilder().setType(Mount.Type.BIND).setSource("/srv/data").setTarget("/data").setReadOnly(true).build(),
                FlagValues.mount("type=bind,source=/srv/data,target=/data,readonly"));
        assertEquals(Mount.newBuilder().setType(Mount.Type.VOLUME).setSource("cache").setTarget("/cache").build(),
                FlagValues.mount("src=cache,dst=/cache"), "volume is the default type");
        assertEquals(Mount.newBuilder().setType(Mount.Type.TMPFS).setTarget("/tmp").build(),
                FlagValues.mount("type=tmpfs,destination=/tmp,ro=false"));
        assertEquals(Path.of("rel").toAbsolutePath().toString(),
                FlagValues.mount("type=bind,source=./rel,target=/x").getSource(), "a relative bind source is made absolute");
        assertEquals("/a,b", FlagValues.mount("type=bind,\"source=/a,b\",target=/x").getSource(), "CSV quoting");
        assertRefused(() -> FlagValues.mount("type=bind,target=/x"), "a bind mount needs a source");
        assertRefused(() -> FlagValues.mount("source=vol"), "target is required");
        assertRefused(() -> FlagValues.mount("type=nfs,target=/x"), "invalid mount type 'nfs'");
        assertRefused(() -> FlagValues.mount("type=volume,target=/x,volume-driver=local"), "not supported by swarmlet");
        assertRefused(() -> FlagValues.mount("type=volume,target=/x,colour=red"), "unknown option 'colour'");
        assertRefused(() -> FlagValues.mount("type=tmpfs,source=x,target=/x"), "takes no source");
        assertRefused(() -> FlagValues.mount("target"), "must be a key=value pair");
        assertRefused(() -> FlagValues.mount("target=/x,readonly=maybe"), "invalid value for readonly");
    }

    @Test
    void shellWords() {
        assertEquals(List.of("sh", "-c", "echo hi there"), FlagValues.shellWords("sh -c 'echo hi there'"));
        assertEquals(List.of("a b", "c\"d", "e f"), FlagValues.shellWords("\"a b\" c\\\"d e\\ f"));
        assertEquals(List.of(), FlagValues.shellWords("   "));
        assertEquals(List.of(""), FlagValues.shellWords("''"));
        assertRefused(() -> FlagValues.shellWords("echo 'oops"), "unterminated quote");
    }

    @Test
    void labelsAndEnv() {
        assertEquals(Map.of("a", "1", "flag", "", "b", "x=y"), FlagValues.labels(List.of("a=1", "flag", "b=x=y"), "label"));
        assertRefused(() -> FlagValues.labels(List.of("=x"), "label"), "invalid label '=x'");
        assertEquals(List.of("B=2", "A=3", "HOME=/home/me", "UNSET"),
                FlagValues.env(List.of("A=1", "B=2", "A=3", "HOME", "UNSET"), k -> k.equals("HOME") ? "/home/me" : null),
                "a later value replaces an earlier one; a bare name takes the client's value");
        assertRefused(() -> FlagValues.env(List.of("=1"), k -> null), "invalid environment variable '=1'");
    }

    @Test
    void networksAndHosts() {
        assertEquals("backend", FlagValues.network(" backend ").getTarget());
        assertEquals(List.of("db", "pg"), FlagValues.network("name=backend,alias=db,alias=pg").getAliasesList());
        assertRefused(() -> FlagValues.network("name=backend,alias="), "invalid field alias=");
        assertRefused(() -> FlagValues.network("name=backend,foo"), "invalid field foo");
        assertEquals("10.0.0.5 db.local", FlagValues.host("db.local:10.0.0.5"));
        assertEquals("10.0.0.5 db", FlagValues.host("db=10.0.0.5"));
        assertEquals("2001:db8::1 v6", FlagValues.host("v6:2001:db8::1"), "HOST:IP splits at the first colon");
        assertEquals("::ffff:10.0.0.1 mapped", FlagValues.host("mapped=[::ffff:10.0.0.1]"));
        for (String bad : List.of("1.2.3", "1.2.3.4.5", "256.1.1.1", "1:2:3::4::5", "12345::1", "host.example")) {
            assertTrue(!FlagValues.isIp(bad), bad);
        }
        assertRefused(() -> FlagValues.host(":10.0.0.1"), "bad format for add-host");
        assertRefused(() -> FlagValues.host("a b:10.0.0.1"), "bad format for add-host");
    }
}
