package io.swarmlet.api.dispatcher;

import io.swarmlet.api.types.Task;
import java.util.List;

/**
 * Every task assigned to a node at one point of the store's history.
 *
 * @param version increases whenever the set or any task in it changes
 * @param tasks the tasks, in ID order
 */
public record Assignments(long version, List<Task> tasks) {}
