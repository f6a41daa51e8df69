package io.swarmlet.mesh.internal;

import io.swarmlet.api.dispatcher.Dispatcher;
import io.swarmlet.api.dispatcher.Session;
import io.swarmlet.api.types.MeshRoutes;
import io.swarmlet.api.types.MeshStatus;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.spi.executor.LogSource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** The leader's dispatcher as the mesh sees it: serves routing tables by long poll and collects reports. */
final class FakeDispatcher implements Dispatcher {

    private MeshRoutes table = MeshRoutes.getDefaultInstance();
    final List<MeshStatus> reports = new CopyOnWriteArrayList<>();
    final List<String> reporters = new CopyOnWriteArrayList<>();
    final AtomicInteger polls = new AtomicInteger();
    /** The next this many polls fail, as an unreachable leader's would. */
    final AtomicInteger failures = new AtomicInteger();

    synchronized void publish(MeshRoutes next) {
        table = next;
        notifyAll();
    }

    @Override
    public synchronized MeshRoutes meshRoutes(long afterVersion, Duration timeout) throws InterruptedException {
        polls.incrementAndGet();
        if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IllegalStateException("no leader");
        }
        long end = System.nanoTime() + timeout.toNanos();
        while (table.getVersion() == afterVersion || table.getVersion() == 0) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return table;
    }

    @Override
    public void reportMesh(String nodeId, MeshStatus status) {
        reporters.add(nodeId);
        reports.add(status);
    }

    MeshStatus lastReport() {
        return reports.isEmpty() ? null : reports.get(reports.size() - 1);
    }

    @Override
    public Session open(String nodeId, NodeDescription description) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void logs(String nodeId, String taskId, int tail, boolean follow, Consumer<LogSource.LogLine> sink) {
        throw new UnsupportedOperationException();
    }
}
