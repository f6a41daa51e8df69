package io.swarmlet.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The part of docker's Go templates that {@code --format} needs: literal text
 * with {@code {{.Field}}} and {@code {{json .}}} actions; {@code \t} and
 * {@code \n} typed on the command line stand for a tab and a newline.
 * Fields are checked when the template is parsed, before any call to the
 * server.
 */
final class Template {

    private static final Object JSON = new Object();

    /** String literals, field names (as {@link Field}) and {@link #JSON}. */
    private final List<Object> parts;

    private record Field(String name) {}

    private Template(List<Object> parts) {
        this.parts = parts;
    }

    /**
     * @param text the template
     * @param fields the names {@code {{.Name}}} may use
     * @throws IllegalArgumentException saying what is wrong and which fields exist
     */
    static Template parse(String text, Collection<String> fields) {
        String t = text.replace("\\t", "\t").replace("\\n", "\n");
        List<Object> parts = new ArrayList<>();
        int i = 0;
        while (i < t.length()) {
            int open = t.indexOf("{{", i);
            if (open < 0) {
                parts.add(t.substring(i));
                break;
            }
            if (open > i) {
                parts.add(t.substring(i, open));
            }
            int close = t.indexOf("}}", open + 2);
            if (close < 0) {
                throw new IllegalArgumentException("template: unclosed action \"" + t.substring(open) + "\"");
            }
            String action = t.substring(open + 2, close).trim();
            if (action.startsWith("-") || action.endsWith("-")) {
                action = action.replaceAll("^-\\s*|\\s*-$", "");
            }
            if (action.equals("json .")) {
                parts.add(JSON);
            } else if (action.startsWith(".") && action.length() > 1 && fields.contains(action.substring(1))) {
                parts.add(new Field(action.substring(1)));
            } else {
                throw new IllegalArgumentException("template: cannot use {{" + action + "}}; use {{json .}} or one of "
                        + String.join(", ", fields.stream().map(f -> "{{." + f + "}}").toList()));
            }
            i = close + 2;
        }
        return new Template(parts);
    }

    /** The template with each field replaced by {@code value} of its name, and {@code {{json .}}} by {@code json}. */
    String render(Function<String, String> value, Supplier<String> json) {
        StringBuilder sb = new StringBuilder();
        for (Object p : parts) {
            if (p == JSON) {
                sb.append(json.get());
            } else if (p instanceof Field f) {
                String v = value.apply(f.name());
                sb.append(v == null ? "" : v);
            } else {
                sb.append((String) p);
            }
        }
        return sb.toString();
    }
}
