package io.swarmlet.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A {@code .env} file read the way docker compose reads one (compose-go's dotenv):
 * {@code KEY=VALUE} lines (or {@code KEY: VALUE}, with an optional {@code export }
 * in front), blank lines and {@code #} comments skipped; an unquoted value is
 * trimmed and ends at a {@code " #"} comment; a single-quoted value is taken as it
 * is; a double-quoted one may span lines and knows the escapes {@code \n \r \t \\ \" \$}.
 * Unquoted and double-quoted values expand {@code $VAR}, {@code ${VAR}},
 * {@code ${VAR:-default}} and {@code ${VAR-default}} from the environment first,
 * then from the file's earlier lines. A line with a name alone takes the
 * environment's value, if there is one.
 */
final class DotEnv {

    private DotEnv() {}

    /**
     * @param text the file's content
     * @param environment the process environment (a name to its value, null when unset)
     * @throws IllegalArgumentException for a line that is not a variable, saying which
     */
    static Map<String, String> parse(String text, UnaryOperator<String> environment) {
        Map<String, String> vars = new LinkedHashMap<>();
        String src = text.replace("\r\n", "\n");
        if (src.startsWith("\uFEFF")) {
            src = src.substring(1);
        }
        int i = 0;
        int line = 1;
        while (i < src.length()) {
            int eol = src.indexOf('\n', i);
            if (eol < 0) {
                eol = src.length();
            }
            String raw = src.substring(i, eol);
            String trimmed = raw.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                i = eol + 1;
                line++;
                continue;
            }
            int start = i + (raw.length() - raw.stripLeading().length());
            if (src.startsWith("export ", start) || src.startsWith("export\t", start)) {
                int after = start + "export".length();
                while (after < eol && (src.charAt(after) == ' ' || src.charAt(after) == '\t')) {
                    after++;
                }
                if (after < eol) {
                    start = after;
                }
            }
            // the name: up to '=' or ':' on this line
            int sep = -1;
            for (int k = start; k < eol; k++) {
                char c = src.charAt(k);
                if (c == '=' || c == ':') {
                    sep = k;
                    break;
                }
            }
            if (sep < 0) {
                String name = src.substring(start, eol).strip();
                checkName(name, line);
                String inherited = environment.apply(name);
                if (inherited != null) {
                    vars.put(name, inherited);
                }
                i = eol + 1;
                line++;
                continue;
            }
            String name = src.substring(start, sep).strip();
            checkName(name, line);
            int v = sep + 1;
            while (v < eol && (src.charAt(v) == ' ' || src.charAt(v) == '\t')) {
                v++;
            }
            char q = v < src.length() ? src.charAt(v) : 0;
            if (q == '\'' || q == '"') {
                int close = closingQuote(src, v + 1, q);
                if (close < 0) {
                    throw new IllegalArgumentException("line " + line + ": unterminated quoted value for " + name);
                }
                String quoted = src.substring(v + 1, close);
                String value = q == '\'' ? quoted : expand(unescape(quoted), environment, vars);
                vars.put(name, value);
                line += count(quoted, '\n');
                int next = src.indexOf('\n', close);
                i = next < 0 ? src.length() : next + 1;
                line++;
                continue;
            }
            String value = src.substring(v, eol);
            int comment = value.indexOf(" #");
            if (comment < 0) {
                comment = value.indexOf("\t#");
            }
            if (comment >= 0) {
                value = value.substring(0, comment);
            }
            vars.put(name, expand(value.strip(), environment, vars));
            i = eol + 1;
            line++;
        }
        return vars;
    }

    private static void checkName(String name, int line) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("line " + line + ": a variable has no name (use KEY=VALUE)");
        }
        for (int k = 0; k < name.length(); k++) {
            char c = name.charAt(k);
            if (Character.isWhitespace(c) || c == '"' || c == '\'' || c == '$') {
                throw new IllegalArgumentException("line " + line + ": unexpected character \"" + c
                        + "\" in variable name \"" + name + "\" (use KEY=VALUE)");
            }
        }
    }

    private static int closingQuote(String s, int from, char q) {
        for (int k = from; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '\\' && q == '"' && k + 1 < s.length()) {
                k++;
            } else if (c == q) {
                return k;
            }
        }
        return -1;
    }

    private static int count(String s, char c) {
        int n = 0;
        for (int k = 0; k < s.length(); k++) {
            if (s.charAt(k) == c) {
                n++;
            }
        }
        return n;
    }

    /** Escapes of a double-quoted value; {@code \$} stays escaped for {@link #expand} (it means a literal $). */
    private static String unescape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c != '\\' || k + 1 == s.length()) {
                sb.append(c);
                continue;
            }
            char n = s.charAt(++k);
            switch (n) {
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '$' -> sb.append("$$");
                default -> sb.append('\\').append(n);
            }
        }
        return sb.toString();
    }

    /** {@code $VAR}, {@code ${VAR}}, {@code ${VAR:-default}}, {@code ${VAR-default}}; {@code $$} is a literal $. */
    static String expand(String s, UnaryOperator<String> environment, Map<String, String> earlier) {
        if (s.indexOf('$') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        int k = 0;
        while (k < s.length()) {
            char c = s.charAt(k);
            if (c != '$' || k + 1 == s.length()) {
                sb.append(c);
                k++;
                continue;
            }
            char n = s.charAt(k + 1);
            if (n == '$') {
                sb.append('$');
                k += 2;
            } else if (n == '{') {
                int close = s.indexOf('}', k + 2);
                if (close < 0) {
                    sb.append(s, k, s.length());
                    break;
                }
                String body = s.substring(k + 2, close);
                String name = body;
                String fallback = null;
                boolean emptyToo = false;
                int op = body.indexOf(":-");
                if (op > 0) {
                    name = body.substring(0, op);
                    fallback = body.substring(op + 2);
                    emptyToo = true;
                } else if ((op = body.indexOf('-')) > 0) {
                    name = body.substring(0, op);
                    fallback = body.substring(op + 1);
                }
                String value = lookup(name, environment, earlier);
                if (fallback != null && (value == null || (emptyToo && value.isEmpty()))) {
                    value = expand(fallback, environment, earlier);
                }
                sb.append(value == null ? "" : value);
                k = close + 1;
            } else if (n == '_' || Character.isLetter(n)) {
                int end = k + 1;
                while (end < s.length() && (s.charAt(end) == '_' || Character.isLetterOrDigit(s.charAt(end)))) {
                    end++;
                }
                String value = lookup(s.substring(k + 1, end), environment, earlier);
                sb.append(value == null ? "" : value);
                k = end;
            } else {
                sb.append(c);
                k++;
            }
        }
        return sb.toString();
    }

    private static String lookup(String name, UnaryOperator<String> environment, Map<String, String> earlier) {
        String v = environment.apply(name);
        return v != null ? v : earlier.get(name);
    }
}
