package io.swarmlet.dockerapi.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.types.GetTaskResponse;
import io.swarmlet.api.types.LogMessage;
import io.swarmlet.api.types.Task;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follow log stream ({@code docker service logs -f}) of a task that says nothing for long:
 * it outlives the connections' idle timeout, still carries a line that comes late, and its
 * control API call is interrupted (the server thread freed) as soon as the client goes away.
 * The control API here is a stand-in (named as such) whose {@code logs} waits for the test.
 */
class QuietFollowTest {

    private static final long IDLE_MS = 500;

    @TempDir
    Path dir;

    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch ended = new CountDownLatch(1);
    private final CountDownLatch emit = new CountDownLatch(1);
    private final AtomicInteger interrupts = new AtomicInteger();
    private DockerApiServer server;

    /** A stand-in control API: one task; its logs say one line when the test says so, then wait to be interrupted. */
    private ControlApi standIn() {
        return (ControlApi) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ControlApi.class},
                (proxy, m, args) -> switch (m.getName()) {
                    case "getTask" -> GetTaskResponse.newBuilder()
                            .setTask(Task.newBuilder().setId("t1").setServiceId("s1").setNodeId("n1")).build();
                    case "logs" -> {
                        @SuppressWarnings("unchecked")
                        Consumer<LogMessage> sink = (Consumer<LogMessage>) args[1];
                        started.countDown();
                        try {
                            emit.await();
                            sink.accept(LogMessage.newBuilder().setTaskId("t1").setNodeId("n1")
                                    .setLine("late line").build());
                            Thread.sleep(Long.MAX_VALUE);
                        } catch (InterruptedException e) {
                            interrupts.incrementAndGet();
                        } finally {
                            ended.countDown();
                        }
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    @BeforeEach
    void start() throws Exception {
        ControlApi api = standIn();
        server = new DockerApiServer(() -> api, "0");
        server.idleTimeout(IDLE_MS);
        server.start(dir.resolve("d.sock"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aQuietFollowStreamOutlivesTheIdleTimeoutAndEndsWhenTheClientGoes() throws Exception {
        try (SocketChannel ch = follow()) {
            String head = readUntil(ch, "\r\n\r\n");
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            assertTrue(head.toLowerCase().contains("connection: close"), head);

            assertFalse(ended.await(6 * IDLE_MS, TimeUnit.MILLISECONDS), "six idle timeouts of quiet do not end the stream");
            emit.countDown();
            String frame = readUntil(ch, "late line\n");
            byte[] raw = frame.getBytes(StandardCharsets.ISO_8859_1);
            int at = frame.indexOf("late line");
            assertArrayEquals(new byte[] {1, 0, 0, 0}, java.util.Arrays.copyOfRange(raw, at - 8 - 0, at - 4),
                    "a stdout frame carries the late line");
            assertEquals(0, interrupts.get());
        }
        assertTrue(ended.await(10, TimeUnit.SECONDS), "the logs call ends once the client is gone");
        assertEquals(1, interrupts.get(), "by an interrupt");
    }

    @Test
    void aClientThatGoesBeforeAnyLineFreesTheCall() throws Exception {
        try (SocketChannel ch = follow()) {
            readUntil(ch, "\r\n\r\n");
        }
        assertTrue(ended.await(10, TimeUnit.SECONDS), "the logs call ends though no line ever came");
        assertEquals(1, interrupts.get());
        // the server still answers
        assertEquals(200, new UnixHttp(server.socket()).get("/_ping").status());
    }

    /** {@code docker service logs -f} of the task, as far as the control API's logs call beginning. */
    private SocketChannel follow() throws Exception {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(server.socket()));
        ch.write(ByteBuffer.wrap("GET /v1.41/tasks/t1/logs?follow=1&stdout=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII)));
        assertTrue(started.await(10, TimeUnit.SECONDS), "the logs call began");
        return ch;
    }

    private static String readUntil(SocketChannel ch, String end) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(1024);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!got.toString(StandardCharsets.ISO_8859_1).contains(end)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + end.strip() + " in: " + got.toString(StandardCharsets.ISO_8859_1));
            }
            b.clear();
            int n = ch.read(b);
            if (n < 0) {
                throw new AssertionError("closed; got: " + got.toString(StandardCharsets.ISO_8859_1));
            }
            got.write(b.array(), 0, n);
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }
}
