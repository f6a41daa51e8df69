package io.swarmlet.store.internal;

import java.time.Duration;

/**
 * The store's knobs, with their defaults. {@link RaftStore} fills it from the
 * component configuration (PID {@code io.swarmlet.store}); tests build it directly.
 *
 * @param commitTimeout how long {@code Store.update} waits for a Raft leader to
 *     commit its transaction before it fails with NO_QUORUM
 * @param startTimeout how long start-up waits for this peer to become leader (one-member
 *     group), to be added to the group (join), or for its copy to catch up with the leader
 * @param snapshotThreshold take a snapshot automatically every this many log entries
 * @param snapshotRetention snapshot files kept on disk (older ones are deleted)
 * @param snapshotOnStop take a snapshot when the server stops (faster restart)
 * @param watchQueueCapacity events a watcher may have pending before it is closed
 * @param serverBossThreads Netty boss threads of the Raft gRPC server
 * @param serverWorkerThreads Netty worker threads of the Raft gRPC server
 * @param clientWorkerThreads Netty worker threads of the Raft gRPC clients
 *     (the store's own RaftClient and the server's peer connections)
 * @param clientOutstandingMax asynchronous writes the Raft client may have in flight at once
 * @param localSubmit when this manager leads, hand transactions to the local Raft server
 *     in process instead of sending them through the Raft client's gRPC connection
 * @param electionTimeoutMin lower bound of the randomized Raft election timeout (a follower
 *     that hears nothing from the leader for that long campaigns; the leader heartbeats
 *     every half of it)
 * @param electionTimeoutMax upper bound of the randomized Raft election timeout
 * @param leaderWaitTimeout how long a member of a multi-manager group waits at start for
 *     a leader before it serves its local copy anyway (reads work, writes fail NO_QUORUM
 *     until a leader is elected)
 * @param forceNewCluster on start, turn this manager's Raft state into a new one-member
 *     group (self only) that keeps all of its data ({@code --force-new-cluster})
 */
