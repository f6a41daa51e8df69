package io.swarmlet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HumanTimeTest {

    private static String d(Duration d) {
        return HumanTime.duration(d);
    }

    @Test
    void seconds() {
        assertEquals("Less than a second", d(Duration.ZERO));
        assertEquals("Less than a second", d(Duration.ofMillis(999)));
        assertEquals("Less than a second", d(Duration.ofSeconds(-5)));
        assertEquals("1 second", d(Duration.ofMillis(1999)));
        assertEquals("2 seconds", d(Duration.ofSeconds(2)));
        assertEquals("59 seconds", d(Duration.ofMillis(59_999)));
    }

    @Test
    void minutes() {
        assertEquals("About a minute", d(Duration.ofSeconds(60)));
        assertEquals("About a minute", d(Duration.ofSeconds(119)));
        assertEquals("2 minutes", d(Duration.ofSeconds(120)));
        assertEquals("59 minutes", d(Duration.ofSeconds(3599)));
    }

    @Test
    void hoursRoundToNearest() {
        assertEquals("About an hour", d(Duration.ofMinutes(60)));
        assertEquals("About an hour", d(Duration.ofMinutes(89)));
        assertEquals("2 hours", d(Duration.ofMinutes(90)));
        assertEquals("2 hours", d(Duration.ofHours(2)));
        assertEquals("47 hours", d(Duration.ofMinutes(47 * 60 + 29)));
        assertEquals("2 days", d(Duration.ofMinutes(47 * 60 + 30)));
    }

    @Test
    void daysWeeksMonthsYears() {
        assertEquals("3 days", d(Duration.ofDays(3)));
        assertEquals("13 days", d(Duration.ofDays(13)));
        assertEquals("2 weeks", d(Duration.ofDays(14)));
        assertEquals("8 weeks", d(Duration.ofDays(59)));
        assertEquals("2 months", d(Duration.ofDays(60)));
        assertEquals("24 months", d(Duration.ofDays(729)));
        assertEquals("2 years", d(Duration.ofDays(730)));
        assertEquals("10 years", d(Duration.ofDays(3650)));
    }

    @Test
    void ago() {
        long now = 1_700_000_000_000L;
        assertEquals("59 seconds ago", HumanTime.ago(now - 59_000, now));
        assertEquals("About a minute ago", HumanTime.ago(now - 61_000, now));
        assertEquals("2 hours ago", HumanTime.ago(now - 2 * 3_600_000, now));
        assertEquals("Less than a second ago", HumanTime.ago(now + 5_000, now));
    }
}
