package io.swarmlet.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.swarmlet.api.grpc.NodeDispatcherGrpc;
import io.swarmlet.api.remote.AssignmentsRequest;
import io.swarmlet.api.remote.AssignmentsResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnedLoopChannelTest {

    @TempDir
    Path dir;

    /**
     * A channel shut down while a call runs on it (a peer evicted after a failover)
     * must let that call end: before, its event loop went with the shutdown and the
     * call, deadline and all, waited forever.
     */
    @Test
    void aCallStartedBeforeShutdownStillEndsAtItsDeadline() throws Exception {
        assumeTrue(Transports.unixSocketsAvailable(), "needs unix sockets");
        CountDownLatch received = new CountDownLatch(1);
        NodeDispatcherGrpc.NodeDispatcherImplBase neverAnswers = new NodeDispatcherGrpc.NodeDispatcherImplBase() {
            @Override
            public void assignments(AssignmentsRequest request, StreamObserver<AssignmentsResponse> out) {
                received.countDown();
            }
        };
        try (Transports.Listener server = Transports.serveUnix(dir.resolve("s.sock"), "test", List.of(neverAnswers))) {
            ManagedChannel channel = Transports.unixChannel(dir.resolve("s.sock"));
            CompletableFuture<Status> call = CompletableFuture.supplyAsync(() -> {
                try {
                    NodeDispatcherGrpc.newBlockingStub(channel).withDeadlineAfter(1500, TimeUnit.MILLISECONDS)
                            .assignments(AssignmentsRequest.getDefaultInstance());
                    return Status.OK;
                } catch (StatusRuntimeException e) {
                    return e.getStatus();
                }
            });
            assertTrue(received.await(10, TimeUnit.SECONDS), "the call reached the server");
            channel.shutdown();
            assertEquals(Status.Code.DEADLINE_EXCEEDED, call.get(10, TimeUnit.SECONDS).getCode());
            assertTrue(channel.awaitTermination(10, TimeUnit.SECONDS), "the channel terminates once its call ended");
        }
    }
}
