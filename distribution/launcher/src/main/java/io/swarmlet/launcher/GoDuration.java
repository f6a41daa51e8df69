package io.swarmlet.launcher;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Durations as Docker's flags spell them (Go's time.ParseDuration): "2160h0m0s", "1s", "500ms", "1h30m". */
public final class GoDuration {

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    private GoDuration() {}

    public static Duration parse(String text) {
        String s = text == null ? "" : text.trim();
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = PART.matcher(s);
        int at = 0;
        double nanos = 0;
        while (at < s.length() && m.find(at) && m.start() == at) {
            double v = Double.parseDouble(m.group(1));
            switch (m.group(2)) {
                case "ns": nanos += v; break;
                case "us": case "µs": nanos += v * 1e3; break;
                case "ms": nanos += v * 1e6; break;
                case "s": nanos += v * 1e9; break;
                case "m": nanos += v * 60e9; break;
                default: nanos += v * 3600e9; break;
            }
            at = m.end();
        }
        if (at == 0 || at != s.length()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (e.g. 1s, 500ms, 2160h0m0s)");
        }
        return Duration.ofNanos((long) nanos);
    }

    /** picocli converter; a duration must be positive. */
    public static final class Converter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                Duration d = parse(value);
                if (d.isZero() || d.isNegative()) {
                    throw new TypeConversionException("'" + value + "' must be a positive duration");
                }
                return d;
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
