package io.swarmlet.stack.internal.compose;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Docker's units: Go durations ({@code 10s}, {@code 1m30s}), memory sizes ({@code 300M}), CPUs ({@code '0.1'}). */
final class Units {

    private static final Pattern DURATION_PART = Pattern.compile("([0-9]*(?:\\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*([kmgtp]?)(i?b)?", Pattern.CASE_INSENSITIVE);

    private Units() {
    }

    /** A Go duration; null when the text is not one. */
    static Duration duration(String text) {
        String s = text.trim();
        boolean negative = s.startsWith("-");
        if (negative || s.startsWith("+")) {
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (s.isEmpty()) {
            return null;
        }
        Matcher m = DURATION_PART.matcher(s);
        BigDecimal nanos = BigDecimal.ZERO;
        int at = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at || m.group(1).isEmpty() || m.group(1).equals(".")) {
                return null;
            }
            long unit = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs", "μs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)));
            at = m.end();
        }
        Duration d = Duration.ofNanos(nanos.longValue());
        return negative ? d.negated() : d;
    }

    /** Bytes of a memory size ({@code 300M}, {@code 1.5g}, {@code 512mb}, a bare number of bytes); null if invalid. */
    static Long bytes(Object value) {
        if (value instanceof Long l) {
            return l;
        }
        Matcher m = SIZE.matcher(String.valueOf(value).trim());
        if (!m.matches()) {
            return null;
        }
        int power = "bkmgtp".indexOf(m.group(2).isEmpty() ? "b" : m.group(2).toLowerCase(Locale.ROOT));
        return new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(1024).pow(power)).longValue();
    }

    /** Nano-CPUs of a CPU count ({@code 0.1}, {@code '0.5'}); null if invalid or negative. */
    static Long nanoCpus(Object value) {
        try {
            BigDecimal cpus = new BigDecimal(String.valueOf(value).trim());
            if (cpus.signum() < 0) {
                return null;
            }
            return cpus.movePointRight(9).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
    }
}
