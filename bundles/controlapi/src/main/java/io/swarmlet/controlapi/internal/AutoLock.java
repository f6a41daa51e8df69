package io.swarmlet.controlapi.internal;

import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.security.DataKey;
import io.swarmlet.api.security.UnlockKeys;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.GetUnlockKeyResponse;
import io.swarmlet.api.types.UpdateClusterRequest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Autolock's unlock key in the cluster object: made when
 * {@code spec.encryption.auto_lock_managers} is turned on (or on
 * {@code rotate_unlock_key}), sealed by the cluster's {@link DataKey} with the
 * associated data {@link #ASSOCIATED_DATA} before the write transaction (the
 * secrets bundle's watcher on every manager opens it with the same, and wraps
 * its data key file with it), and cleared when autolock is turned off.
 * {@code swarm unlock-key} opens it again to print it. The key is never logged.
 */
final class AutoLock {

    /** What the unlock key is sealed with: the secrets bundle opens it with exactly these bytes. */
    static final byte[] ASSOCIATED_DATA = "swarmlet-unlock-key".getBytes(StandardCharsets.UTF_8);

    static final String NOT_ENABLED = "autolock is not enabled; run swarmlet swarm update --autolock=true";

    private final Supplier<DataKey> dataKey;

    AutoLock(Supplier<DataKey> dataKey) {
        this.dataKey = dataKey;
    }

    private DataKey dataKey() {
        DataKey k = dataKey.get();
        if (k == null) {
            throw new ControlException(ControlException.Code.UNAVAILABLE, "the unlock key cannot be handled right now:"
                    + " this manager has no data key (its secrets component is not running); see the daemon log");
        }
        return k;
    }

    /** Refuses what cannot be done before anything is read or written. */
    static void check(UpdateClusterRequest request) {
        if (request.getRotateUnlockKey() && !request.getSpec().getEncryption().getAutoLockManagers()) {
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION, NOT_ENABLED);
        }
    }

    /** Whether the update turns autolock on for a cluster without a key, or rotates the key. */
    static boolean needsNewKey(Cluster current, UpdateClusterRequest request) {
        return request.getSpec().getEncryption().getAutoLockManagers()
                && (request.getRotateUnlockKey() || current.getUnlockKeySealed().isEmpty());
    }

    /** Before the transaction: a new key, sealed, when the update (as of {@code current}) needs one; else null. */
    byte[] prepare(Cluster current, UpdateClusterRequest request) {
        if (!needsNewKey(current, request)) {
            return null;
        }
        DataKey k = dataKey();
        byte[] key = UnlockKeys.generate();
        try {
            return k.seal(key, ASSOCIATED_DATA);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /**
     * Inside the transaction: the unlock key fields of the updated cluster.
     *
     * @param current the cluster as the transaction reads it
     * @param prepared what {@link #prepare} made (null if it made nothing)
     */
    static void apply(Cluster current, Cluster.Builder b, UpdateClusterRequest request, byte[] prepared) {
        if (!request.getSpec().getEncryption().getAutoLockManagers()) {
            b.clearUnlockKeySealed();
            return;
        }
        if (!needsNewKey(current, request)) {
            return;
        }
        if (prepared == null) {
            throw new ControlException(ControlException.Code.ABORTED,
                    "the cluster was changed by someone else meanwhile; inspect it again and retry");
        }
        b.setUnlockKeySealed(com.google.protobuf.ByteString.copyFrom(prepared))
                .setUnlockKeyVersion(current.getUnlockKeyVersion() + 1);
    }

    /** The key as {@code swarm unlock-key} prints it; empty while autolock is off. */
    GetUnlockKeyResponse unlockKey(Cluster c) {
        GetUnlockKeyResponse.Builder r = GetUnlockKeyResponse.newBuilder().setVersion(c.getUnlockKeyVersion());
        if (!c.getSpec().getEncryption().getAutoLockManagers() || c.getUnlockKeySealed().isEmpty()) {
            return r.build();
        }
        byte[] key;
        try {
            key = dataKey().open(c.getUnlockKeySealed().toByteArray(), ASSOCIATED_DATA);
        } catch (IllegalStateException e) {
            throw new ControlException(ControlException.Code.INTERNAL, "the unlock key in the cluster object cannot be"
                    + " opened with this manager's data key; rotate it with swarmlet swarm unlock-key --rotate");
        }
        try {
            return r.setUnlockKey(UnlockKeys.format(key)).build();
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }
}
