package io.swarmlet.cli;

import java.time.Duration;

/**
 * Durations in words, with the same thresholds as docker's
 * {@code units.HumanDuration}: "Less than a second", "1 second",
 * "59 seconds", "About a minute", "2 minutes", "About an hour",
 * "2 hours" ... "47 hours", "2 days" ... "13 days", "2 weeks" ...
 * "8 weeks", "2 months" ... "24 months", "2 years". {@code service ps} and
 * {@code service ls} print times as {@link #ago}.
 */
public final class HumanTime {

    private HumanTime() {}

    /** {@code d} in words; negative durations (clock skew) read as "Less than a second". */
    public static String duration(Duration d) {
        long seconds = d.getSeconds(); // floor; whole seconds elapsed
        if (d.isNegative() || seconds < 1) {
            return "Less than a second";
        }
        if (seconds == 1) {
            return "1 second";
        }
        if (seconds < 60) {
            return seconds + " seconds";
        }
        long minutes = seconds / 60;
        if (minutes == 1) {
            return "About a minute";
        }
        if (minutes < 60) {
            return minutes + " minutes";
        }
        double exactHours = d.toMillis() / 3_600_000.0;
        long hours = (long) (exactHours + 0.5);
        if (hours == 1) {
            return "About an hour";
        }
        if (hours < 48) {
            return hours + " hours";
        }
        if (hours < 24 * 7 * 2) {
            return hours / 24 + " days";
        }
        if (hours < 24 * 30 * 2) {
            return hours / 24 / 7 + " weeks";
        }
        if (hours < 24 * 365 * 2) {
            return hours / 24 / 30 + " months";
        }
        return (long) exactHours / 24 / 365 + " years";
    }

    /** The time since {@code thenMillis} in words, "2 hours ago" (both unix millis). */
    public static String ago(long thenMillis, long nowMillis) {
        return duration(Duration.ofMillis(nowMillis - thenMillis)) + " ago";
    }

    /** The time since {@code thenMillis} (unix millis) in words, by the system clock. */
    public static String ago(long thenMillis) {
        return ago(thenMillis, System.currentTimeMillis());
    }
}
