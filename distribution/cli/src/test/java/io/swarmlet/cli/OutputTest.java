package io.swarmlet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Secret;
import io.swarmlet.api.types.SecretSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputTest {

    private static final byte[] VALUE = "hunter2-top-secret".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private static Secret secret(String name) {
        return Secret.newBuilder().setId("s-" + name)
                .setSpec(SecretSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName(name))
                        .setData(ByteString.copyFrom(VALUE)))
                .build();
    }

    @Test
    void secretValuesNeverReachJson() {
        String b64 = Base64.getEncoder().encodeToString(VALUE);
        for (String s : List.of(Output.json(secret("db")), Output.jsonLine(secret("db")),
                Output.jsonArray(List.of(secret("a"), secret("b"))), Output.json(secret("db").getSpec()))) {
            assertFalse(s.contains(b64), s);
            assertFalse(s.contains("hunter2"), s);
            assertTrue(s.contains("\"name\""), s);
        }
        assertTrue(Output.json(secret("db")).contains("\"name\": \"db\""));
    }

    @Test
    void strippingReachesNestedAndRepeatedFields() {
        // a ListSecrets-style response does not exist yet: any message holding secrets in a repeated field
        Node.Builder unrelated = Node.newBuilder().setId("n");
        assertSame(unrelated.build().getClass(), Output.withoutSecrets(unrelated.build()).getClass());
        Node n = unrelated.build();
        assertSame(n, Output.withoutSecrets(n), "messages that cannot hold secrets are not copied");
        assertFalse(Output.holdsSecrets(Node.getDescriptor()));
        assertTrue(Output.holdsSecrets(Secret.getDescriptor()));
        Secret cleaned = Output.withoutSecrets(secret("x"));
        assertTrue(cleaned.getSpec().getData().isEmpty());
        assertEquals("x", cleaned.getSpec().getAnnotations().getName());
    }

    @Test
    void jsonArrayLayout() {
        assertEquals("[]", Output.jsonArray(List.of()));
        String a = Output.jsonArray(List.of(Node.newBuilder().setId("n1").build(), Node.newBuilder().setId("n2").build()));
        assertTrue(a.startsWith("[\n    {\n        \"id\": \"n1\""), a);
        assertTrue(a.contains("\n    },\n    {\n        \"id\": \"n2\""), a);
        assertTrue(a.endsWith("\n    }\n]"), a);
        assertFalse(Output.jsonLine(Node.newBuilder().setId("n1").build()).contains("\n"));
        String nested = Output.json(Node.newBuilder().setId("n1")
                .setSpec(io.swarmlet.api.types.NodeSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("a\nb"))).build());
        assertTrue(nested.contains("\n    \"spec\": {\n        \"annotations\": {\n            \"name\": \"a\\nb\",\n            \"labels\": {}\n"), nested);
    }

    @Test
    void values() {
        assertEquals("8GiB", Output.bytes(8L << 30));
        assertEquals("7.451GiB", Output.bytes(8_000_000_000L));
        assertEquals("512MiB", Output.bytes(512L << 20));
        assertEquals("1000B", Output.bytes(1000));
        assertEquals("0B", Output.bytes(0));
        assertEquals("1.5KiB", Output.bytes(1536));
        assertEquals("4", Output.cpus(4_000_000_000L));
        assertEquals("0.25", Output.cpus(250_000_000L));
        assertEquals("0s", Output.duration(0));
        assertEquals("500ms", Output.duration(500));
        assertEquals("5s", Output.duration(5000));
        assertEquals("1.5s", Output.duration(1500));
        assertEquals("1m30s", Output.duration(90_000));
        assertEquals("2160h0m0s", Output.duration(90L * 24 * 3600 * 1000));
        assertEquals("", Output.timestamp(0));
        assertEquals("2023-11-14T22:13:20Z", Output.timestamp(1_700_000_000_000L));
        assertEquals("Ready", Output.capitalised(io.swarmlet.api.types.NodeStatus.State.READY));
        assertEquals("On-failure", Output.capitalised(io.swarmlet.api.types.RestartPolicy.Condition.ON_FAILURE));
    }

    @Test
    void naturalOrder() {
        List<String> l = new ArrayList<>(List.of("node10", "node2", "node1", "alpha", "node02", "Node3"));
        l.sort(Output.NATURAL);
        assertEquals(List.of("Node3", "alpha", "node1", "node02", "node2", "node10"), l);
    }

    @Test
    void prettyBlocks() {
        Output.Pretty p = new Output.Pretty()
                .field("ID", "abc")
                .labels("Labels", java.util.Map.of("b", "2", "a", ""))
                .section("Status").field("State", "Ready").field("Skipped", null).end()
                .field("Engine Version", "24");
        assertEquals("ID: abc\nLabels:\n - a\n - b=2\nStatus:\n State: Ready\nEngine Version: 24\n", p.render(false));
        assertEquals("ID:              abc\nLabels:\n - a\n - b=2\nStatus:\n State:          Ready\nEngine Version:  24\n",
                p.render(true));
    }
}
