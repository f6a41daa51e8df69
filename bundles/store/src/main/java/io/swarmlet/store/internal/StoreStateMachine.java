package io.swarmlet.store.internal;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.StoreException.Reason;
import io.swarmlet.api.types.StoreObject;
import io.swarmlet.api.types.StoreSnapshot;
import io.swarmlet.api.types.StoreTransaction;
import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.AtomicFileOutputStream;
import org.apache.ratis.util.MD5FileUtil;

/**
 * The Raft state machine of the store (in the style of Ratis' counter and
 * arithmetic examples). Each log entry is one {@link StoreTransaction}:
 * {@link #startTransaction} validates it on the leader before it is logged;
 * {@link #applyTransaction} applies it to the {@link MemoryStore} all or nothing,
 * under the store's write lock, and advances the applied index in the same step;
 * the reply says OK or why the transaction was refused ({@link ApplyResult}).
 * Snapshots hold the whole store as one {@link StoreSnapshot} file written
 * through {@link SimpleStateMachineStorage}; {@link #initialize} and
 * {@link #reinitialize} load the latest one, and Ratis replays the log after it.
 *
 * <p>Also turns Ratis' leader events into the store's leadership: leader once
 * this peer's first entry of its term is applied (so its copy holds everything
 * committed before), not leader as soon as it steps down.
 *
 * <p>Called by Ratis only (the apply thread, the gRPC threads for
 * {@link #startTransaction}).
 */
final class StoreStateMachine extends BaseStateMachine {

    private static final Logger LOG = LogManager.getLogger(StoreStateMachine.class);

    /** Prefix of the message of a transaction refused before logging, for the proposer to find. */
    static final String INVALID_MARK = "INVALID: ";

    /** Told when this peer becomes a ready leader (true) or stops being leader (false). */
    interface LeadershipSink {
        void leadershipChanged(boolean leader);
    }

    /** Told the members of every configuration applied (the store tunes Raft by group size). */
    interface MembershipSink {
        void configurationApplied(RaftConfigurationProto conf);
    }

    private final MemoryStore store;
    private final LeadershipSink leadership;
    private volatile MembershipSink membership = conf -> { };
    /** Told each time this peer sees a Raft leader elected (metrics). */
    private volatile Runnable leaderElected = () -> { };
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private volatile String loadFailure;
    /** The index of the last configuration entry applied (apply thread only). */
    private long lastConfigurationIndex = -1;

    StoreStateMachine(MemoryStore store, LeadershipSink leadership) {
        this.store = store;
        this.leadership = leadership;
    }

    void setMembershipSink(MembershipSink sink) {
        this.membership = sink;
    }

    void setLeaderElectedSink(Runnable sink) {
        this.leaderElected = sink;
    }

    /** Why the last snapshot could not be loaded (one line), or null. */
    String loadFailure() {
        return loadFailure;
    }

