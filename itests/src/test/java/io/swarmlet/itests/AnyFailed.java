package io.swarmlet.itests;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Whether a test of the class has failed, so that its cluster's state and logs are kept for
 * a look ({@link ClusterIT#stopAndClean}): {@code @RegisterExtension static final AnyFailed
 * FAILED = new AnyFailed();}, then {@code FAILED.get()} in {@code @AfterAll}.
 */
final class AnyFailed implements TestWatcher {

    private volatile boolean failed;

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        failed = true;
    }

    boolean get() {
        return failed;
    }
}
