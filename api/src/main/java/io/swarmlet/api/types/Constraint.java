package io.swarmlet.api.types;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A placement constraint as docker writes it: {@code node.role==manager},
 * {@code node.labels.zone!=east}, {@code engine.labels.os==linux}. Parsed
 * once when a service is created (bad ones are refused there) and matched by
 * the scheduler's constraint filter.
 *
 * @param key what is compared, e.g. "node.hostname" or "node.labels.zone"
 * @param equal {@code ==} (true) or {@code !=} (false)
 * @param value what it is compared with (case-insensitive, like docker)
 */
public record Constraint(String key, boolean equal, String value) {

    private static final List<String> KEYS = List.of("node.id", "node.hostname", "node.role", "node.platform.os",
            "node.platform.arch", "node.availability");

    /**
     * Parses one expression.
     *
     * @throws IllegalArgumentException with a message for the user
     */
    public static Constraint parse(String expr) {
        String e = expr.trim();
        int i = e.indexOf("==");
        boolean eq = true;
        int j = e.indexOf("!=");
        if (i < 0 && j < 0) {
            throw new IllegalArgumentException("invalid constraint " + expr + ": use KEY==VALUE or KEY!=VALUE, e.g. node.role==manager");
        }
        if (i < 0 || (j >= 0 && j < i)) {
            i = j;
            eq = false;
        }
        String key = e.substring(0, i).trim();
        String value = e.substring(i + 2).trim();
        if (value.isEmpty()) {
            throw new IllegalArgumentException("invalid constraint " + expr + ": no value after the operator");
        }
        String lk = key.toLowerCase(Locale.ROOT);
        boolean label = (lk.startsWith("node.labels.") && lk.length() > "node.labels.".length())
                || (lk.startsWith("engine.labels.") && lk.length() > "engine.labels.".length());
        if (!label && !KEYS.contains(lk)) {
            throw new IllegalArgumentException("invalid constraint " + expr + ": unknown key " + key
                    + " (use node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<label> or engine.labels.<label>)");
        }
        if (lk.equals("node.role") && !value.equalsIgnoreCase("manager") && !value.equalsIgnoreCase("worker")) {
            throw new IllegalArgumentException("invalid constraint " + expr + ": node.role is manager or worker");
        }
        return new Constraint(label ? lk.substring(0, lk.indexOf(".labels.") + 8) + key.substring(lk.indexOf(".labels.") + 8) : lk, eq, value);
    }

    /** Parses a list of expressions. */
    public static List<Constraint> parseAll(List<String> exprs) {
        List<Constraint> out = new ArrayList<>();
        for (String s : exprs) {
            out.add(parse(s));
        }
        return out;
    }

    /** Whether the node satisfies it. */
    public boolean matches(Node n) {
        String have;
        switch (key) {
            case "node.id": have = n.getId(); break;
            case "node.hostname": have = n.getDescription().getHostname(); break;
            case "node.role": have = n.getRole() == NodeRole.MANAGER ? "manager" : "worker"; break;
            case "node.platform.os": have = n.getDescription().getPlatform().getOs(); break;
            case "node.platform.arch": have = n.getDescription().getPlatform().getArchitecture(); break;
            case "node.availability": have = n.getSpec().getAvailability().name(); break;
            default:
                Map<String, String> labels = key.startsWith("node.labels.")
                        ? n.getSpec().getAnnotations().getLabelsMap()
                        : n.getDescription().getEngine().getLabelsMap();
                have = labels.get(key.substring(key.indexOf(".labels.") + 8));
        }
        boolean same = have != null && have.equalsIgnoreCase(value);
        return equal == same;
    }

    @Override
    public String toString() {
        return key + (equal ? "==" : "!=") + value;
    }
}
