package io.swarmlet.cli.shell;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;

/**
 * What the user typed, from whichever thread delivers it to the shell's
 * thread. Unlike {@link java.io.PipedInputStream} it does not care whether the
 * writing thread is still alive (gRPC delivers input on pool threads).
 * Reading blocks until there is input or the input has ended.
 */
final class InputPipe extends InputStream {

    private byte[] buffer = new byte[256];
    private int start;
    private int end;
    private boolean ended;

    /** Appends what the user typed; ignored once the input has ended. */
    synchronized void feed(byte[] data) {
        if (ended || data.length == 0) {
            return;
        }
        if (end + data.length > buffer.length) {
            int live = end - start;
            byte[] grown = live + data.length > buffer.length ? new byte[Math.max(buffer.length * 2, live + data.length)] : buffer;
            System.arraycopy(buffer, start, grown, 0, live);
            buffer = grown;
            start = 0;
            end = live;
        }
        System.arraycopy(data, 0, buffer, end, data.length);
        end += data.length;
        notifyAll();
    }

    /** End of input: reads return what is left, then end of stream. */
    synchronized void end() {
        ended = true;
        notifyAll();
    }

    private void awaitInput() throws InterruptedIOException {
        while (start == end && !ended) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("the console session was closed");
            }
        }
    }

    @Override
    public synchronized int read() throws InterruptedIOException {
        awaitInput();
        return start == end ? -1 : buffer[start++] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws InterruptedIOException {
        if (len == 0) {
            return 0;
        }
        awaitInput();
        if (start == end) {
            return -1;
        }
        int n = Math.min(len, end - start);
        System.arraycopy(buffer, start, b, off, n);
        start += n;
        return n;
    }

    @Override
    public synchronized int available() {
        return end - start;
    }

    @Override
    public void close() {
        end();
    }

    /**
     * The next line (UTF-8, without its line terminator), or null at the end of
     * input; a last line without a newline counts. Reads no further than the
     * line, so what follows stays for the next line or a command that reads input.
     */
    synchronized String readLine() throws InterruptedIOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = read();
            if (b < 0) {
                return line.size() == 0 ? null : text(line);
            }
            if (b == '\n') {
                return text(line);
            }
            line.write(b);
        }
    }

    private static String text(ByteArrayOutputStream line) {
        String s = line.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }
}
