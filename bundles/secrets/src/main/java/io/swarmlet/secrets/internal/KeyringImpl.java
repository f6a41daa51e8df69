package io.swarmlet.secrets.internal;

import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.security.DataKey;
import io.swarmlet.api.security.Keyring;
import io.swarmlet.api.security.NodeCredentials;
import io.swarmlet.api.security.UnlockKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * This manager's data key file and its lock (see {@link Keyring}). Active on
 * managers only (it needs {@link NodeCredentials} with the manager role, so a
 * demotion deactivates it). At activation it reads
 * {@code <state>/certificates/swarm-dek}: a key in clear is registered at once
 * as the {@link DataKey} service; a wrapped one leaves this manager
 * <em>locked</em> (nothing registered, so no store, no Raft member) until
 * {@link #unlock} is given the unlock key. Deactivation unregisters the
 * DataKey and wipes the key in memory.
 *
 * <p>Called by the control API ({@code swarm unlock}, and to answer
 * everything else with {@link Keyring#LOCKED_MESSAGE} while locked).
 */
@Component(service = Keyring.class, immediate = true)
// DataKey is registered by hand (see register), so resolvers are told here that this bundle provides it
@org.osgi.annotation.bundle.Capability(namespace = "osgi.service",
        attribute = "objectClass:List<String>=\"io.swarmlet.api.security.DataKey\"", uses = DataKey.class)
public class KeyringImpl implements Keyring {

    private static final Logger LOG = LogManager.getLogger(KeyringImpl.class);

    @Reference(target = "(" + NodeCredentials.ROLE + "=manager)")
    private NodeCredentials credentials;

    @Reference
    private LocalNode local;

    private final Object lock = new Object();
    /** Publishes the DataKey: a service registration in OSGi, a test's hook outside. */
    private Consumer<DataKeyImpl> publisher;
    private Runnable unpublisher = () -> {};
    private Path file;
    private DataKeyFile.Wrapped wrapped;  // non-null while locked
    private DataKeyImpl dataKey;
    private byte[] unlockKey;            // the key that unlocked this manager, in memory only

    public KeyringImpl() {}

    /** For tests outside OSGi: {@code publisher} is given the DataKey when it would be registered. */
    KeyringImpl(Path stateDir, Consumer<DataKeyImpl> publisher, Runnable unpublisher) {
        this.publisher = publisher;
        this.unpublisher = unpublisher;
        start(stateDir);
    }

    @Activate
    void activate(BundleContext context) {
        publisher = key -> {
            Dictionary<String, Object> p = new Hashtable<>();
            p.put("service.description", "the cluster's data key (this manager is unlocked)");
            ServiceRegistration<DataKey> r = context.registerService(DataKey.class, key, p);
            unpublisher = () -> {
                try {
                    r.unregister();
                } catch (IllegalStateException alreadyGone) {
                    // the bundle is stopping
                }
            };
        };
        start(local.stateDir());
    }

    @Deactivate
    void deactivate() {
        synchronized (lock) {
            unpublisher.run();
            unpublisher = () -> {};
            if (dataKey != null) {
                dataKey.destroy();
                dataKey = null;
            }
            if (unlockKey != null) {
                Arrays.fill(unlockKey, (byte) 0);
                unlockKey = null;
            }
            wrapped = null;
        }
    }

    private void start(Path stateDir) {
        synchronized (lock) {
            file = DataKeyFile.path(stateDir);
            DataKeyFile.Contents contents;
            try {
                contents = DataKeyFile.read(file);
            } catch (IOException e) {
                LOG.error("this manager has no usable data key, so its store does not start: {}", e.getMessage());
                return;
            }
            if (contents instanceof DataKeyFile.Clear clear) {
                publish(clear.key());
                Arrays.fill(clear.key(), (byte) 0);
            } else if (contents instanceof DataKeyFile.Wrapped w) {
                wrapped = w;
                LOG.warn("this manager is locked (autolock, unlock key version {}): run swarmlet swarm unlock"
                        + " and give it the unlock key", w.unlockKeyVersion());
            } else {
                LOG.error("this manager has no data key file ({}), so its store does not start; the ca bundle writes it"
                        + " when a node becomes a manager: remove this node from the swarm and join it again", file);
            }
        }
    }

    /** Caller holds lock. */
    private void publish(byte[] key) {
        dataKey = new DataKeyImpl(key);
        publisher.accept(dataKey);
    }

    @Override
    public boolean locked() {
        synchronized (lock) {
            return wrapped != null;
        }
    }

    @Override
    public void unlock(String text) {
        synchronized (lock) {
            if (wrapped == null) {
                throw new IllegalStateException("swarm is not locked");
            }
            byte[] key = UnlockKeys.parse(text);
            byte[] dek;
            try {
                dek = DataKeyFile.unwrap(wrapped, key);
            } catch (IllegalArgumentException e) {
                Arrays.fill(key, (byte) 0);
                LOG.warn("refused an unlock: the key does not open this manager's data key");
                throw new IllegalArgumentException("invalid unlock key");
            }
            long version = wrapped.unlockKeyVersion();
            wrapped = null;
            unlockKey = key;
            publish(dek);
            Arrays.fill(dek, (byte) 0);
            LOG.info("this manager is unlocked (unlock key version {})", version);
        }
    }

    /** The data key file this keyring reads. */
    Path file() {
        synchronized (lock) {
            return file;
        }
    }
}
