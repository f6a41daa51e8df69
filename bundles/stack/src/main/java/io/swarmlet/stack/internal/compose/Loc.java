package io.swarmlet.stack.internal.compose;

/** Where a node was written: file name and 1-based line. */
public record Loc(String file, int line) {
    @Override
    public String toString() {
        return file + ":" + line;
    }
}