    // ------------------------------------------------------------------ life cycle

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        loadSnapshot(storage.getLatestSnapshot());
    }

    @Override
    public void reinitialize() throws IOException {
        loadSnapshot(storage.loadLatestSnapshot());
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    private void loadSnapshot(SingleFileSnapshotInfo info) throws IOException {
        if (info == null) {
            LOG.debug("no store snapshot: starting from an empty store");
            return;
        }
        File file = info.getFile().getPath().toFile();
        try {
            List<StoreObject> objects = readSnapshot(file, info.getFile().getFileDigest(), info.getTerm(),
                    info.getIndex());
            store.reset(info.getTerm(), info.getIndex(), objects);
            setLastAppliedTermIndex(TermIndex.valueOf(info.getTerm(), info.getIndex()));
            LOG.info("loaded store snapshot {} ({} objects at index {})", file, objects.size(), info.getIndex());
        } catch (IOException | RuntimeException e) {
            loadFailure = "raft snapshot " + file + " is unreadable (" + e.getMessage()
                    + "); restore the state dir from a backup or remove it to start a new cluster";
            throw new IOException(loadFailure, e);
        }
    }

    /**
     * Reads one snapshot file: checks its MD5 (when {@code expected} is given), that it holds
     * the index and term its name says, and that no object is empty.
     */
    static List<StoreObject> readSnapshot(File file, MD5Hash expected, long term, long index) throws IOException {
        if (expected != null) {
            MD5Hash actual = MD5FileUtil.computeMd5ForFile(file);
            if (!expected.equals(actual)) {
                throw new IOException("its MD5 " + actual + " does not match the saved " + expected);
            }
        }
        StoreSnapshot snapshot;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file.toPath()), 1 << 16)) {
            CodedInputStream cis = CodedInputStream.newInstance(in);
            cis.setSizeLimit(Integer.MAX_VALUE);
            snapshot = StoreSnapshot.parseFrom(cis);
        }
        if (snapshot.getIndex() != index || snapshot.getTerm() != term) {
            throw new IOException("it holds index " + snapshot.getIndex() + " term " + snapshot.getTerm()
                    + " but its name says index " + index + " term " + term);
        }
        List<StoreObject> objects = snapshot.getObjectsList();
        for (StoreObject o : objects) {
            if (o.getObjectCase() == StoreObject.ObjectCase.OBJECT_NOT_SET) {
                throw new IOException("it holds an empty object");
            }
        }
        return objects;
    }

    // ------------------------------------------------------------------ transactions

    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        TransactionContext.Builder b = TransactionContext.newBuilder().setStateMachine(this).setClientRequest(request);
        StoreTransaction tx;
        try {
            tx = parse(request.getMessage().getContent());
            TxValidator.validate(tx);
        } catch (StoreException e) {
            TransactionContext ctx = b.build();
            ctx.setException(new IOException(INVALID_MARK + e.getMessage()));
            return ctx;
        }
        return b.setStateMachineContext(tx).build();
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long term = entry.getTerm();
        long index = entry.getIndex();
        // the leader kept what startTransaction parsed; followers and replays parse the entry
        StoreTransaction tx = trx.getStateMachineContext() instanceof StoreTransaction t ? t : parseOrNull(entry);
        ApplyResult result;
        if (tx == null) {
            // never logged by this store (startTransaction validates): refused alike on every replica
            store.advance(term, index, () -> updateLastAppliedTermIndex(term, index));
            result = ApplyResult.refused(Reason.INVALID, "log entry " + index + " is not a store transaction");
        } else {
            result = store.apply(tx, term, index, () -> updateLastAppliedTermIndex(term, index));
        }
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(result.encode())));
    }

    /**
     * A log entry that is not a transaction: a configuration entry (told first through
     * {@link #notifyConfigurationChanged}) advances the store's index as before; the
     * leader's commit-index entries (Ratis log metadata, see design/raft.md) only advance
     * Ratis' applied index, so {@code ReadTx.index()} moves with transactions and
     * configuration changes only, whether the group logs its commit index or not.
     */
    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        if (index == lastConfigurationIndex) {
            store.advance(term, index, () -> updateLastAppliedTermIndex(term, index));
        } else {
            updateLastAppliedTermIndex(term, index);
        }
    }

    private static StoreTransaction parseOrNull(LogEntryProto entry) {
        try {
            return parse(entry.getStateMachineLogEntry().getLogData());
        } catch (StoreException e) {
            return null;
        }
    }

    static StoreTransaction parse(ByteString data) {
        try {
            return StoreTransaction.parseFrom(data.asReadOnlyByteBuffer());
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException(Reason.INVALID, "not a store transaction: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ snapshots

    @Override
    public long takeSnapshot() throws IOException {
        MemoryStore.Dump dump = store.dump();
        if (dump.index() <= 0) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        File file = storage.getSnapshotFile(dump.term(), dump.index());
        MD5Hash md5 = writeSnapshot(file, dump);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5),
                dump.term(), dump.index()));
        LOG.info("took store snapshot {} ({} objects at index {})", file.getName(), dump.objects().size(), dump.index());
        return dump.index();
    }

    /**
     * Writes {@code dump} as one {@link StoreSnapshot} (object by object, through a temp
     * file, fsync and rename) and its MD5 file next to it; returns the MD5.
     */
    static MD5Hash writeSnapshot(File file, MemoryStore.Dump dump) throws IOException {
        AtomicFileOutputStream out = new AtomicFileOutputStream(file);
        try {
            // the wire form of one StoreSnapshot, written object by object
            CodedOutputStream cos = CodedOutputStream.newInstance(out, 1 << 16);
            cos.writeUInt64(StoreSnapshot.INDEX_FIELD_NUMBER, dump.index());
            cos.writeUInt64(StoreSnapshot.TERM_FIELD_NUMBER, dump.term());
            for (StoreObject o : dump.objects()) {
                cos.writeMessage(StoreSnapshot.OBJECTS_FIELD_NUMBER, o);
            }
            cos.flush();
            out.close(); // fsync, then rename into place
        } catch (IOException | RuntimeException e) {
            out.abort();
            throw e;
        }
        return MD5FileUtil.computeAndSaveMd5ForFile(file);
    }

    // ------------------------------------------------------------------ membership

    @Override
    public void notifyConfigurationChanged(long term, long index, RaftConfigurationProto newConf) {
        lastConfigurationIndex = index;
        LOG.info("raft configuration at index {} (term {}): members {}{}", index, term,
                newConf.getPeersList().stream().map(p -> p.getId().toStringUtf8() + "@" + p.getAddress()).toList(),
                newConf.getOldPeersCount() == 0 ? "" : " (joint with the old members "
                        + newConf.getOldPeersList().stream().map(p -> p.getId().toStringUtf8()).toList() + ")");
        membership.configurationApplied(newConf);
    }

    // ------------------------------------------------------------------ leadership

    @Override
    public void notifyLeaderReady() {
        leadership.leadershipChanged(true);
    }

    @Override
    public void notifyNotLeader(Collection<TransactionContext> pendingEntries) {
        leadership.leadershipChanged(false);
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        if (newLeaderId != null) {
            leaderElected.run();
        }
        if (!groupMemberId.getPeerId().equals(newLeaderId)) {
            leadership.leadershipChanged(false);
        }
        // this peer elected: it becomes a leader for the store in notifyLeaderReady
    }

    @Override
    public void notifyServerShutdown(RoleInfoProto roleInfo, boolean allServer) {
        leadership.leadershipChanged(false);
    }

    @Override
    public void close() throws IOException {
        leadership.leadershipChanged(false);
        super.close();
    }
}
