package io.swarmlet.cli;

import com.google.protobuf.Message;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * A {@code --format} value, parsed before any call to the server:
 * {@code json} (a JSON array of the objects), {@code pretty} (the command's
 * readable form), {@code table} (the default table), {@code table TEMPLATE}
 * (a table of the template's tab-separated cells) or a TEMPLATE (one line
 * per object), docker style.
 */
final class Format {

    enum Kind { TABLE, TEMPLATE, JSON, PRETTY }

    final Kind kind;
    /** For TABLE, null means the default columns. */
    final Template template;

    private Format(Kind kind, Template template) {
        this.kind = kind;
        this.template = template;
    }

    static Format of(Kind kind) {
        return new Format(kind, null);
    }

    /**
     * @param value the option as given, null when absent
     * @param absent what to do when it is absent
     * @param fields the fields a template may use
     * @throws IllegalArgumentException for a template that cannot be used
     */
    static <T> Format parse(String value, Kind absent, List<Field<T>> fields) {
        if (value == null || value.isBlank()) {
            return of(absent);
        }
        String v = value.trim();
        switch (v.toLowerCase(Locale.ROOT)) {
            case "json": return of(Kind.JSON);
            case "pretty": return of(Kind.PRETTY);
            case "table": return of(Kind.TABLE);
            default: break;
        }
        List<String> names = fields.stream().map(Field::name).toList();
        if (v.startsWith("table ")) {
            return new Format(Kind.TABLE, Template.parse(v.substring("table ".length()).trim(), names));
        }
        return new Format(Kind.TEMPLATE, Template.parse(v, names));
    }

    boolean is(Kind k) {
        return kind == k;
    }

    /** Prints {@code items} as a table, a template per line or JSON; PRETTY is the caller's. */
    <T> void print(PrintWriter out, List<T> items, List<Field<T>> fields, Function<T, ? extends Message> message) {
        switch (kind) {
            case JSON:
                out.println(Output.jsonArray(items.stream().map(message).toList()));
                return;
            case TEMPLATE:
                for (T item : items) {
                    out.println(template.render(valueOf(item, fields), () -> Output.jsonLine(message.apply(item))));
                }
                return;
            case TABLE:
                Table table;
                if (template == null) {
                    table = new Table(fields.stream().filter(Field::inTable).map(Field::header).toArray(String[]::new));
                    for (T item : items) {
                        table.row(fields.stream().filter(Field::inTable).map(f -> f.tableValue().apply(item)).toList());
                    }
                } else {
                    Map<String, String> headers = new LinkedHashMap<>();
                    fields.forEach(f -> headers.put(f.name(), f.header()));
                    table = new Table(template.render(headers::get, () -> "JSON").split("\t", -1));
                    for (T item : items) {
                        table.row(template.render(valueOf(item, fields), () -> Output.jsonLine(message.apply(item))).split("\t", -1));
                    }
                }
                table.print(out);
                return;
            default:
                throw new IllegalStateException("format " + kind + " is printed by the command");
        }
    }

    private static <T> Function<String, String> valueOf(T item, List<Field<T>> fields) {
        return name -> {
            for (Field<T> f : fields) {
                if (f.name().equals(name)) {
                    return f.value().apply(item);
                }
            }
            return "";
        };
    }
}
