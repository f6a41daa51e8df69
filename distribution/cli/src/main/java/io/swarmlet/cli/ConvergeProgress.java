package io.swarmlet.cli;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.GetServiceRequest;
import io.swarmlet.api.types.ListFilters;
import io.swarmlet.api.types.ListNodesRequest;
import io.swarmlet.api.types.ListTasksRequest;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.UpdateStatus;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * docker's converge progress for {@code service create/update/scale/rollback}
 * without {@code --detach}: polls the service, its up-to-date tasks and the
 * nodes every {@link #POLL_MILLIS} ms and shows
 *
 * <pre>
 * overall progress: 3 out of 3 tasks
 * 1/3: running   [==================================================&gt;]
 * ...
 * verify: Service converged
 * </pre>
 *
 * A slot whose task failed shows the task's error instead of a bar. Once
 * every task runs, it waits the update monitor period (5s unless the spec
 * says otherwise) to see that they stay up, as docker does. Jobs end with
 * "job complete". A paused update or rollback is an error.
 *
 * <p>On a terminal the block of lines is redrawn in place; otherwise only
 * lines whose text changed are printed again. It gives up after a bound
 * (and on interrupt, i.e. Ctrl-C) with a pointer to {@code service ps}: the
 * cluster goes on converging either way.
 */
final class ConvergeProgress {

    static final long POLL_MILLIS = 200;
    static final long DEFAULT_MONITOR_MILLIS = 5_000;
    /** Slot lines are shown up to this many tasks (docker's maxProgressBars). */
    static final int MAX_BARS = 20;
    private static final int BAR_WIDTH = 50;
    private static final int ERROR_WIDTH = 75;

    /** Tells how long to sleep between polls; {@link Thread#sleep} outside tests. */
    interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    private final ControlApi api;
    private final String serviceId;
    private final String name;
    private final UpdateStatus stale;
    private final Lines lines;
    private final Clock clock;
    private final Sleeper sleeper;
    private final long timeoutMillis;

    /**
     * @param serviceId the service's full ID
     * @param name how to name the service in hints ({@code swarmlet service ps NAME})
     * @param before the service's update status before the change being watched; a status equal to it is old news
     * @param out where to draw, null for {@code --quiet}
     */
    ConvergeProgress(ControlApi api, String serviceId, String name, UpdateStatus before, PrintWriter out, boolean tty,
                     Clock clock, Sleeper sleeper, long timeoutMillis) {
        this.api = api;
        this.serviceId = serviceId;
        this.name = name;
        this.stale = before;
        this.lines = new Lines(out, tty);
        this.clock = clock;
        this.sleeper = sleeper;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Watches until the service converged, its update paused, the bound
     * passed or the thread was interrupted.
     *
     * @return normally when converged or interrupted (the cluster goes on in the background)
     * @throws CliException when the update or rollback paused, or the service did not converge in time
     */
    void run() {
        long start = clock.millis();
        Updater updater = null;
        boolean converged = false;
        long convergedAt = -1;
        boolean rollback = false;
        String[] finalMessage = null;
        try {
            while (true) {
                Service svc = api.getService(GetServiceRequest.newBuilder().setId(serviceId).build()).getService();
                long monitor = svc.getSpec().getUpdate().getMonitorMs() != 0 ? svc.getSpec().getUpdate().getMonitorMs() : DEFAULT_MONITOR_MILLIS;
                if (updater == null) {
                    updater = updater(svc.getSpec());
                }
                UpdateStatus st = svc.getUpdateStatus();
                if (st.getState() != UpdateStatus.UpdateState.UNKNOWN && !isStale(st)) {
                    switch (st.getState()) {
                        case UPDATING:
                            rollback = false;
                            break;
                        case COMPLETED:
                            if (!converged) {
                                lines.render();
                                return;
                            }
                            break;
                        case PAUSED:
                            lines.render();
                            throw new CliException("service update paused: " + st.getMessage());
                        case ROLLBACK_STARTED:
                            if (!rollback && !st.getMessage().isEmpty()) {
                                lines.put("rollback", st.getMessage());
                            }
                            rollback = true;
                            break;
                        case ROLLBACK_PAUSED:
                            lines.render();
                            throw new CliException("service rollback paused: " + st.getMessage());
                        case ROLLBACK_COMPLETED:
                            if (!converged) {
                                finalMessage = new String[] {"rollback", st.getMessage()};
                            }
                            rollback = true;
                            break;
                        default:
                            break;
                    }
                }
                long now = clock.millis();
                if (converged && now - convergedAt >= monitor) {
                    lines.put("verify", "Service converged");
                    if (finalMessage != null && !finalMessage[1].isEmpty()) {
                        lines.put(finalMessage[0], finalMessage[1]);
                    }
                    lines.render();
                    return;
                }
                List<Task> tasks = new ArrayList<>();
                for (Task t : api.listTasks(ListTasksRequest.newBuilder()
                        .setFilters(ListFilters.newBuilder().addServiceIds(svc.getId())).build()).getTasksList()) {
                    if (Services.upToDate(svc, t)) {
                        tasks.add(t);
                    }
                }
                Set<String> active = Services.activeNodes(api.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList());
                converged = updater.update(svc, tasks, active, rollback);
                if (converged) {
                    if (Services.isJob(svc.getSpec())) {
                        lines.put("", "job complete");
                        lines.render();
                        return;
                    }
                    if (convergedAt < 0) {
                        convergedAt = now;
                    }
                    long wait = monitor - (now - convergedAt);
                    if (wait >= 0) {
                        lines.put("verify", "Waiting " + Math.max(1, (wait + 999) / 1000) + " seconds to verify that tasks are stable...");
                    }
                } else {
                    if (convergedAt >= 0) {
                        lines.put("verify", "Detected task failure");
                    }
                    convergedAt = -1;
                }
                lines.render();
                if (now - start >= timeoutMillis) {
                    throw new CliException("service " + name + " has not converged after " + Output.duration(timeoutMillis)
                            + "; it goes on converging in the background: see `swarmlet service ps " + name + "`");
                }
                sleeper.sleep(POLL_MILLIS);
            }
        } catch (InterruptedException e) {
            interrupted(converged);
        } catch (ControlException e) {
            if (!Thread.currentThread().isInterrupted()) {
                throw e;
            }
            interrupted(converged);
        }
    }

    /** Ctrl-C: docker's words; the interrupt stays set for the caller. */
    private void interrupted(boolean converged) {
        Thread.currentThread().interrupt();
        if (!converged) {
            lines.put(" ", "Operation continuing in background.");
            lines.put("  ", "Use `swarmlet service ps " + name + "` to check progress.");
        }
        lines.render();
    }

    private boolean isStale(UpdateStatus st) {
        return st.getState() == stale.getState() && st.getStartedAt() == stale.getStartedAt()
                && st.getMessage().equals(stale.getMessage());
    }

    private Updater updater(ServiceSpec spec) {
        switch (spec.getModeCase()) {
            case GLOBAL: return new GlobalUpdater();
            case REPLICATED_JOB: return new ReplicatedJobUpdater(spec);
            case GLOBAL_JOB: return new GlobalJobUpdater();
            default: return new ReplicatedUpdater();
        }
    }

    // ------------------------------------------------------------ the states and the bar

    /** docker's order of task states for the bar: new 1 ... running 9, then the terminal ones; 0 = not shown. */
    static int rank(TaskState s) {
        switch (s) {
            case NEW: return 1;
            case PENDING: return 3;
            case ASSIGNED: return 4;
            case ACCEPTED: return 5;
            case PREPARING: return 6;
            case READY: return 7;
            case STARTING: return 8;
            case RUNNING: return 9;
            case COMPLETE: return 10;
            case SHUTDOWN: return 11;
            case FAILED: return 12;
            case REJECTED: return 13;
            default: return 0;
        }
    }

    /** Past running: complete, shutdown, failed, rejected. */
    static boolean terminal(TaskState s) {
        return rank(s) > rank(TaskState.RUNNING);
    }

    /** The width of the longest state name shown ("preparing"), so that bars line up. */
    private static final int STATE_WIDTH = "preparing".length();

    /** {@code running   [=====>    ]}: the state padded, then docker's 50-character bar. */
    static String stateBar(TaskState s, int total) {
        String state = Services.state(s);
        return state + " ".repeat(Math.max(0, STATE_WIDTH - state.length())) + " " + bar(rank(s), total);
    }

    /** docker's progress bar: {@code [====>     ]}, 50 characters between the brackets plus the arrow. */
    static String bar(long current, long total) {
        if (total <= 0) {
            return "";
        }
        int filled = (int) Math.min(BAR_WIDTH, (int) (current * 100.0 / total) / 2);
        return "[" + "=".repeat(filled) + ">" + " ".repeat(BAR_WIDTH - filled) + "]";
    }

    /** A task error on one line, at most 75 characters. */
    static String truncError(String err) {
        String e = err.replace("\n", " ");
        return e.codePointCount(0, e.length()) > ERROR_WIDTH
                ? e.substring(0, e.offsetByCodePoints(0, ERROR_WIDTH - 1)) + "…" : e;
    }

    private static String overall(long done, long total, boolean rollback) {
        return (rollback ? "rolling back update: " : "") + done + " out of " + total + " tasks";
    }

    // ------------------------------------------------------------ per mode

    /** Draws one poll's state; says whether the service converged. */
    private interface Updater {
        boolean update(Service svc, List<Task> tasks, Set<String> activeNodes, boolean rollback);
    }

    /**
     * Of several tasks for one slot (restarts, start-first updates), the one
     * to show: the lowest desired state, then the lowest observed state.
     */
    private static boolean better(Task candidate, Task existing) {
        int cd = rank(candidate.getDesiredState());
        int ed = rank(existing.getDesiredState());
        if (cd != ed) {
            return cd < ed;
        }
        return rank(candidate.getStatus().getState()) < rank(existing.getStatus().getState());
    }

    private static boolean shown(Task t) {
        return rank(t.getDesiredState()) != 0 && rank(t.getStatus().getState()) != 0;
    }

    private final class ReplicatedUpdater implements Updater {
        private final Map<Long, Integer> slotMap = new LinkedHashMap<>();
        private boolean initialized;
        private boolean done;

        @Override
        public boolean update(Service svc, List<Task> tasks, Set<String> activeNodes, boolean rollback) {
            long replicas = svc.getSpec().getReplicated().getReplicas();
            if (!initialized) {
                lines.put("overall progress", overall(0, replicas, rollback));
                if (replicas <= MAX_BARS) {
                    for (long i = 1; i <= replicas; i++) {
                        lines.put(i + "/" + replicas, "");
                    }
                }
                initialized = true;
            }
            Map<Long, Task> bySlot = new TreeMap<>();
            for (Task t : tasks) {
                if (!shown(t) || (!t.getNodeId().isEmpty() && !activeNodes.contains(t.getNodeId()))) {
                    continue;
                }
                Task existing = bySlot.get(t.getSlot());
                if (existing == null || better(t, existing)) {
                    bySlot.put(t.getSlot(), t);
                }
            }
            if (done && bySlot.values().stream().anyMatch(t -> t.getStatus().getState() != TaskState.RUNNING)) {
                done = false;
            }
            long running = 0;
            for (Task t : bySlot.values()) {
                int mapped = slotMap.computeIfAbsent(t.getSlot(), s -> slotMap.size() + 1);
                if (!terminal(t.getDesiredState()) && t.getStatus().getState() == TaskState.RUNNING) {
                    running++;
                }
                if (done || replicas > MAX_BARS || mapped > replicas) {
                    continue;
                }
                String id = mapped + "/" + replicas;
                if (!t.getStatus().getErr().isEmpty()) {
                    lines.put(id, truncError(t.getStatus().getErr()));
                } else if (!terminal(t.getDesiredState()) && !terminal(t.getStatus().getState())) {
                    lines.put(id, stateBar(t.getStatus().getState(), rank(TaskState.RUNNING)));
                }
            }
            if (!done) {
                lines.put("overall progress", overall(running, replicas, rollback));
                done = running == replicas;
            }
            return running == replicas;
        }
    }

    private final class GlobalUpdater implements Updater {
        private boolean initialized;
        private boolean done;

        @Override
        public boolean update(Service svc, List<Task> tasks, Set<String> activeNodes, boolean rollback) {
            Map<String, Task> byNode = new TreeMap<>();
            for (Task t : tasks) {
                if (!shown(t)) {
                    continue;
                }
                Task existing = byNode.get(t.getNodeId());
                if (existing == null || better(t, existing)) {
                    byNode.put(t.getNodeId(), t);
                }
            }
            int nodeCount = byNode.size();
            if (!initialized) {
                if (nodeCount == 0) {
                    lines.put("overall progress", "waiting for new tasks");
                    return false;
                }
                lines.put("overall progress", overall(0, nodeCount, rollback));
                initialized = true;
            }
            if (done && byNode.values().stream().anyMatch(t -> t.getStatus().getState() != TaskState.RUNNING)) {
                done = false;
            }
            int running = 0;
            for (Task t : byNode.values()) {
                if (!activeNodes.contains(t.getNodeId())) {
                    continue;
                }
                if (!terminal(t.getDesiredState()) && t.getStatus().getState() == TaskState.RUNNING) {
                    running++;
                }
                if (done || nodeCount > MAX_BARS) {
                    continue;
                }
                String id = Services.shortId(t.getNodeId());
                if (!t.getStatus().getErr().isEmpty()) {
                    lines.put(id, truncError(t.getStatus().getErr()));
                } else if (!terminal(t.getDesiredState()) && !terminal(t.getStatus().getState())) {
                    lines.put(id, stateBar(t.getStatus().getState(), rank(TaskState.RUNNING)));
                }
            }
            if (!done) {
                lines.put("overall progress", overall(running, nodeCount, rollback));
                done = running == nodeCount;
            }
            return running == nodeCount;
        }
    }

    /** Jobs count states up to complete, so their bars go one step further. */
    private static final int JOB_BAR_TOTAL = 10;

    private final class ReplicatedJobUpdater implements Updater {
        private final long total;
        private final long concurrent;
        private boolean initialized;

        ReplicatedJobUpdater(ServiceSpec spec) {
            this.total = spec.getReplicatedJob().getTotalCompletions();
            this.concurrent = spec.getReplicatedJob().getMaxConcurrent();
        }

        @Override
        public boolean update(Service svc, List<Task> tasks, Set<String> activeNodes, boolean rollback) {
            if (!initialized) {
                overallJob(0, 0);
                if (total <= MAX_BARS) {
                    for (long i = 1; i <= total; i++) {
                        lines.put(i + "/" + total, "");
                    }
                }
                initialized = true;
            }
            Map<Long, Task> bySlot = new TreeMap<>();
            for (Task t : tasks) {
                if (!Services.currentIteration(svc, t) || !shown(t)) {
                    continue;
                }
                Task existing = bySlot.get(t.getSlot());
                if (existing == null || rank(t.getStatus().getState()) < rank(existing.getStatus().getState())) {
                    bySlot.put(t.getSlot(), t);
                }
            }
            int active = 0;
            int complete = 0;
            for (Task t : bySlot.values()) {
                if (total <= MAX_BARS) {
                    String id = t.getSlot() + "/" + total;
                    lines.put(id, !t.getStatus().getErr().isEmpty() ? truncError(t.getStatus().getErr())
                            : stateBar(t.getStatus().getState(), JOB_BAR_TOTAL));
                }
                if (rank(t.getStatus().getState()) < rank(TaskState.COMPLETE)) {
                    active++;
                }
                if (t.getStatus().getState() == TaskState.COMPLETE) {
                    complete++;
                }
            }
            overallJob(active, complete);
            return complete == total;
        }

        private void overallJob(int active, int complete) {
            int digits = String.valueOf(total).length();
            lines.put("job progress", String.format("%" + digits + "d out of %d complete %s", complete, total, bar(complete, total)));
            long desired = Math.min(total - complete, concurrent);
            int activeDigits = String.valueOf(concurrent).length();
            lines.put("active tasks", String.format("%" + activeDigits + "d out of %" + activeDigits + "d tasks", active, desired));
        }
    }

    private final class GlobalJobUpdater implements Updater {
        private boolean initialized;
        private final Set<String> nodes = new java.util.TreeSet<>();

        @Override
        public boolean update(Service svc, List<Task> tasks, Set<String> activeNodes, boolean rollback) {
            if (!initialized) {
                if (tasks.isEmpty() && !activeNodes.isEmpty()) {
                    lines.put("job progress", "waiting for tasks");
                    return false;
                }
                for (Task t : tasks) {
                    if (Services.currentIteration(svc, t)) {
                        nodes.add(t.getNodeId());
                    }
                }
                overallJob(0);
                initialized = true;
            }
            Map<String, Task> byNode = new TreeMap<>();
            for (Task t : tasks) {
                if (!Services.currentIteration(svc, t) || !nodes.contains(t.getNodeId())) {
                    continue;
                }
                Task existing = byNode.get(t.getNodeId());
                if (existing == null || rank(t.getStatus().getState()) < rank(existing.getStatus().getState())) {
                    byNode.put(t.getNodeId(), t);
                }
            }
            int complete = 0;
            for (Task t : byNode.values()) {
                if (nodes.size() <= MAX_BARS) {
                    lines.put(t.getNodeId(), !t.getStatus().getErr().isEmpty() ? truncError(t.getStatus().getErr())
                            : stateBar(t.getStatus().getState(), JOB_BAR_TOTAL));
                }
                if (t.getStatus().getState() == TaskState.COMPLETE) {
                    complete++;
                }
            }
            overallJob(complete);
            return complete == nodes.size();
        }

        private void overallJob(int complete) {
            int digits = String.valueOf(nodes.size()).length();
            lines.put("job progress", String.format("%" + digits + "d out of %d complete %s", complete, nodes.size(),
                    bar(complete, nodes.size())));
        }
    }

    // ------------------------------------------------------------ drawing

    /**
     * The progress block: one line per ID ({@code ID: text}, or just the text
     * for IDs that are blank), in order of first appearance.
     */
    static final class Lines {
        private final PrintWriter out;
        private final boolean tty;
        private final Map<String, String> current = new LinkedHashMap<>();
        private final Map<String, String> printed = new LinkedHashMap<>();
        private int drawn;

        Lines(PrintWriter out, boolean tty) {
            this.out = out;
            this.tty = tty;
        }

        void put(String id, String text) {
            current.put(id, text);
        }

        private static String line(String id, String text) {
            String l = id.isBlank() ? text : id + ": " + text;
            int end = l.length();
            while (end > 0 && l.charAt(end - 1) == ' ') {
                end--;
            }
            return l.substring(0, end);
        }

        /** Shows what changed since the last call. */
        void render() {
            if (out == null || current.equals(printed)) {
                return;
            }
            if (tty) {
                StringBuilder sb = new StringBuilder();
                if (drawn > 0) {
                    sb.append("\033[").append(drawn).append('A');
                }
                for (Map.Entry<String, String> e : current.entrySet()) {
                    sb.append("\r\033[2K").append(line(e.getKey(), e.getValue())).append('\n');
                }
                out.print(sb);
                drawn = current.size();
            } else {
                for (Map.Entry<String, String> e : current.entrySet()) {
                    if (!e.getValue().equals(printed.get(e.getKey()))) {
                        out.println(line(e.getKey(), e.getValue()));
                    }
                }
            }
            printed.clear();
            printed.putAll(current);
            out.flush();
        }
    }
}
