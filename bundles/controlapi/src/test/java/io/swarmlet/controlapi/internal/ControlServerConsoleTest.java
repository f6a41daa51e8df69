package io.swarmlet.controlapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.node.Console;
import io.swarmlet.grpc.ControlGrpcService;
import io.swarmlet.grpc.RemoteControlApi;
import io.swarmlet.grpc.Transports;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.Version;

/**
 * The {@code Console} RPC of the control socket, on a worker's socket (no
 * manager API): sessions reach the Console service bound at the time of the
 * call; without one, the socket says which bundle is missing; a client that
 * goes away hangs its session up.
 */
class ControlServerConsoleTest {

    private static final long DEADLINE_SECONDS = 20;
    private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

    private Path dir;
    private Path socket;
    private ControlServer server;
    private RemoteControlApi client;
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final CountDownLatch hungUp = new CountDownLatch(1);
    private final CountDownLatch typed = new CountDownLatch(1);

    @BeforeAll
    static void needsUnixSockets() {
        assumeTrue(Transports.unixSocketsAvailable(), "unix sockets need Linux with epoll");
        GRPC_LOG.setLevel(java.util.logging.Level.SEVERE);
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "swcns");
        socket = dir.resolve("c.sock");
        server = new ControlServer();
        set("local", new ControlServerTest.Local(socket, false));
        server.activate(context());
        client = RemoteControlApi.unix(socket, 10_000);
    }

    @AfterEach
    void tearDown() throws IOException {
        client.close();
        server.deactivate();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private void set(String field, Object value) throws Exception {
        Field f = ControlServer.class.getDeclaredField(field);
        f.setAccessible(true);
        f.set(server, value);
    }

    private static BundleContext context() {
        Bundle bundle = (Bundle) Proxy.newProxyInstance(ControlServerConsoleTest.class.getClassLoader(), new Class<?>[] {Bundle.class},
                (p, m, a) -> m.getName().equals("getVersion") ? new Version(1, 2, 3) : null);
        ServiceRegistration<?> reg = (ServiceRegistration<?>) Proxy.newProxyInstance(ControlServerConsoleTest.class.getClassLoader(),
                new Class<?>[] {ServiceRegistration.class}, (p, m, a) -> null);
        return (BundleContext) Proxy.newProxyInstance(ControlServerConsoleTest.class.getClassLoader(), new Class<?>[] {BundleContext.class},
                (p, m, a) -> switch (m.getName()) {
                    case "getBundle" -> bundle;
                    case "registerService" -> reg;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    /** A console that upper-cases what it is given; its sessions are Futures, so a hang-up can be told from the end of input. */
    private final class UpperCase implements Console {
        @Override
        public Session open(Consumer<byte[]> output, Runnable closed) {
            events.add("open");
            output.accept("$ ".getBytes(StandardCharsets.UTF_8));
            class S extends CompletableFuture<Void> implements Session {
                @Override
                public void input(byte[] data) {
                    events.add("input " + new String(data, StandardCharsets.UTF_8).strip());
                    output.accept(new String(data, StandardCharsets.UTF_8).toUpperCase().getBytes(StandardCharsets.UTF_8));
                    typed.countDown();
                }

                @Override
                public void close() {
                    events.add("close");
                    if (complete(null)) {
                        closed.run();
                    }
                }

                @Override
                public boolean cancel(boolean mayInterruptIfRunning) {
                    events.add("hang up");
                    hungUp.countDown();
                    return super.cancel(mayInterruptIfRunning);
                }
            }
            return new S();
        }
    }

    @Test
    void aWorkersSocketServesTheConsoleBoundAtTheTimeOfTheCall() throws Exception {
        ControlException e = assertThrows(ControlException.class,
                () -> client.console(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream()));
        assertEquals(ControlException.Code.UNAVAILABLE, e.code());
        assertEquals(ControlGrpcService.NO_CONSOLE, e.getMessage());

        set("console", new UpperCase());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        client.console(new ByteArrayInputStream("swarm:node ls\nlb\n".getBytes(StandardCharsets.UTF_8)), out);
        assertEquals("$ SWARM:NODE LS\nLB\n", out.toString(StandardCharsets.UTF_8));
        assertEquals("open", events.get(0));
        assertEquals("close", events.get(events.size() - 1), events.toString());
        assertTrue(String.join("", events).replace("input ", "").contains("swarm:node ls"), events.toString());
    }

    @Test
    void aClientThatGoesAwayHangsItsSessionUp() throws Exception {
        set("console", new UpperCase());
        PipedOutputStream typing = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(typing);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread attached = new Thread(() -> {
            try {
                client.console(in, out);
            } catch (InterruptedException e) {
                events.add("client interrupted");
            }
        });
        attached.start();
        typing.write("hello\n".getBytes(StandardCharsets.UTF_8));
        typing.flush();
        assertTrue(typed.await(DEADLINE_SECONDS, TimeUnit.SECONDS), "the line reaches the session: " + events);
        attached.interrupt(); // Ctrl-C in the CLI
        assertTrue(hungUp.await(DEADLINE_SECONDS, TimeUnit.SECONDS), "the session is hung up: " + events);
        attached.join(TimeUnit.SECONDS.toMillis(DEADLINE_SECONDS));
        assertTrue(events.contains("client interrupted"), events.toString());
        typing.close();
    }
}
