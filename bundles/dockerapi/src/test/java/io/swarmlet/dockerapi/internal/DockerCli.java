package io.swarmlet.dockerapi.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code docker} CLI run against a test server (DOCKER_HOST: its socket, or TCP with TLS), with an
 * empty config directory of its own; one call runs one command to its end (60 s at most).
 */
final class DockerCli {

    record Run(int exit, String out, String err) {
        @Override public String toString() { return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err; }
    }

    private final Map<String, String> env;
    private final Path config;

    DockerCli(Path socket, Path config) throws IOException {
        this(Map.of("DOCKER_HOST", "unix://" + socket), config);
    }

    /** With {@code env} for the CLI: DOCKER_HOST, and DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for TCP. */
    DockerCli(Map<String, String> env, Path config) throws IOException {
        this.env = Map.copyOf(env);
        this.config = Files.createDirectories(config);
    }

    /** Whether a docker CLI is installed here (tests that need it are skipped otherwise). */
    static boolean available() {
        try {
            Process p = new ProcessBuilder("docker", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    Run run(String... args) throws Exception {
        return runWithInput(null, args);
    }

    Run runWithInput(String stdin, String... args) throws Exception {
        Path out = Files.createTempFile(config, "out", ".txt");
        Path err = Files.createTempFile(config, "err", ".txt");
        Process p = start(out, err, args);
        try (var in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("docker " + String.join(" ", args) + " did not finish in 60 s");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** Starts a command that runs on (e.g. {@code docker events}), its output going to {@code out} and {@code err}. */
    Process start(Path out, Path err, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("docker");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        pb.environment().putAll(env);
        pb.environment().put("DOCKER_CONFIG", config.toString());
        pb.environment().put("DOCKER_CLI_HINTS", "false");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        return pb.start();
    }
}
