package io.swarmlet.api.dispatcher;

import io.swarmlet.api.types.PayloadValue;
import io.swarmlet.api.types.Task;
import java.util.List;

/**
 * Every task assigned to a node at one point of the store's history, with the
 * secret and config versions those tasks reference (and no others).
 *
 * @param version increases whenever the set or any task in it changes
 * @param tasks the tasks, in ID order
 * @param secrets the referenced secret versions, opened (clear values: keep them in memory only,
 *                never log them); @since 1.4
 * @param configs the referenced config versions; @since 1.4
 */
public record Assignments(long version, List<Task> tasks, List<PayloadValue> secrets, List<PayloadValue> configs) {

    public Assignments {
        tasks = List.copyOf(tasks);
        secrets = secrets == null ? List.of() : List.copyOf(secrets);
        configs = configs == null ? List.of() : List.copyOf(configs);
    }

    /** Tasks without secrets or configs. */
    public Assignments(long version, List<Task> tasks) {
        this(version, tasks, List.of(), List.of());
    }

    /** Never prints values. */
    @Override
    public String toString() {
        return "Assignments[version=" + version + ", tasks=" + tasks.size() + ", secrets=" + secrets.size()
                + ", configs=" + configs.size() + "]";
    }
}
