package io.swarmlet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TableTest {

    @Test
    void columnsAreWidestCellPlusThreeAtLeastTen() {
        String s = new Table("ID", "NAME", "MODE")
                .row("6ag3k2u4dpkh1ek1qzwj2gg6v", "web", "replicated")
                .row("x", "a-much-longer-name", "global")
                .render();
        assertEquals(""
                + "ID                          NAME                 MODE\n"
                + "6ag3k2u4dpkh1ek1qzwj2gg6v   web                  replicated\n"
                + "x                           a-much-longer-name   global\n", s);
    }

    @Test
    void shortColumnsGetTheMinimumWidth() {
        assertEquals("A         B\nxy        z\n", new Table("A", "B").row("xy", "z").render());
    }

    @Test
    void lastColumnIsNotPaddedAndTrailingBlanksAreDropped() {
        String s = new Table("ID", "STATUS", "NOTE").row("a", "", "").row("b", "Ready", "").render();
        assertEquals("ID        STATUS    NOTE\na\nb         Ready\n", s);
    }

    @Test
    void lastCellDoesNotWidenItsColumnAndNullsAreEmpty() {
        String s = new Table("K", "V").row("k", "a very long value that is last").row(null, "v").render();
        assertEquals("K         V\nk         a very long value that is last\n          v\n", s);
    }

    @Test
    void widthCountsCharactersNotUtf16Units() {
        String s = new Table("N", "X").row("\uD83D\uDC33whale", "1").render();
        assertEquals("N         X\n\uD83D\uDC33whale    1\n", s);
    }

    @Test
    void customSpacing() {
        assertEquals("a    b\nccc  d\n", new Table(0, 2).row("a", "b").row("ccc", "d").render());
        assertEquals(0, new Table().size());
    }
}
