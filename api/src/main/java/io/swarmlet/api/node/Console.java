package io.swarmlet.api.node;

import java.io.Closeable;
import java.util.function.Consumer;

/**
 * Shell sessions in this daemon ({@code swarmlet console}): the Gogo shell with
 * every {@code swarm:*} command, reached over the control socket, so only
 * whoever may use the socket gets a console. Implemented by the CLI bundle
 * (which brings the commands); served by the control socket.
 *
 * @since 1.3
 */
@org.osgi.annotation.versioning.ProviderType
public interface Console {

    /**
     * Opens a session. What the shell prints goes to {@code output} (from the
     * session's own thread); {@code closed} runs once when the session ends
     * (the user typed {@code exit}, closed the input, or the shell went away).
     */
    Session open(Consumer<byte[]> output, Runnable closed);

    /** One shell session. */
    @org.osgi.annotation.versioning.ProviderType
    interface Session extends Closeable {

        /** What the user typed (UTF-8), usually a line with its newline. */
        void input(byte[] data);

        /** Ends the session (as end of input does). */
        @Override
        void close();
    }
}
