package io.swarmlet.api.types;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ConstraintTest {

    static final Node MANAGER = Node.newBuilder().setId("n1").setRole(NodeRole.MANAGER)
            .setSpec(NodeSpec.newBuilder().setAnnotations(Annotations.newBuilder().putLabels("zone", "East")))
            .setDescription(NodeDescription.newBuilder().setHostname("mgmt-01")
                    .setPlatform(Platform.newBuilder().setOs("linux").setArchitecture("x86_64")))
            .build();

    @Test
    void parsesAndMatches() {
        assertTrue(Constraint.parse("node.role==manager").matches(MANAGER));
        assertFalse(Constraint.parse("node.role == worker").matches(MANAGER));
        assertTrue(Constraint.parse("node.hostname!=work-01").matches(MANAGER));
        assertTrue(Constraint.parse("node.labels.zone==east").matches(MANAGER), "values compare case-insensitively");
        assertFalse(Constraint.parse("node.labels.rack==r1").matches(MANAGER), "a missing label never equals");
        assertTrue(Constraint.parse("node.labels.rack!=r1").matches(MANAGER));
        assertTrue(Constraint.parse("node.platform.os==linux").matches(MANAGER));
        assertEquals("node.labels.Zone==x", Constraint.parse("node.labels.Zone==x").toString(), "label names keep their case");
    }

    @Test
    void refusesWhatItCannotMean() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Constraint.parse("node.colour==red"))
                .getMessage().contains("unknown key node.colour"));
        assertThrows(IllegalArgumentException.class, () -> Constraint.parse("node.role=manager"));
        assertThrows(IllegalArgumentException.class, () -> Constraint.parse("node.role==boss"));
        assertThrows(IllegalArgumentException.class, () -> Constraint.parse("node.hostname=="));
        assertThrows(IllegalArgumentException.class, () -> Constraint.parse("node.labels.==x"));
    }
}
