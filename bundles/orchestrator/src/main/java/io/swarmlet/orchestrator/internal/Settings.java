package io.swarmlet.orchestrator.internal;

/**
 * The orchestrator's settings, from {@link Orchestrator.Config}.
 *
 * @param writesPerTransaction most writes one store transaction carries; larger changes take several passes
 * @param retryDelayMs wait after a failed store transaction before the next pass
 */
record Settings(int writesPerTransaction, long retryDelayMs) {

    static final Settings DEFAULTS = new Settings(200, 1_000);

    Settings {
        if (writesPerTransaction < 1) {
            throw new IllegalArgumentException("writesPerTransaction must be at least 1");
        }
        if (retryDelayMs < 0) {
            throw new IllegalArgumentException("retryDelayMs must not be negative");
        }
    }

    static Settings of(Orchestrator.Config c) {
        return new Settings(c.writesPerTransaction(), c.retryDelayMs());
    }
}
