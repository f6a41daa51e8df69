package io.swarmlet.executor.docker.internal;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DefaultDockerCmdExecFactory;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.core.command.CreateContainerCmdImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.swarmlet.spi.executor.ExecutorException;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The connection to one Docker Engine, through docker-java (embedded in this
 * bundle). Every call runs with this bundle's class loader as the thread
 * context class loader, so nothing docker-java or Jackson looks up by name
 * escapes the bundle, and every failure comes out as a short
 * {@link ExecutorException}.
 *
 * <p>No API version is pinned: docker-java then calls the engine's unversioned
 * endpoints, which the engine serves at its own version (pinning 1.42 or later
 * fails against a 20.10 engine). Two clients share the host: one with a
 * response timeout for requests the engine answers at once, one without for
 * the calls that block by design (wait, events, logs, pull, stop).
 */
final class DockerEngine implements AutoCloseable {

    /**
     * @param host the docker host URI (unix:///var/run/docker.sock, tcp://h:2375)
     * @param connectTimeout how long opening a connection may take
     * @param requestTimeout how long a non-blocking request may take
     * @param pullStartTimeout how long a pull may go without any progress from a registry
     * @param pullTimeout how long a pull may take in all
     */
    record Settings(String host, Duration connectTimeout, Duration requestTimeout, Duration pullStartTimeout,
            Duration pullTimeout) {

        static Settings defaults(String host) {
            return new Settings(host, Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(5),
                    Duration.ofMinutes(10));
        }
    }

    /** One use of the client; may throw docker-java's runtime exceptions or an ExecutorException. */
    @FunctionalInterface
    interface DockerCall<T> {
        T apply(DockerClient client) throws ExecutorException;
    }

    private static final ClassLoader LOADER = DockerEngine.class.getClassLoader();

    private final Settings settings;
    private final DockerClient client;
    private final DefaultDockerCmdExecFactory factory;
    private final DockerClient streaming;
    private volatile boolean closed;

    DockerEngine(Settings settings) {
        this.settings = settings;
        DefaultDockerClientConfig config = withBundleLoader(() -> new DefaultDockerClientConfig.Builder()
                .withDockerHost(settings.host())
                .withDockerTlsVerify(false)
                .build());
        this.factory = withBundleLoader(() -> new DefaultDockerCmdExecFactory(
                http(config, settings.connectTimeout(), settings.requestTimeout()), config.getObjectMapper()));
        this.client = withBundleLoader(() -> client(config, factory));
        this.streaming = withBundleLoader(() -> client(config, new DefaultDockerCmdExecFactory(
                http(config, settings.connectTimeout(), null), config.getObjectMapper())));
    }

    @SuppressWarnings("deprecation") // the documented way to hand docker-java our own exec factory
    private static DockerClient client(DefaultDockerClientConfig config, DefaultDockerCmdExecFactory factory) {
        return DockerClientImpl.getInstance(config).withDockerCmdExecFactory(factory);
    }

    private static DockerHttpClient http(DefaultDockerClientConfig config, Duration connect, Duration response) {
        ZerodepDockerHttpClient.Builder b = new ZerodepDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .maxConnections(1024)
                .connectionTimeout(connect);
        if (response != null) {
            b.responseTimeout(response);
        }
        return b.build();
    }

    Settings settings() {
        return settings;
    }

    String host() {
        return settings.host();
    }

    /** Runs a request the engine answers at once. */
    <T> T call(String what, DockerCall<T> call) throws ExecutorException {
        return invoke(client, what, call);
    }

    /** Runs a request that may block for long (wait, events, logs, pull, stop). */
    <T> T stream(String what, DockerCall<T> call) throws ExecutorException {
        return invoke(streaming, what, call);
    }

    private <T> T invoke(DockerClient c, String what, DockerCall<T> call) throws ExecutorException {
        if (closed) {
            throw new ExecutorException(what + ": the docker executor is stopped", false);
        }
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(LOADER);
        try {
            return call.apply(c);
        } catch (RuntimeException e) {
            if (t.isInterrupted() || interruptedIo(e)) {
                // the JDK closes a socket channel whose thread is interrupted
                throw new Interrupted(what);
            }
            throw DockerErrors.translate(what, e, settings.host());
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    private static boolean interruptedIo(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.nio.channels.ClosedByInterruptException || c instanceof java.io.InterruptedIOException
                    && !(c instanceof java.net.SocketTimeoutException)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A request cut short because its thread was interrupted; the methods that
     * may throw InterruptedException turn it into one (see {@link #rethrow}).
     */
    static final class Interrupted extends ExecutorException {

        private static final long serialVersionUID = 1L;

        Interrupted(String what) {
            super(what + ": interrupted", false);
        }

        /** Clears the thread's interrupt flag and throws the InterruptedException it stands for. */
        InterruptedException rethrow() throws InterruptedException {
            Thread.interrupted();
            InterruptedException ie = new InterruptedException(getMessage());
            ie.initCause(this);
            throw ie;
        }
    }

    /**
     * A create command that never shows its content: docker-java logs every
     * command it runs at debug level, and a create's would print the
     * environment (secrets). Its {@code exec()} still builds the networking
     * config (the first network's aliases) as docker-java's does.
     */
    CreateContainerCmd newCreate(String image) {
        return new QuietCreate(factory.createCreateContainerCmdExec(), image);
    }

    /** Sends a command made by {@link #newCreate}; call it inside {@link #call}. */
    CreateContainerResponse create(CreateContainerCmd cmd) {
        return cmd.exec();
    }

    /** A create command whose string form names the container only (it is what docker-java logs). */
    static final class QuietCreate extends CreateContainerCmdImpl {

        QuietCreate(CreateContainerCmd.Exec exec, String image) {
            super(exec, null, image);
        }

        @Override
        public String toString() {
            return "create container " + getName() + " from " + getImage();
        }
    }

    static <T> T withBundleLoader(Supplier<T> s) {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(LOADER);
        try {
            return s.get();
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (DockerClient c : new DockerClient[] {client, streaming}) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                // closing: nothing more to do with it
            }
        }
    }
}
