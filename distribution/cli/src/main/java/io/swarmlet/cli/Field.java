package io.swarmlet.cli;

import java.util.function.Function;

/**
 * One property of a listed object: its name in {@code --format} templates
 * ({@code {{.Hostname}}}), its table header, whether the default table shows
 * it, and its text (which the default table may show differently, as
 * {@code node ls} marks the current node's ID with {@code *}).
 */
record Field<T>(String name, String header, boolean inTable, Function<T, String> value, Function<T, String> tableValue) {

    /** A field of the default table. */
    static <T> Field<T> column(String name, String header, Function<T, String> value) {
        return new Field<>(name, header, true, value, value);
    }

    /** A field that only templates show. */
    static <T> Field<T> extra(String name, String header, Function<T, String> value) {
        return new Field<>(name, header, false, value, value);
    }

    /** This field, shown as {@code tableValue} in the default table. */
    Field<T> inDefaultTableAs(Function<T, String> tableValue) {
        return new Field<>(name, header, inTable, value, tableValue);
    }
}
