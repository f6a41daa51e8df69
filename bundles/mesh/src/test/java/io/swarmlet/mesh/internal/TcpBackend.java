package io.swarmlet.mesh.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A task's container, as far as the mesh can tell: a small blocking TCP server on 127.0.0.1. */
final class TcpBackend implements AutoCloseable {

    enum Mode {
        /** Answers every line with "NAME LINE". */
        LINES,
        /** Sends back every byte. */
        ECHO,
        /** Reads to the end of input, then answers "NAME COUNT" and closes. */
        COUNT,
        /** Reads to the end of input, then sends {@link #BIG} bytes (i % 251) and closes. */
        DOWNLOAD,
        /** Accepts and closes without a byte, like docker-proxy in front of a container that just died. */
        HANGUP,
        /** Accepts and resets without a byte. */
        RESET
    }

    static final int BIG = 4 * 1024 * 1024;

    final String name;
    private final Mode mode;
    private final ServerSocket server;
    final AtomicInteger accepted = new AtomicInteger();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    TcpBackend(String name, Mode mode) throws IOException {
        this.name = name;
        this.mode = mode;
        this.server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "backend-" + name);
        t.setDaemon(true);
        t.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                open.add(s);
                Thread t = new Thread(() -> serve(s), "backend-" + name + "-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            switch (mode) {
                case LINES -> {
                    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                    String line;
                    while ((line = r.readLine()) != null) {
                        out.write((name + " " + line + "\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                }
                case ECHO -> in.transferTo(out);
                case HANGUP -> { }
                case RESET -> s.setSoLinger(true, 0);
                case COUNT -> {
                    long n = 0;
                    byte[] buf = new byte[16384];
                    int k;
                    while ((k = in.read(buf)) >= 0) {
                        n += k;
                    }
                    out.write((name + " " + n + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                case DOWNLOAD -> {
                    in.transferTo(OutputStream.nullOutputStream());
                    byte[] data = new byte[BIG];
                    for (int i = 0; i < data.length; i++) {
                        data[i] = (byte) (i % 251);
                    }
                    out.write(data);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // the client or the test went away
        } finally {
            open.remove(s);
        }
    }

    /** Like a killed container: the listening socket and every connection go away at once. */
    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            s.setSoLinger(true, 0); // reset, as a dying process's sockets are
            s.close();
        }
    }
}
