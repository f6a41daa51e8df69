package io.swarmlet.stack.internal.compose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.swarmlet.stack.internal.compose.Project.Port;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The compose files of the seed, as written there (seed/*.yml). */
class SeedExamplesTest {

    private static ComposeFile seed(String name) {
        try (InputStream in = SeedExamplesTest.class.getResourceAsStream("seed/" + name)) {
            return new ComposeFile(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theFirstExampleLoads() {
        Project p = ComposeLoader.load(List.of(seed("docker-compose.yml")), Map.of());
        assertEquals("redis:3.2.5-alpine", p.services().get("redis").image());
        assertEquals(List.of(new Port(5000, 5000, "tcp", "ingress", null)), p.services().get("app").ports());
        assertEquals(List.of("demo-net"), List.copyOf(p.services().get("app").networks().keySet()));
        assertEquals(false, p.networks().get("demo-net").external());
        assertEquals(List.of("Ignoring unsupported options: depends_on"), p.warnings());
    }

    @Test
    void theStackExampleLoads() {
        Project p = ComposeLoader.load(List.of(seed("stack.yml")), Map.of());
        assertEquals(2, p.services().get("app").deploy().replicas());
        assertEquals("overlay", p.networks().get("demo-net").driver());
        assertEquals(List.of("Ignoring unsupported options: depends_on"), p.warnings());
    }

    /**
     * The webapp example has a typo ({@code replicase}), {@code reservations} outside {@code resources},
     * volumes written {@code - data: /path} (a mapping, not {@code data:/path}) and its configs' keys one
     * level too high (so {@code file} and {@code external} become configs of their own): each is reported,
     * with its line, in Docker's words.
     */
    @Test
    void theWebappExampleIsRefusedWithEveryMistakeNamed() {
        ComposeException e = assertThrows(ComposeException.class, () -> ComposeLoader.load(List.of(seed("webapp.yml")), Map.of()));
        assertEquals("""
                webapp.yml:6: services.db.volumes.0 Additional property data is not allowed
                webapp.yml:10: services.webapp.volumes.0 Additional property webapp_volumn is not allowed
                webapp.yml:21: services.webapp.deploy Additional property replicase is not allowed
                webapp.yml:33: services.webapp.deploy Additional property reservations is not allowed
                webapp.yml:42: configs.webapp_config must be a mapping
                webapp.yml:43: configs.file must be a mapping
                webapp.yml:44: configs.external must be a mapping""", e.getMessage());
    }

    @Test
    void theWebappExampleFixedStillNeedsItsSecret() {
        String fixed = seed("webapp.yml").text()
                .replace("- data: /var", "- data:/var")
                .replace("- webapp_volumn: /opt", "- webapp_volumn:/opt")
                .replace("replicase:", "replicas:")
                .replace("      reservations:", "        reservations:")
                .replace("        cpus: '0.01'", "          cpus: '0.01'")
                .replace("        memory: 100M", "          memory: 100M")
                .replace("  file: ./webapp_config", "    file: ./webapp_config")
                .replace("  external: false     #", "    external: false     #");
        ComposeException e = assertThrows(ComposeException.class,
                () -> ComposeLoader.load(List.of(new ComposeFile("webapp.yml", fixed)), Map.of()));
        assertEquals("webapp.yml:10: services.webapp.volumes: service \"webapp\" refers to undefined volume webapp_volumn\n"
                + "webapp.yml:19: services.webapp.secrets: service \"webapp\" refers to undefined secret webapp_secret",
                e.getMessage());
        Project p = ComposeLoader.load(List.of(new ComposeFile("webapp.yml", fixed
                + "\nsecrets:\n  webapp_secret:\n    file: ./webapp_secret\n"),
                new ComposeFile("more.yml", "volumes:\n  webapp_volumn:\n")), Map.of());
        Project.Deploy d = p.services().get("webapp").deploy();
        assertEquals(4, d.replicas());
        assertEquals(10_000_000L, d.resources().reservations().nanoCpus());
        assertEquals(300L << 20, d.resources().limits().memoryBytes());
        assertEquals(List.of(new Port(3000, null, "udp", "ingress", null), new Port(8000, 8000, "tcp", "ingress", null)),
                p.services().get("webapp").ports());
        assertEquals("./webapp_config", p.configs().get("webapp_config").file());
    }
}
