package io.swarmlet.dockerapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server itself: the socket, version negotiation, Docker-shaped errors and the engine-only paths. */
class DockerApiServerTest {

    @TempDir
    static Path dir;

    static ApiHarness h;

    @BeforeAll
    static void start() throws Exception {
        h = new ApiHarness(dir);
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void socketIsOnlyTheOwners() throws Exception {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(h.server.socket())));
        try (var s = Files.list(dir)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".swarmlet-docker-api-")),
                    "the private staging directory is gone");
        }
    }

    @Test
    void pingNamesTheApiVersion() throws Exception {
        UnixHttp.Answer a = h.http.get("/_ping");
        assertEquals(200, a.status());
        assertEquals("OK", a.text());
        assertEquals("1.41", a.header("Api-Version"));
        assertEquals("linux", a.header("Ostype"));
        assertEquals(200, h.http.send("HEAD", "/_ping", null).status());
    }

    @Test
    void versionAnswersNegotiationLikeTheEngine() throws Exception {
        UnixHttp.Answer a = h.http.get("/v1.41/version");
        assertEquals(200, a.status(), a.toString());
        assertEquals("1.41", a.json().get("ApiVersion").asText());
        assertEquals("1.24", a.json().get("MinAPIVersion").asText());
        UnixHttp.Answer tooNew = h.http.get("/v1.50/version");
        assertEquals(400, tooNew.status());
        assertEquals("client version 1.50 is too new. Maximum supported API version is 1.41",
                tooNew.json().get("message").asText());
        UnixHttp.Answer tooOld = h.http.get("/v1.12/version");
        assertEquals(400, tooOld.status());
        assertTrue(tooOld.json().get("message").asText().startsWith("client version 1.12 is too old"), tooOld.toString());
    }

    @Test
    void engineOnlyPathsAnswer501AndUnknownOnes404() throws Exception {
        UnixHttp.Answer images = h.http.get("/v1.41/images/json");
        assertEquals(501, images.status());
        assertTrue(images.json().get("message").asText().contains("swarm part of the Docker Engine API"), images.toString());
        UnixHttp.Answer nothing = h.http.get("/v1.41/nothing/here");
        assertEquals(404, nothing.status());
        assertEquals("page not found", nothing.json().get("message").asText());
    }

    @Test
    void withoutControlApiCallsAnswer503() throws Exception {
        h.control.set(null);
        try {
            UnixHttp.Answer a = h.http.get("/v1.41/version");
            assertEquals(503, a.status());
            assertTrue(a.json().get("message").asText().contains("control API is not running"), a.toString());
        } finally {
            h.control.set(h.api);
        }
    }

    @Test
    void aSecondServerReplacesAStaleSocketButNotAFile() throws Exception {
        Path file = dir.resolve("not-a-socket");
        Files.writeString(file, "keep me");
        DockerApiServer s = new DockerApiServer(h.control::get, "0.1.0");
        try {
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> s.start(file));
            assertTrue(e.getMessage().contains("is not a socket"), e.getMessage());
            assertEquals("keep me", Files.readString(file));
        } finally {
            s.close();
        }
    }
}
