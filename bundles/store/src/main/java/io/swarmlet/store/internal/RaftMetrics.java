package io.swarmlet.store.internal;

import io.swarmlet.api.metrics.Metrics;
import java.util.function.BooleanSupplier;

/**
 * The store's meters, while a {@link Metrics} service is there (it is optional: without one every
 * call here does nothing): {@value #COMMIT} (from proposing a write to its apply here),
 * {@value #LEADER_CHANGES} (Raft leaders this manager has seen elected) and {@value #LEADER}
 * (1 while this manager leads).
 */
final class RaftMetrics {

    static final String COMMIT = "swarmlet_raft_commit_seconds";
    static final String LEADER_CHANGES = "swarmlet_raft_leader_changes_total";
    static final String LEADER = "swarmlet_raft_leader";

    private final BooleanSupplier leader;
    private volatile Metrics metrics;
    private volatile Metrics.Timer commit;
    private volatile Metrics.Counter leaderChanges;
    private Metrics.Registration leaderGauge;

    RaftMetrics(BooleanSupplier leader) {
        this.leader = leader;
    }

    synchronized void bind(Metrics m) {
        unbind(metrics);
        commit = m.timer(COMMIT, "Time from proposing a store write to its apply on this manager");
        leaderChanges = m.counter(LEADER_CHANGES, "Raft leader elections this manager has seen");
        leaderGauge = m.gauge(LEADER, "1 while this manager is the Raft leader, else 0",
                () -> leader.getAsBoolean() ? 1 : 0);
        metrics = m;
    }

    synchronized void unbind(Metrics m) {
        if (m == null || m != metrics) {
            return;
        }
        metrics = null;
        commit = null;
        leaderChanges = null;
        if (leaderGauge != null) {
            leaderGauge.close();
            leaderGauge = null;
        }
    }

    void committed(long nanos) {
        Metrics.Timer t = commit;
        if (t != null) {
            t.record(nanos);
        }
    }

    void leaderChanged() {
        Metrics.Counter c = leaderChanges;
        if (c != null) {
            c.increment();
        }
    }
}
