package io.swarmlet.stack.internal.compose;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The compose document as a tree that remembers where every node was written, so that every later
 * error (interpolation, schema, merge, mapping) names its file and line. Mappings keep, for each key,
 * where the key itself was written. Merge keys are already resolved, aliases already expanded.
 */
public sealed interface YNode permits YNode.YMap, YNode.YSeq, YNode.YScalar {

    Loc loc();

    /** A mapping; entries in document order. */
    record YMap(Loc loc, LinkedHashMap<String, Entry> entries) implements YNode {
        public YMap(Loc loc) {
            this(loc, new LinkedHashMap<>());
        }

        public YNode get(String key) {
            Entry e = entries.get(key);
            return e == null ? null : e.value();
        }

        public Loc keyLoc(String key) {
            Entry e = entries.get(key);
            return e == null ? loc : e.keyLoc();
        }

        public void put(String key, Loc keyLoc, YNode value) {
            entries.put(key, new Entry(keyLoc, value));
        }

        public YMap copy() {
            YMap m = new YMap(loc);
            entries.forEach((k, e) -> m.entries.put(k, new Entry(e.keyLoc(), e.value().deepCopy())));
            return m;
        }

        @Override
        public YNode deepCopy() {
            return copy();
        }
    }

    record Entry(Loc keyLoc, YNode value) {
    }

    /** A sequence. */
    record YSeq(Loc loc, List<YNode> items) implements YNode {
        public YSeq(Loc loc) {
            this(loc, new ArrayList<>());
        }

        @Override
        public YNode deepCopy() {
            YSeq s = new YSeq(loc);
            items.forEach(i -> s.items.add(i.deepCopy()));
            return s;
        }
    }

    /**
     * A scalar: its value typed by the YAML 1.2 core schema (String, Long, Double, Boolean or null);
     * {@code plain} when it was written without quotes (only those get their type re-resolved after
     * interpolation).
     */
    record YScalar(Loc loc, Object value, boolean plain) implements YNode {
        public boolean isNull() {
            return value == null;
        }

        /** The value as text (what a string-typed key sees: {@code 1} for an integer 1). */
        public String text() {
            if (value == null) {
                return "";
            }
            if (value instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
                return d.toString();
            }
            return value.toString();
        }

        @Override
        public YNode deepCopy() {
            return this;
        }
    }

    YNode deepCopy();

    /** A short name of the node's kind, as Docker's messages say it. */
    static String kind(YNode n) {
        if (n instanceof YMap) {
            return "mapping";
        }
        if (n instanceof YSeq) {
            return "list";
        }
        Object v = ((YScalar) n).value();
        if (v == null) {
            return "null";
        }
        if (v instanceof Long) {
            return "integer";
        }
        if (v instanceof Double) {
            return "number";
        }
        if (v instanceof Boolean) {
            return "boolean";
        }
        return "string";
    }

    static Map<String, YNode> valuesOf(YMap m) {
        Map<String, YNode> out = new LinkedHashMap<>();
        m.entries().forEach((k, e) -> out.put(k, e.value()));
        return out;
    }
}
