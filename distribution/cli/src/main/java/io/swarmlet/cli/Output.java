package io.swarmlet.cli;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How objects are printed: JSON (the proto3 JSON mapping, lowerCamelCase
 * names, fields at their defaults included) and readable key/value blocks,
 * plus the small value formats they use.
 *
 * <p>Secret values never reach the output: every JSON helper here first
 * clears the fields listed in {@link #SECRET_FIELDS} ({@code SecretSpec.data},
 * {@code SecretVersion.sealed}, {@code Cluster.unlock_key_sealed}, ...) wherever they occur in the object, however deeply nested. Print objects
 * only through these helpers.
 */
public final class Output {

    /**
     * Message type (full proto name) to the field that holds a secret value or
     * what was made of one: a secret's value, its sealed versions, a delivered
     * payload, the sealed unlock key of the cluster.
     */
    static final Map<String, String> SECRET_FIELDS = Map.of(
            "swarmlet.SecretSpec", "data",
            "swarmlet.SecretVersion", "sealed",
            "swarmlet.PayloadValue", "data",
            "swarmlet.Cluster", "unlock_key_sealed");

    /** Loaded on first use only: tables need neither JsonFormat nor gson. */
    private static final class Json {
        static final JsonFormat.Printer PRETTY = JsonFormat.printer().alwaysPrintFieldsWithNoPresence().sortingMapKeys();
        static final JsonFormat.Printer LINE = PRETTY.omittingInsignificantWhitespace();
    }

    private static final Map<Descriptor, Boolean> HOLDS_SECRETS = new ConcurrentHashMap<>();

    private Output() {}

    /** {@code m} as JSON indented by 4 spaces (docker's layout), secrets removed. */
    public static String json(Message m) {
        // JsonFormat indents by 2 and writes empty maps as "{\n}"; strings never hold a raw
        // newline (JSON escapes it), so every line break and its indentation is structural
        String two = print(Json.PRETTY, m);
        StringBuilder sb = new StringBuilder(two.length() * 5 / 4);
        for (String line : two.split("\n", -1)) {
            int indent = 0;
            while (indent < line.length() && line.charAt(indent) == ' ') {
                indent++;
            }
            if (sb.length() > 0) {
                sb.append('\n');
            }
            sb.append(" ".repeat(indent * 2)).append(line, indent, line.length());
        }
        return EMPTY_OBJECT.matcher(sb).replaceAll("{}");
    }

    private static final java.util.regex.Pattern EMPTY_OBJECT = java.util.regex.Pattern.compile("\\{\n *\\}");

    /** {@code m} as one line of JSON, secrets removed. */
    public static String jsonLine(Message m) {
        return print(Json.LINE, m);
    }

