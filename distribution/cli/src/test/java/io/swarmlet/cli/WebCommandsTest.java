package io.swarmlet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.control.ControlException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code swarmlet web token} against {@link FakeControlApi}. */
class WebCommandsTest {

    final FakeControlApi fake = new FakeControlApi();

    record Result(int code, String out, String err) {}

    Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new Main(() -> fake), new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void tokenPrintsTheNewTokenAndHowToUseIt() {
        Result r = run("web", "token");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("createWebToken"), fake.calls);
        assertEquals(fake.webTokens.get(0) + "\n\n"
                + "Enter it in the web console's token field, or send it as Authorization: Bearer <token>.\n", r.out());
    }

    @Test
    void quietPrintsOnlyTheToken() {
        Result r = run("web", "token", "-q");
        assertEquals(0, r.code(), r.err());
        assertEquals(fake.webTokens.get(0) + "\n", r.out());
        assertEquals("", r.err());
    }

    @Test
    void rotateAsksForItAndSaysSo() {
        run("web", "token", "-q");
        Result r = run("web", "token", "--rotate");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("createWebToken", "createWebToken rotate"), fake.calls);
        assertEquals(1, fake.webTokens.size());
        assertTrue(r.out().startsWith("Earlier web tokens no longer work.\n" + fake.webTokens.get(0) + "\n"), r.out());

        Result quiet = run("web", "token", "--rotate", "-q");
        assertEquals(fake.webTokens.get(0) + "\n", quiet.out());
    }

    @Test
    void aWorkerIsRefusedInTheApisWords() {
        fake.failWebTokens = new ControlException(ControlException.Code.FAILED_PRECONDITION, "This node is not a swarm manager.");
        Result r = run("web", "token", "-q");
        int code = r.code();
        StringWriter out = new StringWriter();
        out.write(r.out());
        String errText = r.err();
        assertTrue(code != 0);
        assertEquals("", out.toString());
        assertTrue(errText.contains("This node is not a swarm manager."), errText);
    }

    @Test
    void helpListsTheTokenVerb() {
        Result r = run("web", "--help");
        assertTrue(r.out().contains("token"), r.out());
    }
}
