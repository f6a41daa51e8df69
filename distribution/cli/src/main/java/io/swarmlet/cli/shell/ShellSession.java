package io.swarmlet.cli.shell;

import io.swarmlet.api.node.Console;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One console session: a thread that prints the prompt, reads a line from the
 * {@link InputPipe}, runs it with {@link CommandSession#execute}, prints the
 * result ({@link CommandSession#format}) or the error in one line as the Gogo
 * shell does, and again, until {@code exit}, the end of input or a hang-up.
 *
 * <p>{@link #close()} is the end of input: what the user typed before still
 * runs ({@code echo 'swarm:service create ...' | swarmlet console} creates the
 * service). {@link #cancel} is a hang-up (the client went away): the running
 * command is interrupted and nothing more runs. The same happens when the
 * output cannot be delivered any more.
 */
final class ShellSession implements Console.Session, Future<Void> {

    private static final Logger LOG = LogManager.getLogger(ShellSession.class);

    /** What the console prints before reading a line. */
    static final String PROMPT = "swarmlet> ";

    private final CommandProcessor processor;
    private final InputPipe input = new InputPipe();
    private final Sink sink;
    private final Runnable closed;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile boolean hungUp;
    private volatile Thread thread;

    ShellSession(CommandProcessor processor, Consumer<byte[]> output, Runnable closed) {
        this.processor = processor;
        this.sink = new Sink(output);
        this.closed = closed;
    }

    /** Starts the session's thread. */
    void start(String name) {
        Thread t = new Thread(this::run, name);
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    @Override
    public void input(byte[] data) {
        input.feed(data);
    }

    @Override
    public void close() {
        input.end();
    }

    /** The client went away or the shell stops: ends the session now, interrupting its command. */
    void hangUp() {
        hungUp = true;
        input.end();
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    private void run() {
        PrintStream out = new PrintStream(sink, true, StandardCharsets.UTF_8);
        try (CommandSession shell = processor.createSession(input, sink, sink)) {
            while (!hungUp) {
                out.print(PROMPT);
                out.flush();
                String line = input.readLine();
                if (line == null || hungUp) {
                    break;
                }
                String command = line.strip();
                if (command.equals("exit") || command.startsWith("exit ")) {
                    break;
                }
                if (command.isEmpty() || command.startsWith("#")) {
                    continue;
                }
                execute(shell, command, out);
            }
        } catch (InterruptedIOException e) {
            // hung up while waiting for input
        } catch (RuntimeException e) {
            LOG.error("console session failed", e);
            out.println("gogo: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            out.flush();
            Thread.interrupted();
            end();
        }
    }

    private void execute(CommandSession shell, String command, PrintStream out) {
        try {
            Object result = shell.execute(command);
            if (result != null && !hungUp) {
                out.println(shell.format(result, Converter.INSPECT));
            }
        } catch (Exception e) {
            if (!hungUp) {
                out.println("gogo: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        } finally {
            out.flush();
        }
    }

    private void end() {
        if (ended.compareAndSet(false, true)) {
            try {
                closed.run();
            } finally {
                done.complete(null);
            }
        }
    }

    // Future: the session's life; cancel hangs up

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        hangUp();
        return true;
    }

    @Override
    public boolean isCancelled() {
        return hungUp;
    }

    @Override
    public boolean isDone() {
        return done.isDone();
    }

    @Override
    public Void get() throws InterruptedException, ExecutionException {
        return done.get();
    }

    @Override
    public Void get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        return done.get(timeout, unit);
    }

    /**
     * What the shell prints (stdout and stderr alike), handed to the output
     * consumer a line at a time, or at each flush. If the consumer fails (the
     * client is gone), the session hangs up and later output is dropped.
     */
    private final class Sink extends OutputStream {
        private final Consumer<byte[]> output;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        private boolean broken;

        Sink(Consumer<byte[]> output) {
            this.output = output;
        }

        @Override
        public synchronized void write(int b) {
            pending.write(b);
            if (b == '\n' || pending.size() >= 8192) {
                deliver();
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            pending.write(b, off, len);
            if (pending.size() >= 8192 || containsNewline(b, off, len)) {
                deliver();
            }
        }

        @Override
        public synchronized void flush() {
            deliver();
        }

        @Override
        public void close() throws IOException {
            flush();
        }

        private void deliver() {
            if (pending.size() == 0) {
                return;
            }
            byte[] data = pending.toByteArray();
            pending.reset();
            if (broken) {
                return;
            }
            try {
                output.accept(data);
            } catch (RuntimeException e) {
                broken = true;
                LOG.debug("console output cannot be delivered any more ({}); hanging up", e.toString());
                hangUp();
            }
        }
    }

    private static boolean containsNewline(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b[i] == '\n') {
                return true;
            }
        }
        return false;
    }
}
