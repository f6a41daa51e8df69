package io.swarmlet.secrets.internal;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.security.DataKey;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreEvent;
import io.swarmlet.api.store.Watch;
import io.swarmlet.api.types.Cluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Keeps this manager's data key file as the cluster object says (SwarmKit's
 * key manager): with {@code spec.encryption.auto_lock_managers} on and an
 * unlock key in {@code unlock_key_sealed}, the file holds the data key wrapped
 * by that unlock key (rewritten when {@code unlock_key_version} changes); with
 * autolock off, the key in clear. The unlock key is opened with the
 * {@link DataKey} (associated data {@value #UNLOCK_KEY_AAD}, as the control API
 * seals it). One loop over a store watch, while both the {@link Store} and the
 * DataKey are present (an unlocked manager whose store runs); idle otherwise,
 * so harmless on workers. A missing file is left missing (the ca bundle owns
 * its creation and its removal at demotion).
 */
@Component(immediate = true)
public class AutoLockWatcher {

    /** Associated data of {@code Cluster.unlock_key_sealed}. */
    public static final String UNLOCK_KEY_AAD = "swarmlet-unlock-key";
    static final String CLUSTER_NAME = "default";

    private static final Logger LOG = LogManager.getLogger(AutoLockWatcher.class);

    @Reference
    private LocalNode local;

    private final Object monitor = new Object();
    private Store store;
    private DataKey dataKey;
    private long generation;
    private boolean running;
    private Watch<?> current;
    private Thread loop;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, unbind = "unbindStore")
    void bindStore(Store s) {
        changed(() -> store = s);
    }

    void unbindStore(Store s) {
        changed(() -> {
            if (store == s) {
                store = null;
            }
        });
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, unbind = "unbindDataKey")
    void bindDataKey(DataKey k) {
        changed(() -> dataKey = k);
    }

    void unbindDataKey(DataKey k) {
        changed(() -> {
            if (dataKey == k) {
                dataKey = null;
            }
        });
    }

    private void changed(Runnable r) {
        Watch<?> w;
        synchronized (monitor) {
            r.run();
            generation++;
            w = current;
            monitor.notifyAll();
        }
        if (w != null) {
            w.close(); // wakes the loop up, which starts over with the new pair
        }
    }

    @Activate
    void activate() {
        Path file = DataKeyFile.path(local.stateDir());
        synchronized (monitor) {
            running = true;
            loop = new Thread(() -> run(file), "swarmlet-autolock");
            loop.setDaemon(true);
            loop.start();
        }
    }

    @Deactivate
    void deactivate() {
        Thread t;
        synchronized (monitor) {
            running = false;
            t = loop;
            monitor.notifyAll();
        }
        changed(() -> {});
        if (t != null) {
            t.interrupt();
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run(Path file) {
        long backoff = 100;
        while (true) {
            Store s;
            DataKey k;
            long gen;
            synchronized (monitor) {
                while (running && (store == null || dataKey == null)) {
                    try {
                        monitor.wait();
                    } catch (InterruptedException e) {
                        if (!running) {
                            return;
                        }
                    }
                }
                if (!running) {
                    return;
                }
                s = store;
                k = dataKey;
                gen = generation;
            }
            try {
                watch(file, s, k, gen);
                backoff = 100;
            } catch (InterruptedException e) {
                if (!stillCurrent(Long.MIN_VALUE)) {
                    return;
                }
            } catch (RuntimeException e) {
                if (!stillCurrent(gen)) {
                    continue; // the store or key went away under the watch
                }
                LOG.warn("cannot watch the cluster's autolock settings, trying again in {} ms: {}", backoff, e.getMessage());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    if (!stillCurrent(Long.MIN_VALUE)) {
                        return;
                    }
                }
                backoff = Math.min(backoff * 2, 10_000);
            }
        }
    }

    /** Whether the loop still runs (and, unless gen is MIN_VALUE, with the same store and key). */
    private boolean stillCurrent(long gen) {
        synchronized (monitor) {
            return running && (gen == Long.MIN_VALUE || gen == generation);
        }
    }

    private void watch(Path file, Store s, DataKey k, long gen) throws InterruptedException {
        Watch<Optional<Cluster>> w = s.watch(AutoLockWatcher::cluster);
        try {
            synchronized (monitor) {
                if (gen != generation || !running) {
                    return;
                }
                current = w;
            }
            w.initial().ifPresent(c -> reconcileAndLog(file, c, k));
            while (stillCurrent(gen) && !w.isClosed()) {
                StoreEvent e = w.poll(Duration.ofSeconds(5));
                if (e != null && e.kind() == Kind.CLUSTER && e.action() != StoreEvent.Action.REMOVE) {
                    s.view(AutoLockWatcher::cluster).ifPresent(c -> reconcileAndLog(file, c, k));
                }
            }
            if (w.isClosed() && stillCurrent(gen)) {
                LOG.info("the store closed the autolock watch; starting over from a fresh snapshot");
            }
        } finally {
            synchronized (monitor) {
                if (current == w) {
                    current = null;
                }
            }
            w.close();
        }
    }

    static Optional<Cluster> cluster(ReadTx tx) {
        Optional<Cluster> c = tx.byName(Kind.CLUSTER, CLUSTER_NAME);
        if (c.isPresent()) {
            return c;
        }
        List<Cluster> all = tx.all(Kind.CLUSTER);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    private static void reconcileAndLog(Path file, Cluster c, DataKey k) {
        try {
            String done = reconcile(file, c, k);
            if (done != null) {
                LOG.info(done);
            }
        } catch (IOException e) {
            LOG.error("cannot keep the data key file {} as the cluster's autolock setting says: {}", file, e.getMessage());
        } catch (IllegalStateException e) {
            LOG.error("cannot open the cluster's unlock key (version {}) with this manager's data key: {}",
                    c.getUnlockKeyVersion(), e.getMessage());
        }
    }

    /**
     * Brings the file in line with the cluster object.
     *
     * @return what was done (a fact without any key), or null if the file already was as it should be
     */
    static String reconcile(Path file, Cluster c, DataKey k) throws IOException {
        synchronized (DataKeyFile.WRITE_LOCK) {
            DataKeyFile.Contents now = DataKeyFile.read(file);
            if (now instanceof DataKeyFile.Missing) {
                return null;
            }
            boolean autolock = c.getSpec().getEncryption().getAutoLockManagers();
            long version = c.getUnlockKeyVersion();
            if (autolock && !c.getUnlockKeySealed().isEmpty()) {
                if (now instanceof DataKeyFile.Wrapped w && w.unlockKeyVersion() == version) {
                    return null;
                }
                byte[] unlockKey = k.open(c.getUnlockKeySealed().toByteArray(), UNLOCK_KEY_AAD.getBytes(StandardCharsets.UTF_8));
                byte[] key = k.export();
                try {
                    DataKeyFile.writeWrapped(file, key, unlockKey, version);
                } finally {
                    Arrays.fill(unlockKey, (byte) 0);
                    Arrays.fill(key, (byte) 0);
                }
                return "data key file wrapped with unlock key version " + version + " (autolock on)";
            }
            if (!autolock && now instanceof DataKeyFile.Wrapped) {
                byte[] key = k.export();
                try {
                    DataKeyFile.writeClear(file, key);
                } finally {
                    Arrays.fill(key, (byte) 0);
                }
                return "data key file no longer wrapped (autolock off)";
            }
            return null;
        }
    }
}