public record StoreConfig(
        Duration commitTimeout,
        Duration startTimeout,
        long snapshotThreshold,
        int snapshotRetention,
        boolean snapshotOnStop,
        int watchQueueCapacity,
        int serverBossThreads,
        int serverWorkerThreads,
        int clientWorkerThreads,
        int clientOutstandingMax,
        boolean localSubmit,
        Duration electionTimeoutMin,
        Duration electionTimeoutMax,
        Duration leaderWaitTimeout,
        boolean forceNewCluster) {

    public static final StoreConfig DEFAULTS = new StoreConfig(
            Duration.ofSeconds(5), Duration.ofSeconds(60), 10_000, 2, true, 100_000, 1, 2, 2, 1024, true,
            Duration.ofMillis(400), Duration.ofMillis(800), Duration.ofSeconds(10), false);

    public StoreConfig {
        if (commitTimeout.isNegative() || commitTimeout.isZero()) {
            throw new IllegalArgumentException("commitTimeout must be positive");
        }
        if (startTimeout.isNegative() || startTimeout.isZero()) {
            throw new IllegalArgumentException("startTimeout must be positive");
        }
        if (snapshotThreshold < 1) {
            throw new IllegalArgumentException("snapshotThreshold must be at least 1");
        }
        if (snapshotRetention < 1) {
            throw new IllegalArgumentException("snapshotRetention must be at least 1");
        }
        if (watchQueueCapacity < 1) {
            throw new IllegalArgumentException("watchQueueCapacity must be at least 1");
        }
        if (serverBossThreads < 1 || serverWorkerThreads < 1 || clientWorkerThreads < 1) {
            throw new IllegalArgumentException("Netty thread counts must be at least 1");
        }
        if (clientOutstandingMax < 1) {
            throw new IllegalArgumentException("clientOutstandingMax must be at least 1");
        }
        if (electionTimeoutMin.toMillis() < 50) {
            throw new IllegalArgumentException("electionTimeoutMin must be at least 50ms");
        }
        if (electionTimeoutMax.compareTo(electionTimeoutMin) <= 0) {
            throw new IllegalArgumentException("electionTimeoutMax must be above electionTimeoutMin");
        }
        if (leaderWaitTimeout.isNegative()) {
            throw new IllegalArgumentException("leaderWaitTimeout must not be negative");
        }
    }

    public StoreConfig withSnapshotThreshold(long n) {
        return new StoreConfig(commitTimeout, startTimeout, n, snapshotRetention, snapshotOnStop,
                watchQueueCapacity, serverBossThreads, serverWorkerThreads, clientWorkerThreads, clientOutstandingMax,
                localSubmit, electionTimeoutMin, electionTimeoutMax, leaderWaitTimeout, forceNewCluster);
    }

    public StoreConfig withSnapshotOnStop(boolean on) {
        return new StoreConfig(commitTimeout, startTimeout, snapshotThreshold, snapshotRetention, on,
                watchQueueCapacity, serverBossThreads, serverWorkerThreads, clientWorkerThreads, clientOutstandingMax,
                localSubmit, electionTimeoutMin, electionTimeoutMax, leaderWaitTimeout, forceNewCluster);
    }

    public StoreConfig withWatchQueueCapacity(int n) {
        return new StoreConfig(commitTimeout, startTimeout, snapshotThreshold, snapshotRetention, snapshotOnStop,
                n, serverBossThreads, serverWorkerThreads, clientWorkerThreads, clientOutstandingMax,
                localSubmit, electionTimeoutMin, electionTimeoutMax, leaderWaitTimeout, forceNewCluster);
    }

    public StoreConfig withCommitTimeout(Duration d) {
        return new StoreConfig(d, startTimeout, snapshotThreshold, snapshotRetention, snapshotOnStop,
                watchQueueCapacity, serverBossThreads, serverWorkerThreads, clientWorkerThreads, clientOutstandingMax,
                localSubmit, electionTimeoutMin, electionTimeoutMax, leaderWaitTimeout, forceNewCluster);
    }

    public StoreConfig withStartTimeout(Duration d) {
        return new StoreConfig(commitTimeout, d, snapshotThreshold, snapshotRetention, snapshotOnStop,
                watchQueueCapacity, serverBossThreads, serverWorkerThreads, clientWorkerThreads, clientOutstandingMax,
                localSubmit, electionTimeoutMin, electionTimeoutMax, leaderWaitTimeout, forceNewCluster);
    }

    public StoreConfig withLocalSubmit(boolean on) {
        return new StoreConfig(commitTimeout, startTimeout, snapshotThreshold, snapshotRetention, snapshotOnStop,
                watchQueueCapacity, serverBossThreads, serverWorkerThreads, clientWorkerThreads, clientOutstandingMax,
                on, electionTimeoutMin, electionTimeoutMax, leaderWaitTimeout, forceNewCluster);
    }

    public StoreConfig withElectionTimeout(Duration min, Duration max) {
        return new StoreConfig(commitTimeout, startTimeout, snapshotThreshold, snapshotRetention, snapshotOnStop,
                watchQueueCapacity, serverBossThreads, serverWorkerThreads, clientWorkerThreads, clientOutstandingMax,
                localSubmit, min, max, leaderWaitTimeout, forceNewCluster);
    }

    public StoreConfig withLeaderWaitTimeout(Duration d) {
        return new StoreConfig(commitTimeout, startTimeout, snapshotThreshold, snapshotRetention, snapshotOnStop,
                watchQueueCapacity, serverBossThreads, serverWorkerThreads, clientWorkerThreads, clientOutstandingMax,
                localSubmit, electionTimeoutMin, electionTimeoutMax, d, forceNewCluster);
    }

    public StoreConfig withForceNewCluster(boolean on) {
        return new StoreConfig(commitTimeout, startTimeout, snapshotThreshold, snapshotRetention, snapshotOnStop,
                watchQueueCapacity, serverBossThreads, serverWorkerThreads, clientWorkerThreads, clientOutstandingMax,
                localSubmit, electionTimeoutMin, electionTimeoutMax, leaderWaitTimeout, on);
    }
}
