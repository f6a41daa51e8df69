package io.swarmlet.dockerapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The {@link ApiHarness} with the stock docker CLI pointed at it, for a whole test class
 * ({@code @RegisterExtension static final CliHarness cli = new CliHarness();}); the class is
 * skipped where no docker CLI is installed.
 */
final class CliHarness implements BeforeAllCallback, AfterAllCallback {

    Path dir;
    ApiHarness h;
    DockerCli docker;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Assumptions.assumeTrue(DockerCli.available(), "no docker CLI installed");
        dir = Files.createTempDirectory("dockerapi-cli-");
        h = new ApiHarness(dir);
        docker = new DockerCli(h.server.socket(), dir.resolve("docker-config"));
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (h != null) {
            h.close();
        }
        if (dir != null) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Runs a docker command, which must succeed. */
    DockerCli.Run ok(String... args) throws Exception {
        DockerCli.Run r = docker.run(args);
        assertEquals(0, r.exit(), "docker " + String.join(" ", args) + ": " + r);
        return r;
    }
}
