package io.swarmlet.itests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Runs the unpacked distribution (distribution/target/swarmlet) as a user
 * would: swarmletd as a background process, swarmlet as a command.
 */
final class Dist {

    static final Path HOME = Paths.get(System.getProperty("swarmlet.dist", "../distribution/target/swarmlet")).toAbsolutePath().normalize();

    /** What a finished command printed. */
    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Dist() {}

    /** Starts swarmletd with those flags; output goes to {@code log}. */
    static Process daemon(Path log, String... flags) throws IOException {
        return daemon(log, java.util.Map.of(), flags);
    }

    /** Starts swarmletd with those flags and extra environment (e.g. SWARMLETD_OPTS). */
    static Process daemon(Path log, java.util.Map<String, String> env, String... flags) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(HOME.resolve("bin/swarmletd").toString());
        cmd.addAll(List.of(flags));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Runs a command to completion (at most 60 s) and returns what it printed. */
    static Result run(List<String> cmd) throws IOException, InterruptedException {
        return run(cmd, null);
    }

    /** As {@link #run(List)}, with {@code input} on the command's stdin (null: /dev/null). */
    static Result run(List<String> cmd, byte[] input) throws IOException, InterruptedException {
        Path out = Files.createTempFile("swl-out", ".txt");
        Path err = Files.createTempFile("swl-err", ".txt");
        Path in = input == null ? null : Files.write(Files.createTempFile("swl-in", ".txt"), input);
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(in == null ? new java.io.File("/dev/null") : in.toFile()))
                    .start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + cmd);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            if (in != null) {
                Files.deleteIfExists(in);
            }
        }
    }

    /**
     * Fails the class's set-up unless the distribution is built and each image is on the local
     * engine (.ci/setup-host.sh makes the test images).
     */
    static void requireDistributionAndImages(String... images) throws IOException, InterruptedException {
        if (!Files.isExecutable(HOME.resolve("bin/swarmletd"))) {
            throw new AssertionError("build the distribution first: " + HOME);
        }
        for (String image : images) {
            Result img = docker("image", "inspect", "--format", "{{.Id}}", image);
            if (img.exit() != 0) {
                throw new AssertionError("missing local test image " + image + " (.ci/setup-host.sh imports it):\n" + img);
            }
        }
    }

    /** Runs the docker CLI. */
    static Result docker(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("docker");
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    /** Runs {@code swarmlet --socket SOCK args...}. */
    static Result cli(Path socket, String... args) throws IOException, InterruptedException {
        return cliInput(socket, null, args);
    }

    /** Runs {@code swarmlet --socket SOCK args...} with {@code input} on its stdin. */
    static Result cliInput(Path socket, byte[] input, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(HOME.resolve("bin/swarmlet").toString());
        cmd.add("--socket");
        cmd.add(socket.toString());
        cmd.addAll(List.of(args));
        return run(cmd, input);
    }

    /** Polls {@code swarmlet node ls} until it lists a leader, or fails after 90 s. */
    static Result awaitLeader(Path socket, Process daemon, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        Result last = null;
        while (System.nanoTime() < deadline) {
            if (!daemon.isAlive()) {
                throw new AssertionError("swarmletd exited with " + daemon.exitValue() + ":\n" + Files.readString(log));
            }
            if (Files.exists(socket)) {
                last = cli(socket, "node", "ls");
                if (last.exit() == 0 && last.out().contains("Leader")) {
                    return last;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no leader within 90 s; last node ls: " + last + "\nlog:\n" + Files.readString(log));
    }

    /** Something to look at; may throw (a failed command) while the cluster converges. */
    interface Probe<T> {
        T get() throws Exception;
    }

    /**
     * Polls {@code probe} (after {@code check}, which fails fast, e.g. when a
     * daemon died) until {@code done} accepts its value and returns that value;
     * fails after {@code seconds} with the last value seen (or the last error),
     * rendered by {@code show}, and {@code context} (e.g. the end of a log).
     */
    static <T> T await(String what, int seconds, Probe<Void> check, Probe<T> probe, Predicate<? super T> done,
            Function<Object, String> show, Probe<String> context) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Object last = null;
        while (true) {
            check.get();
            try {
                T value = probe.get();
                if (done.test(value)) {
                    return value;
                }
                last = value;
            } catch (AssertionError | Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + seconds + " s for " + what + "; last seen: " + show.apply(last)
                        + context.get());
            }
            Thread.sleep(250);
        }
    }
}
