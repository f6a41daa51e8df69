package io.swarmlet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code .env} files read as docker compose reads them. */
class DotEnvTest {

    private static final Map<String, String> ENV = Map.of("HOME", "/home/me", "EMPTY", "");

    private static Map<String, String> parse(String text) {
        return DotEnv.parse(text, ENV::get);
    }

    @Test
    void linesCommentsAndQuotes() {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("PLAIN", "value");
        expected.put("SPACED", "a b");
        expected.put("COMMENTED", "x");
        expected.put("HASH", "a#b");
        expected.put("SINGLE", "keep $HOME and \\n # as is");
        expected.put("DOUBLE", "line1\nline2 \"q\" # kept");
        expected.put("EXPORTED", "yes");
        expected.put("YAMLISH", "colon");
        expected.put("EMPTYVAL", "");
        expected.put("MULTI", "first\nsecond");
        expected.put("AFTER", "z");
        assertEquals(expected, parse("""
                # a comment
                PLAIN=value

                  SPACED =  a b \s
                COMMENTED=x # a comment
                HASH=a#b
                SINGLE='keep $HOME and \\n # as is'
                DOUBLE="line1\\nline2 \\"q\\" # kept" # this one is a comment
                export EXPORTED=yes
                YAMLISH: colon
                EMPTYVAL=
                MULTI="first
                second"
                AFTER=z
                """));
    }

    @Test
    void expandsFromTheEnvironmentThenEarlierLines() {
        Map<String, String> vars = parse("""
                BASE=/srv
                DATA=$BASE/data
                BRACED=${BASE}/x
                HOMEDIR=${HOME}
                DEFAULTED=${NOPE:-fallback}
                EMPTYDEFAULT=${EMPTY:-used}
                DASHDEFAULT=${EMPTY-unused}
                UNSET=${NOPE}
                DOLLAR="costs $$5 and \\$6"
                LITERAL='$BASE'
                """);
        assertEquals("/srv/data", vars.get("DATA"));
        assertEquals("/srv/x", vars.get("BRACED"));
        assertEquals("/home/me", vars.get("HOMEDIR"));
        assertEquals("fallback", vars.get("DEFAULTED"));
        assertEquals("used", vars.get("EMPTYDEFAULT"));
        assertEquals("", vars.get("DASHDEFAULT"));
        assertEquals("", vars.get("UNSET"));
        assertEquals("costs $5 and $6", vars.get("DOLLAR"));
        assertEquals("$BASE", vars.get("LITERAL"));
    }

    @Test
    void aNameAloneTakesTheEnvironmentsValue() {
        Map<String, String> vars = parse("HOME\nNOT_SET\n");
        assertEquals(Map.of("HOME", "/home/me"), vars);
    }

    @Test
    void crlfAndABomAreRead() {
        assertEquals(Map.of("A", "1", "B", "2"), parse("\uFEFFA=1\r\nB=2\r\n"));
    }

    @Test
    void badLinesSayWhere() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("A=1\nBAD NAME=2\n"));
        assertTrue(e.getMessage().startsWith("line 2: "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> parse("A=1\nB=\"open\n"));
        assertEquals("line 2: unterminated quoted value for B", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> parse("=x\n"));
        assertTrue(e.getMessage().startsWith("line 1: a variable has no name"), e.getMessage());
    }
}
