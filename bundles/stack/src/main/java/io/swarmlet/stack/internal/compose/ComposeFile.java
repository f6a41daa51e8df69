package io.swarmlet.stack.internal.compose;

import java.util.Objects;

/** One compose file as the client sent it: its name (used in every error: {@code compose.yml:14: ...}) and text. */
public record ComposeFile(String name, String text) {
    public ComposeFile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(text, "text");
    }
}
