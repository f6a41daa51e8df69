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
    private final Published<PluginSet> set = new Published<>(PluginSet.getDefaultInstance(), PluginSet::getVersion);

    /** Replaces everything with a snapshot read at {@code index}. */
    synchronized void reset(long index, Collection<Plugin> all) {
        plugins.clear();
        for (Plugin p : all) {
            plugins.put(p.getId(), strip(p));
        }
        dirty = false;
        publish(index);
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
    }

    /**
     * The set as soon as its version differs from {@code after}, or null after {@code timeout}.
     *
     * @throws IllegalStateException once the table is closed (the dispatcher stopped)
     */
    PluginSet await(long after, Duration timeout) throws InterruptedException {
        return set.await(after, timeout);
    }

    /** Ends every wait (the dispatcher stopped). */
    void close() {
        set.close();
    }

    private void publish(long index) {
        set.publish(PluginSet.newBuilder().setVersion(set.nextVersion(index))
                .addAllPlugins(plugins.values().stream()
                        .sorted(Comparator.comparing((Plugin p) -> p.getSpec().getAnnotations().getName())
                                .thenComparing(Plugin::getId))
                        .toList())
                .build());
    }

    /** A plugin without its jar (the size and digest stay). */
    static Plugin strip(Plugin p) {
        return p.getJar().isEmpty() ? p : p.toBuilder().clearJar().build();
    }
}
