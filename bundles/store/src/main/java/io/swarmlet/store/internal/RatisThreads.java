package io.swarmlet.store.internal;

final class RatisThreads {
    private RatisThreads() {}

    static boolean isSharedTimer(Thread t) {
        return false;
    }
}
