package io.swarmlet.store.internal;

import io.swarmlet.api.testing.FreePorts;
import io.swarmlet.api.types.Ids;
import io.swarmlet.api.types.NodeRole;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Several managers of one cluster in this JVM, each a {@link ReplicatedStore}
 * with a state dir and a raft port of its own, talking Raft over loopback (with
 * mutual TLS when made {@link #withTls}). The first one bootstraps the group,
 * the others join it the way a daemon does: {@code raft-join.properties} lists
 * the running members.
 */
final class TestCluster implements AutoCloseable {

    final String clusterId = Ids.newId();
    private final Path root;
    private final StoreConfig config;
    private final List<Member> members = new ArrayList<>();
    private TestCerts.Ca ca;

    /** One manager: a fixed node ID, state dir and port; its store while running. */
    final class Member {
        final String nodeId = Ids.newId();
        final Path stateDir;
        final int port;
        RaftTls tls;
        volatile ReplicatedStore store;

        Member(Path stateDir, int port) {
            this.stateDir = stateDir;
            this.port = port;
        }

        String addr() {
            return "127.0.0.1:" + port;
        }

        boolean running() {
            return store != null;
        }

        /** Starts (or restarts) this manager's store with the cluster's config. */
        ReplicatedStore start() throws Exception {
            return start(config);
        }

        ReplicatedStore start(StoreConfig c) throws Exception {
            ReplicatedStore s = new ReplicatedStore(new TestSupport.TestNode(nodeId, clusterId, stateDir, addr()), c,
                    null, tls);
            store = s;
            try {
                s.start();
            } catch (Exception | Error e) {
                s.close();
                store = null;
                throw e;
            }
            return s;
        }

        void close() {
            if (store != null) {
                store.close();
                store = null;
            }
        }

        /** Writes the join request listing the running members. */
        void writeJoinRequest() throws Exception {
            Map<String, String> peers = new LinkedHashMap<>();
            for (Member m : members) {
                if (m != this && m.running()) {
                    peers.put(m.nodeId, m.addr());
                }
            }
            RaftDirs.writeJoinRequest(stateDir, peers);
        }

        @Override
        public String toString() {
            return nodeId + "@" + port;
        }
    }

    TestCluster(Path root, StoreConfig config) {
        this.root = root;
        this.config = config;
    }

    /** Managers get certificates of one CA (manager role) and talk mutual TLS. */
    TestCluster withTls() throws Exception {
        ca = TestCerts.newCa("swarmlet test root " + clusterId);
        return this;
    }

    TestCerts.Ca ca() {
        return ca;
    }

    /** Adds a manager (not started). */
    Member add() throws Exception {
        Member m = new Member(Files.createDirectories(root.resolve("m" + members.size())), FreePorts.next());
        if (ca != null) {
            m.tls = TestCerts.issue(ca, m.nodeId, clusterId, NodeRole.MANAGER).tls();
        }
        members.add(m);
        return m;
    }

    /** n managers: the first bootstraps the group, the others join one after the other. */
    List<Member> form(int n) throws Exception {
        Member first = add();
        first.start();
        for (int i = 1; i < n; i++) {
            Member m = add();
            m.writeJoinRequest();
            m.start();
        }
        return List.copyOf(members);
    }

    List<Member> members() {
        return List.copyOf(members);
    }

    List<Member> running() {
        return members.stream().filter(Member::running).toList();
    }

    /** The running member that leads, waiting for one. */
    Member awaitLeader(Duration timeout) throws InterruptedException {
        Member[] found = new Member[1];
        TestSupport.await("a raft leader", timeout, () -> {
            for (Member m : running()) {
                if (m.store.isLeader()) {
                    found[0] = m;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    /** Closes every running member, all at once (each close takes a couple of seconds). */
    @Override
    public void close() {
        members.parallelStream().forEach(Member::close);
    }
}
