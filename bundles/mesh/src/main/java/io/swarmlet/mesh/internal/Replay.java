package io.swarmlet.mesh.internal;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * What a client sent to its backend before the backend sent anything back,
 * kept so that the connection can be moved to another backend if this one
 * closes or resets without answering (a container that died a moment ago:
 * docker-proxy still accepts, then closes at once). As a refused connection,
 * that is the backend's failure, not the client's, and the client should not
 * see it. Kept up to {@link #LIMIT} bytes; past that, or once the backend has
 * answered, nothing is kept and a failing backend fails the client.
 *
 * <p>One per client connection, used on its event loop only.
 */
final class Replay {

    static final int LIMIT = 64 * 1024;

    private List<ByteBuf> sent = new ArrayList<>(2);
    private int size;
    /** The client's FIN was passed on too. */
    private boolean inputShutdown;

    /** Whether the connection could still move to another backend. */
    boolean possible() {
        return sent != null;
    }

    /** Keeps a view of {@code buf}, which is about to be written to the backend. */
    void sent(ByteBuf buf) {
        if (sent == null) {
            return;
        }
        size += buf.readableBytes();
        if (size > LIMIT) {
            discard();
            return;
        }
        sent.add(buf.retainedDuplicate());
    }

    void inputShutdown() {
        inputShutdown = true;
    }

    boolean wasInputShutdown() {
        return inputShutdown;
    }

    /** The backend answered: nothing will be replayed. */
    void answered() {
        discard();
    }

    /** What to send to the next backend (the caller owns the buffers); keeps recording. */
    List<Object> take() {
        List<Object> out = new ArrayList<>(sent);
        sent = new ArrayList<>(2);
        size = 0;
        return out;
    }

    void discard() {
        if (sent != null) {
            sent.forEach(ByteBuf::release);
            sent = null;
        }
    }
}
