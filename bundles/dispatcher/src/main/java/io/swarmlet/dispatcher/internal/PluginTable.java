package io.swarmlet.dispatcher.internal;

import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.types.Plugin;
import io.swarmlet.api.types.PluginSet;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The cluster's plugins ({@code plugin install --cluster}) as every node's
 * plugin installer long-polls them: each plugin without its jar (fetched on
 * its own through {@code pluginJar}). Fed by the dispatcher's one watch loop;
 * read through the blocking {@link #await}, woken at the commit that changed
 * the set.
 *
 * <p>Versions are store indexes, as the mesh table's: they only grow, and a
 * new leader's first set has its snapshot's index, which tells every node to
 * look (and report) again.
 */
final class PluginTable {

    private final Map<String, Plugin> plugins = new HashMap<>();
    private boolean dirty;
    private PluginSet set = PluginSet.getDefaultInstance();
    private boolean loaded;
    private boolean closed;

    /** Replaces everything with a snapshot read at {@code index}. */
    synchronized void reset(long index, Collection<Plugin> all) {
        plugins.clear();
        for (Plugin p : all) {
            plugins.put(p.getId(), strip(p));
        }
        dirty = false;
        publish(index);
        loaded = true;
        notifyAll();
    }

    /** One plugin created, updated or removed (not visible before its {@link #commit}). */
    synchronized void apply(StoreEvent e) {
        if (e.action() == StoreEvent.Action.COMMIT || e.kind() != Kind.PLUGIN) {
            return;
        }
        Plugin p = e.objectAs(Kind.PLUGIN);
        if (e.action() == StoreEvent.Action.REMOVE) {
            dirty |= plugins.remove(p.getId()) != null;
        } else {
            Plugin now = strip(p);
            dirty |= !now.equals(plugins.put(p.getId(), now));
        }
    }

    /** The end of a transaction: a new version if it changed the set. */
    synchronized void commit(long index) {
        if (!dirty) {
            return;
        }
        dirty = false;
        publish(index);
        notifyAll();
    }

    /**
     * The set as soon as its version differs from {@code after}, or null after {@code timeout}.
     *
     * @throws IllegalStateException once the table is closed (the dispatcher stopped)
     */
    synchronized PluginSet await(long after, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            if (closed) {
                throw new IllegalStateException("the dispatcher is not running");
            }
            if (loaded && set.getVersion() != after) {
                return set;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Ends every wait (the dispatcher stopped). */
    synchronized void close() {
        closed = true;
        notifyAll();
    }

    private void publish(long index) {
        long version = Math.max(Math.max(1, index), set.getVersion() + 1);
        set = PluginSet.newBuilder().setVersion(version)
                .addAllPlugins(plugins.values().stream()
                        .sorted(Comparator.comparing((Plugin p) -> p.getSpec().getAnnotations().getName())
                                .thenComparing(Plugin::getId))
                        .toList())
                .build();
    }

    /** A plugin without its jar (the size and digest stay). */
    static Plugin strip(Plugin p) {
        return p.getJar().isEmpty() ? p : p.toBuilder().clearJar().build();
    }
}
