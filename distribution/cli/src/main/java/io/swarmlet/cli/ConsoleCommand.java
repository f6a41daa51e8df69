package io.swarmlet.cli;

import io.swarmlet.grpc.RemoteControlApi;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;

/**
 * {@code swarmlet console}: the Gogo shell of the daemon the CLI talks to
 * (manager or worker), over its control socket, so only whoever may use the
 * socket gets one. Standard input goes to the shell, a line at a time from a
 * terminal or all at once from a pipe; the end of input ends the session once
 * what was typed has run.
 */
@Command(name = "console",
        description = {"Open the shell of the daemon the CLI talks to (manager or worker).",
                "Every swarmlet command runs there as swarm:COMMAND (swarm:node ls, swarm:service ls, ...),"
                        + " next to the shell's own (lb, help, ...). Type 'exit' or end the input (Ctrl-D) to leave.",
                "Commands can be piped in:  echo 'swarm:node ls' | swarmlet console"})
final class ConsoleCommand extends CliCommand {

    @Override
    public Integer call() throws InterruptedException {
        if (!(api() instanceof RemoteControlApi remote)) {
            throw new CliException("swarmlet console attaches to a daemon from the command line; this is already the daemon's shell");
        }
        PrintWriter out = out();
        out.flush();
        Utf8Writer sink = new Utf8Writer(out);
        remote.console(System.in, sink);
        sink.end();
        return Main.EXIT_OK;
    }

    /**
     * What the shell prints, decoded as UTF-8 into the command's writer; a
     * character split across two messages is decoded once whole. The output
     * ends with a newline (the last prompt has none).
     */
    static final class Utf8Writer extends OutputStream {
        private final PrintWriter out;
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        private ByteBuffer pending = ByteBuffer.allocate(0);
        private char last = '\n';
        private boolean wrote;

        Utf8Writer(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            ByteBuffer in = ByteBuffer.allocate(pending.remaining() + len);
            in.put(pending).put(b, off, len).flip();
            CharBuffer chars = CharBuffer.allocate(in.remaining());
            decoder.decode(in, chars, false);
            chars.flip();
            if (chars.hasRemaining()) {
                out.append(chars);
                last = chars.get(chars.limit() - 1);
                wrote = true;
            }
            pending = in.slice();
        }

        @Override
        public synchronized void flush() {
            out.flush();
        }

        /** The end of the session's output. */
        synchronized void end() {
            if (wrote && last != '\n') {
                out.println();
            }
            out.flush();
        }
    }
}
