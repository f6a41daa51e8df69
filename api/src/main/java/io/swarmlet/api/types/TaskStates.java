package io.swarmlet.api.types;

/** Rules over {@link TaskState}: task states are ordered and only move forward. */
public final class TaskStates {

    private TaskStates() {}

    /** Whether a task in state {@code from} may be reported as {@code to}. */
    public static boolean canMove(TaskState from, TaskState to) {
        return to.getNumber() >= from.getNumber();
    }

    /** Whether the state is final: the task will not run (again). */
    public static boolean isTerminal(TaskState s) {
        return s.getNumber() >= TaskState.COMPLETE_VALUE;
    }

    /** "Running", "Pending"... as docker prints it. */
    public static String display(TaskState s) {
        String n = s.name().toLowerCase(java.util.Locale.ROOT);
        return Character.toUpperCase(n.charAt(0)) + n.substring(1);
    }
}