    /** A JSON array of the messages, indented like docker's inspect output ({@code []} when empty). */
    public static String jsonArray(List<? extends Message> items) {
        if (items.isEmpty()) {
            return "[]";
        }
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < items.size(); i++) {
            String obj = json(items.get(i));
            sb.append("    ").append(obj.replace("\n", "\n    "));
            sb.append(i < items.size() - 1 ? ",\n" : "\n");
        }
        return sb.append(']').toString();
    }

    private static String print(JsonFormat.Printer p, Message m) {
        try {
            return p.print(withoutSecrets(m));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot print " + m.getDescriptorForType().getFullName() + " as JSON: " + e.getMessage(), e);
        }
    }

    /** {@code m} with every secret value field (see {@link #SECRET_FIELDS}) cleared; {@code m} itself if it can hold none. */
    @SuppressWarnings("unchecked")
    public static <M extends Message> M withoutSecrets(M m) {
        Descriptor d = m.getDescriptorForType();
        if (!holdsSecrets(d)) {
            return m;
        }
        Message.Builder b = m.toBuilder();
        String secretField = SECRET_FIELDS.get(d.getFullName());
        if (secretField != null) {
            FieldDescriptor f = d.findFieldByName(secretField);
            if (f != null) {
                b.clearField(f);
            }
        }
        for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
            FieldDescriptor f = e.getKey();
            if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE || !holdsSecrets(f.getMessageType())) {
                continue;
            }
            if (f.isRepeated()) {
                List<?> values = (List<?>) e.getValue();
                List<Message> cleaned = new ArrayList<>(values.size());
                for (Object v : values) {
                    cleaned.add(withoutSecrets((Message) v));
                }
                b.clearField(f);
                for (Message v : cleaned) {
                    b.addRepeatedField(f, v);
                }
            } else {
                b.setField(f, withoutSecrets((Message) e.getValue()));
            }
        }
        return (M) b.build();
    }

    /** Whether a message of type {@code d} can contain a secret value field, at any depth. */
    static boolean holdsSecrets(Descriptor d) {
        Boolean known = HOLDS_SECRETS.get(d);
        if (known != null) {
            return known;
        }
        boolean holds = holdsSecrets(d, new HashSet<>());
        HOLDS_SECRETS.put(d, holds);
        return holds;
    }

    private static boolean holdsSecrets(Descriptor d, Set<String> seen) {
        if (SECRET_FIELDS.containsKey(d.getFullName())) {
            return true;
        }
        if (!seen.add(d.getFullName())) {
            return false;
        }
        for (FieldDescriptor f : d.getFields()) {
            if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && holdsSecrets(f.getMessageType(), seen)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------ values

    /** Text order with digit runs compared as numbers (node2 before node10), like docker's list sorting. */
    public static final java.util.Comparator<String> NATURAL = Output::compareNatural;

    static int compareNatural(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char ca = a.charAt(i);
            char cb = b.charAt(j);
            if (Character.isDigit(ca) && Character.isDigit(cb)) {
                int si = i;
                int sj = j;
                while (i < a.length() && Character.isDigit(a.charAt(i))) {
                    i++;
                }
                while (j < b.length() && Character.isDigit(b.charAt(j))) {
                    j++;
                }
                String na = a.substring(si, i).replaceFirst("^0+(?=.)", "");
                String nb = b.substring(sj, j).replaceFirst("^0+(?=.)", "");
                int c = na.length() != nb.length() ? Integer.compare(na.length(), nb.length()) : na.compareTo(nb);
                if (c != 0) {
                    return c;
                }
            } else {
                if (ca != cb) {
                    return Character.compare(ca, cb);
                }
                i++;
                j++;
            }
        }
        int c = Integer.compare(a.length() - i, b.length() - j);
        return c != 0 ? c : a.compareTo(b);
    }

    /** Unix millis as an RFC 3339 UTC time ({@code 2024-05-01T12:00:00.123Z}), or empty when unset (0). */
    public static String timestamp(long epochMillis) {
        return epochMillis == 0 ? "" : Instant.ofEpochMilli(epochMillis).toString();
    }

    /** Bytes in binary units with up to 4 significant digits, like docker's units.BytesSize: {@code 7.451GiB}, {@code 512MiB}. */
    public static String bytes(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = 0;
        while (Math.abs(v) >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString() + units[u];
    }

    /** CPUs from nano CPUs: {@code 4}, {@code 0.5}. */
    public static String cpus(long nanoCpus) {
        return BigDecimal.valueOf(nanoCpus, 9).stripTrailingZeros().toPlainString();
    }

    /** Milliseconds the way Go prints a time.Duration, as swarmctl shows settings: {@code 5s}, {@code 1m30s}, {@code 2160h0m0s}, {@code 500ms}. */
    public static String duration(long millis) {
        if (millis == 0) {
            return "0s";
        }
        if (millis < 0) {
            return "-" + duration(-millis);
        }
        if (millis < 1000) {
            return millis + "ms";
        }
        long h = millis / 3_600_000;
        long m = millis / 60_000 % 60;
        String s = BigDecimal.valueOf(millis % 60_000, 3).stripTrailingZeros().toPlainString();
        if (h > 0) {
            return h + "h" + m + "m" + s + "s";
        }
        return m > 0 ? m + "m" + s + "s" : s + "s";
    }

    /** An enum constant's name in docker's capitalised form: READY → Ready, ON_FAILURE → On-failure. */
    public static String capitalised(Enum<?> e) {
        String n = e.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        return n.isEmpty() ? n : Character.toUpperCase(n.charAt(0)) + n.substring(1);
    }

    // ------------------------------------------------------------ readable blocks

    /**
     * A readable description of one object: {@code Key: value} lines, sections
     * whose lines are indented by one space, and {@code - item} lists.
     * Printed either as docker info does (one space after the colon) or
     * with the values aligned, as docker's {@code inspect --pretty} does.
     */
    public static final class Pretty {
        private record Line(int indent, String key, String value) {}

        private final List<Line> lines = new ArrayList<>();
        private int indent;

        /** {@code Key: value}, at the current depth; skipped when value is null. */
        public Pretty field(String key, Object value) {
            if (value != null) {
                lines.add(new Line(indent, key, String.valueOf(value)));
            }
            return this;
        }

        /** {@code Key:} and deeper lines until {@link #end()}. */
        public Pretty section(String key) {
            lines.add(new Line(indent, key, null));
            indent++;
            return this;
        }

        public Pretty end() {
            indent = Math.max(0, indent - 1);
            return this;
        }

        /** {@code - text}, one level deeper than the current depth. */
        public Pretty item(String text) {
            lines.add(new Line(indent + 1, null, "- " + text));
            return this;
        }

        /** Lines of text as they are, from column 0 (a PEM block); a final newline makes an empty line. */
        public Pretty text(String text) {
            for (String line : text.split("\n", -1)) {
                lines.add(new Line(0, null, line));
            }
            return this;
        }

        /** {@code Key:} with {@code - k=v} items below it, skipped when {@code map} is empty. */
        public Pretty labels(String key, Map<String, String> map) {
            if (!map.isEmpty()) {
                lines.add(new Line(indent, key, null));
                new java.util.TreeMap<>(map).forEach((k, v) -> item(v.isEmpty() ? k : k + "=" + v));
            }
            return this;
        }

        public String render(boolean aligned) {
            int column = 0;
            if (aligned) {
                for (Line l : lines) {
                    if (l.key != null && l.value != null) {
                        column = Math.max(column, l.indent + l.key.length() + 1);
                    }
                }
                column += 2;
            }
            StringBuilder sb = new StringBuilder();
            for (Line l : lines) {
                int start = sb.length();
                sb.append(" ".repeat(l.indent));
                if (l.key == null) {
                    sb.append(l.value);
                } else {
                    sb.append(l.key).append(':');
                    if (l.value != null) {
                        int pad = aligned ? column - (sb.length() - start) : 1;
                        if (!l.value.isEmpty()) {
                            sb.append(" ".repeat(Math.max(1, pad))).append(l.value);
                        }
                    }
                }
                sb.append('\n');
            }
            return sb.toString();
        }

        public void print(PrintWriter out, boolean aligned) {
            out.print(render(aligned));
        }
    }
}
