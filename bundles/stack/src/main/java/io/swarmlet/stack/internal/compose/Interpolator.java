package io.swarmlet.stack.internal.compose;

import io.swarmlet.stack.internal.compose.YNode.YMap;
import io.swarmlet.stack.internal.compose.YNode.YScalar;
import io.swarmlet.stack.internal.compose.YNode.YSeq;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Compose interpolation on scalar values: {@code $$}, {@code $VAR}, {@code ${VAR}}, {@code ${VAR:-default}},
 * {@code ${VAR-default}}, {@code ${VAR:?err}}, {@code ${VAR?err}}, {@code ${VAR:+alt}}, {@code ${VAR+alt}};
 * defaults may hold further substitutions. A plain (unquoted) scalar gets its YAML type again from its new
 * text, so {@code replicas: ${N}} is an integer when N is one. Keys are never interpolated.
 */
final class Interpolator {

    private final Map<String, String> env;
    private final Set<String> unset = new LinkedHashSet<>();

    Interpolator(Map<String, String> env) {
        this.env = env;
    }

    /** Variables used without a value or default: Docker warns "The "X" variable is not set". */
    Set<String> unsetVariables() {
        return unset;
    }

    YNode apply(YNode node, String path) {
        if (node instanceof YMap m) {
            YMap out = new YMap(m.loc());
            m.entries().forEach((k, e) -> out.put(k, e.keyLoc(), apply(e.value(), path.isEmpty() ? k : path + "." + k)));
            return out;
        }
        if (node instanceof YSeq s) {
            YSeq out = new YSeq(s.loc());
            for (int i = 0; i < s.items().size(); i++) {
                out.items().add(apply(s.items().get(i), path + "." + i));
            }
            return out;
        }
        YScalar sc = (YScalar) node;
        if (!(sc.value() instanceof String text) || text.indexOf('$') < 0) {
            return sc;
        }
        String result = substitute(text, sc.loc(), path);
        if (result.equals(text)) {
            return sc;
        }
        return new YScalar(sc.loc(), sc.plain() ? YamlReader.resolvePlain(result) : result, sc.plain());
    }

    String substitute(String text, Loc at, String path) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$') {
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 >= text.length()) {
                throw invalid(text, at, path);
            }
            char n = text.charAt(i + 1);
            if (n == '$') {
                out.append('$');
                i += 2;
            } else if (n == '{') {
                int end = closingBrace(text, i + 2);
                if (end < 0) {
                    throw invalid(text, at, path);
                }
                out.append(braced(text.substring(i + 2, end), text, at, path));
                i = end + 1;
            } else if (isNameStart(n)) {
                int j = i + 1;
                while (j < text.length() && isNamePart(text.charAt(j))) {
                    j++;
                }
                out.append(lookup(text.substring(i + 1, j)));
                i = j;
            } else {
                throw invalid(text, at, path);
            }
        }
        return out.toString();
    }

    private String braced(String body, String whole, Loc at, String path) {
        int j = 0;
        while (j < body.length() && (j == 0 ? isNameStart(body.charAt(j)) : isNamePart(body.charAt(j)))) {
            j++;
        }
        if (j == 0) {
            throw invalid(whole, at, path);
        }
        String name = body.substring(0, j);
        String rest = body.substring(j);
        String value = env.get(name);
        if (rest.isEmpty()) {
            return lookup(name);
        }
        boolean colon = rest.startsWith(":");
        String op = colon ? rest.substring(1) : rest;
        if (op.isEmpty()) {
            throw invalid(whole, at, path);
        }
        char kind = op.charAt(0);
        String arg = op.substring(1);
        boolean missing = colon ? value == null || value.isEmpty() : value == null;
        switch (kind) {
            case '-':
                return missing ? substitute(arg, at, path) : value;
            case '?':
                if (missing) {
                    String err = substitute(arg, at, path);
                    throw new ComposeException(at, path + ": required variable " + name + " is missing a value"
                            + (err.isEmpty() ? "" : ": " + err));
                }
                return value;
            case '+':
                return missing ? "" : substitute(arg, at, path);
            default:
                throw invalid(whole, at, path);
        }
    }

    private String lookup(String name) {
        String v = env.get(name);
        if (v == null) {
            unset.add(name);
            return "";
        }
        return v;
    }

    private static int closingBrace(String s, int from) {
        int depth = 1;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '$' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
                depth++;
                i++;
            } else if (c == '}' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    private static ComposeException invalid(String text, Loc at, String path) {
        return new ComposeException(at, "invalid interpolation format for " + path + ": \"" + text
                + "\". You may need to escape any $ with another $.");
    }

    private static boolean isNameStart(char c) {
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isNamePart(char c) {
        return isNameStart(c) || (c >= '0' && c <= '9');
    }
}
