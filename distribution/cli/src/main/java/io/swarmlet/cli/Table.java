package io.swarmlet.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Columns laid out like docker's tables (Go's tabwriter with minimum width
 * 10 and padding 3): every cell but the last of a row is padded to its
 * column's width, which is the widest cell plus 3 spaces, at least 10.
 * Trailing spaces are dropped.
 */
public final class Table {

    /** docker's formatter settings. */
    public static final int MIN_WIDTH = 10;
    public static final int PADDING = 3;

    private final List<List<String>> rows = new ArrayList<>();
    private final int minWidth;
    private final int padding;

    /** A table with docker's spacing; the headers (if any) are its first row. */
    public Table(String... headers) {
        this(MIN_WIDTH, PADDING);
        if (headers.length > 0) {
            row(headers);
        }
    }

    public Table(int minWidth, int padding) {
        this.minWidth = minWidth;
        this.padding = padding;
    }

    public Table row(String... cells) {
        return row(Arrays.asList(cells));
    }

    public Table row(List<String> cells) {
        List<String> r = new ArrayList<>(cells.size());
        for (String c : cells) {
            r.add(c == null ? "" : c);
        }
        rows.add(r);
        return this;
    }

    public int size() {
        return rows.size();
    }

    public String render() {
        int columns = 0;
        for (List<String> r : rows) {
            columns = Math.max(columns, r.size());
        }
        int[] width = new int[columns];
        for (List<String> r : rows) {
            // the last cell of a row is not aligned, so it does not widen its column
            for (int i = 0; i < r.size() - 1; i++) {
                width[i] = Math.max(width[i], Math.max(minWidth, length(r.get(i)) + padding));
            }
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> r : rows) {
            int lineStart = sb.length();
            for (int i = 0; i < r.size(); i++) {
                String c = r.get(i);
                sb.append(c);
                if (i < r.size() - 1) {
                    sb.append(" ".repeat(width[i] - length(c)));
                }
            }
            int end = sb.length();
            while (end > lineStart && sb.charAt(end - 1) == ' ') {
                end--;
            }
            sb.setLength(end);
            sb.append('\n');
        }
        return sb.toString();
    }

    public void print(PrintWriter out) {
        out.print(render());
    }

    private static int length(String s) {
        return s.codePointCount(0, s.length());
    }
}
