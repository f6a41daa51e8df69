package io.swarmlet.api.types;

import java.util.ArrayList;
import java.util.List;

/**
 * A command line split into words the way a POSIX shell would (single and
 * double quotes, backslashes; no expansion): {@code --entrypoint}/{@code --args}
 * in the CLI, {@code command:}/{@code entrypoint:} strings in compose files.
 *
 * @since 1.1
 */
public final class ShellWords {

    private ShellWords() {}

    /** @throws IllegalArgumentException on an unterminated quote */
    public static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote == '\'') {
                if (c == '\'') {
                    quote = 0;
                } else {
                    cur.append(c);
                }
            } else if (quote == '"') {
                if (c == '"') {
                    quote = 0;
                } else if (c == '\\' && i + 1 < text.length() && "\"\\$`".indexOf(text.charAt(i + 1)) >= 0) {
                    cur.append(text.charAt(++i));
                } else {
                    cur.append(c);
                }
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else {
                inWord = true;
                if (c == '\'' || c == '"') {
                    quote = c;
                } else if (c == '\\' && i + 1 < text.length()) {
                    cur.append(text.charAt(++i));
                } else {
                    cur.append(c);
                }
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unterminated quote in \"" + text + "\"");
        }
        if (inWord) {
            words.add(cur.toString());
        }
        return words;
    }
}
