package io.swarmlet.metrics.internal;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A checker of Prometheus' text exposition format (0.0.4), line by line: {@code # HELP name text},
 * {@code # TYPE name type} (once per family, before its samples) and {@code name{label="value",...} value};
 * a sample belongs to the family its TYPE named (a summary's or histogram's {@code _count}, {@code _sum},
 * {@code _bucket} too). Parsing gives the samples, keyed as written ({@code name{labels}}), labels sorted.
 */
final class PrometheusText {

    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") (.*)");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|summary|histogram|untyped)");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{(.*)})? (\\S+)( -?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"(,|$)");

    final Map<String, Double> samples = new LinkedHashMap<>();
    final Map<String, String> types = new HashMap<>();
    final Map<String, String> helps = new HashMap<>();

    static PrometheusText parse(String text) {
        PrometheusText p = new PrometheusText();
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new AssertionError("the text does not end with a line feed");
        }
        String family = null;
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isEmpty()) {
                continue;
            }
            Matcher m;
            if ((m = HELP.matcher(line)).matches()) {
                if (p.helps.put(m.group(1), m.group(2)) != null) {
                    throw new AssertionError(n + ": a second HELP for " + m.group(1));
                }
            } else if ((m = TYPE.matcher(line)).matches()) {
                if (p.types.put(m.group(1), m.group(2)) != null) {
                    throw new AssertionError(n + ": a second TYPE for " + m.group(1));
                }
                family = m.group(1);
            } else if (line.startsWith("#")) {
                continue;
            } else if ((m = SAMPLE.matcher(line)).matches()) {
                String name = m.group(1);
                String fam = family;
                if (fam == null || !(name.equals(fam) || Set.of("_count", "_sum", "_bucket", "_total", "_created")
                        .stream().anyMatch(s -> name.equals(fam + s)))) {
                    throw new AssertionError(n + ": sample " + name + " outside its family (" + family + "): " + line);
                }
                Map<String, String> labels = new java.util.TreeMap<>();
                if (m.group(3) != null && !m.group(3).isEmpty()) {
                    Matcher l = LABEL.matcher(m.group(3));
                    int at = 0;
                    while (at < m.group(3).length()) {
                        if (!l.find(at) || l.start() != at) {
                            throw new AssertionError(n + ": bad labels: " + line);
                        }
                        labels.put(l.group(1), l.group(2));
                        at = l.end();
                    }
                }
                double value = switch (m.group(4)) {
                    case "+Inf" -> Double.POSITIVE_INFINITY;
                    case "-Inf" -> Double.NEGATIVE_INFINITY;
                    case "NaN" -> Double.NaN;
                    default -> Double.parseDouble(m.group(4));
                };
                String key = name + (labels.isEmpty() ? "" : labels.toString().replace(", ", ","));
                if (p.samples.put(key, value) != null) {
                    throw new AssertionError(n + ": a second sample " + key);
                }
            } else {
                throw new AssertionError(n + ": not Prometheus text: " + line);
            }
        }
        return p;
    }

    /** The value of a sample, as {@code name} or {@code name{a=x,b=y}} (labels sorted); null if absent. */
    Double get(String key) {
        return samples.get(key);
    }
}
