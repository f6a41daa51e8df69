package io.swarmlet.cli.shell;

import static org.junit.jupiter.api.Assertions.*;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.security.Keyring;
import io.swarmlet.api.security.UnlockKeys;
import io.swarmlet.api.types.ListNodesRequest;
import io.swarmlet.api.types.UnlockSwarmRequest;
import org.junit.jupiter.api.Test;

/** The shell of a locked manager: unlock goes to the keyring, everything else is refused as on the socket. */
class LockedShellTest {

    /** A keyring test double: locked until given {@link #key}. */
    static final class TestKeyring implements Keyring {
        final String key = UnlockKeys.format(UnlockKeys.generate());
        volatile boolean locked = true;

        @Override
        public boolean locked() {
            return locked;
        }

        @Override
        public void unlock(String unlockKey) {
            if (!locked) {
                throw new IllegalStateException("swarm is not locked");
            }
            UnlockKeys.parse(unlockKey);
            if (!key.equals(unlockKey)) {
                throw new IllegalArgumentException("invalid unlock key");
            }
            locked = false;
        }
    }

    @Test
    void unlockOpensTheKeyringAndOtherCallsAreRefusedWithDockersMessage() {
        TestKeyring keyring = new TestKeyring();
        ControlApi api = SwarmletCommand.locked(keyring);

        ControlException refused = assertThrows(ControlException.class,
                () -> api.listNodes(ListNodesRequest.getDefaultInstance()));
        assertEquals(ControlException.Code.FAILED_PRECONDITION, refused.code());
        assertEquals(Keyring.LOCKED_MESSAGE, refused.getMessage());

        String wrong = UnlockKeys.format(UnlockKeys.generate());
        ControlException bad = assertThrows(ControlException.class,
                () -> api.unlockSwarm(UnlockSwarmRequest.newBuilder().setUnlockKey(wrong).build()));
        assertEquals(ControlException.Code.INVALID_ARGUMENT, bad.code());
        assertFalse(bad.getMessage().contains(wrong), "the key is not echoed");
        assertTrue(keyring.locked(), "a wrong key changes nothing");

        api.unlockSwarm(UnlockSwarmRequest.newBuilder().setUnlockKey(keyring.key).build());
        assertFalse(keyring.locked());
    }
}
