package io.swarmlet.executor.docker.internal;

import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PullResponseItem;
import io.swarmlet.spi.executor.ExecutorException;
import java.util.List;
import java.util.Locale;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The image rule: a task runs from an image the engine has. A local image is
 * used as it is (no pull, so nodes without a registry work); a missing one is
 * pulled, and a pull that gets no answer from a registry within a few seconds
 * is given up at once rather than left to hang. Either way, an image that is
 * still missing is a fatal error: retrying the same task cannot help.
 */
final class Images {

    private static final Logger LOG = LogManager.getLogger(Images.class);

    /** Engine messages that mean the registry could not be reached at all. */
    private static final List<String> UNREACHABLE = List.of("dial tcp", "no such host", "connection refused",
            "i/o timeout", "network is unreachable", "no route to host", "tls handshake timeout",
            "client.timeout", "context deadline exceeded", "temporary failure in name resolution",
            "server misbehaving", "connection reset");

    private static final long POLL_MS = 200;

    private final DockerEngine engine;

    Images(DockerEngine engine) {
        this.engine = engine;
    }

    static String unreachableMessage(String image) {
        return "image " + image + " not found locally and no registry reachable";
    }

    /**
     * Makes sure the engine has {@code image}.
     *
     * @throws ExecutorException fatal if it is missing and cannot be pulled
     */
    void ensure(String image) throws ExecutorException, InterruptedException {
        if (present(image)) {
            return;
        }
        pull(image);
        if (!present(image)) {
            throw new ExecutorException("image " + image + " not found locally, and not found after a pull", true);
        }
    }

    boolean present(String image) throws ExecutorException {
        return engine.call("inspect image " + image, c -> {
            try {
                c.inspectImageCmd(image).exec();
                return true;
            } catch (NotFoundException e) {
                return false;
            }
        });
    }

    /** The ports {@code image} EXPOSEs (its Config.ExposedPorts), empty if none or if it is gone. */
    List<ExposedPort> exposedPorts(String image) throws ExecutorException {
        return engine.call("inspect image " + image, c -> {
            try {
                var config = c.inspectImageCmd(image).exec().getConfig();
                ExposedPort[] ports = config == null ? null : config.getExposedPorts();
                return ports == null ? List.<ExposedPort>of() : List.of(ports);
            } catch (NotFoundException e) {
                return List.<ExposedPort>of();
            }
        });
    }

    private void pull(String image) throws ExecutorException, InterruptedException {
        String ref = withDefaultTag(image);
        DockerEngine.Settings s = engine.settings();
        PullProgress progress = new PullProgress();
        long start = System.nanoTime();
        LOG.info("image {} is not on this node: pulling it", image);
        try {
            engine.stream("pull image " + image, c -> c.pullImageCmd(ref).exec(progress));
            while (!progress.await(POLL_MS)) {
                long elapsed = System.nanoTime() - start;
                if (!progress.answered && elapsed > s.pullStartTimeout().toNanos()) {
                    LOG.warn("pull of {}: no answer from a registry within {} ms, giving up", image,
                            s.pullStartTimeout().toMillis());
                    throw new ExecutorException(unreachableMessage(image), true);
                }
                if (elapsed > s.pullTimeout().toNanos()) {
                    throw new ExecutorException("image " + image + " not found locally and its pull did not finish within "
                            + s.pullTimeout().toSeconds() + " s", true);
                }
            }
            String failure = progress.failure != null ? progress.failure
                    : progress.error() != null ? DockerErrors.reason(progress.error(), engine.host()) : null;
            if (failure != null) {
                LOG.warn("pull of {} failed: {}", image, failure);
                if (unreachable(failure)) {
                    throw new ExecutorException(unreachableMessage(image), true);
                }
                throw new ExecutorException("image " + image + " not found locally and could not be pulled: "
                        + DockerErrors.oneLine(failure), true);
            }
            LOG.info("pulled image {}", image);
        } finally {
            progress.close();
        }
    }

    static boolean unreachable(String message) {
        String m = message.toLowerCase(Locale.ROOT);
        return UNREACHABLE.stream().anyMatch(m::contains);
    }

    /**
     * The reference to pull: as given if it names a tag or a digest, else with
     * ":latest" (an untagged pull would fetch every tag).
     */
    static String withDefaultTag(String image) {
        if (image.contains("@")) {
            return image;
        }
        int slash = image.lastIndexOf('/');
        return image.indexOf(':', slash + 1) >= 0 ? image : image + ":latest";
    }

    /** The pull's progress stream: whether a registry answered, and the error it ended with. */
    private static final class PullProgress extends StreamCallback<PullResponseItem> {

        volatile boolean answered;
        volatile String failure;

        @Override
        public void onNext(PullResponseItem item) {
            if (item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null) {
                failure = item.getErrorDetail().getMessage();
            } else if (item.getError() != null) {
                failure = item.getError();
            } else {
                answered = true;
            }
        }

        @Override
        public void onError(Throwable t) {
            if (t instanceof DockerException de && failure == null) {
                failure = DockerErrors.engineMessage(de);
            }
            super.onError(t);
        }
    }
}
