package io.swarmlet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.types.UpdateClusterRequest;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code swarm update --autolock}, {@code swarm unlock-key} and {@code swarm unlock} against {@link FakeControlApi}. */
class AutolockCommandsTest {

    static final String FIRST = "SWMKEY-1-firstfirstfirstfirstfirstfirstfirst0";
    static final String ROTATED = "SWMKEY-1-rotatedrotatedrotatedrotatedrotated0";

    final FakeControlApi fake = new FakeControlApi();
    /** The prompts a terminal was asked to show. */
    final List<String> prompts = new ArrayList<>();

    record Result(int code, String out, String err) {}

    Result run(String... args) {
        return run(false, "", null, args);
    }

    /** With {@code tty}, a terminal that answers {@code typed} (null: none) to a prompt without echo. */
    Result run(boolean tty, String stdin, String typed, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Main root = new Main(() -> fake);
        root.tty = tty;
        root.stdin = () -> new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        root.readPassword = prompt -> {
            prompts.add(prompt);
            return typed == null ? null : typed.toCharArray();
        };
        int code = Main.run(root, new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    static String unlockText(String key) {
        return "To unlock a swarm manager after it restarts, run the `swarmlet swarm unlock`\n"
                + "command and provide the following key:\n\n"
                + "    " + key + "\n\n"
                + "Remember to store this key in a password manager, since without it you\n"
                + "will not be able to restart the manager.\n";
    }

    @Test
    void turningAutolockOnPrintsTheKeyOnceAndOffPrintsNothingMore() {
        Result on = run("swarm", "update", "--autolock=true");
        assertEquals("", on.err());
        assertEquals("Swarm updated.\n" + unlockText(FIRST), on.out());
        UpdateClusterRequest q = fake.clusterUpdates.get(0);
        assertTrue(q.getSpec().getEncryption().getAutoLockManagers());
        assertEquals(5, q.getSpec().getOrchestration().getTaskHistoryRetentionLimit(), "the rest of the spec kept");

        Result again = run("swarm", "update", "--autolock");
        assertEquals("Swarm updated.\n", again.out(), "already on: no key printed");

        Result off = run("swarm", "update", "--autolock=false");
        assertEquals("Swarm updated.\n", off.out());
        assertFalse(fake.clusterUpdates.get(2).getSpec().getEncryption().getAutoLockManagers());

        Result other = run("swarm", "update", "--task-history-limit", "3");
        assertEquals("Swarm updated.\n", other.out());
        assertFalse(fake.clusterUpdates.get(3).getSpec().getEncryption().getAutoLockManagers(), "untouched unless asked");
    }

    @Test
    void unlockKeyPrintsDockersTextOrJustTheKey() {
        run("swarm", "update", "--autolock=true");
        Result r = run("swarm", "unlock-key");
        assertEquals(0, r.code(), r.err());
        assertEquals(unlockText(FIRST), r.out());
        assertEquals(FIRST + "\n", run("swarm", "unlock-key", "-q").out());
    }

    @Test
    void unlockKeyRotateReplacesTheKey() {
        run("swarm", "update", "--autolock=true");
        Result r = run("swarm", "unlock-key", "--rotate");
        assertEquals(0, r.code(), r.err());
        assertEquals("Successfully rotated manager unlock key.\n\n" + unlockText(ROTATED), r.out());
        assertTrue(fake.clusterUpdates.get(1).getRotateUnlockKey());
        assertTrue(fake.clusterUpdates.get(1).getSpec().getEncryption().getAutoLockManagers());

        Result q = run("swarm", "unlock-key", "--rotate", "-q");
        assertEquals(ROTATED + "\n", q.out());
    }

    @Test
    void withoutAutolockThereIsNoKey() {
        Result r = run("swarm", "unlock-key");
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertEquals("Error: no unlock key is set\n", r.err());

        Result rotate = run("swarm", "unlock-key", "--rotate");
        assertEquals(1, rotate.code());
        assertEquals("Error: cannot rotate because autolock is not turned on\n", rotate.err());
        assertTrue(fake.clusterUpdates.isEmpty());
    }

    @Test
    void unlockReadsTheKeyFromStandardInput() {
        run("swarm", "update", "--autolock=true");
        fake.locked = true;
        Result wrong = run(false, "SWMKEY-1-wrongwrongwrong\n", null, "swarm", "unlock");
        assertEquals(1, wrong.code());
        assertEquals("Error: invalid key: this is not the swarm's unlock key\n", wrong.err());
        assertFalse(wrong.err().contains("wrongwrong"));
        assertTrue(fake.locked);

        Result ok = run(false, "  " + FIRST + "\nnext command\n", null, "swarm", "unlock");
        assertEquals(0, ok.code(), ok.err());
        assertEquals("", ok.out());
        assertFalse(fake.locked);
        assertEquals(List.of("SWMKEY-1-wrongwrongwrong", FIRST), fake.unlockAttempts, "first line, trimmed");
        assertTrue(prompts.isEmpty(), "no terminal: no prompt");

        Result notLocked = run(false, FIRST, null, "swarm", "unlock");
        assertEquals("Error: swarm is not locked\n", notLocked.err());
    }

    @Test
    void unlockAsksATerminalWithoutEcho() {
        run("swarm", "update", "--autolock=true");
        fake.locked = true;
        Result r = run(true, "", FIRST, "swarm", "unlock");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("Enter unlock key: "), prompts);
        assertFalse(r.out().contains(FIRST));
        assertFalse(fake.locked);
    }

    @Test
    void noKeyIsRefusedBeforeAnythingIsSent() {
        Result r = run(false, "\n", null, "swarm", "unlock");
        assertEquals(1, r.code());
        assertEquals("Error: no unlock key given: type it when asked, or pipe it in (swarmlet swarm unlock < key-file)\n", r.err());
        assertTrue(fake.unlockAttempts.isEmpty());
    }

    @Test
    void aServerMessageThatRepeatsTheKeyIsRedacted() {
        String key = "SWMKEY-1-typedtyped";
        // a careless server that repeats what it was given
        io.swarmlet.api.control.ControlApi echoing = (io.swarmlet.api.control.ControlApi) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {io.swarmlet.api.control.ControlApi.class}, (p, m, a) -> {
                    if (m.getName().equals("unlockSwarm")) {
                        throw io.swarmlet.api.control.ControlException.invalid(
                                "bad key " + ((io.swarmlet.api.types.UnlockSwarmRequest) a[0]).getUnlockKey());
                    }
                    throw new AssertionError("unexpected call " + m.getName());
                });
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Main root = new Main(() -> echoing);
        root.stdin = () -> new ByteArrayInputStream(key.getBytes(StandardCharsets.UTF_8));
        assertEquals(1, Main.run(root, new PrintWriter(out), new PrintWriter(err), "swarm", "unlock"));
        assertEquals("Error: bad key <key>\n", err.toString());
    }
}
