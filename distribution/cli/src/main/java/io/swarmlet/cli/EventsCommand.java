package io.swarmlet.cli;

import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.WatchEvent;
import io.swarmlet.api.types.WatchRefs;
import io.swarmlet.api.types.WatchRequest;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code swarmlet events [--filter K=V]... [--until T]} (docker events, for the swarm's
 * objects): every change to nodes, services, secrets, configs and networks (tasks and the
 * cluster too when asked by {@code type}) as it is committed, one line each, as docker prints
 * them:
 *
 * <pre>
 * 2026-11-28T07:55:23.123000000Z service update 6ag3k2u4dpkh... (name=web, replicas.new=3, replicas.old=1)
 * </pre>
 *
 * With {@code --since}, the events the manager kept (its last 256) first. Runs until
 * {@code --until} or Ctrl-C; times as docker takes them (unix seconds, RFC 3339, or a
 * duration back from now).
 */
@Command(name = "events", description = "Get real time events from the cluster: changes to its nodes, services, secrets,"
        + " configs and networks.")
final class EventsCommand extends CliCommand {

    static final Set<String> KINDS = Set.of("node", "service", "task", "secret", "config", "network", "cluster");
    static final Set<String> ACTIONS = Set.of("create", "update", "remove");

    @Option(names = {"-f", "--filter"}, paramLabel = "filter",
            description = "Filter output based on conditions provided: type=(node|service|task|secret|config|network|cluster),"
                    + " event=(create|update|remove), or an object by ID or name (prefixes too): service=, node=, secret=,"
                    + " config=, network=.")
    List<String> filters = new ArrayList<>();

    @Option(names = "--since", paramLabel = "string",
            description = "Show the events kept since this time (a manager keeps its last 256): unix seconds, an RFC 3339"
                    + " date, or a duration back from now (10m).")
    String since;

    @Option(names = "--until", paramLabel = "string",
            description = "Stream events until this time: unix seconds, an RFC 3339 date, or a duration back from now.")
    String until;

    @Override
    public Integer call() {
        Map<String, Set<String>> f = parseFilters();
        long sinceMillis = time("--since", since);
        long untilMillis = time("--until", until);
        if (untilMillis > 0 && sinceMillis > untilMillis) {
            throw usage("--since must not be after --until");
        }
        if (untilMillis > 0 && sinceMillis == 0 && untilMillis <= root().clock.millis()) {
            return Main.EXIT_OK; // nothing kept is asked for, and the end has come
        }
        PrintWriter out = out();
        try {
            api().watch(request(f).toBuilder().setSince(sinceMillis).setUntil(untilMillis).build(), e -> {
                out.println(line(e));
                out.flush();
            });
        } catch (InterruptedException e) {
            // Ctrl-C (in the shell console: the interrupt ends this command only)
        } catch (ControlException e) {
            if (!Thread.interrupted()) {
                throw e;
            }
        }
        return Main.EXIT_OK;
    }

    private Map<String, Set<String>> parseFilters() {
        Map<String, Set<String>> f = new LinkedHashMap<>();
        for (String raw : filters) {
            int eq = raw.indexOf('=');
            if (eq <= 0) {
                throw usage("bad format of filter (expected name=value): " + raw);
            }
            String key = raw.substring(0, eq).trim().toLowerCase(java.util.Locale.ROOT);
            String value = raw.substring(eq + 1).trim();
            boolean known = switch (key) {
                case "type" -> KINDS.contains(value);
                case "event" -> ACTIONS.contains(value);
                case "service", "node", "secret", "config", "network" -> !value.isEmpty();
                default -> throw usage("invalid filter '" + key + "' (use type, event, service, node, secret, config or network)");
            };
            if (!known) {
                throw usage("invalid filter '" + raw + "'");
            }
            f.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(value);
        }
        return f;
    }

    /** docker's times: unix seconds (a fraction too), an RFC 3339 date or date-time (local without a zone), or a duration back from now. */
    private long time(String flag, String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        String v = value.trim();
        if (v.matches("\\d+(\\.\\d+)?")) {
            return new java.math.BigDecimal(v).movePointRight(3).longValue();
        }
        java.time.ZoneId zone = java.time.ZoneId.systemDefault();
        for (java.util.function.Function<String, Instant> parse : List.<java.util.function.Function<String, Instant>>of(
                Instant::parse, // with Z or an offset
                t -> java.time.LocalDateTime.parse(t).atZone(zone).toInstant(),
                t -> java.time.LocalDate.parse(t).atStartOfDay(zone).toInstant())) {
            try {
                return parse.apply(v).toEpochMilli();
            } catch (java.time.format.DateTimeParseException e) {
                // the next form
            }
        }
        try {
            return root().clock.millis() - FlagValues.durationMillis(v);
        } catch (IllegalArgumentException e) {
            throw usage("invalid value for " + flag + ": " + v + " (unix seconds, an RFC 3339 date, or a duration such as 10m)");
        }
    }

    /** The watch the filters ask for: the control API applies them as docker does (each key must match one of its values). */
    static WatchRequest request(Map<String, Set<String>> f) {
        WatchRequest.Builder b = WatchRequest.newBuilder();
        f.forEach((key, values) -> {
            switch (key) {
                case "type" -> b.addAllKinds(values);
                case "event" -> b.addAllActions(values);
                default -> b.putRefs(key, WatchRefs.newBuilder().addAllValues(values).build());
            }
        });
        return b.build();
    }

    /** One event as docker prints it: time, type, action, ID, then (name=..., what changed), sorted. */
    static String line(WatchEvent e) {
        StringJoiner attrs = new StringJoiner(", ", " (", ")");
        attrs.setEmptyValue("");
        Map<String, String> all = new TreeMap<>(e.getAttributesMap());
        if (!e.getName().isEmpty()) {
            all.put("name", e.getName());
        }
        all.forEach((k, v) -> attrs.add(k + "=" + v));
        return ServiceLogsCommand.TIMESTAMP.format(Instant.ofEpochMilli(e.getTimestamp())) + " " + e.getKind() + " "
                + e.getAction() + " " + e.getId() + attrs;
    }
}
