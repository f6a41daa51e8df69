package io.swarmlet.controlapi.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.*;
import io.swarmlet.store.internal.SingleNodeStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code swarmlet web token}: the token's format, what is stored of it, rotation, and who may make one. */
class WebTokensApiTest {

    @TempDir
    static Path dir;

    private static SingleNodeStore running;
    private static Store store;
    private ControlApiImpl api;

    @BeforeAll
    static void startStore() throws Exception {
        running = SingleNodeStore.start(dir.resolve("store"));
        store = running.store();
    }

    @AfterAll
    static void stopStore() {
        running.close();
    }

    @BeforeEach
    void setUp() {
        api = new ControlApiImpl(store, new NodeLifecycleTest.Local(NodeLifecycleTest.M1, dir));
        store.update(tx -> tx.all(Kind.CLUSTER).forEach(c -> tx.delete(Kind.CLUSTER, c.getId())));
    }

    private static void createCluster() {
        store.update(tx -> tx.create(Kind.CLUSTER, Cluster.newBuilder().setId("clu1")
                .setSpec(ClusterSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("default"))).build()));
    }

    private static List<WebToken> stored() {
        return store.view(tx -> tx.get(Kind.CLUSTER, "clu1")).orElseThrow().getWebTokensList();
    }

    private CreateWebTokenResponse create(boolean rotate) {
        return api.createWebToken(CreateWebTokenRequest.newBuilder().setRotate(rotate).build());
    }

    @Test
    void aTokenIsReturnedOnceAndOnlyItsDigestIsStored() {
        createCluster();
        long before = System.currentTimeMillis();
        CreateWebTokenResponse r = create(false);
        String token = r.getToken();
        assertTrue(token.matches("SWLWEB-1-[a-z0-9]{8,}-[a-z2-7]{52}"), token);
        assertEquals(token.split("-")[2], r.getId());

        List<WebToken> tokens = stored();
        assertEquals(1, tokens.size());
        assertEquals(r.getId(), tokens.get(0).getId());
        assertArrayEquals(WebTokens.sha256(token), tokens.get(0).getSha256().toByteArray());
        assertTrue(tokens.get(0).getCreatedAt() >= before);
        String all = store.view(tx -> tx.get(Kind.CLUSTER, "clu1")).orElseThrow().toString()
                + new String(store.view(tx -> tx.get(Kind.CLUSTER, "clu1")).orElseThrow().toByteArray(), StandardCharsets.ISO_8859_1);
        assertFalse(all.contains(token.substring(token.lastIndexOf('-') + 1)), "the secret must not be stored");
    }

    @Test
    void tokensAddUpUntilRotated() {
        createCluster();
        CreateWebTokenResponse first = create(false);
        CreateWebTokenResponse second = create(false);
        assertNotEquals(first.getToken(), second.getToken());
        assertNotEquals(first.getId(), second.getId());
        assertEquals(List.of(first.getId(), second.getId()), stored().stream().map(WebToken::getId).toList());

        CreateWebTokenResponse rotated = create(true);
        assertEquals(List.of(rotated.getId()), stored().stream().map(WebToken::getId).toList());
        assertEquals("default", store.view(tx -> tx.get(Kind.CLUSTER, "clu1")).orElseThrow()
                .getSpec().getAnnotations().getName(), "the rest of the cluster object is kept");
    }

    @Test
    void noClusterObjectYetIsNotFound() {
        ControlException e = assertThrows(ControlException.class, () -> create(false));
        assertEquals(ControlException.Code.NOT_FOUND, e.code());
        assertEquals("this manager's store has no cluster object yet; try again in a moment", e.getMessage());
    }

    @Test
    void base32IsRfc4648LowerCaseWithoutPadding() {
        assertEquals("", WebTokens.base32(new byte[0]));
        assertEquals("my", WebTokens.base32("f".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("mzxw6ytboi", WebTokens.base32("foobar".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void workersAndLockedManagersRefuse() {
        NodeLifecycleTest.Local local = new NodeLifecycleTest.Local(NodeLifecycleTest.M1, dir);
        WorkerControlApi worker = new WorkerControlApi(local, "1.2.3", () -> false);
        LockedControlApi locked = new LockedControlApi(local, "1.2.3", () -> null);
        Consumer<io.swarmlet.api.control.ControlApi> call = x -> x.createWebToken(CreateWebTokenRequest.getDefaultInstance());
        ControlException e = assertThrows(ControlException.class, () -> call.accept(worker));
        assertEquals(ControlException.Code.FAILED_PRECONDITION, e.code());
        assertEquals(WorkerControlApi.NOT_A_MANAGER, e.getMessage());
        e = assertThrows(ControlException.class, () -> call.accept(locked));
        assertEquals(ControlException.Code.FAILED_PRECONDITION, e.code());
        assertEquals(io.swarmlet.api.security.Keyring.LOCKED_MESSAGE, e.getMessage());
    }
}
