package io.swarmlet.itests;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict line checker for Prometheus' text exposition format 0.0.4: every line
 * is blank, a {@code # HELP}/{@code # TYPE} line, another comment, or a sample
 * {@code name{label="value",...} value [timestamp]}; a family's TYPE comes once
 * and before its samples; label values use only the format's escapes. A bad
 * line fails with its number and text.
 */
final class PrometheusText {

    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final String LABEL_NAME = "[a-zA-Z_][a-zA-Z0-9_]*";
    private static final String LABEL_VALUE = "\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\"";
    private static final String VALUE = "(?:[-+]?(?:\\d+\\.?\\d*(?:[eE][-+]?\\d+)?|\\.\\d+(?:[eE][-+]?\\d+)?)|[-+]?Inf|NaN)";
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{(?:" + LABEL_NAME + "=" + LABEL_VALUE
            + "(?:," + LABEL_NAME + "=" + LABEL_VALUE + ")*,?)?\\})? (" + VALUE + ")(?: (-?\\d+))?");
    private static final Pattern LABEL = Pattern.compile("(" + LABEL_NAME + ")=(" + LABEL_VALUE + ")");
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") .*|# HELP (" + NAME + ")");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final List<String> SUFFIXES = List.of("_count", "_sum", "_bucket", "_max", "_total", "_created");

    /** One sample line. */
    record Sample(String name, Map<String, String> labels, double value) {}

    private PrometheusText() {}

    /** The samples of {@code text}, after checking every line. */
    static List<Sample> parse(String text) {
        List<Sample> samples = new ArrayList<>();
        Map<String, String> types = new HashMap<>();
        Set<String> sampled = new HashSet<>();
        String[] lines = text.split("\n", -1);
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new AssertionError("the exposition must end with a line feed");
        }
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String where = "line " + (i + 1) + ": " + line;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("# TYPE")) {
                Matcher m = TYPE.matcher(line);
                if (!m.matches()) {
                    throw new AssertionError("bad TYPE " + where);
                }
                if (types.put(m.group(1), m.group(2)) != null) {
                    throw new AssertionError("a second TYPE for " + m.group(1) + ", " + where);
                }
                if (sampled.contains(m.group(1))) {
                    throw new AssertionError("TYPE after samples of " + m.group(1) + ", " + where);
                }
                continue;
            }
            if (line.startsWith("# HELP")) {
                if (!HELP.matcher(line).matches()) {
                    throw new AssertionError("bad HELP " + where);
                }
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("not a sample " + where);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    String raw = l.group(2);
                    if (labels.put(l.group(1), unescape(raw.substring(1, raw.length() - 1))) != null) {
                        throw new AssertionError("label " + l.group(1) + " twice, " + where);
                    }
                }
            }
            sampled.add(family(m.group(1), types));
            samples.add(new Sample(m.group(1), labels, parseValue(m.group(3))));
        }
        return samples;
    }

    /** The value of the one sample with that name and exactly those labels, or null. */
    static Double value(List<Sample> samples, String name, Map<String, String> labels) {
        Double found = null;
        for (Sample s : samples) {
            if (s.name().equals(name) && s.labels().equals(labels)) {
                if (found != null) {
                    throw new AssertionError("two samples " + name + labels);
                }
                found = s.value();
            }
        }
        return found;
    }

    /** The sum of the samples with that name whose labels include {@code labels}. */
    static double sum(List<Sample> samples, String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name)
                && s.labels().entrySet().containsAll(labels.entrySet())).mapToDouble(Sample::value).sum();
    }

    private static String family(String name, Map<String, String> types) {
        if (types.containsKey(name)) {
            return name;
        }
        for (String suffix : SUFFIXES) {
            if (name.endsWith(suffix) && types.containsKey(name.substring(0, name.length() - suffix.length()))) {
                return name.substring(0, name.length() - suffix.length());
            }
        }
        return name;
    }

    private static double parseValue(String v) {
        return switch (v) {
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
    }

    private static String unescape(String s) {
        return s.replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\");
    }
}
