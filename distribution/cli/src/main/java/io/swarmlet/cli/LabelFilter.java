package io.swarmlet.cli;

import java.util.Map;

/** docker's {@code label=KEY} / {@code label=KEY=VALUE} filter, shared by the ls commands. */
final class LabelFilter {

    private LabelFilter() {}

    /** Whether {@code labels} has the key of {@code filter} (and, if it names one, that value). */
    static boolean matches(Map<String, String> labels, String filter) {
        int eq = filter.indexOf('=');
        if (eq < 0) {
            return labels.containsKey(filter);
        }
        return filter.substring(eq + 1).equals(labels.get(filter.substring(0, eq)));
    }
}
