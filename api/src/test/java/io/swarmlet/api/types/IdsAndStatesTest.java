package io.swarmlet.api.types;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdsAndStatesTest {

    @Test
    void idsAre25Base36CharsAndDistinct() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = Ids.newId();
            assertEquals(25, id.length(), id);
            assertTrue(id.matches("[0-9a-z]{25}"), id);
            assertTrue(seen.add(id), "duplicate " + id);
        }
    }

    @Test
    void base36PadsToWidth() {
        assertEquals("0000000001", Ids.base36(new byte[] {1}, 10));
        assertEquals("z", Ids.base36(new byte[] {35}, 1));
    }

    @Test
    void taskStatesOnlyMoveForward() {
        assertTrue(TaskStates.canMove(TaskState.PENDING, TaskState.ASSIGNED));
        assertTrue(TaskStates.canMove(TaskState.RUNNING, TaskState.RUNNING));
        assertFalse(TaskStates.canMove(TaskState.RUNNING, TaskState.STARTING));
        assertFalse(TaskStates.canMove(TaskState.FAILED, TaskState.RUNNING));
        assertEquals(832, TaskState.ORPHANED.getNumber());
        assertTrue(TaskStates.isTerminal(TaskState.COMPLETE));
        assertFalse(TaskStates.isTerminal(TaskState.RUNNING));
        assertEquals("Running", TaskStates.display(TaskState.RUNNING));
    }
}
